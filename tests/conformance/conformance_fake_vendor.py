"""A throwaway connector for a fake vendor, and a family of variants each breaking one promise.

The vendor's API is an in-memory double (:data:`DOUBLE`); the connector reaches it through
:meth:`FakeDouble.get` as another connector would through HTTP. :class:`GoodConnector` keeps every promise;
each other class in :data:`VARIANTS` breaks one (or a few related) and names the kit checks it must fail.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import logging
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import pluggy

hookimpl = pluggy.HookimplMarker("connector_host")
log = logging.getLogger("conformance_fake_vendor")

API_KEY = "fk_live_5ecr3tTok3n_abcdef"
BAD_KEY = "fk_live_wr0ngTok3n_zyxwvu"
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

    def get(self, url: str, api_key: str, path: str, page: int = 0, page_size: int = 2) -> dict[str, Any]:
        self.requests += 1
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

    def good_config(self) -> dict[str, Any]:
        return {"url": GOOD_URL, "api_key": API_KEY}

    def bad_credential_config(self) -> dict[str, Any]:
        return {"url": GOOD_URL, "api_key": BAD_KEY}

    def unreachable_config(self) -> dict[str, Any]:
        return {"url": UNREACHABLE_URL, "api_key": API_KEY}

    def wrong_url_config(self) -> dict[str, Any]:
        return {"url": WRONG_URL, "api_key": API_KEY}

    def invalid_config(self) -> dict[str, Any]:
        return {"url": "not a url", "api_key": API_KEY, "page_size": "many"}

    def crash(self) -> contextlib.AbstractContextManager[None]:
        return DOUBLE.crashing(after=2)

    def secrets(self) -> list[str]:
        return [API_KEY, BAD_KEY]


def config_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["url", "api_key"],
        "properties": {
            "url": {"type": "string", "title": "API URL", "format": "uri", "pattern": "^https://"},
            "api_key": {"type": "string", "title": "API key", "secret": True, "minLength": 8},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 2},
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


class GoodConnector:
    """Keeps every promise."""

    expected_failures: frozenset[str] = frozenset()
    optional_failures: frozenset[str] = frozenset()

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
        try:
            me = DOUBLE.get(config["url"], config["api_key"], "/me")
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
        url, key, size = config["url"], config["api_key"], config.get("page_size", 2)
        settings = DOUBLE.get(url, key, "/settings")
        org = {"uid": settings["org_id"], "name": settings["name"]}
        yield {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "STARTED"}}
        count = 0
        for page in itertools.count():
            body = DOUBLE.get(url, key, "/users", page=page, page_size=size)
            for user in body["items"]:
                count += 1
                yield self.record("users", "asset", user, org)
            context.progress({"stream": "users", "count": count})
            if body["next"] is None:
                break
        yield {"type": "STREAM_STATUS", "stream_status": {"stream": "users", "status": "COMPLETE", "count": count}}
        yield from self.check_results(settings, org)

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
            "resources": [{"uid": user["id"], "name": user["login"], "type": "user"}],
            "unmapped": {"source": {"connector": "fakevendor", "stream": record["stream"], "type": "user",
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
        status_id = {"pass": 1, "warning": 2, "fail": 3}.get(data["status"], 0)
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
    expected_failures = frozenset({"test_manifest_scopes_listed"})

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
    expected_failures = frozenset({"test_config_secret_fields_are_marked"})

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
        if config.get("api_key") == BAD_KEY:
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
                                   "test_connection_results_validate_against_schema"})

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
    expected_failures = frozenset({"test_sync_messages_validate_against_schema"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "PROGRESS"}
        yield from super().ending()


class InvalidLogLevel(GoodConnector):
    """Only the sync message schema catches this one (the structure is fine)."""

    expected_failures = frozenset({"test_sync_messages_validate_against_schema"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "LOG", "log": {"level": "LOUD", "message": "done reading"}}
        yield from super().ending()


class StateAfterStatus(GoodConnector):
    expected_failures = frozenset({"test_sync_ends_with_exactly_one_sync_status"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield from super().ending()
        yield {"type": "STATE", "state": {"cursor": 1}}


class FailsOnGoodSync(GoodConnector):
    expected_failures = frozenset({"test_sync_succeeds_on_good_config"})

    def ending(self) -> Iterator[dict[str, Any]]:
        yield {"type": "SYNC_STATUS", "sync_status": {"status": "partial", "message": "some streams skipped"}}


class RaisesOnCrash(GoodConnector):
    expected_failures = frozenset({"test_sync_crash_ends_with_error_and_status"})

    def sync(self, config: dict[str, Any], context: Any) -> Iterator[dict[str, Any]]:
        yield from self.collect(config, context)
        yield from self.ending()


class CrashIsInternal(GoodConnector):
    expected_failures = frozenset({"test_sync_crash_ends_with_error_and_status"})

    def crash_kind(self, exc: Exception) -> tuple[str, str]:
        return "internal", "Something went wrong."


class CrashHidden(GoodConnector):
    """Swallows the dropped connection and reports success with what it had."""

    expected_failures = frozenset({"test_sync_crash_ends_with_error_and_status"})

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
    expected_failures = frozenset({"test_sync_assets_validate_against_ocsf", PROFILE_ASSET, "test_sync_ids_are_stable"})

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        if record["data"]["id"] == "u3":
            raise KeyError("profile")
        return super().connector_normalize_asset(record)


class UnstableFindingIds(GoodConnector):
    expected_failures = frozenset({"test_sync_ids_are_stable"})
    counter = itertools.count()

    def finding_uid(self, record: dict[str, Any]) -> str:
        return f"{super().finding_uid(record)}-{next(self.counter)}"


class DuplicateFindingIds(GoodConnector):
    expected_failures = frozenset({"test_sync_finding_ids_are_unique"})

    def check_results(self, settings: dict[str, Any], org: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from super().check_results(settings, org)
        yield from super().check_results({**settings, "mfa_required": True}, org)

    def finding_uid(self, record: dict[str, Any]) -> str:
        return f"{record['data']['check_id']}"


class NoAssets(GoodConnector):
    """Emits nothing to normalise: the profile checks must fail, not pass on no data."""

    # With one request per sync, the target's crash (after two requests) never happens: the kit says so.
    expected_failures = frozenset({"test_sync_assets_validate_against_ocsf", PROFILE_ASSET,
                                   "test_sync_crash_ends_with_error_and_status"})

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
            raise ValueError(f"auth failed for {config['api_key']}")
        except ValueError:
            log.warning("connection test detail", exc_info=True)
        return super().connector_test_connection(config)


class KeyPrinted(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_logs"})

    @hookimpl
    def connector_test_connection(self, config: dict[str, Any]) -> dict[str, Any]:
        print("debug: key =", config.get("api_key"))
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
        if config.get("api_key") == BAD_KEY:
            raise PermissionError(f"key {config['api_key']} refused")
        return super().connector_test_connection(config)


class KeyInNormalisedAsset(GoodConnector):
    expected_failures = frozenset({"test_secrets_absent_from_normalised_records"})
    optional_failures = frozenset({PROFILE_ASSET})

    @hookimpl
    def connector_normalize_asset(self, record: dict[str, Any]) -> dict[str, Any] | None:
        asset = super().connector_normalize_asset(record)
        asset["unmapped"]["credential"] = API_KEY
        return asset


VARIANTS = [GoodConnector, MisnamedHook, ManifestIdMismatch, ManifestNotSemver, ManifestNoIcon,
            ManifestIconMissingFile, ManifestNoScopes, ManifestHostRangeExcludesHost, ManifestConfigSchemaStale,
            ConfigSchemaInvalid, SecretNotMarked, UrlMarkedSecret, ConfigAnyOf, ConfigBadDefault,
            RaisesOnBadCredential, UnreachableIsConfig, WrongUrlSucceeds, NoConfigValidation, UselessMessages,
            PayloadlessMessage, InvalidLogLevel, StateAfterStatus, FailsOnGoodSync, RaisesOnCrash,
            CrashIsInternal, CrashHidden, AssetNotOcsf, FindingNotOcsf, AssetNormaliserRaises, UnstableFindingIds,
            DuplicateFindingIds, NoAssets, KeyInLogMessage, KeyInResult, KeyLoggedAtDebug, KeyInLoggedTraceback,
            KeyPrinted, UncataloguedCheck, KeyInException, KeyInNormalisedAsset]

GOOD = GoodConnector()
OTHER = GoodConnector()  # a second plugin object registered under the same entry-point name
