"""Typed errors of the Okta client, and the classification of an Okta error response.

Every error carries a ``kind`` (the ``ERROR`` message kinds of the sync protocol), a message that says what is
wrong and what to do, and, when Okta answered, the HTTP status, the ``errorCode`` and the ``X-Okta-Request-Id``.
No error ever holds a credential: messages are built from Okta's error body and our own words only, and the
client scrubs its secrets from every message before raising (:func:`scrub`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .routes import scope_for_path


class OktaError(Exception):
    """Base of every error the client raises."""

    kind = "internal"

    def __init__(
        self,
        kind: str | None,
        message: str,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.kind = kind or type(self).kind
        self.message = message
        self.status = status
        self.error_code = error_code
        self.request_id = request_id
        super().__init__(message)

    def __str__(self) -> str:
        if self.request_id and self.request_id not in self.message:
            return f"{self.message} (X-Okta-Request-Id: {self.request_id})"
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind!r}, message={self.message!r}, status={self.status!r}, "
            f"error_code={self.error_code!r}, request_id={self.request_id!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields of an ``ERROR`` sync message (without ``stream`` and ``fatal``)."""
        return {"kind": self.kind, "message": str(self), "request_id": self.request_id}

    def __reduce__(self):  # picklable across processes whatever the subclass's __init__ takes
        return (_restore, (type(self), dict(self.__dict__)))


