"""The paging record: how each data-plane listing ended, so a silently short listing is seen, not trusted.

Why: ``az acr repository list`` can return a partial catalog on very large registries with no error
(Azure/acr#875, open), and a cleanup that trusts it skips repositories. The SDK follows ``Link: <…>; rel="next"``
on its own and says nothing about how the listing went, so :class:`PageRecorder` rides along as the SDK's
``raw_response_hook`` and watches every page:

* a page that repeats names already listed: the service served a page twice;
* a next link whose ``last=`` cursor does not advance (equal to one seen before, or, in an unordered listing,
  not greater than the previous one when the listing is not ordered by time: ACR's default order is by name or
  digest, notes acr-wire-behaviour §b): the SDK would
  follow it forever, so the recorder stops the listing with :class:`ListingStopped`;
* fewer items than the repository's ``manifestCount``/``tagCount``: the listing ended early.

Each gives a record with ``complete: false`` and a reason; the items read before the stop are kept. A stopped
listing is known to be short, so the scanner also marks its part partial; a listing shorter than the count is only
recorded, because the count may have moved while the scan ran (the listings check judges it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.pipeline import PipelineResponse


class ListingStopped(Exception):
    """Raised from the response hook to end a listing that would not end by itself."""


def link_next(header: str | None) -> str | None:
    """The URL of a ``Link: <url>; rel="next"`` header, or None."""
    if not header or "<" not in header or ">" not in header:
        return None
    return header[header.index("<") + 1:header.index(">")]


def sdk_next_link(header: str | None) -> str | None:
    """The next page as azure-containerregistry 1.2.0 reads a ``Link`` header (``_helpers._parse_next_link``).

    Kept character for character, so a listing read raw pages exactly as the SDK's pager did: from the second
    character to the first ``>``, and None only for a missing or empty header.
    """
    if not header:
        return None
    return header[1:header.find(">")]


def cursor_of(url: str | None) -> str | None:
    """The ``last=`` value of a next-page URL (ACR and the Distribution spec page with it)."""
    if not url:
        return None
    values = parse_qs(urlsplit(url).query, keep_blank_values=True).get("last")
    return values[0] if values else None


class PageRecorder:
    """Collects a listing's items page by page and records how the listing ended.

    ``key`` is the JSON key holding a page's items (``repositories``, ``manifests``, ``tags``) and ``name``
    gives the identity of an item (a repository name, a digest, a tag name).
    """

    def __init__(self, listing: str, key: str, name: Callable[[Any], str | None], *,
                 repository: str | None = None, by_time: bool = False) -> None:
        self.listing = listing
        self.key = key
        self.name = name
        self.repository = repository
        self.by_time = by_time
        self.items: list[Any] = []
        self.pages = 0
        self.reason: str | None = None
        self._seen: set[str] = set()
        self._cursors: list[str] = []

    def __call__(self, response: PipelineResponse) -> None:
        """The SDK's ``raw_response_hook``: every response of the listing, challenges and 429s included."""
        http = response.http_response
        if http.status_code != 200:
            return
        try:
            data = json.loads(http.text())
        except ValueError:
            return
        self.page(data, http.headers.get("Link"))

    def page(self, data: Any, link: str | None) -> None:
        """One 200 page: its decoded JSON body and its ``Link`` header. Raises ListingStopped (see the module)."""
        items = data.get(self.key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            items = []  # ACR leaves the key out of an empty listing's page
        self.pages += 1
        names = [self.name(i) for i in items]
        repeated = [n for n in names if n is not None and n in self._seen]
        if repeated:
            self.reason = (f"page {self.pages} repeated {len(repeated)} item(s) already listed (first: "
                           f"{repeated[0]}); the listing was stopped there")
            raise ListingStopped(self.reason)
        self._seen.update(n for n in names if n is not None)
        self.items.extend(items)
        cursor = cursor_of(link_next(link))
        if cursor is None:
            return
        if cursor in self._cursors or (not self.by_time and self._cursors and cursor <= self._cursors[-1]):
            self.reason = (f"the next-page link after page {self.pages} did not advance (last={cursor} after "
                           f"last={self._cursors[-1]}); the listing was stopped there")
            raise ListingStopped(self.reason)
        self._cursors.append(cursor)

    def record(self, expected: int | None = None) -> dict[str, Any]:
        """The snapshot ``listings.records[]`` entry; ``expected`` is the count reported elsewhere."""
        n = len(self.items)
        reason = self.reason
        if reason is None and expected is not None and n < expected:
            reason = (f"listed {n} of the {expected} {self.listing} the repository reports; the listing ended "
                      "early (or changed while it was read)")
        doc = {"listing": self.listing, "repository": self.repository, "complete": reason is None,
               "pages": self.pages, "items": n, "expected": expected, "reason": reason}
        return {k: v for k, v in doc.items() if v is not None}
