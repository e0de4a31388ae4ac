"""A throwaway connector for a fake vendor, and a family of variants each breaking one promise.

The vendor's API is an in-memory double (:data:`DOUBLE`); the connector reaches it through
:meth:`FakeDouble.get` as another connector would through HTTP. :class:`GoodConnector` keeps every promise;
each other class in :data:`VARIANTS` breaks one (or a few related) and names the kit checks it must fail.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import itertools
import logging
import os
import tempfile
import threading
import time
import urllib.parse
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import jsonschema
import pluggy

hookimpl = pluggy.HookimplMarker("connector_host")
log = logging.getLogger("conformance_fake_vendor")

# Characters that URL-encoding changes, and short enough (22) that two halves are each under the 12 characters
# of a telling slice: a split secret is found only as a split.
API_KEY = "fk_5ecr3t/Tok3n+ab=cd9"
BAD_KEY = "fk_wr0ng/K3yZ+zy=xw8q"
GOOD_URL = "https://fake.example.test"
UNREACHABLE_URL = "https://unreachable.example.test"
WRONG_URL = "https://www.example.test"
ICON = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="


class VendorNetworkError(Exception):
    pass


class VendorHTTPError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


class FakeDouble:
    """The fake vendor's API: an org with users and one setting."""

    def __init__(self) -> None:
        self.users = [{"id": f"u{i}", "login": f"user{i}@fake.example.test", "mfa": i % 2 == 0} for i in range(5)]
        self.settings = {"org_id": "org1", "name": "Fake Org", "mfa_required": False}
        self.crash_after: int | None = None
        self.requests = 0
        self.seen: Counter[str] = Counter()  # "GET /path" -> requests received

    def get(self, url: str, api_key: str, path: str, page: int = 0, page_size: int = 2) -> dict[str, Any]:
        self.requests += 1
        if url.rstrip("/") == GOOD_URL:
            self.seen[f"GET {path}"] += 1
        if self.crash_after is not None and self.requests > self.crash_after:
            raise VendorNetworkError("connection reset by peer")
        if url.rstrip("/") == UNREACHABLE_URL:
            raise VendorNetworkError("connection refused")
        if url.rstrip("/") != GOOD_URL:
            raise VendorHTTPError(404, "<html><body>Not Found</body></html>")
        if api_key != API_KEY:
            raise VendorHTTPError(401, '{"error": "invalid api key"}')
        if path == "/me":
            return {"id": "svc1", "name": "conformance bot"}
        if path == "/settings":
            return copy.deepcopy(self.settings)
        if path == "/audit":
            return {"events": []}
        if path == "/users":
            start = page * page_size
            items = self.users[start:start + page_size]
            return {"items": copy.deepcopy(items), "next": page + 1 if start + page_size < len(self.users) else None}
        raise VendorHTTPError(404, "no such path")

    @contextlib.contextmanager
    def crashing(self, after: int = 2) -> Iterator[None]:
        self.crash_after, self.requests = after, 0
        try:
            yield
        finally:
            self.crash_after = None


DOUBLE = FakeDouble()


class FakeTarget:
    """The conformance_target for every variant."""

    key_field = "api_key"

    def good_config(self) -> dict[str, Any]:
        return {"url": GOOD_URL, self.key_field: API_KEY}

    def bad_credential_config(self) -> dict[str, Any]:
        return {"url": GOOD_URL, self.key_field: BAD_KEY}

    def unreachable_config(self) -> dict[str, Any]:
        return {"url": UNREACHABLE_URL, self.key_field: API_KEY}

    def wrong_url_config(self) -> dict[str, Any]:
        return {"url": WRONG_URL, self.key_field: API_KEY}

    def invalid_config(self) -> dict[str, Any]:
        return {"url": "not a url", self.key_field: API_KEY, "page_size": "many"}

    def crash(self) -> contextlib.AbstractContextManager[None]:
        return DOUBLE.crashing(after=2)

    def secrets(self) -> list[str]:
        return [API_KEY, BAD_KEY]

    # optional: which scope each endpoint of the fake API needs, and the requests it received
    def endpoint_scopes(self) -> dict[str, Any]:
        return {"GET /me": None, "GET /settings": "settings:read", "GET /users": "users:read",
                "GET /audit": "audit:read"}

    def requests_seen(self) -> Counter[str]:
        return Counter(DOUBLE.seen)


def config_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["url", "api_key"],
        "properties": {
            "url": {"type": "string", "title": "API URL", "format": "uri", "pattern": "^https://"},
            "api_key": {"type": "string", "title": "API key", "secret": True, "minLength": 8},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 2},
            "include_suspended": {"type": "boolean", "title": "Include suspended users", "default": False},
        },
    }


def manifest(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "fakevendor",
        "name": "Fake Vendor",
        "version": "1.0.0",
        "publisher": "Conformance tests",
        "description": "A throwaway connector the conformance kit's own tests run against.",
        "icon": ICON,
        "categories": ["Testing"],
        "host_version": ">=0.1,<1",
        "capabilities": {"test_connection": True, "asset_classes": [5023], "finding_classes": [2003],
                         "sync_modes": ["full"]},
        "permissions": {"scopes": ["users:read", "settings:read"]},
        "environment": [{"name": "FAKEVENDOR_CA_BUNDLE", "description": "CA bundle for a TLS-inspecting proxy."}],
        "sync": {"default_interval_minutes": 60, "minimum_interval_minutes": 15},
        "config_schema": schema,
    }


