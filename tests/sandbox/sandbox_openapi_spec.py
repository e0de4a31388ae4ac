"""Okta's Management API spec, loaded once and cached, and response validation against it.

The YAML (3.4 MB) is parsed with CSafeLoader once and pickled under the system temp dir (keyed by the file's size
and mtime), so later test sessions load it in ~0.1 s. Validation uses openapi-schema-validator's OAS 3.0 validator
with ``$ref`` resolved against the whole spec.

Known contradictions inside Okta's own spec (its examples, which mirror real responses, break its schemas; see
``okta-api-behaviour.md`` section 10) are listed in :data:`SPEC_EXCEPTIONS`, each one precise: an operation path,
the error location (a regex over the JSON path of the failing value), the failing keyword and the reason.
Nothing else is tolerated.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import validators
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from reference_paths import OKTA_SPEC as SPEC_PATH  # noqa: E402
from reference_paths import require  # noqa: E402


@cache
def spec() -> dict[str, Any]:
    require(SPEC_PATH, "Okta's OpenAPI spec")
    st = SPEC_PATH.stat()
    cache_file = Path(tempfile.gettempdir()) / f"okta-spec-{st.st_size}-{int(st.st_mtime)}.pickle"
    if cache_file.exists():
        with cache_file.open("rb") as f:
            return pickle.load(f)
    with SPEC_PATH.open("rb") as f:
        data = yaml.load(f, Loader=yaml.CSafeLoader)
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, cache_file)
    return data


@cache
def response_schema(path: str) -> dict[str, Any]:
    """The JSON response schema of ``GET path`` (a spec path template), with the spec's components attached."""
    s = spec()
    try:
        resp = s["paths"][path]["get"]["responses"]["200"]
    except KeyError as e:
        raise KeyError(f"GET {path} has no 200 response in the spec") from e
    if "$ref" in resp:
        resp = s["components"]["responses"][resp["$ref"].rsplit("/", 1)[-1]]
    schema = resp["content"]["application/json"]["schema"]
    return {**schema, "components": s["components"]}


_dispatching: set[tuple[int, str]] = set()


