"""Loading the connector configuration: schema validation, defaults, URL normalisation, secrets kept secret.

``load_config(raw)`` validates ``raw`` against ``schemas/config.schema.json`` (draft 2020-12), fills the
defaults, normalises ``org_url`` and parses the OAuth private key, and returns a frozen :class:`OktaConfig`.
Any problem is a :class:`ConfigError` whose message names the field and what to put there, and never quotes a
secret: not the value of a secret field (:data:`SECRET_FIELDS`) of any length, nor any value that holds one.
Secrets are :class:`Secret` objects: ``repr``/``str`` show ``***``; ``.reveal()`` gives the value. The proxy's
password is one of them (``proxy_password``); ``https_proxy`` itself may not carry credentials.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import jsonschema

from .client.errors import ConfigError, OktaError
from .client.keys import load_private_key
from .urls import normalize_org_url

SSWS_MAX_IDLE_MINUTES = 30 * 24 * 60


class Secret:
    """A secret string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # never pickle a secret into a log or a cache by accident
        raise TypeError("Secret values cannot be pickled")


@dataclass(frozen=True)
class ApiTokenAuth:
    token: Secret = field(repr=False)
    method: str = "api_token"

    def __repr__(self) -> str:
        return "ApiTokenAuth(method='api_token', token=***)"


@dataclass(frozen=True)
class OAuthAuth:
    client_id: str
    private_key: Secret = field(repr=False)
    key_id: str | None = None
    scopes: tuple[str, ...] = ()
    use_dpop: bool = False
    method: str = "oauth"

    def __repr__(self) -> str:
        return (
            f"OAuthAuth(method='oauth', client_id={self.client_id!r}, key_id={self.key_id!r}, "
            f"scopes={self.scopes!r}, use_dpop={self.use_dpop!r}, private_key=***)"
        )