def _classify(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, VendorNetworkError):
        return "network", f"Could not reach the Fake Vendor API ({exc}); check the URL and your network."
    if isinstance(exc, VendorHTTPError) and exc.status == 401:
        return "credentials", "The API key was refused (HTTP 401); create a new key and paste it again."
    if isinstance(exc, VendorHTTPError):
        return "config", f"The URL does not serve the Fake Vendor API (HTTP {exc.status}); check the URL."
    return "internal", f"Unexpected error {type(exc).__name__}; please report it."


class Cancelled(Exception):
    pass


def _key(config: Any) -> Any:
    return config.get("api_key") if isinstance(config, dict) else None


class GoodConnector:
    """Keeps every promise."""

    expected_failures: frozenset[str] = frozenset()
    optional_failures: frozenset[str] = frozenset()
    #: ConformanceSuite attributes for this variant's test class (time limits).
    suite_attributes: dict[str, float] = {}
    #: check -> a text its failure message must hold
    expected_messages: dict[str, str] = {}
    key_field = "api_key"

    @classmethod
    def target(cls) -> Any:
        return FakeTarget()

    def __init__(self) -> None:
        self.schema = config_schema()
        self.manifest = manifest(self.schema)

    # ---- contract
    @hookimpl
    def connector_manifest(self) -> dict[str, Any]:
        return copy.deepcopy(self.manifest)

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        return copy.deepcopy(self.schema)

    def config_errors(self, config: Any) -> list[str]:
        validator = jsonschema.Draft202012Validator(self.schema, format_checker=jsonschema.FormatChecker())
        return [f"{'/'.join(map(str, e.absolute_path)) or 'config'}: {e.validator} not met"
                for e in validator.iter_errors(config)]

    def failure(self, kind: str, message: str) -> dict[str, Any]:
        return {"status": "failed", "failure_kind": kind, "message": message, "capabilities": []}

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        errors = self.config_errors(config)
        if errors:
            return self.failure("config", "The configuration is not valid: " + "; ".join(errors))
        log.debug("testing connection to %s", config["url"])
        ca_bundle = os.environ.get("FAKEVENDOR_CA_BUNDLE")  # declared in the manifest's environment
        log.debug("CA bundle: %s", ca_bundle or "system")
        try:
            me = DOUBLE.get(config["url"], config[self.key_field], "/me")
        except (VendorNetworkError, VendorHTTPError) as exc:
            return self.failure(*_classify(exc))
        return {"status": "succeeded", "failure_kind": None, "message": f"Connected as {me['name']}.",
                "capabilities": [{"name": "users", "status": "succeeded"}], "identity": me}

    @hookimpl
    def connector_sync(self, config: dict[str, Any], state: Any, context: Any) -> Iterator[dict[str, Any]]:
        return self.sync(config, context)

    def sync(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        errors = self.config_errors(config)
        if errors:
            yield {"type": "ERROR", "error": {"kind": "config", "message": "; ".join(errors), "fatal": True}}
            yield {"type": "SYNC_STATUS", "sync_status": {"status": "failed", "message": "invalid config"}}
            return
        try:
            yield from self.collect(config, context)
        except Cancelled:
            yield {"type": "SYNC_STATUS", "sync_status": {"status": "partial", "message": "cancelled by the host"}}
            return
        except (VendorNetworkError, VendorHTTPError) as exc:
            kind, message = self.crash_kind(exc)
            yield {"type": "ERROR", "error": {"kind": kind, "message": message, "fatal": True}}
            yield {"type": "SYNC_STATUS", "sync_status": {"status": "failed", "message": message}}
            return
        yield from self.ending()

    def crash_kind(self, exc: Exception) -> tuple[str, str]:
        return _classify(exc)

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "SYNC_STATUS", "sync_status": {"status": "succeeded", "message": "done"}}

    def record(self, stream: str, kind: str, data: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
        return {"type": "RECORD", "record": {"stream": stream, "kind": kind, "org": org, "data": data,
                                             "emitted_at": int(time.time() * 1000)}}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        url, key, size = config["url"], config[self.key_field], config.get("page_size", 2)
        settings = DOUBLE.get(url, key, "/settings")
        org = {"uid": settings["org_id"], "name": settings["name"]}
        yield {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "STARTED"}}
        count = 0
        for page in itertools.count():
            body = DOUBLE.get(url, key, "/users", page=page, page_size=size)
            for user in body["items"]:
                count += 1
                if config.get("include_suspended"):
                    user = {**user, "suspended": False}
                yield self.record("users", "asset", user, org)
            context.progress({"stream": "users", "count": count})
            if context.cancelled():
                raise Cancelled
            if body["next"] is None:
                break
        yield {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "COMPLETE", "count": count}}
        yield self.record("org", "asset", {"id": org["uid"], "login": org["name"], "type": "org"}, org)
        yield from self.check_results(settings, org)
        yield {"type": "STATE", "state": {"users_seen": count}}

    def check_results(self, settings: dict[str, Any], org: dict[str, Any]) -> Iterator[dict[str, Any]]:
        status = "pass" if settings["mfa_required"] else "fail"
        yield self.record("check_results", "check_result", {
            "check_id": "fake-mfa-required", "status": status,
            "resource": {"type": "org", "uid": org["uid"], "name": org["name"]},
            "message": f"MFA required: {settings['mfa_required']}", "evidence": {"mfa_required": settings["mfa_required"]},
        }, org)

    @hookimpl
    def connector_checks(self) -> list[dict[str, Any]]:
        return [{"id": "fake-mfa-required", "title": "MFA is required for every user", "severity": "high"}]

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        if record["kind"] != "asset":
            return None
        user = record["data"]
        return {
            "class_uid": 5023, "category_uid": 5, "activity_id": 2, "type_uid": 502302, "severity_id": 1,
            "time": record["emitted_at"],
            "metadata": self.metadata(record),
            "cloud": {"provider": "Fake Vendor", "org": {"uid": record["org"]["uid"]}},
            "resources": [{"uid": user["id"], "name": user["login"], "type": user.get("type", "user")}],
            "unmapped": {"source": {"connector": "fakevendor", "stream": record["stream"], "type": user.get("type", "user"),
                                    "label": "Fake Vendor User", "uid": user["id"], "name": user["login"],
                                    "raw": user}},
        }

    def metadata(self, record: dict[str, Any]) -> dict[str, Any]:
        return {"version": "1.6.0", "profiles": ["cloud"], "tenant_uid": record["org"]["uid"],
                "product": {"name": "Fake Vendor connector", "vendor_name": "Fake Vendor", "version": "1.0.0"}}

    def finding_uid(self, record: dict[str, Any]) -> str:
        data = record["data"]
        key = f"{record['org']['uid']}/{data['check_id']}/{data['resource']['uid']}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    @hookimpl
    def connector_normalize_finding(self, record: dict[str, Any]) -> dict[str, Any]:
        data = record["data"]
        status_id = {"pass": 1, "warning": 2, "fail": 3, "unknown": 0, "manual": 99}.get(data["status"], 0)
        return {
            "class_uid": 2003, "category_uid": 2, "activity_id": 1, "type_uid": 200301, "severity_id": 3,
            "time": record["emitted_at"],
            "metadata": self.metadata(record),
            "cloud": {"provider": "Fake Vendor", "org": {"uid": record["org"]["uid"]}},
            "finding_info": {"uid": self.finding_uid(record), "title": "MFA is required for every user"},
            "compliance": {"status_id": status_id, "status": data["status"].title(), "standards": ["Fake baseline"],
                           "requirements": ["FAKE-1"], "control": data["check_id"]},
            "resources": [{"uid": data["resource"]["uid"], "name": data["resource"]["name"], "type": "org"}],
            "remediation": {"desc": "Require MFA in the org settings."},
            "evidences": [{"data": data["evidence"]}],
            "unmapped": {"source": {"connector": "fakevendor", "check_id": data["check_id"], "status": data["status"]}},
        }


