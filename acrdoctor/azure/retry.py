"""azure-core's retry policy with its sleeps under acrdoctor's cap, for every client :mod:`acrdoctor.azure` opens.

Kept apart from :mod:`acrdoctor.azure.waits`: the CLI imports that at start-up, and azure-core is only needed
once Azure is reached. Imports azure-core and ``acrdoctor.azure.waits`` only.
"""

from __future__ import annotations

from typing import Any

from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

from acrdoctor.azure.failures import error_code
from acrdoctor.azure.waits import Waits, throttle_reason


class CappedRetryPolicy(RetryPolicy):  # type: ignore[misc]
    """azure-core's retry policy, with every sleep (Retry-After or backoff) going through :class:`Waits`."""

    def __init__(self, waits: Waits, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.waits = waits

    def sleep(self, settings: dict[str, Any], transport: Any, response: PipelineResponse | None = None) -> None:
        if response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after:
                http = response.http_response
                self.waits.wait(retry_after, throttle_reason(http.status_code, http.request.method, http.request.url,
                                                             retry_after, error_code(http)))
                return
        backoff = self.get_backoff_time(settings)
        if backoff > 0:
            self.waits.wait(backoff, f"backing off before retry {len(settings['history'])}")