@dataclass(frozen=True)
class OktaConfig:
    org_url: str
    auth: ApiTokenAuth | OAuthAuth
    sync_interval_minutes: int = 1440
    check_profile: str = "baseline"
    check_overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    collections_skip: tuple[str, ...] = ()
    request_timeout_seconds: float = 30
    max_concurrency: int = 4
    rate_limit_share: float = 0.5
    fanout_budget: int = 500
    https_proxy: str | None = field(default=None, repr=False)  # never holds credentials (refused by load_config)
    proxy_username: str | None = None
    proxy_password: Secret | None = field(default=None, repr=False)
    allow_insecure_http_loopback: bool = False
    max_sync_seconds: int = 3600
    full_sync_every: int = 7

    def __str__(self) -> str:
        return repr(self)

    @property
    def auth_method(self) -> str:
        return self.auth.method

    def redacted(self) -> dict[str, Any]:
        """The configuration as a plain dict with the secrets replaced by ``"***"`` (safe to log or store)."""
        out: dict[str, Any] = {
            "org_url": self.org_url,
            "sync_interval_minutes": self.sync_interval_minutes,
            "check_profile": self.check_profile,
            "check_overrides": _plain(self.check_overrides),
            "collections_skip": list(self.collections_skip),
            "request_timeout_seconds": self.request_timeout_seconds,
            "max_concurrency": self.max_concurrency,
            "rate_limit_share": self.rate_limit_share,
            "fanout_budget": self.fanout_budget,
            "allow_insecure_http_loopback": self.allow_insecure_http_loopback,
            "max_sync_seconds": self.max_sync_seconds,
            "full_sync_every": self.full_sync_every,
        }
        if self.https_proxy:
            out["https_proxy"] = _redact_proxy(self.https_proxy)
        if self.proxy_username:
            out["proxy_username"] = self.proxy_username
        if self.proxy_password is not None:
            out["proxy_password"] = "***"
        if isinstance(self.auth, ApiTokenAuth):
            out["auth"] = {"method": "api_token", "token": "***"}
        else:
            out["auth"] = {
                "method": "oauth",
                "client_id": self.auth.client_id,
                "private_key": "***",
                "key_id": self.auth.key_id,
                "scopes": list(self.auth.scopes),
                "use_dpop": self.auth.use_dpop,
            }
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _redact_proxy(url: str) -> str:
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    """The connector's config JSON Schema (package data)."""
    text = resources.files("connector_okta").joinpath("schemas/config.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = config_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


SECRET_FIELDS = ("token", "private_key", "https_proxy", "proxy_password")  # never quoted in messages, any length
PROXY_USERINFO = ("https_proxy must not hold a user name or password (user:password@host): put them in "
                  "proxy_username and proxy_password, which is kept secret")


def _holds_secret(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is, or contains, a mapping with a non-empty secret field (such values are never quoted)."""
    if depth > 32:
        return True
    if isinstance(value, Mapping):
        return any((str(k) in SECRET_FIELDS and v not in (None, "")) or _holds_secret(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_secret(v, depth + 1) for v in value)
    return False


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(config)"


def _describe(error: jsonschema.ValidationError) -> str:
    """A message for one schema error that names the field and never quotes a secret value."""
    where = _where(error.absolute_path)
    leaf = str(error.absolute_path[-1]) if error.absolute_path else ""
    title = error.schema.get("title") if isinstance(error.schema, Mapping) else None
    label = f"{where} ({title})" if title and where != "(config)" else where
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where + '.' if where != '(config)' else ''}{missing} is required"
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{where}: unknown setting(s) {', '.join(map(repr, extra))}; remove them or check the spelling"
    if leaf == "https_proxy" and v == "pattern" and isinstance(error.instance, str) and "@" in error.instance:
        return PROXY_USERINFO
    if leaf in SECRET_FIELDS or any(str(p) in SECRET_FIELDS for p in error.absolute_path):
        return f"{label}: invalid value ({v} {error.validator_value!r})" if v != "type" else f"{label} must be text"
    if _holds_secret(error.instance):  # e.g. an error about an object with a secret inside: never quote it
        return f"{label}: invalid value ({v})"
    if v == "enum":
        return f"{label} must be one of {', '.join(map(str, error.validator_value))}, not {error.instance!r}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{label} must be {'at least' if 'min' in v.lower() else 'at most'} {error.validator_value}" + (
            " (exclusive)" if v.startswith("exclusive") else "") + f", not {error.instance!r}"
    if v == "type":
        return f"{label} must be of type {error.validator_value}, not {type(error.instance).__name__}"
    return f"{label}: {error.message}"


def _check_auth(raw_auth: Any) -> list[str]:
    """Precise errors for the credential (``oneOf`` errors from jsonschema alone are hard to read)."""
    if not isinstance(raw_auth, Mapping):
        return ["auth must be an object with a 'method' of 'api_token' or 'oauth'"]
    method = raw_auth.get("method")
    branches = config_schema()["properties"]["auth"]["oneOf"]
    for branch in branches:
        if branch["properties"]["method"]["const"] == method:
            cls = jsonschema.validators.validator_for(config_schema())
            errors = sorted(cls(branch).iter_errors(raw_auth), key=lambda e: list(e.absolute_path))
            return [_describe_auth(e) for e in errors]
    return [f"auth.method must be 'api_token' or 'oauth', not {method!r}"]


def _describe_auth(error: jsonschema.ValidationError) -> str:
    error.relative_path.appendleft("auth")  # validated against the branch alone: put the field back in context
    return _describe(error)


def load_config(raw: Mapping[str, Any]) -> OktaConfig:
    """Validate and normalise a raw configuration; raise :class:`ConfigError` with a clear message."""
    if not isinstance(raw, Mapping):
        raise ConfigError("the configuration must be an object (a mapping of settings)")
    raw = dict(raw)
    problems: list[str] = []
    if "auth" in raw:
        problems.extend(_check_auth(raw["auth"]))
    for error in sorted(_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        if error.absolute_path and error.absolute_path[0] == "auth":
            continue  # described precisely above
        problems.append(_describe(error))
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(dict.fromkeys(problems)))

    props = config_schema()["properties"]

    def get(name: str) -> Any:
        return raw[name] if name in raw else props[name].get("default")

    allow_http = bool(get("allow_insecure_http_loopback"))
    try:
        org_url = normalize_org_url(raw["org_url"], allow_insecure_http_loopback=allow_http)
    except OktaError as exc:
        raise ConfigError(exc.message) from None

    if raw.get("https_proxy") and not raw.get("proxy_username") and raw.get("proxy_password"):
        raise ConfigError("proxy_password is set without proxy_username: set both, or neither")
    if (raw.get("proxy_username") or raw.get("proxy_password")) and not raw.get("https_proxy"):
        raise ConfigError("proxy_username / proxy_password are set but https_proxy is not: set the proxy URL too, "
                          "e.g. http://proxy.internal:3128")

    raw_auth = raw["auth"]
    auth: ApiTokenAuth | OAuthAuth
    if raw_auth["method"] == "api_token":
        token = raw_auth["token"].strip()
        if token.lower().startswith("ssws "):
            token = token[5:].strip()
        if any(c.isspace() for c in token):
            raise ConfigError("auth.token contains spaces or line breaks: paste only the token")
        if not all(33 <= ord(c) < 127 for c in token) or any(c in "\"'<>;,\\" for c in token):
            raise ConfigError("auth.token contains characters an Okta API token never has (quotes, brackets, control "
                              "or non-ASCII characters): paste only the token from Security > API > Tokens")
        auth = ApiTokenAuth(token=Secret(token))
    else:
        oauth_props = next(b for b in props["auth"]["oneOf"] if b["properties"]["method"]["const"] == "oauth")
        scopes = raw_auth.get("scopes") or oauth_props["properties"]["scopes"]["default"]
        key_id = raw_auth.get("key_id") or None
        load_private_key(raw_auth["private_key"], key_id)  # raises ConfigError without quoting the key
        auth = OAuthAuth(
            client_id=raw_auth["client_id"].strip(),
            private_key=Secret(raw_auth["private_key"]),
            key_id=key_id,
            scopes=tuple(scopes),
            use_dpop=bool(raw_auth.get("use_dpop", False)),
        )
    return OktaConfig(
        org_url=org_url,
        auth=auth,
        sync_interval_minutes=int(get("sync_interval_minutes")),
        check_profile=str(get("check_profile")),
        check_overrides=_freeze(get("check_overrides") or {}),
        collections_skip=tuple(get("collections_skip") or ()),
        request_timeout_seconds=float(get("request_timeout_seconds")),
        max_concurrency=int(get("max_concurrency")),
        rate_limit_share=float(get("rate_limit_share")),
        fanout_budget=int(get("fanout_budget")),
        https_proxy=raw.get("https_proxy") or None,
        proxy_username=raw.get("proxy_username") or None,
        proxy_password=Secret(raw["proxy_password"]) if raw.get("proxy_password") else None,
        allow_insecure_http_loopback=allow_http,
        max_sync_seconds=int(get("max_sync_seconds")),
        full_sync_every=int(get("full_sync_every")),
    )