# ----------------------------------------------------------------------------------------------- variants
# Each breaks one promise; `expected_failures` are the kit checks it must fail, `optional_failures` the
# ones that also fail when the host ships the schema they use (our OCSF profiles).

PROFILE_ASSET = "test_sync_assets_validate_against_profile"
PROFILE_FINDING = "test_sync_findings_validate_against_profile"


class MisnamedHook(GoodConnector):
    expected_failures = frozenset({"test_hook_implementations_match_specs"})

    @hookimpl
    def connector_normalise_asset(self, record: dict[str, Any]) -> None:  # British spelling: never called
        return None


class ManifestIdMismatch(GoodConnector):
    expected_failures = frozenset({"test_manifest_id_is_registered_name"})

    def __init__(self) -> None:
        super().__init__()
        self.manifest["id"] = "fake_vendor"


class ManifestNotSemver(GoodConnector):
    expected_failures = frozenset({"test_manifest_version_is_semver", "test_manifest_validates_against_schema"})

    def __init__(self) -> None:
        super().__init__()
        self.manifest["version"] = "1.0"


class ManifestNoIcon(GoodConnector):
    expected_failures = frozenset({"test_manifest_icon_present"})

    def __init__(self) -> None:
        super().__init__()
        del self.manifest["icon"]


class ManifestIconMissingFile(GoodConnector):
    expected_failures = frozenset({"test_manifest_icon_present"})

    def __init__(self) -> None:
        super().__init__()
        self.manifest["icon"] = "icons/fake.svg"


class ManifestNoScopes(GoodConnector):
    expected_failures = frozenset({"test_manifest_scopes_listed", "test_requests_stay_within_declared_scopes"})

    def __init__(self) -> None:
        super().__init__()
        del self.manifest["permissions"]


class ManifestHostRangeExcludesHost(GoodConnector):
    expected_failures = frozenset({"test_manifest_host_version_range"})

    def __init__(self) -> None:
        super().__init__()
        self.manifest["host_version"] = ">=99"


class ManifestConfigSchemaStale(GoodConnector):
    expected_failures = frozenset({"test_manifest_config_schema_matches_hook"})

    def __init__(self) -> None:
        super().__init__()
        self.manifest["config_schema"] = {"type": "object", "properties": {"url": {"type": "string"}}}


class ConfigSchemaInvalid(GoodConnector):
    expected_failures = frozenset({"test_config_schema_is_valid_json_schema"})

    def __init__(self) -> None:
        super().__init__()
        self.schema["properties"]["url"]["title"] = 5  # title must be a string
        self.manifest["config_schema"] = self.schema


class SecretNotMarked(GoodConnector):
    expected_failures = frozenset({"test_config_secret_fields_are_marked", "test_config_fields_holding_secrets_are_marked"})

    def __init__(self) -> None:
        super().__init__()
        del self.schema["properties"]["api_key"]["secret"]
        self.manifest["config_schema"] = self.schema


class UrlMarkedSecret(GoodConnector):
    expected_failures = frozenset({"test_config_only_secret_fields_are_marked"})

    def __init__(self) -> None:
        super().__init__()
        self.schema["properties"]["url"]["secret"] = True
        self.manifest["config_schema"] = self.schema


