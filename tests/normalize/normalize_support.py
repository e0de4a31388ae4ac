"""Shared fixtures of the normaliser tests: the two validators, Okta's spec examples, a fixture catalog."""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from connector_host import ocsf

REPO = Path(__file__).resolve().parents[2]
from reference_paths import OKTA_SPEC as SPEC  # noqa: E402
from reference_paths import require  # noqa: E402

ORG = {"uid": "00o1abcdEFGHijkl0x7", "name": "acme.okta.com"}
EMITTED_AT = 1764345600000

# GET operations of the spec whose 200 examples are objects of a stream (list and single-object reads).
SPEC_PATHS: tuple[tuple[str, str], ...] = (
    (r"/api/v1/users(/\{id\})?", "users"),
    (r"/api/v1/groups(/\{groupId\})?", "groups"),
    (r"/api/v1/groups/rules(/\{groupRuleId\})?", "group_rules"),
    (r"/api/v1/apps(/\{appId\})?", "apps"),
    (r"/api/v1/policies(/\{policyId\})?", "policies"),
    (r"/api/v1/policies/\{policyId\}/rules(/\{ruleId\})?", "policy_rules"),
    (r"/api/v1/authenticators(/\{authenticatorId\})?", "authenticators"),
    (r"/api/v1/zones(/\{zoneId\})?", "zones"),
    (r"/api/v1/idps(/\{idpId\})?", "idps"),
    (r"/api/v1/authorizationServers(/\{authServerId\})?", "authorization_servers"),
    (r"/api/v1/authorizationServers/\{authServerId\}/policies(/\{policyId\})?", "authorization_server_policies"),
    (r"/api/v1/authorizationServers/\{authServerId\}/policies/\{policyId\}/rules(/\{ruleId\})?",
     "authorization_server_policy_rules"),
    (r"/api/v1/api-tokens(/\{apiTokenId\})?", "api_tokens"),
    (r"/api/v1/trustedOrigins(/\{trustedOriginId\})?", "trusted_origins"),
    (r"/api/v1/eventHooks(/\{eventHookId\})?", "event_hooks"),
    (r"/api/v1/inlineHooks(/\{inlineHookId\})?", "inline_hooks"),
    (r"/api/v1/logStreams(/\{logStreamId\})?", "log_streams"),
    (r"/api/v1/behaviors(/\{behaviorId\})?", "behaviors"),
    (r"/api/v1/device-assurances(/\{deviceAssuranceId\})?", "device_assurances"),
    (r"/api/v1/devices(/\{deviceId\})?", "devices"),
    (r"/api/v1/users/\{userId\}/roles(/\{roleAssignmentId\})?", "user_roles"),
    (r"/api/v1/groups/\{groupId\}/roles(/\{roleAssignmentId\})?", "group_roles"),
    (r"/api/v1/org", "org"),
    (r"/api/v1/org/contacts", "org_contacts"),
    (r"/api/v1/org/privacy/oktaSupport", "org_support"),
    (r"/api/v1/threats/configuration", "threat_insight"),
    (r"/api/v1/first-party-app-settings/\{appName\}", "admin_console_settings"),
)
SPEC_STREAMS = tuple(sorted({stream for _, stream in SPEC_PATHS}))

FIXTURE_CATALOG: dict[str, dict[str, Any]] = {
    "okta-session-idle-timeout": {
        "id": "okta-session-idle-timeout",
        "title": "Global session idle timeout is at most 15 minutes",
        "severity": "medium",
        "rationale": "Idle sessions left open let anyone at the keyboard act as the user.",
        "remediation": {
            "console": "Security > Global Session Policy > rule > Maximum Okta global session idle time",
            "api": "PUT /api/v1/policies/{id}/rules/{ruleId}: actions.signon.session.maxSessionIdleMinutes",
        },
        "references": {
            "standards": ["DISA Okta IDaaS STIG V1R2"],
            "requirements": ["V-273186", "OKTA-APP-000020"],
            "urls": ["https://help.okta.com/oie/en-us/content/topics/identity-engine/policies/about-okta-sign-on-policies.htm"],
        },
    },
    "okta-admin-console-mfa": {
        "id": "okta-admin-console-mfa",
        "title": "The Admin Console requires phishing-resistant MFA",
        "severity": "high",
        "rationale": "Admins hold the keys to the org.",
        "remediation": {"console": "Security > Authentication Policies > Okta Admin Console"},
        "references": {"standards": ["Okta HealthInsight"], "requirements": []},
        "manual": "Open Security > Authentication Policies > Okta Admin Console and read each rule.",
    },
}