def _restore(cls: type[OktaError], state: dict[str, Any]) -> OktaError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class _KindError(OktaError):
    """A subclass whose kind is fixed: ``Cls(message, status=None, error_code=None, request_id=None)``."""

    def __init__(
        self, message: str, status: int | None = None, error_code: str | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(type(self).kind, message, status, error_code, request_id)


class CredentialsError(_KindError):
    """The credential is invalid, expired or revoked (E0000011, ``invalid_token``, ``invalid_client``)."""

    kind = "credentials"


class PermissionDenied(OktaError):
    """The credential works but may not read this (E0000006, ``insufficient_scope``).

    ``missing_scope`` names the OAuth scope to grant when it is known (from ``WWW-Authenticate`` or the
    path's documented scope); ``reason`` is ``"scope"`` for an OAuth scope gap and ``"role"`` when the admin
    behind the credential lacks the role.
    """

    kind = "permission"
    missing_scope: str | None = None
    reason: str = "role"

    def __init__(
        self,
        message: str,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        *,
        missing_scope: str | None = None,
        reason: str = "role",
    ) -> None:
        OktaError.__init__(self, "permission", message, status, error_code, request_id)
        self.missing_scope = missing_scope
        self.reason = reason



class FeatureNotAvailable(_KindError):
    """The org lacks the feature (E0000015, or an Identity Engine path on a Classic org)."""

    kind = "feature"


class NotFound(_KindError):
    kind = "not_found"


class RateLimited(_KindError):
    """Still rate limited after the retries, or waiting would pass the sync deadline."""

    kind = "rate_limited"


class TransientError(_KindError):
    """5xx, timeouts or a truncated response after the retries; trying later may work."""

    kind = "transient"


class NetworkError(_KindError):
    """The org could not be reached (DNS, connection refused, TLS, proxy)."""

    kind = "network"


class ConfigError(_KindError):
    """The configuration is invalid; the message names the field and what to put there."""

    kind = "config"


class UnsafeURLError(ConfigError):
    """A URL the client refuses to send anything (or a credential) to."""

    kind = "config"


class UnsafeLinkError(UnsafeURLError):
    """A link read from a response (a ``next`` page, a redirect's ``Location``) that the client refuses to follow:
    another origin, or a URL parsers could read as two different hosts. Nothing is sent there. Its kind is the
    response's (``internal``), not the configuration's: only the read it came from fails (that collection is
    incomplete), the rest of the sync goes on."""

    kind = "internal"


class ResponseError(OktaError):
    """A response that is not what Okta sends: not JSON, truncated, oversized, an unexpected shape."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        *,
        kind: str = "internal",
    ) -> None:
        OktaError.__init__(self, kind, message, status, error_code, request_id)


# --------------------------------------------------------------------------------------------- helpers


SCRUB_MIN_LEN = 6  # shorter secrets are replaced only where they appear quoted, or as a URL's password


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (and any ``SSWS``/``Bearer``/``DPoP`` credential) in ``text`` by ``***``.

    A secret of any length is replaced where it appears quoted (``'pw'``, ``"pw"``: how errors and reprs show
    values) or as the password of a URL (``:pw@``); one of at least :data:`SCRUB_MIN_LEN` characters wherever it
    appears (replacing every ``pw`` of a text would garble it without hiding anything more)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if not isinstance(secret, str):
            continue
        if len(secret) >= SCRUB_MIN_LEN:
            text = text.replace(secret, "***")
            continue
        for quoted in {repr(secret), json.dumps(secret), f"'{secret}'", f'"{secret}"'}:
            text = text.replace(quoted, "'***'")
        text = text.replace(f":{secret}@", ":***@")
    return re.sub(r"(?i)\b(SSWS|Bearer|DPoP)\s+[A-Za-z0-9._~+/=-]{12,}", r"\1 ***", text)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@=+/-]{1,128}$")


def request_id_of(headers: Any) -> str | None:
    """``X-Okta-Request-Id`` when it looks like one (a hostile value never reaches a message or the history)."""
    try:
        value = headers.get("X-Okta-Request-Id") if headers is not None else None
    except Exception:  # noqa: BLE001 - an odd headers object: no request id
        return None
    return value if isinstance(value, str) and _REQUEST_ID.match(value) else None


# a parameter name starts where no name character precedes it: no quadratic rescans of a long run of letters
_AUTH_PARAM = re.compile(r'(?<![A-Za-z0-9_-])([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
MAX_HEADER_PARSE = 8192  # longer WWW-Authenticate values are cut before parsing


def parse_www_authenticate(value: str | None) -> dict[str, str]:
    """The auth-params of a ``WWW-Authenticate`` header (``error``, ``error_description``, ``scope``, ...)."""
    if not value or not isinstance(value, str):
        return {}
    value = value[:MAX_HEADER_PARSE]
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _AUTH_PARAM.finditer(value)}


OIE_ONLY_PREFIXES = (
    "/api/v1/authenticators",
    "/api/v1/devices",
    "/api/v1/device-assurances",
    "/api/v1/behaviors",
    "/api/v1/first-party-app-settings",
    "/api/v1/users/{id}/authenticator-enrollments",
)


def is_oie_only(route: str) -> bool:
    return any(route == p or route.startswith(p + "/") for p in OIE_ONLY_PREFIXES)


def _with_id(message: str, request_id: str | None) -> str:
    return f"{message} (X-Okta-Request-Id: {request_id})" if request_id else message


def classify(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    path: str,
    route: str,
    pipeline: str | None = None,
    oauth: bool = False,
) -> OktaError:
    """Turn an Okta error response into the typed error, with a message that says what to do."""
    body = body if isinstance(body, Mapping) else {}
    code = body.get("errorCode") if isinstance(body.get("errorCode"), str) else None
    summary = body.get("errorSummary") if isinstance(body.get("errorSummary"), str) else None
    if summary is None and isinstance(body.get("error_description"), str):
        summary = body["error_description"]
    rid = request_id_of(headers)
    www = parse_www_authenticate(headers.get("WWW-Authenticate"))
    oauth_error = www.get("error") or (body.get("error") if isinstance(body.get("error"), str) else None)
    said = f" Okta said: {summary}" if summary else ""
    where = f"GET {path}"

    def build(cls, message, **extra):
        return cls(_with_id(message, rid), status=status, error_code=code or oauth_error, request_id=rid, **extra)

    if code == "E0000015":
        return build(FeatureNotAvailable, f"{where}: this org does not have the feature (E0000015).{said}")
    if status == 401:
        if oauth_error == "invalid_token" or code in ("E0000011", "E0000004", "E0000005") or not oauth:
            what = "the OAuth access token was rejected" if oauth else "the API token is invalid, expired or revoked"
            todo = (
                "check the service app's client_id, key and that it is active"
                if oauth
                else "create a new API token (tokens expire after 30 days unused or when their admin is deactivated) and update the connector"
            )
            return build(CredentialsError, f"{where}: {what} ({code or oauth_error or 401}); {todo}.{said}")
        return build(CredentialsError, f"{where}: authentication failed (401).{said}")
    if status == 403:
        if oauth_error == "insufficient_scope":
            scope = www.get("scope") or scope_for_path(route)
            return build(
                PermissionDenied,
                f"{where}: the access token lacks the scope {scope or '(unknown)'}; grant "
                f"{scope or 'the read scope of this endpoint'} to the service app (Okta API Scopes tab) and "
                "request it in the connector's scopes.",
                missing_scope=scope,
                reason="scope",
            )
        if code == "E0000005":
            return build(CredentialsError, f"{where}: invalid session (E0000005); use a valid API token.{said}")
        scope = scope_for_path(route)
        who = "the service app's admin role" if oauth else "the token's admin"
        return build(
            PermissionDenied,
            f"{where}: permission denied ({code or 403}); {who} lacks the role to read this "
            f"(a Read-Only Administrator can read most settings; some need a Super Administrator).{said}",
            missing_scope=scope,
            reason="role",
        )
    if status == 404:
        if pipeline == "v1" and is_oie_only(route):
            return build(
                FeatureNotAvailable, f"{where}: not available on a Classic Engine org (Identity Engine only).{said}"
            )
        return build(NotFound, f"{where}: not found ({code or 404}).{said}")
    if status == 429:
        return build(
            RateLimited,
            f"{where}: still rate limited after the retries (429); try again later or lower "
            f"max_concurrency / rate_limit_share.{said}",
        )
    if status == 400 and oauth_error in ("invalid_dpop_proof", "use_dpop_nonce") or (
        status == 400 and "dpop" in (summary or "").lower()
    ):
        return build(
            CredentialsError,
            f"{where}: DPoP proof rejected ({oauth_error}); check the service app's DPoP setting and the "
            f"connector's use_dpop option.{said}",
        )
    if status >= 500:
        return build(TransientError, f"{where}: Okta answered {status} ({code or 'server error'}); try again later.{said}")
    return OktaError(
        "internal",
        _with_id(f"{where}: unexpected answer {status} ({code or oauth_error or 'no error code'}).{said}", rid),
        status,
        code or oauth_error,
        rid,
    )