class ConfigAnyOf(GoodConnector):
    expected_failures = frozenset({"test_config_schema_is_form_renderable"})

    def __init__(self) -> None:
        super().__init__()
        self.schema["anyOf"] = [{"required": ["api_key"]}, {"required": ["url"]}]
        self.manifest["config_schema"] = self.schema


class ConfigBadDefault(GoodConnector):
    expected_failures = frozenset({"test_config_defaults_validate"})

    def __init__(self) -> None:
        super().__init__()
        self.schema["properties"]["page_size"]["default"] = 0
        self.manifest["config_schema"] = self.schema


class RaisesOnBadCredential(GoodConnector):
    expected_failures = frozenset({"test_connection_fails_on_bad_credential",
                                   "test_connection_results_validate_against_schema"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if _key(config) == BAD_KEY:
            raise RuntimeError("401 Unauthorized")
        return super().connector_test_connection(config)


class UnreachableIsConfig(GoodConnector):
    expected_failures = frozenset({"test_connection_fails_on_unreachable_host"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        result = super().connector_test_connection(config)
        if result.get("failure_kind") == "network":
            result["failure_kind"] = "config"
        return result


class WrongUrlSucceeds(GoodConnector):
    expected_failures = frozenset({"test_connection_fails_on_wrong_url"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        result = super().connector_test_connection(config)
        if result.get("failure_kind") == "config" and "HTTP 404" in result["message"]:
            return {"status": "succeeded", "failure_kind": None, "message": "Connected.", "capabilities": []}
        return result


class NoConfigValidation(GoodConnector):
    expected_failures = frozenset({"test_connection_fails_on_invalid_config",
                                   "test_connection_results_validate_against_schema", "test_connection_never_raises_on_any_json_config", "test_sync_fails_cleanly_on_failing_configs"})

    def config_errors(self, config: Any) -> list[str]:
        return []

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if not config["url"].startswith("https://"):
            raise ValueError(f"bad url {config['url']!r}")
        return super().connector_test_connection(config)


class UselessMessages(GoodConnector):
    expected_failures = frozenset({"test_connection_fails_on_bad_credential", "test_connection_fails_on_unreachable_host",
                                   "test_connection_fails_on_wrong_url", "test_connection_fails_on_invalid_config"})

    def failure(self, kind: str, message: str) -> dict[str, Any]:
        return super().failure(kind, "error")


class PayloadlessMessage(GoodConnector):
    expected_failures = frozenset({"test_sync_messages_validate_against_schema", "test_sync_with_optional_flags_on"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "PROGRESS"}
        yield from super().ending()


class InvalidLogLevel(GoodConnector):
    """Only the sync message schema catches this one (the structure is fine)."""

    expected_failures = frozenset({"test_sync_messages_validate_against_schema", "test_sync_with_optional_flags_on"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "LOG", "log": {"level": "LOUD", "message": "done reading"}}
        yield from super().ending()


class StateAfterStatus(GoodConnector):
    expected_failures = frozenset({"test_sync_ends_with_exactly_one_sync_status", "test_sync_with_optional_flags_on"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield from super().ending()
        yield {"type": "STATE", "state": {"cursor": 1}}


class FailsOnGoodSync(GoodConnector):
    expected_failures = frozenset({"test_sync_succeeds_on_good_config"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "SYNC_STATUS", "sync_status": {"status": "partial", "message": "some streams skipped"}}


class RaisesOnCrash(GoodConnector):
    expected_failures = frozenset({"test_sync_crash_ends_with_error_and_status", "test_sync_fails_cleanly_on_failing_configs", "test_sync_stops_when_cancelled"})

    def sync(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        yield from self.collect(config, context)
        yield from self.ending()


class CrashIsInternal(GoodConnector):
    expected_failures = frozenset({"test_sync_crash_ends_with_error_and_status"})

    def crash_kind(self, exc: Exception) -> tuple[str, str]:
        return "internal", "Something went wrong."


class CrashHidden(GoodConnector):
    """Swallows the dropped connection and reports success with what it had."""

    expected_failures = frozenset({"test_sync_crash_ends_with_error_and_status", "test_sync_fails_cleanly_on_failing_configs", "test_sync_stops_when_cancelled"})

    def sync(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        with contextlib.suppress(VendorNetworkError):
            yield from self.collect(config, context)
        yield from self.ending()


class AssetNotOcsf(GoodConnector):
    expected_failures = frozenset({"test_sync_assets_validate_against_ocsf"})
    optional_failures = frozenset({PROFILE_ASSET})

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        asset = super().connector_normalize_asset(record)
        asset["type_uid"] = 5023  # not class_uid * 100 + activity_id
        return asset


class FindingNotOcsf(GoodConnector):
    expected_failures = frozenset({"test_sync_findings_validate_against_ocsf"})
    optional_failures = frozenset({PROFILE_FINDING})

    @hookimpl
    def connector_normalize_finding(self, record: dict[str, Any]) -> dict[str, Any]:
        finding = super().connector_normalize_finding(record)
        finding["time"] = "2026-11-28T12:00:00Z"  # OCSF times are epoch milliseconds
        return finding


class AssetNormaliserRaises(GoodConnector):
    expected_failures = frozenset({"test_sync_assets_validate_against_ocsf", PROFILE_ASSET, "test_sync_ids_are_stable", "test_sync_with_optional_flags_on"})

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        if record["data"]["id"] == "u3":
            raise KeyError("profile")
        return super().connector_normalize_asset(record)


class UnstableFindingIds(GoodConnector):
    expected_failures = frozenset({"test_sync_ids_are_stable", "test_finding_uid_identifies_tenant_check_and_resource", "test_normalisers_are_pure"})
    counter = itertools.count()

    def finding_uid(self, record: dict[str, Any]) -> str:
        return f"{super().finding_uid(record)}-{next(self.counter)}"


class DuplicateFindingIds(GoodConnector):
    expected_failures = frozenset({"test_sync_finding_ids_are_unique", "test_finding_uid_identifies_tenant_check_and_resource"})

    def check_results(self, settings: dict[str, Any], org: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from super().check_results(settings, org)
        yield from super().check_results({**settings, "mfa_required": True}, org)

    def finding_uid(self, record: dict[str, Any]) -> str:
        return f"{record['data']['check_id']}"


class NoAssets(GoodConnector):
    """Emits nothing to normalise: the profile checks must fail, not pass on no data."""

    # With one request per sync, the target's crash (after two requests) never happens: the kit says so.
    expected_failures = frozenset({"test_sync_assets_validate_against_ocsf", PROFILE_ASSET,
                                   "test_sync_crash_ends_with_error_and_status", "test_finding_resources_are_emitted_assets", "test_sync_stops_when_cancelled"})

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        settings = DOUBLE.get(config["url"], config["api_key"], "/settings")
        yield from self.check_results(settings, {"uid": settings["org_id"], "name": settings["name"]})


class KeyInLogMessage(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_messages"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "LOG", "log": {"level": "DEBUG", "message": f"done with key {API_KEY}"}}
        yield from super().ending()


class KeyInResult(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_messages"})

    def failure(self, kind: str, message: str) -> dict[str, Any]:
        return {**super().failure(kind, message), "identity": {"key": BAD_KEY}}


class KeyLoggedAtDebug(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_logs"})

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        logging.getLogger("fakevendor.http").debug("GET /users Authorization: Bearer %s", config["api_key"])
        yield from super().collect(config, context)


class KeyInLoggedTraceback(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_logs"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        try:
            raise ValueError(f"auth failed for {_key(config)}")
        except ValueError:
            log.warning("connection test detail", exc_info=True)
        return super().connector_test_connection(config)


class KeyPrinted(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_logs"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        print("debug: key =", _key(config))
        return super().connector_test_connection(config)


class UncataloguedCheck(GoodConnector):
    expected_failures = frozenset({"test_check_results_name_catalogued_checks"})

    @hookimpl
    def connector_checks(self) -> list[dict[str, Any]]:
        return [{"id": "fake-other-check", "title": "Another check"}, {"id": "fake-other-check", "title": "Twice"}]


class KeyInException(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_exceptions", "test_connection_fails_on_bad_credential",
                                   "test_connection_results_validate_against_schema"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if _key(config) == BAD_KEY:
            raise PermissionError(f"key {_key(config)} refused")
        return super().connector_test_connection(config)


class KeyInNormalisedAsset(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_normalised_records"})
    optional_failures = frozenset({PROFILE_ASSET})

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        asset = super().connector_normalize_asset(record)
        asset["unmapped"]["credential"] = API_KEY
        return asset


# ------------------------------------------------------------------------------------ issue 19: more defects
# Each is a defect a real connector could have; none is among the variants above.

LOGS = "test_secrets_absent_from_logs"
MESSAGES = "test_secrets_absent_from_messages"
IN_TIME = "test_hooks_return_in_time"


# -- secrets, in any form

class KeyInBasicHeaderLogged(GoodConnector):
    """Logs the request's Basic header: base64 of ``svc:<key>``, the key at an odd alignment."""

    expected_failures = frozenset({LOGS})
    expected_messages = {LOGS: '(base64)'}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        basic = base64.b64encode(f"svc:{config['api_key']}".encode()).decode()
        log.debug("GET /settings Authorization: Basic %s", basic)
        yield from super().collect(config, context)


class KeyBase64InLogMessage(GoodConnector):
    expected_failures = frozenset({MESSAGES})
    expected_messages = {MESSAGES: '(base64)'}

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "LOG", "log": {"level": "DEBUG",
                                      "message": "session " + base64.urlsafe_b64encode(API_KEY.encode()).decode()}}
        yield from super().ending()


class KeyUrlEncodedInResult(GoodConnector):
    """Puts the request URL, key in its query string (percent-encoded), in the failure message."""

    expected_failures = frozenset({MESSAGES})
    expected_messages = {MESSAGES: '(URL-encoded)'}

    def failure(self, kind: str, message: str) -> dict[str, Any]:
        return super().failure(kind, message)

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        result = super().connector_test_connection(config)
        if result.get("failure_kind") == "credentials":
            url = f"{GOOD_URL}/me?{urllib.parse.urlencode({'key': config['api_key']})}"
            result["message"] += f" (GET {url})"
        return result


class KeyHexInNormalisedAsset(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_normalised_records"})
    expected_messages = {"test_secrets_absent_from_normalised_records": '(hex)'}

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        asset = super().connector_normalize_asset(record)
        asset["unmapped"]["source"]["session"] = API_KEY.encode().hex()
        return asset


class KeyPartiallyMasked(GoodConnector):
    """'Masks' the key by hiding its end only: twelve characters still give most of it away."""

    expected_failures = frozenset({LOGS})
    expected_messages = {LOGS: 'fk…(22 chars)'}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        log.info("using API key %s", config["api_key"][:12] + "*" * 10)
        yield from super().collect(config, context)


class KeySplitAcrossFields(GoodConnector):
    """Each half is too short to tell alone; together they are the key."""

    expected_failures = frozenset({MESSAGES})
    expected_messages = {MESSAGES: 'split across 2 fields'}

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        result = super().connector_test_connection(config)
        if result["status"] == "succeeded":
            key = config["api_key"]
            result["identity"] = {**result["identity"], "key_head": key[:11], "key_tail": key[11:]}
        return result


class KeyInLogArgs(GoodConnector):
    """The message shows four characters; the record's args (what a JSON log handler ships) hold the key."""

    expected_failures = frozenset({LOGS})
    expected_messages = {LOGS: 'in its args'}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        log.debug("using key %.4s…", config["api_key"])
        yield from super().collect(config, context)


class KeyInLogExtra(GoodConnector):
    expected_failures = frozenset({LOGS})
    expected_messages = {LOGS: 'in its extra'}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        log.info("request sent", extra={"request": {"headers": {"Authorization": f"Bearer {config['api_key']}"}}})
        yield from super().collect(config, context)


class KeyInIncrementalState(GoodConnector):
    """Keeps part of the key in its STATE, but only once it is handed a previous state."""

    expected_failures = frozenset({MESSAGES})
    expected_messages = {MESSAGES: 'sync incremental'}

    @hookimpl
    def connector_sync(self, config: dict[str, Any], state: Any, context: Any) -> Iterator[dict[str, Any]]:
        for message in self.sync(config, context):
            if message["type"] == "STATE" and state:
                message["state"]["key_hint"] = config["api_key"][-13:]
            yield message


class KeyInThreadException(GoodConnector):
    """A worker thread dies with the key in its exception (pytest prints it as a warning)."""

    expected_failures = frozenset({"test_secrets_absent_from_exceptions"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        def refresh() -> None:
            raise RuntimeError(f"token refresh failed for {_key(config)}")

        worker = threading.Thread(target=refresh, name="fakevendor-refresh")
        worker.start()
        worker.join()
        return super().connector_test_connection(config)


class KeyInWrittenFile(GoodConnector):
    """Caches the credential in a file (in the temporary folder, which is allowed; the key in it is not)."""

    expected_failures = frozenset({"test_secrets_absent_from_files"})
    expected_messages = {"test_secrets_absent_from_files": 'fakevendor-session.json'}

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        path = os.path.join(tempfile.gettempdir(), "fakevendor-session.json")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f'{{"key": "{_key(config)}"}}')
        return super().connector_test_connection(config)


class KeyInWarning(GoodConnector):
    expected_failures = frozenset({LOGS})
    expected_messages = {LOGS: "from 'warnings'"}

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if isinstance(config, dict) and str(config.get("url")).startswith("https://www."):
            warnings.warn(f"{config['url']} looks like a web site; key {_key(config)} sent anyway", stacklevel=2)
        return super().connector_test_connection(config)


class KeyInNonPropagatingLogger(GoodConnector):
    """An audit logger of its own that does not propagate to the root (pytest 9 captures such loggers)."""

    expected_failures = frozenset({LOGS})
    expected_messages = {LOGS: "'fakevendor.audit'"}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        audit = logging.getLogger("fakevendor.audit")
        audit.propagate = False
        audit.info("sync started with key %s", config["api_key"])
        yield from super().collect(config, context)


# -- failure paths

class SyncRaisesOnBadCredential(GoodConnector):
    expected_failures = frozenset({"test_sync_fails_cleanly_on_failing_configs"})

    def crash_kind(self, exc: Exception) -> tuple[str, str]:
        if isinstance(exc, VendorHTTPError) and exc.status == 401:
            raise exc
        return super().crash_kind(exc)


class SyncTwoStatusesWhenUnreachable(GoodConnector):
    """Reports the failure, then falls through to the normal ending: two SYNC_STATUS."""

    expected_failures = frozenset({"test_sync_fails_cleanly_on_failing_configs"})

    def sync(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from self.collect(config, context)
        except Cancelled:
            yield {"type": "SYNC_STATUS", "sync_status": {"status": "partial", "message": "cancelled"}}
            return
        except (VendorHTTPError, VendorNetworkError) as exc:
            kind, message = self.crash_kind(exc)
            yield {"type": "ERROR", "error": {"kind": kind, "message": message, "fatal": True}}
            yield {"type": "SYNC_STATUS", "sync_status": {"status": "failed", "message": message}}
            if "refused" not in str(exc):
                return
        yield from self.ending()


class SyncSucceedsOnWrongUrl(GoodConnector):
    """A 404 from something that is not the API is taken for an empty tenant."""

    expected_failures = frozenset({"test_sync_fails_cleanly_on_failing_configs"})

    def crash_kind(self, exc: Exception) -> tuple[str, str]:
        if isinstance(exc, VendorHTTPError) and exc.status == 404:
            raise _Empty from exc
        return super().crash_kind(exc)

    def sync(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from super().sync(config, context)
        except _Empty:
            yield from self.ending()


class _Empty(Exception):
    pass


class ConnectionAssumesAnObject(GoodConnector):
    """Reads the config as a dict before validating it: any other JSON value raises."""

    expected_failures = frozenset({"test_connection_never_raises_on_any_json_config"})

    @hookimpl
    def connector_test_connection(self, config: Any) -> dict[str, Any]:
        log.debug("testing %s", config.get("url"))
        return super().connector_test_connection(config)


class SyncCrashesOnEmptyUrl(GoodConnector):
    """Normalises the URL before validating the config: an empty URL raises IndexError."""

    expected_failures = frozenset({"test_sync_fails_cleanly_on_failing_configs"})

    def sync(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        if isinstance(config.get("url"), str):
            host = config["url"].split("://")[1]  # IndexError when there is no scheme
            log.debug("host %s", host)
        yield from super().sync(config, context)


class FlagBreaksSync(GoodConnector):
    """``include_suspended`` was never tried: switched on, the sync raises."""

    expected_failures = frozenset({"test_sync_with_optional_flags_on"})

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        if config.get("include_suspended"):
            raise KeyError("suspended")
        yield from super().collect(config, context)


# -- hangs

class HangsOnUnreachable(GoodConnector):
    """No connect timeout: the test against a host that does not answer never returns."""

    expected_failures = frozenset({"test_connection_fails_on_unreachable_host",
                                   "test_connection_results_validate_against_schema", IN_TIME})
    suite_attributes = {"hook_time_limit": 1.0}
    expected_messages = {"test_connection_fails_on_unreachable_host":
                         "connector_test_connection did not return within 1 s"}

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if isinstance(config, dict) and config.get("url") == UNREACHABLE_URL:
            time.sleep(5)
        return super().connector_test_connection(config)


class HangsOnCrash(GoodConnector):
    """Retries a dropped connection forever, ignoring its budget."""

    expected_failures = frozenset({"test_sync_crash_ends_with_error_and_status", IN_TIME})
    suite_attributes = {"sync_time_limit": 1.5}
    expected_messages = {"test_sync_crash_ends_with_error_and_status": "connector_sync did not end within 1.5 s"}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        deadline = time.monotonic() + 6
        while True:
            try:
                yield from super().collect(config, context)
                return
            except VendorNetworkError as exc:
                if "reset" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


# -- identity and purity

class ClockInFinding(GoodConnector):
    """Stamps findings with the time of normalisation, not the record's."""

    expected_failures = frozenset({"test_normalisers_are_pure"})

    @hookimpl
    def connector_normalize_finding(self, record: dict[str, Any]) -> dict[str, Any]:
        finding = super().connector_normalize_finding(record)
        finding["time"] = int(time.time() * 1000)
        return finding


class ClockInAsset(GoodConnector):
    """The same with ``from datetime import datetime`` at the top of the module."""

    expected_failures = frozenset({"test_normalisers_are_pure"})

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        asset = super().connector_normalize_asset(record)
        asset["time"] = int(datetime.now(timezone.utc).timestamp() * 1000)  # noqa: UP017 - the import is the point
        return asset


class FindingUidIncludesStatus(GoodConnector):
    """A fixed finding becomes a new finding: hosts never resolve the old one."""

    expected_failures = frozenset({"test_finding_uid_identifies_tenant_check_and_resource"})

    def finding_uid(self, record: dict[str, Any]) -> str:
        return hashlib.sha256(f"{super().finding_uid(record)}/{record['data']['status']}".encode()).hexdigest()[:32]


class FindingUidWithoutTenant(GoodConnector):
    """Two orgs with the same check on the same resource id overwrite each other's findings."""

    expected_failures = frozenset({"test_finding_uid_identifies_tenant_check_and_resource"})

    def finding_uid(self, record: dict[str, Any]) -> str:
        data = record["data"]
        return hashlib.sha256(f"{data['check_id']}/{data['resource']['uid']}".encode()).hexdigest()[:32]


class DuplicateAssetUids(GoodConnector):
    """Keys users by a field that is not unique."""

    expected_failures = frozenset({"test_sync_asset_ids_are_unique"})

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        asset = super().connector_normalize_asset(record)
        if record["stream"] == "users":
            asset["resources"][0]["uid"] = "user"
        return asset


class FindingNamesUnemittedResource(GoodConnector):
    """Names the org's default policy, which it never reads as an asset."""

    expected_failures = frozenset({"test_finding_resources_are_emitted_assets"})

    @hookimpl
    def connector_normalize_finding(self, record: dict[str, Any]) -> dict[str, Any]:
        finding = super().connector_normalize_finding(record)
        finding["resources"].append({"uid": "pol-default", "name": "Default policy", "type": "policy"})
        return finding


class ComplianceAlwaysFail(GoodConnector):
    """Maps every result to Fail: right for this org's one result, wrong as soon as it passes."""

    expected_failures = frozenset({"test_finding_compliance_status_matches_record"})

    @hookimpl
    def connector_normalize_finding(self, record: dict[str, Any]) -> dict[str, Any]:
        finding = super().connector_normalize_finding(record)
        finding["compliance"].update(status_id=3, status="Fail")
        return finding


class DatetimeInRecord(GoodConnector):
    expected_failures = frozenset({"test_outputs_are_json_serialisable"})

    def record(self, stream: str, kind: str, data: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
        if kind == "asset":
            data = {**data, "created": datetime(2026, 1, 2, tzinfo=timezone.utc)}  # noqa: UP017
        return super().record(stream, kind, data, org)


class SetInNormalisedFinding(GoodConnector):
    expected_failures = frozenset({"test_outputs_are_json_serialisable"})

    @hookimpl
    def connector_normalize_finding(self, record: dict[str, Any]) -> dict[str, Any]:
        finding = super().connector_normalize_finding(record)
        finding["unmapped"]["source"]["tags"] = {"mfa", "org"}
        return finding


# -- side effects

class MutatesConfig(GoodConnector):
    """Fills in defaults in the host's own config dict."""

    expected_failures = frozenset({"test_hooks_leave_their_inputs_unchanged"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if isinstance(config, dict):
            config.setdefault("page_size", 2)
        return super().connector_test_connection(config)


class WritesOutsideTemp(GoodConnector):
    """A cache file next to the temporary folder, not in it (removed at once: the writing is the defect)."""

    expected_failures = frozenset({"test_files_written_only_in_kit_folder"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        path = os.path.join(os.path.dirname(tempfile.gettempdir()), f"fakevendor-{os.getpid()}.cache")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("{}")
        os.remove(path)
        return super().connector_test_connection(config)


class ReadsUndeclaredEnv(GoodConnector):
    """Takes the key from the environment when it is set: the host cannot see or set that."""

    expected_failures = frozenset({"test_environment_reads_are_declared"})
    expected_messages = {"test_environment_reads_are_declared": "FAKEVENDOR_API_KEY"}

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if os.getenv("FAKEVENDOR_API_KEY") and isinstance(config, dict):
            config = {**config, "api_key": os.environ["FAKEVENDOR_API_KEY"]}
        return super().connector_test_connection(config)


class LeavesThreadRunning(GoodConnector):
    """Starts a keep-alive thread and never stops it."""

    expected_failures = frozenset({"test_no_connector_thread_outlives_a_hook"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        if isinstance(config, dict) and config.get("url") == GOOD_URL and _key(config) == API_KEY:
            threading.Thread(target=time.sleep, args=(1.5,), name="fakevendor-keepalive").start()
        return super().connector_test_connection(config)


# -- cancellation

class IgnoresCancellation(GoodConnector):
    expected_failures = frozenset({"test_sync_stops_when_cancelled"})

    @hookimpl
    def connector_sync(self, config: dict[str, Any], state: Any, context: Any) -> Iterator[dict[str, Any]]:
        class Deaf:
            logger, budget = context.logger, context.budget
            progress = staticmethod(context.progress)

            @staticmethod
            def cancelled() -> bool:
                return False

        return self.sync(config, Deaf())


class SlowToCancel(GoodConnector):
    """Notices the cancellation, then finishes its page of work first."""

    expected_failures = frozenset({"test_sync_stops_when_cancelled", IN_TIME})
    expected_messages = {"test_sync_stops_when_cancelled": "of being cancelled"}

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from super().collect(config, context)
        except Cancelled:
            time.sleep(2.5)
            raise


# -- declared needs

class _BearerTarget(FakeTarget):
    key_field = "bearer"


class SecretInUnmarkedField(GoodConnector):
    """The key travels in a field whose name does not look secret (``bearer``), and is not marked."""

    expected_failures = frozenset({"test_config_fields_holding_secrets_are_marked"})
    key_field = "bearer"

    def __init__(self) -> None:
        super().__init__()
        props = self.schema["properties"]
        props["bearer"] = {"type": "string", "title": "Bearer", "minLength": 8}
        del props["api_key"]
        self.schema["required"] = ["url", "bearer"]
        self.manifest["config_schema"] = self.schema

    @classmethod
    def target(cls) -> Any:
        return _BearerTarget()


class RequestsUndeclaredScope(GoodConnector):
    """Reads the audit log, whose scope the manifest does not ask the admin for."""

    expected_failures = frozenset({"test_requests_stay_within_declared_scopes"})

    def collect(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        DOUBLE.get(config["url"], config["api_key"], "/audit")
        yield from super().collect(config, context)


NEW_VARIANTS = [
    KeyInBasicHeaderLogged, KeyBase64InLogMessage, KeyUrlEncodedInResult, KeyHexInNormalisedAsset, KeyPartiallyMasked,
    KeySplitAcrossFields, KeyInLogArgs, KeyInLogExtra, KeyInIncrementalState, KeyInThreadException, KeyInWrittenFile,
    KeyInWarning, KeyInNonPropagatingLogger, SyncRaisesOnBadCredential, SyncTwoStatusesWhenUnreachable,
    SyncSucceedsOnWrongUrl, ConnectionAssumesAnObject, SyncCrashesOnEmptyUrl, FlagBreaksSync, HangsOnUnreachable,
    HangsOnCrash, ClockInFinding, ClockInAsset, FindingUidIncludesStatus, FindingUidWithoutTenant, DuplicateAssetUids,
    FindingNamesUnemittedResource, ComplianceAlwaysFail, DatetimeInRecord, SetInNormalisedFinding, MutatesConfig,
    WritesOutsideTemp, ReadsUndeclaredEnv, LeavesThreadRunning, IgnoresCancellation, SlowToCancel,
    SecretInUnmarkedField, RequestsUndeclaredScope,
]


VARIANTS = [GoodConnector, MisnamedHook, ManifestIdMismatch, ManifestNotSemver, ManifestNoIcon,
            ManifestIconMissingFile, ManifestNoScopes, ManifestHostRangeExcludesHost, ManifestConfigSchemaStale,
            ConfigSchemaInvalid, SecretNotMarked, UrlMarkedSecret, ConfigAnyOf, ConfigBadDefault,
            RaisesOnBadCredential, UnreachableIsConfig, WrongUrlSucceeds, NoConfigValidation, UselessMessages,
            PayloadlessMessage, InvalidLogLevel, StateAfterStatus, FailsOnGoodSync, RaisesOnCrash,
            CrashIsInternal, CrashHidden, AssetNotOcsf, FindingNotOcsf, AssetNormaliserRaises, UnstableFindingIds,
            DuplicateFindingIds, NoAssets, KeyInLogMessage, KeyInResult, KeyLoggedAtDebug, KeyInLoggedTraceback,
            KeyPrinted, UncataloguedCheck, KeyInException, KeyInNormalisedAsset,
            *NEW_VARIANTS]

GOOD = GoodConnector()
OTHER = GoodConnector()  # a second plugin object registered under the same entry-point name
