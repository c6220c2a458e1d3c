"""Manifest and tag listings read as raw JSON pages, with the requests the SDK's pager would send.

Why (issue 16): half of a warm re-scan's CPU went into azure-containerregistry turning every listed manifest and
tag into model objects (msrest deserialisation, then ``ArtifactManifestProperties``), objects the scanner threw
away: it keeps the raw items its paging record saw, because the models drop ``mediaType`` and ``references``
(notes azure-sdk §1.3). Here each page goes through the client's own pipeline (so the challenge, token reuse,
the scan's rate limiter and 429 handling apply as before) and its body is the JSON that azure-core's
``ContentDecodePolicy`` already decoded, so nothing is parsed twice and no model is built.

What is copied from the SDK (azure-containerregistry 1.2.0, ``aio/_async_container_registry_client.py``,
``list_manifest_properties`` and ``list_tag_properties``), so the requests, the paging and the errors are the
pager's: the path template and the quoting of the repository name by the client's serializer, ``n`` as the only
query parameter of the first page, ``Accept: application/json``, the next page from the ``Link`` header
(:func:`~acrdoctor.collect.paging.sdk_next_link`, an empty next link requesting the first page again), and on a
status other than 200 the same exception (``map_error`` for 401/404/409, else ``HttpResponseError`` with ACR's
error model). ``tests/collect/test_raw_listing.py`` checks the snapshot against the SDK path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from acrdoctor.collect.paging import sdk_next_link

#: The listings this reads, by the key of their items in a page (ACR's ``/acr/v1`` paths).
LISTING_PATHS = {"manifests": "/acr/v1/{name}/_manifests", "tags": "/acr/v1/{name}/_tags"}

#: A page whose body is not JSON: the paging record does not count it (as when it read the SDK's responses).
_NOT_JSON = object()


def page_body(pipeline_response: Any) -> Any:
    """A 200 page's decoded body: what ``ContentDecodePolicy`` left in the context, else the text parsed here."""
    data = pipeline_response.context.get("deserialized_data")
    if isinstance(data, dict | list):
        return data
    try:
        return json.loads(pipeline_response.http_response.text())
    except ValueError:
        return _NOT_JSON


def _base_url(generated: Any) -> str:
    """The endpoint as the generated client formats its ``{url}`` path argument."""
    return generated._serialize.url("self._config.url", generated._config.url, "str", skip_quote=True)


def _raise_refusal(generated: Any, answer: Any, error_map: dict[int, Any]) -> None:
    """Raise what the SDK raises for a non-200 ``answer`` (a response, or the pipeline response holding it).

    ``map_error``'s exception for the statuses in ``error_map``, else ``HttpResponseError`` with ACR's error model.
    """
    from azure.containerregistry._generated.models import AcrErrors
    from azure.core.exceptions import HttpResponseError, map_error

    response = getattr(answer, "http_response", answer)
    error = generated._deserialize.failsafe_deserialize(AcrErrors, answer)
    map_error(status_code=response.status_code, response=response, error_map=error_map)
    raise HttpResponseError(response=response, model=error)


async def read_listing(client: Any, repository: str, key: str, page_size: int,
                       on_page: Callable[[Any, str | None], None]) -> None:
    """Every page of ``repository``'s ``key`` listing, handed to ``on_page(body, link_header)`` in order.

    ``client`` is the aio ``ContainerRegistryClient``. Raises what the SDK's pager raises for a refused page, and
    whatever ``on_page`` raises (the paging record's ListingStopped).
    """
    # Imported here for start-up speed, as everywhere the SDK is used.
    from azure.core.exceptions import (
        ClientAuthenticationError,
        ResourceExistsError,
        ResourceNotFoundError,
    )

    generated = client._client  # the generated ContainerRegistry: the SDK's own serializer and pipeline client
    pipeline_client = generated._client
    serialize = generated._serialize
    path_args = {"url": _base_url(generated), "name": serialize.url("name", repository, "str")}
    headers = {"Accept": serialize.header("accept", "application/json", "str")}
    error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}
    next_link: str | None = None
    while True:
        if not next_link:
            url = pipeline_client.format_url(LISTING_PATHS[key], **path_args)
            request = pipeline_client.get(url, {"n": serialize.query("n", page_size, "int")}, headers)
        else:
            request = pipeline_client.get(pipeline_client.format_url(next_link, **path_args), {}, headers)
        pipeline_response = await pipeline_client._pipeline.run(request, stream=False)
        response = pipeline_response.http_response
        if response.status_code != 200:
            _raise_refusal(generated, response, error_map)
        link = response.headers.get("Link")
        body = page_body(pipeline_response)
        if body is not _NOT_JSON:
            on_page(body, link)
        # The SDK's pager: a Link header (even an empty one) means another page; no header ends the listing.
        next_link = sdk_next_link(link) if link is not None else None
        if next_link is None:
            return


async def read_repository(client: Any, repository: str) -> dict[str, Any]:
    """``GET /acr/v1/{name}`` as the SDK's ``get_repository_properties`` sends it, returned as ACR's JSON object.

    Why not the SDK call: its msrest deserialisation, model conversion and tracing wrapper cost about as much as
    the request itself, 500 times in a 500-repository re-scan (issue 16). The request is the generated client's
    own (its builder, ``api-version``, serializer and pipeline) and a refusal raises what the SDK raises
    (``map_error`` for 304/401/404/409, else ``HttpResponseError`` with ACR's error model). Timestamps stay the
    strings ACR sends, as the listings' do.
    """
    from azure.containerregistry._generated.operations._operations import (
        build_container_registry_get_properties_request,
    )
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ResourceNotModifiedError,
    )

    generated = client._client
    pipeline_client = generated._client
    request = build_container_registry_get_properties_request(name=repository,
                                                              api_version=generated._config.api_version)
    request.url = pipeline_client.format_url(request.url, url=_base_url(generated))
    pipeline_response = await pipeline_client._pipeline.run(request, stream=False)
    response = pipeline_response.http_response
    if response.status_code != 200:
        _raise_refusal(generated, pipeline_response,
                       {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError,
                        304: ResourceNotModifiedError})
    body = page_body(pipeline_response)
    if not isinstance(body, dict):
        raise HttpResponseError(response=response, message="repository properties: the body is not a JSON object")
    return body
