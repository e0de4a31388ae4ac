"""Okta's error bodies and the exception the request handlers raise to answer with one.

Okta answers every API error with ``{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}``
(``../shared/reference/okta-api-behaviour.md`` section 4); the OAuth endpoints answer
``{"error", "error_description"}`` instead.
"""

from __future__ import annotations

import secrets
from typing import Any

# errorCode -> (HTTP status, errorSummary)
ERRORS: dict[str, tuple[int, str]] = {
    "E0000001": (400, "Api validation failed"),
    "E0000006": (403, "You do not have permission to perform the requested action"),
    "E0000007": (404, "Not found: Resource not found"),
    "E0000009": (500, "Internal Server Error"),
    "E0000010": (503, "Service is in read only mode"),
    "E0000011": (401, "Invalid token provided"),
    "E0000015": (401, "You do not have permission to access the feature you are requesting"),
    "E0000022": (405, "The endpoint does not support the provided HTTP method"),
    "E0000031": (400, "Invalid search criteria."),
    "E0000047": (429, "API call exceeded rate limit due to too many requests."),
    "E0000053": (400, "Invalid parameter"),
    "E0000054": (400, "Invalid pagination properties"),
}


def error_id() -> str:
    return "oae" + secrets.token_urlsafe(16)[:22]


def error_body(code: str, summary: str | None = None, causes: list[str] | None = None) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary if summary is not None else ERRORS[code][1],
        "errorLink": code,
        "errorId": error_id(),
        "errorCauses": [{"errorSummary": c} for c in (causes or [])],
    }


class OktaHTTPError(Exception):
    """Raised by a handler to answer with ``status`` and a JSON ``body`` (plus ``headers``)."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def okta_error(
    code: str,
    summary: str | None = None,
    *,
    status: int | None = None,
    causes: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> OktaHTTPError:
    """An ``OktaHTTPError`` with Okta's body for ``code`` (status defaults to the code's own)."""
    return OktaHTTPError(status or ERRORS[code][0], error_body(code, summary, causes), headers)


def not_found(resource_id: str, kind: str) -> OktaHTTPError:
    """Okta's 404 for an unknown object id: ``Not found: Resource not found: <id> (<Kind>)``."""
    return okta_error("E0000007", f"Not found: Resource not found: {resource_id} ({kind})")


def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> OktaHTTPError:
    return OktaHTTPError(status, {"error": error, "error_description": description}, headers)