@pytest.fixture(scope="session")
def profile_errors() -> Callable[[str, Mapping[str, Any]], list[str]]:
    """``profile_errors("asset" | "finding", event)``: why ``event`` breaks our profile schema."""
    validators = {}
    for kind in ("asset", "finding"):
        text = (resources.files("connector_host") / "schemas" / f"{kind}.schema.json").read_text("utf-8")
        schema = json.loads(text)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validators[kind] = cls(schema, format_checker=cls.FORMAT_CHECKER)

    def errors(kind: str, event: Mapping[str, Any]) -> list[str]:
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validators[kind].iter_errors(event)]

    return errors


@pytest.fixture(scope="session")
def assert_valid(profile_errors: Callable[[str, Mapping[str, Any]], list[str]]) -> Callable[..., None]:
    """Assert an event validates against our profile and OCSF 1.6.0, and holds the arithmetic rules."""

    def check(kind: str, event: Mapping[str, Any]) -> None:
        assert profile_errors(kind, event) == [], json.dumps(event)[:2000]
        assert ocsf.validation_errors(event) == [], json.dumps(event)[:2000]
        assert event["category_uid"] == event["class_uid"] // 1000
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        assert isinstance(event["time"], int) and event["time"] >= 10**12
        json.dumps(event)  # serialisable as JSON

    return check


@pytest.fixture(scope="session")
def okta_spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Okta's Management API spec, parsed once (CSafeLoader) and cached as a pickle between runs."""
    require(SPEC, "Okta's OpenAPI spec")
    stat = SPEC.stat()
    cache = tmp_path_factory.getbasetemp().parent / f"okta-spec-{stat.st_size}-{int(stat.st_mtime)}.pickle"
    if cache.is_file():
        try:
            with cache.open("rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError):
            pass
    with SPEC.open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=yaml.CSafeLoader)
    tmp = cache.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(spec, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return spec


def _examples_of(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    response = operation.get("responses", {}).get("200") or operation.get("responses", {}).get(200) or {}
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    content = response.get("content", {}).get("application/json", {})
    for key, example in content.get("examples", {}).items():
        if "$ref" in example:
            name = example["$ref"].rsplit("/", 1)[-1]
            example = spec["components"]["examples"].get(name, {})
            key = name
        if "value" in example:
            yield key, example["value"]
    if "example" in content:
        yield "inline", content["example"]


@pytest.fixture(scope="session")
def spec_objects(okta_spec: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """stream -> [(example id, Okta object)] from the spec's 200 examples of the stream's GET operations."""
    patterns = [(re.compile(rf"^{pattern}$"), stream) for pattern, stream in SPEC_PATHS]
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {s: [] for s in SPEC_STREAMS}
    for path, item in okta_spec["paths"].items():
        operation = item.get("get") if isinstance(item, Mapping) else None
        if not operation:
            continue
        streams = [stream for rx, stream in patterns if rx.match(path)]
        for stream in streams:
            for key, value in _examples_of(okta_spec, operation):
                objects = value if isinstance(value, list) else [value]
                for i, obj in enumerate(objects):
                    if isinstance(obj, Mapping):
                        out[stream].append((f"{path} {key}[{i}]", dict(obj)))
    return out


def make_record(stream: str, data: Any, **extra: Any) -> dict[str, Any]:
    return {"stream": stream, "kind": "asset", "org": dict(ORG), "data": data, "emitted_at": EMITTED_AT, **extra}


def make_result(data: Any, **extra: Any) -> dict[str, Any]:
    return {"stream": "check_results", "kind": "check_result", "org": dict(ORG), "data": data,
            "emitted_at": EMITTED_AT, **extra}


@pytest.fixture(scope="session")
def record() -> Callable[..., dict[str, Any]]:
    return make_record


@pytest.fixture(scope="session")
def result() -> Callable[..., dict[str, Any]]:
    return make_result


@pytest.fixture(scope="session")
def catalog() -> dict[str, dict[str, Any]]:
    return FIXTURE_CATALOG
