"""HTTP client of the vendor API: one requests session, cursor pagination, errors sorted by kind.

Error kinds are the host's: ``credentials`` (401), ``permission`` (403), ``config`` (the URL does not serve
the API: 404, HTML, not JSON), ``transient`` (429, 5xx), ``network`` (no connection, reset, timeout).
No message ever holds the API key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import requests

from . import resources
from .config import Config

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


class ApiClient:
    def __init__(self, config: Config, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {config.api_key}"
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = f"{resources.connector_id()}-connector"
        self.requests = 0

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = self.config.base_url + path
        self.requests += 1
        log.debug("GET %s %s", path, sorted((params or {}).items()))
        try:
            response = self.session.get(url, params=params, timeout=self.config.timeout_seconds)
        except requests.Timeout:
            raise ApiError("network", f"{self.config.base_url} did not answer within "
                           f"{self.config.timeout_seconds:g} s; check the URL and your network.") from None
        except requests.ConnectionError as exc:
            reason = type(exc).__name__
            raise ApiError("network", f"Could not connect to {self.config.base_url} ({reason}); check the URL "
                           "and that this host can reach it.") from None
        return self._json(response, path)

    def _json(self, response: requests.Response, path: str) -> Any:
        status = response.status_code
        vendor = resources.vendor_name()
        if status == 401:
            raise ApiError("credentials", f"{vendor} refused the API key (HTTP 401): it is wrong, expired or "
                           "revoked; create a new read-only key and paste it again.", status)
        if status == 403:
            raise ApiError("permission", f"The API key may not read {path} (HTTP 403); grant it the "
                           "scopes listed in the connector's manifest.", status)
        if status in (404, 405, 410):
            raise ApiError("config", f"{self.config.base_url} does not serve the {vendor} API ({path} answered "
                           f"HTTP {status}); check the API URL.", status)
        if status == 429 or status >= 500:
            raise ApiError("transient", f"{vendor} answered HTTP {status} to {path}; try again later.", status)
        if status >= 400:
            raise ApiError("config", f"{vendor} answered HTTP {status} to {path}; check the configuration.", status)
        try:
            return response.json()
        except ValueError:
            raise ApiError("config", f"{self.config.base_url} answered {path} with something that is not "
                           f"JSON; check that the URL is your {vendor} API URL.", status) from None

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield one list of objects per page, following ``next_cursor`` until it is null (or repeats)."""
        params = {**(params or {}), "limit": self.config.page_size}
        seen: set[str] = set()
        while True:
            body = self.get(path, params)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ApiError("config", f"{path} did not answer a page (an object with a data list); "
                               "check the API URL.")
            yield [item for item in body["data"] if isinstance(item, dict)]
            cursor = body.get("next_cursor")
            if not cursor or cursor in seen:
                return
            seen.add(cursor)
            params = {**params, "cursor": cursor}