def _discriminator(
    validator: Any, disc: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[Any]:
    """Okta models inheritance as a base schema carrying ``discriminator.mapping`` (``Policy`` -> ``AccessPolicy``,
    ``Application`` -> ``OpenIdConnectApplication``, ...), each subtype being ``allOf: [base, extras]``.
    openapi-schema-validator only honours discriminators inside oneOf/anyOf, so without this keyword only the base
    schema would be checked. Validate the instance against the mapped subtype too (once: the subtype's allOf comes
    back to the base). Values without a mapping (unknown subtypes) pass through, as tolerant parsing wants."""
    if not isinstance(instance, dict) or "oneOf" in schema or "anyOf" in schema:
        return
    ref = (disc.get("mapping") or {}).get(instance.get(disc.get("propertyName", "")))
    if ref is None:
        return
    key = (id(instance), ref)
    if key in _dispatching:
        return
    _dispatching.add(key)
    try:
        yield from validator.descend(instance, {"$ref": ref})
    finally:
        _dispatching.discard(key)


_OAS30WithInheritance = validators.extend(OAS30ReadValidator, {"discriminator": _discriminator})


@cache
def _validator(path: str) -> Any:
    return _OAS30WithInheritance(response_schema(path), format_checker=oas30_format_checker)


@dataclass(frozen=True)
class SpecException:
    """One tolerated contradiction in Okta's spec."""

    paths: tuple[str, ...]  # operation path templates
    location: str  # regex, full match, over the "/"-joined JSON path of the failing value (list index as \d+)
    keyword: str  # the failing JSON Schema keyword
    reason: str
    value: Callable[[Any], bool] = lambda v: True  # the failing value must satisfy this
    message: str = ""  # regex the validator's message must contain

    def matches(self, path: str, loc: str, keyword: str, value: Any, message: str = "") -> bool:
        return (
            path in self.paths
            and self.keyword == keyword
            and re.fullmatch(self.location, loc) is not None
            and self.value(value)
            and re.search(self.message, message) is not None
        )


FIRST_PARTY_APP_NAMES = frozenset({"saasure", "okta_enduser"})

SPEC_EXCEPTIONS: tuple[SpecException, ...] = (
    SpecException(
        ("/api/v1/api-tokens",),
        r"\d+/tokenWindow",
        "pattern",
        "TimeDuration's pattern '^P(?:$)...' only accepts the bare 'P', yet the spec's own listApiTokens example "
        "(ApiTokenListMetadataResponse) returns tokenWindow 'P30D', as real orgs do.",
    ),
    SpecException(
        ("/api/v1/apps", "/api/v1/apps/{appId}"),
        r"(\d+/)?name",
        "enum",
        "The first-party apps (Okta Admin Console 'saasure', Okta Dashboard 'okta_enduser') are OPENID_CONNECT apps, "
        "and the discriminator maps OPENID_CONNECT to OpenIdConnectApplication, whose name enum is only 'oidc_client'.",
        value=lambda v: v in FIRST_PARTY_APP_NAMES,
    ),
    SpecException(
        ("/api/v1/idps",),
        r"\d+/properties",
        "required",
        "IdentityProviderProperties requires inquiryTemplateId (a Persona IdP setting), but an X509 (Smart Card) IdP's "
        "properties hold only additionalAmr, as in the spec's own MultipleIdPsResponse example.",
        value=lambda v: isinstance(v, dict) and set(v) <= {"additionalAmr"},
    ),
    SpecException(
        ("/api/v1/policies/{policyId}/rules",),
        r"\d+/conditions",
        "type",
        "System catch-all rules (ACCESS_POLICY, PROFILE_ENROLLMENT) are returned with conditions: null, as in the "
        "spec's own list-all-access-policy-rule-response example, but PolicyRule.conditions is not nullable.",
        value=lambda v: v is None,
    ),
    SpecException(
        ("/api/v1/policies/{policyId}/rules",),
        r"\d+/actions/idp/providers/\d+/type",
        "enum",
        "The default IdP discovery rule routes to Okta itself (providers: [{type: OKTA}]), as in the spec's own "
        "idp-discovery listPolicyRules example, but IdpDiscoveryPolicyRule's provider type enum lacks OKTA.",
        value=lambda v: v == "OKTA",
    ),
    SpecException(
        ("/api/v1/zones",),
        r"\d+/(gateways|proxies)",
        "type",
        "System IP zones (LegacyIpZone, BlockedIpZone) have gateways/proxies null, as in the spec's own "
        "RetrieveAllZones example, but IPNetworkZone.gateways/proxies are not nullable.",
        value=lambda v: v is None,
    ),
    SpecException(
        ("/api/v1/logStreams",),
        r"\d+/settings",
        "required",
        "LogStreamSettingsSplunk lists token as required, but its schema (SplunkToken) is writeOnly: 'set at object "
        "creation, but isn't returned'. The validator does not apply writeOnly through the $ref.",
        value=lambda v: isinstance(v, dict) and "token" not in v,
        message=r"^'token' is a required property$",
    ),
    SpecException(
        ("/api/v1/logStreams",),
        r"\d+/settings/eventSourceName",
        "pattern",
        "LogStreamSettingsAws.eventSourceName's pattern '^[a-zA-Z0-9.\\-_]$' lacks a quantifier (one character "
        "only); the spec's own example 'your-event-source-name' does not match it.",
    ),
)


def _loc(err: Any) -> str:
    return "/".join(str(p) for p in err.absolute_path)


def _leaf_errors(err: Any) -> list[Any]:
    """oneOf/anyOf/discriminator errors carry the real causes in ``context``; flatten to the leaves."""
    if err.context:
        out: list[Any] = []
        for sub in err.context:
            out.extend(_leaf_errors(sub))
        return out
    return [err]


def violations(path: str, body: Any) -> list[str]:
    """Schema violations of ``body`` as the response of ``GET path`` not covered by :data:`SPEC_EXCEPTIONS`."""
    out = []
    for top in _validator(path).iter_errors(body):
        for err in _leaf_errors(top):
            loc, kw, value = _loc(err), err.validator, err.instance
            if any(ex.matches(path, loc, kw, value, err.message) for ex in SPEC_EXCEPTIONS):
                continue
            out.append(f"GET {path}: {loc or '<root>'}: [{kw}] {err.message[:300]}")
    return out
