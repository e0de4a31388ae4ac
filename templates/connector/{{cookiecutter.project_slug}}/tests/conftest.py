"""A fake {{ cookiecutter.vendor_name }} API on requests-mock, and the conformance kit's target built on it."""

from __future__ import annotations

import contextlib
import copy
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

BASE_URL = "https://tenant.acme-directory.example"
UNREACHABLE_URL = "https://unreachable.acme-directory.example"
NOT_THE_API_URL = "https://www.example.com"
API_KEY = "ad_live_0123456789abcdefFAKEKEY"
BAD_API_KEY = "ad_live_wrongwrongwrongFAKEKEY"

USERS = [
    {"id": "usr_001", "email": "ada@acme.example", "status": "active", "mfa_enrolled": True},
    {"id": "usr_002", "email": "bob@acme.example", "status": "active", "mfa_enrolled": False},
    {"id": "usr_003", "email": "cy@acme.example", "status": "suspended", "mfa_enrolled": False},
    {"id": "usr_004", "email": "dee@acme.example", "status": "active"},  # the API does not say: unknown
    {"id": "usr_005", "email": "eve@acme.example", "status": "active", "mfa_enrolled": True, "new_field": 1},
]


class FakeApi:
    """The vendor's API as requests-mock responses: tenant, cursor-paginated users, key check, faults."""

    def __init__(self, mocker: Any) -> None:
        self.mocker = mocker
        self.users = copy.deepcopy(USERS)
        self.tenant = {"id": "ten_42", "name": "Acme Corp"}
        self.reset_on_cursor: str | None = None  # a page whose request drops the connection
        mocker.get(f"{BASE_URL}/api/v1/tenant", json=self._tenant)
        mocker.get(f"{BASE_URL}/api/v1/users", json=self._users)
        mocker.get(re.compile(re.escape(UNREACHABLE_URL) + ".*"),
                   exc=requests.exceptions.ConnectionError("[Errno 111] Connection refused"))
        mocker.get(re.compile(re.escape(NOT_THE_API_URL) + ".*"), status_code=404,
                   text="<html><body>Not Found</body></html>", headers={"Content-Type": "text/html"})

    def _authorised(self, request: Any, context: Any) -> bool:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            context.status_code = 401
            return False
        return True

    def _tenant(self, request: Any, context: Any) -> dict[str, Any]:
        if not self._authorised(request, context):
            return {"error": "invalid_api_key"}
        return copy.deepcopy(self.tenant)

    def _users(self, request: Any, context: Any) -> dict[str, Any]:
        if not self._authorised(request, context):
            return {"error": "invalid_api_key"}
        limit = int(request.qs.get("limit", ["200"])[0])
        cursor = request.qs.get("cursor", [None])[0]
        if cursor is not None and cursor == self.reset_on_cursor:
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        start = int(cursor.removeprefix("c")) if cursor else 0
        page = self.users[start:start + limit]
        more = start + limit < len(self.users)
        return {"data": copy.deepcopy(page), "next_cursor": f"c{start + limit}" if more else None}

    @contextlib.contextmanager
    def crashing(self) -> Iterator[None]:
        """The connection drops on the second page of users."""
        self.reset_on_cursor = "c2"
        try:
            yield
        finally:
            self.reset_on_cursor = None


@pytest.fixture
def fake_api(requests_mock: Any) -> FakeApi:
    return FakeApi(requests_mock)


def config(url: str = BASE_URL, key: str = API_KEY, **extra: Any) -> dict[str, Any]:
    return {"base_url": url, "api_key": key, "page_size": 2, **extra}


class FakeApiTarget:
    """What the conformance kit needs (connector_host.conformance.ConformanceTarget), on the fake API."""

    def __init__(self, api: FakeApi) -> None:
        self.api = api

    def good_config(self) -> dict[str, Any]:
        return config()

    def bad_credential_config(self) -> dict[str, Any]:
        return config(key=BAD_API_KEY)

    def unreachable_config(self) -> dict[str, Any]:
        return config(url=UNREACHABLE_URL)

    def wrong_url_config(self) -> dict[str, Any]:
        return config(url=NOT_THE_API_URL)

    def invalid_config(self) -> dict[str, Any]:
        return config(url="ftp://tenant.acme-directory.example", page_size=0)

    def crash(self) -> contextlib.AbstractContextManager[None]:
        return self.api.crashing()

    def secrets(self) -> list[str]:
        return [API_KEY, BAD_API_KEY]

    # Optional: the scope each endpoint needs, and the requests the fake API received, so the kit can check
    # that every request needs only the scopes the manifest lists. Add your vendor's endpoints here.
    def endpoint_scopes(self) -> dict[str, str | None]:
        return {"GET /api/v1/tenant": "tenant:read", "GET /api/v1/users": "users:read"}

    def requests_seen(self) -> Counter[str]:
        return Counter(f"{r.method} {urlsplit(r.url).path}" for r in self.api.mocker.request_history
                       if r.url.startswith(BASE_URL))


@pytest.fixture
def conformance_target(fake_api: FakeApi) -> FakeApiTarget:
    return FakeApiTarget(fake_api)
