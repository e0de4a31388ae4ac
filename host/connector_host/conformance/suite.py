"""The conformance checks, one test per promise, inherited by a connector's test class.

::

    from connector_host.conformance import ConformanceSuite

    class TestAcmeConformance(ConformanceSuite):
        connector_name = "acme"          # the entry-point name in group connector_host

plus a ``conformance_target`` fixture (see :class:`~connector_host.conformance.target.ConformanceTarget`).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from . import config_rules, manifest_rules, redaction
from . import schemas as host_schemas
from .observations import COMPLIANCE_STATUS_ID, Observations, declared, scope_for
from .runner import Call, Connector, Harness, Limits, SyncRun, load_connector

FAILURE_KINDS = {
    "bad_credential": {"credentials"},
    "unreachable": {"network"},
    "wrong_url": {"config"},
    "invalid": {"config"},
}
CRASH_ERROR_KINDS = {"network", "transient"}
CANCELLED_STATUSES = {"partial", "cancelled"}
MIN_MESSAGE_LENGTH = 15


def _fail(what: str, problems: list[str], limit: int = 15) -> None:
    """Fail with every problem listed; every secret the kit knows of is masked even here."""
    what = redaction.redact(what)
    problems = [redaction.redact(p) for p in problems]
    shown = problems[:limit]
    more = f"\n  … and {len(problems) - limit} more" if len(problems) > limit else ""
    pytest.fail(f"{what}:\n  - " + "\n  - ".join(shown) + more, pytrace=False)


def _first_line(text: str | None) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _did_not_return(call: Call) -> str | None:
    """Why a call gave no result: it timed out (naming the hook) or raised (the exception's last line)."""
    if call.timed_out:
        return call.timed_out
    if call.exception:
        return f"{call.hook or call.label} raised {_first_line(call.exception)}"
    return None


def _json_problems(value: Any, where: str, limit: int = 5) -> list[str]:
    """Where ``value`` is not plain JSON (dicts with string keys, lists, strings, finite numbers, booleans, null)."""
    problems: list[str] = []

    def walk(node: Any, path: str) -> None:
        if len(problems) >= limit:
            return
        if isinstance(node, dict):
            for key, child in node.items():
                if not isinstance(key, str):
                    problems.append(f"{where}{path}: key {key!r} is a {type(key).__name__}, not a string")
                walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}/{i}")
        elif isinstance(node, float):
            if not math.isfinite(node):
                problems.append(f"{where}{path}: {node!r} is not valid JSON")
        elif node is not None and not isinstance(node, str | int | bool):
            problems.append(f"{where}{path or '/'}: a {type(node).__name__} ({redaction.redact(repr(node))[:80]}) "
                            "is not JSON; hosts store messages and records as JSON")

    walk(value, "")
    return problems


def asset_uid(asset: Any) -> Any:
    """The identity of a normalised asset: class and uid (user.uid, device.uid or resources[0].uid)."""
    if not isinstance(asset, dict):
        return None
    uid = None
    for key in ("user", "device"):
        if isinstance(asset.get(key), dict) and asset[key].get("uid"):
            uid = asset[key]["uid"]
    resources = asset.get("resources")
    if uid is None and isinstance(resources, list) and resources and isinstance(resources[0], dict):
        uid = resources[0].get("uid")
    if uid is None and isinstance(asset.get("metadata"), dict):
        uid = asset["metadata"].get("uid")
    return None if uid is None else (asset.get("class_uid"), uid)


def finding_uid(finding: Any) -> Any:
    info = finding.get("finding_info") if isinstance(finding, dict) else None
    return info.get("uid") if isinstance(info, dict) else None


class ConformanceSuite:
    """Subclass as ``Test<Vendor>Conformance`` and set :attr:`connector_name`."""

    #: The connector's id: its entry-point name in group ``connector_host`` and its manifest id.
    connector_name: ClassVar[str] = ""
    #: Optional: register this plugin object directly instead of loading the entry point (tests).
    connector_plugin: ClassVar[Any] = None
    #: Seconds a sync of the target's double may take before the kit stops waiting and fails it.
    sync_time_limit: ClassVar[float] = 120.0
    #: Seconds any other hook call (test_connection, one normalisation, the manifest...) may take.
    hook_time_limit: ClassVar[float] = 60.0
    #: Seconds a cancelled sync may go on after ``context.cancelled()`` turned true.
    cancel_time_limit: ClassVar[float] = 10.0
    #: Seconds the threads a hook started may take to end once the hook returned.
    thread_grace_seconds: ClassVar[float] = 2.0

    def _limits(self) -> Limits:
        return Limits(hook=self.hook_time_limit, sync=self.sync_time_limit, cancel=self.cancel_time_limit,
                      thread_grace=self.thread_grace_seconds)

    # ------------------------------------------------------------------------------------------ fixtures

    @pytest.fixture
    def connector(self, request: pytest.FixtureRequest, conformance_entry_points: list[Any]) -> Connector:
        if not self.connector_name:
            pytest.fail(f"{type(self).__name__}: set connector_name to the connector's entry-point name")
        cache = request.config.stash.setdefault(_LOADED, {})
        key = (type(self), id(self.connector_plugin), tuple((ep.name, ep.value) for ep in conformance_entry_points))
        if key not in cache:  # loaded once per class: registering a plugin with pluggy is not free
            cache[key] = load_connector(self.connector_name, conformance_entry_points, self.connector_plugin)
        return cache[key]

    @pytest.fixture
    def loaded(self, connector: Connector) -> Connector:
        if not connector.loaded:
            _fail(f"connector {self.connector_name!r} did not load", connector.problems)
        return connector

    @pytest.fixture
    def seen(self, request: pytest.FixtureRequest, loaded: Connector, conformance_target: Any) -> Iterator[Observations]:
        cache = request.config.stash.setdefault(_CACHE, {})
        key = (type(self), id(loaded.plugin), id(conformance_target))
        if key not in cache:
            observations = Observations(loaded, conformance_target, self._limits())
            request.config.add_cleanup(observations.close)
            cache[key] = (conformance_target, loaded.plugin, observations)
        seen = cache[key][2]
        try:
            seen.secrets()  # registered for masking before any check reports
        except AssertionError:
            pass  # no secret to hunt: the secrets checks say so
        yield seen

    def _hook(self, loaded: Connector, hook: str) -> Any:
        call = Harness(loaded, self._limits(), folder=_scratch()).call(hook)
        if call.timed_out or call.exception:
            _fail(f"{hook}()", [_did_not_return(call) or ""])
        return call.result

    @pytest.fixture
    def manifest(self, loaded: Connector) -> dict[str, Any]:
        manifest = self._hook(loaded, "connector_manifest")
        if not isinstance(manifest, dict):
            pytest.fail(f"connector_manifest() returned {type(manifest).__name__}, not the parsed manifest.json",
                        pytrace=False)
        return manifest

    @pytest.fixture
    def config_schema(self, loaded: Connector) -> dict[str, Any]:
        schema = self._hook(loaded, "connector_config_schema")
        if not isinstance(schema, dict):
            pytest.fail(f"connector_config_schema() returned {type(schema).__name__}, not a JSON Schema",
                        pytrace=False)
        return schema

    # ------------------------------------------------------------------------------------------- loading

    def test_entry_point_resolves(self, connector: Connector) -> None:
        """Hosts find connectors by entry point only; one that does not import cannot be offered."""
        if connector.entry_point is None and connector.plugin is not None:
            pytest.skip("plugin registered directly (connector_plugin); no entry point to resolve")
        load_problems = [p for p in connector.problems if "hook implementations" not in p]
        if load_problems:
            _fail("the connector's entry point does not resolve", load_problems)

    def test_hook_implementations_match_specs(self, connector: Connector) -> None:
        """A hookimpl with a typo'd name or argument is silently never called; pluggy can tell."""
        if not connector.loaded:
            _fail("the connector could not be registered", connector.problems)
        try:
            connector.pm.check_pending()
        except Exception as exc:  # noqa: BLE001 - PluginValidationError
            _fail("hook implementations that match no spec", [str(exc)])
        missing = [h for h in ("connector_manifest", "connector_config_schema", "connector_test_connection",
                               "connector_sync", "connector_normalize_asset", "connector_normalize_finding")
                   if not connector.implements(h)]
        if missing:
            _fail("required hooks not implemented", missing)

    def test_manifest_id_is_registered_name(self, manifest: dict[str, Any]) -> None:
        """Hosts key history, state and secrets by id; the manifest and the entry point must agree."""
        if manifest.get("id") != self.connector_name:
            _fail("manifest id differs from the registered name",
                  [f"manifest id {manifest.get('id')!r} != entry-point name {self.connector_name!r}"])

    def test_connector_id_is_unique(self, loaded: Connector, manifest: dict[str, Any],
                                    conformance_entry_points: list[Any]) -> None:
        """Two connectors with one id would overwrite each other's configs and history in a host."""
        problems = []
        same_name = {ep.value for ep in conformance_entry_points
                     if ep.group == "connector_host" and ep.name == self.connector_name}
        if len(same_name) > 1:
            problems.append(f"entry point {self.connector_name!r} is declared by several plugins: {sorted(same_name)}")
        for ep in conformance_entry_points:
            if ep.group != "connector_host" or ep.name == self.connector_name:
                continue
            other = load_connector(ep.name, [ep])
            if not other.loaded:
                continue  # another connector's load problem is its own conformance failure
            other_manifest = Harness(other, self._limits(), folder=_scratch()).call("connector_manifest").result
            if isinstance(other_manifest, dict) and other_manifest.get("id") == manifest.get("id"):
                problems.append(f"installed connector {ep.name!r} ({ep.value}) also has manifest id {manifest.get('id')!r}")
        if problems:
            _fail("connector id is not unique among installed connectors", problems)

    # ------------------------------------------------------------------------------------------ manifest

    def test_manifest_validates_against_schema(self, manifest: dict[str, Any]) -> None:
        """Hosts render cards and check compatibility from the manifest alone."""
        errors = host_schemas.schema_errors(host_schemas.MANIFEST, manifest)
        if errors is None:
            pytest.skip("connector_host/schemas/manifest.schema.json is not shipped by this host")
        if errors:
            _fail("manifest does not validate against manifest.schema.json", errors)

    def test_manifest_version_is_semver(self, manifest: dict[str, Any]) -> None:
        problems = manifest_rules.version_problems(manifest)
        if problems:
            _fail("manifest version", problems)

    def test_manifest_host_version_range(self, manifest: dict[str, Any]) -> None:
        """A host must be able to refuse a connector written for another contract version."""
        problems = manifest_rules.host_range_problems(manifest)
        if problems:
            _fail("manifest host_version", problems)

    def test_manifest_icon_present(self, manifest: dict[str, Any], loaded: Connector) -> None:
        problems = manifest_rules.icon_problems(manifest, loaded.package)
        if problems:
            _fail("manifest icon", problems)

    def test_manifest_scopes_listed(self, manifest: dict[str, Any]) -> None:
        """Admins grant least privilege from this list."""
        problems = manifest_rules.scope_problems(manifest)
        if problems:
            _fail("manifest permissions", problems)

    def test_manifest_config_schema_matches_hook(self, manifest: dict[str, Any], loaded: Connector,
                                                 config_schema: dict[str, Any]) -> None:
        """The schema a marketplace shows must be the one the connector validates with."""
        named, problem = manifest_rules.config_schema_reference(manifest, loaded.package)
        if problem:
            _fail("manifest config_schema", [problem])
        if named != config_schema:
            _fail("manifest config_schema", ["the schema the manifest names differs from connector_config_schema()"])

    # ------------------------------------------------------------------------------------- config schema

    def test_config_schema_is_valid_json_schema(self, config_schema: dict[str, Any]) -> None:
        problems = config_rules.schema_validity_problems(config_schema)
        if problems:
            _fail("config schema", problems)

    def test_config_secret_fields_are_marked(self, config_schema: dict[str, Any]) -> None:
        """Hosts mask, encrypt and never log exactly the fields marked secret."""
        problems = config_rules.secret_marking_problems(config_schema)
        if problems:
            _fail("secret-looking config fields not marked secret", problems)

    def test_config_only_secret_fields_are_marked(self, config_schema: dict[str, Any]) -> None:
        """A masked URL or flag cannot be checked by the admin (Airbyte's legacy Okta spec hid base_url)."""
        problems = config_rules.secret_overmarking_problems(config_schema)
        if problems:
            _fail("config fields marked secret that should not be", problems)

    def test_config_schema_is_form_renderable(self, config_schema: dict[str, Any]) -> None:
        """Hosts draw the configuration form from the schema alone."""
        problems = config_rules.form_problems(config_schema)
        if problems:
            _fail("config schema constructs a form renderer cannot draw", problems)

    def test_config_defaults_validate(self, config_schema: dict[str, Any]) -> None:
        """Hosts pre-fill forms with the defaults; an invalid default makes the untouched form fail."""
        problems = config_rules.default_problems(config_schema)
        if problems:
            _fail("config defaults that do not validate", problems)

    # ----------------------------------------------------------------------------------- test_connection

    def test_connection_succeeds_on_good_config(self, seen: Observations, config_schema: dict[str, Any]) -> None:
        errors = config_rules.validation_errors(config_schema, seen.config("good"))
        if errors:
            _fail("conformance_target.good_config() does not validate against the config schema", errors)
        call = seen.connection("good")
        if call.timed_out or call.exception:
            _fail("connector_test_connection did not return a result on a good config",
                  [call.timed_out or call.exception or ""])
        result = call.result
        if not isinstance(result, dict) or result.get("status") != "succeeded":
            _fail("connector_test_connection did not succeed on a good config", [repr(result)[:800]])

    def _check_failure(self, seen: Observations, scenario: str) -> None:
        call = seen.connection(scenario)
        if call.timed_out:
            _fail(f"test_connection on {scenario.replace('_', ' ')} config", [call.timed_out])
        if call.exception:
            _fail(f"connector_test_connection raised on {scenario.replace('_', ' ')} instead of returning "
                  "status failed", [call.exception])
        result = call.result
        if not isinstance(result, dict):
            _fail(f"connector_test_connection returned {type(result).__name__} on {scenario}", [repr(result)[:500]])
        problems = []
        if result.get("status") != "failed":
            problems.append(f"status is {result.get('status')!r}, expected 'failed'")
        if result.get("failure_kind") not in FAILURE_KINDS[scenario]:
            problems.append(f"failure_kind is {result.get('failure_kind')!r}, expected one of "
                            f"{sorted(FAILURE_KINDS[scenario])} so the host can tell the user what to fix")
        message = result.get("message")
        if not isinstance(message, str) or len(message.strip()) < MIN_MESSAGE_LENGTH:
            problems.append(f"message {message!r} is not a sentence a user can act on")
        elif "Traceback (most recent call last)" in message or " object at 0x" in message:
            problems.append(f"message is a raw exception, not a sentence a user can act on: {message[:300]!r}")
        if problems:
            _fail(f"test_connection on {scenario.replace('_', ' ')} config", problems)

    def test_connection_fails_on_bad_credential(self, seen: Observations) -> None:
        self._check_failure(seen, "bad_credential")

    def test_connection_fails_on_unreachable_host(self, seen: Observations) -> None:
        self._check_failure(seen, "unreachable")

    def test_connection_fails_on_wrong_url(self, seen: Observations) -> None:
        self._check_failure(seen, "wrong_url")

    def test_connection_fails_on_invalid_config(self, seen: Observations, config_schema: dict[str, Any]) -> None:
        if not config_rules.validation_errors(config_schema, seen.config("invalid")):
            _fail("conformance_target.invalid_config()", ["it validates against the config schema; it must not"])
        self._check_failure(seen, "invalid")

    def test_connection_results_validate_against_schema(self, seen: Observations) -> None:
        problems = []
        absent = False
        for scenario in ("good", "bad_credential", "unreachable", "wrong_url", "invalid"):
            call = seen.connection(scenario)
            if _did_not_return(call):
                problems.append(f"{scenario}: {_did_not_return(call)}")
                continue
            errors = host_schemas.schema_errors(host_schemas.CONNECTION_RESULT, call.result)
            if errors is None:
                absent = True
                break
            problems += [f"{scenario}: {e}" for e in errors]
        if problems:
            _fail("connection results that do not validate against connection_result.schema.json", problems)
        if absent:
            pytest.skip("connector_host/schemas/connection_result.schema.json is not shipped by this host")

    # ---------------------------------------------------------------------------------------------- sync

    @staticmethod
    def _structure_problems(run: SyncRun) -> list[str]:
        problems = []
        if run.exception:
            problems.append(f"connector_sync raised instead of ending with SYNC_STATUS:\n{run.exception}")
        if run.timed_out:
            problems.append(f"the sync did not end: {run.timed_out}")
        elif run.stopped:
            problems.append(f"the sync did not end: the kit {run.stopped}")
        return problems

    @staticmethod
    def _message_problems(run: SyncRun, prefix: str = "") -> list[str]:
        problems = []
        for i, message in enumerate(run.messages):
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                problems.append(f"{prefix}message {i} is not a dict with a type: {repr(message)[:200]}")
                continue
            payload_key = message["type"].lower()
            if payload_key not in message:
                problems.append(f"{prefix}message {i} ({message['type']}) has no {payload_key!r} payload")
                continue
            for error in host_schemas.schema_errors(host_schemas.SYNC_MESSAGE, message, limit=3) or []:
                problems.append(f"{prefix}message {i} ({message['type']}): {error}")
        if not run.messages and not run.timed_out:
            problems.append(f"{prefix}the sync yielded no message at all")
        return problems

    @staticmethod
    def _ending_problems(run: SyncRun, prefix: str = "") -> list[str]:
        problems = []
        statuses = run.of_type("SYNC_STATUS")
        if len(statuses) != 1:
            problems.append(f"{prefix}{len(statuses)} SYNC_STATUS messages, expected exactly one")
        if not run.messages or not isinstance(run.messages[-1], dict) or run.messages[-1].get("type") != "SYNC_STATUS":
            last = run.messages[-1].get("type") if run.messages and isinstance(run.messages[-1], dict) else None
            problems.append(f"{prefix}the last message is {last!r}, not SYNC_STATUS")
        return problems

    def test_sync_messages_validate_against_schema(self, seen: Observations) -> None:
        """Every message of a first sync, and of a sync given the first one's STATE, against the schema."""
        problems = []
        for label in ("first", "incremental"):
            run = seen.sync(label)
            prefix = "" if label == "first" else f"sync {label}: "
            problems += [prefix + p for p in self._structure_problems(run)] + self._message_problems(run, prefix)
        if problems:
            _fail("sync messages", problems)
        if host_schemas.host_schema(host_schemas.SYNC_MESSAGE) is None:
            pytest.skip("connector_host/schemas/sync_message.schema.json is not shipped by this host "
                        "(message structure checked only)")

    def test_sync_ends_with_exactly_one_sync_status(self, seen: Observations) -> None:
        """Hosts close the history entry and apply snapshot semantics on the one SYNC_STATUS."""
        problems = []
        for label in ("first", "incremental"):
            run = seen.sync(label)
            prefix = "" if label == "first" else f"sync {label}: "
            problems += [prefix + p for p in self._structure_problems(run)] + self._ending_problems(run, prefix)
        if problems:
            _fail("sync ending", problems)

    def test_sync_succeeds_on_good_config(self, seen: Observations) -> None:
        run = seen.sync("first")
        statuses = run.of_type("SYNC_STATUS")
        status = statuses[-1].get("sync_status", {}).get("status") if statuses else None
        if status != "succeeded":
            errors = [repr(m.get("error"))[:300] for m in run.of_type("ERROR")]
            _fail(f"the sync of the good config ended {status!r}, not 'succeeded'",
                  self._structure_problems(run) + errors or ["no ERROR message says why"])

    def _normalised(self, seen: Observations, manifest: dict[str, Any], kind: str) -> tuple[SyncRun, list[Any]]:
        run = seen.sync("first")
        items = run.assets if kind == "asset" else run.findings
        declared_key = "asset_classes" if kind == "asset" else "finding_classes"
        declared = (manifest.get("capabilities") or {}).get(declared_key)
        if not items:
            if kind == "finding" and declared == []:
                pytest.skip("the manifest declares no finding classes")
            _fail(f"no {kind} to check", [
                f"the sync of the good config emitted no RECORD of kind "
                f"{'asset' if kind == 'asset' else 'check_result'}; the target's double must serve data",
                *self._structure_problems(run)])
        problems = []
        for item in items:
            where = f"{item.record.get('stream')} record"
            if item.exception:
                problems.append(f"{where}: the normaliser raised: {item.exception.splitlines()[-1]}")
            elif not isinstance(item.output, dict):
                problems.append(f"{where}: the normaliser returned {type(item.output).__name__}, not a {kind}")
            elif isinstance(declared, list) and item.output.get("class_uid") not in declared:
                problems.append(f"{where}: class_uid {item.output.get('class_uid')!r} is not in the manifest's "
                                f"capabilities.{declared_key} {declared}")
        return run, problems

    def _check_profile(self, seen: Observations, manifest: dict[str, Any], kind: str) -> None:
        run, problems = self._normalised(seen, manifest, kind)
        name = host_schemas.ASSET if kind == "asset" else host_schemas.FINDING
        items = run.assets if kind == "asset" else run.findings
        absent = host_schemas.host_schema(name) is None
        if not absent:
            for item in items:
                if isinstance(item.output, dict):
                    for error in host_schemas.schema_errors(name, item.output, limit=3) or []:
                        problems.append(f"{item.record.get('stream')} {kind}: {error}")
        if problems:
            _fail(f"normalised {kind}s that do not conform to our profile ({name})", problems)
        if absent:
            pytest.skip(f"connector_host/schemas/{name} is not shipped by this host")

    def _check_ocsf(self, seen: Observations, manifest: dict[str, Any], kind: str) -> None:
        run, problems = self._normalised(seen, manifest, kind)
        validate = host_schemas.ocsf_validator()
        if validate is None:
            pytest.skip("connector_host.ocsf (the OCSF 1.6.0 validator) is not shipped by this host")
        for item in run.assets if kind == "asset" else run.findings:
            if isinstance(item.output, dict):
                problems += [f"{item.record.get('stream')} {kind}: {e}" for e in validate(item.output)[:3]]
        if problems:
            _fail(f"normalised {kind}s that are not valid OCSF 1.6.0", problems)

    def test_sync_assets_validate_against_profile(self, seen: Observations, manifest: dict[str, Any]) -> None:
        self._check_profile(seen, manifest, "asset")

    def test_sync_assets_validate_against_ocsf(self, seen: Observations, manifest: dict[str, Any]) -> None:
        self._check_ocsf(seen, manifest, "asset")

    def test_sync_findings_validate_against_profile(self, seen: Observations, manifest: dict[str, Any]) -> None:
        self._check_profile(seen, manifest, "finding")

    def test_sync_findings_validate_against_ocsf(self, seen: Observations, manifest: dict[str, Any]) -> None:
        self._check_ocsf(seen, manifest, "finding")

    def test_sync_ids_are_stable(self, seen: Observations) -> None:
        """Hosts resolve findings and retire assets by id; ids that drift make every sync look new."""
        first, second = seen.sync("first"), seen.sync("second")
        problems = self._structure_problems(first) + self._structure_problems(second)
        ids = []
        for run in (first, second):
            assets = [asset_uid(a.output) for a in run.assets]
            findings = [finding_uid(f.output) for f in run.findings]
            if None in assets:
                problems.append(f"sync {run.label}: {assets.count(None)} assets without a uid")
            if None in findings:
                problems.append(f"sync {run.label}: {findings.count(None)} findings without finding_info.uid")
            ids.append((Counter(map(repr, assets)), Counter(map(repr, findings))))
        if not first.assets and not first.findings:
            problems.append("the sync emitted no asset and no finding, so there is no id to compare")
        for kind, a, b in (("asset", ids[0][0], ids[1][0]), ("finding", ids[0][1], ids[1][1])):
            if a != b:
                only_first = sorted((a - b).elements())[:5]
                only_second = sorted((b - a).elements())[:5]
                problems.append(f"{kind} ids differ between two syncs of the same state: only in the first "
                                f"{only_first}, only in the second {only_second}")
        if problems:
            _fail("ids are not stable across syncs", problems)

    def test_sync_finding_ids_are_unique(self, seen: Observations) -> None:
        """Two results under one id overwrite each other in the host."""
        run = seen.sync("first")
        ids = Counter(finding_uid(f.output) for f in run.findings if finding_uid(f.output) is not None)
        dupes = [f"{uid!r} x{n}" for uid, n in ids.items() if n > 1]
        if dupes:
            _fail("finding ids emitted more than once in one sync", dupes)

    def test_check_results_name_catalogued_checks(self, seen: Observations, loaded: Connector) -> None:
        """Hosts list coverage and explain findings from the catalog (connector_checks, optional)."""
        if not loaded.implements("connector_checks"):
            pytest.skip("the connector does not implement connector_checks (optional)")
        catalog = self._hook(loaded, "connector_checks")
        if not isinstance(catalog, list) or not all(isinstance(c, dict) for c in catalog):
            _fail("connector_checks()", [f"returned {type(catalog).__name__}, not a list of check dicts"])
        ids = Counter(c.get("id") for c in catalog)
        problems = [f"catalog entry without an id or title: {repr(c)[:200]}" for c in catalog
                    if not isinstance(c.get("id"), str) or not c.get("title")]
        problems += [f"check id {i!r} listed {n} times" for i, n in ids.items() if n > 1]
        used = {f.record.get("data", {}).get("check_id") for f in seen.sync("first").findings}
        problems += [f"check results name {i!r}, which the catalog does not list" for i in sorted(used - set(ids), key=str)]
        if problems:
            _fail("check catalog", problems)

    def test_sync_crash_ends_with_error_and_status(self, seen: Observations) -> None:
        """A dropped connection mid-sync is the vendor's fault, not the connector's: say so, keep the data."""
        run = seen.sync("crash")
        problems = self._structure_problems(run)
        statuses = run.of_type("SYNC_STATUS")
        if len(statuses) != 1 or run.messages[-1] is not statuses[-1]:
            problems.append(f"{len(statuses)} SYNC_STATUS messages (expected exactly one, last)")
        status = statuses[-1].get("sync_status", {}).get("status") if statuses else None
        if status == "succeeded":
            problems.append("the sync under conformance_target.crash() reported 'succeeded': either the crash "
                            "never happened (check the target) or the connector hid it")
        elif status not in ("failed", "partial"):
            problems.append(f"SYNC_STATUS status {status!r}, expected 'failed' or 'partial'")
        errors = [m.get("error") for m in run.of_type("ERROR") if isinstance(m.get("error"), dict)]
        if not errors:
            problems.append("no ERROR message says what went wrong")
        elif not any(e.get("kind") in CRASH_ERROR_KINDS for e in errors):
            problems.append(f"ERROR kinds {[e.get('kind') for e in errors]}: a dropped connection is "
                            f"{' or '.join(sorted(CRASH_ERROR_KINDS))}, not a connector bug")
        for e in errors:
            if "Traceback (most recent call last)" in str(e.get("message")):
                problems.append(f"ERROR message is a traceback, not a sentence: {str(e.get('message'))[:200]!r}")
        if problems:
            _fail("a crash mid-stream", problems)

    # --------------------------------------------------------------------------------------- failure paths

    def test_sync_fails_cleanly_on_failing_configs(self, seen: Observations) -> None:
        """A sync with a refused, unreachable, wrong, invalid, empty, mistyped or incomplete config is still a
        sync: no exception, valid messages, an ERROR saying why, exactly one SYNC_STATUS, last, not succeeded."""
        problems = []
        for label, run in seen.failing_syncs().items():
            prefix = f"sync with {label.replace('_', ' ')} config: "
            problems += [prefix + p for p in self._structure_problems(run)]
            if run.timed_out or run.exception:
                continue
            problems += self._message_problems(run, prefix) + self._ending_problems(run, prefix)
            if run.final_status() == "succeeded":
                problems.append(f"{prefix}SYNC_STATUS 'succeeded': a sync that could not read is 'failed'")
            if not run.of_type("ERROR"):
                problems.append(f"{prefix}no ERROR message says what is wrong")
        if problems:
            _fail("syncs with failing configs", problems)

    def test_connection_never_raises_on_any_json_config(self, seen: Observations) -> None:
        """Hosts hand test_connection whatever the user typed: any JSON value gets a result, ``failed`` with
        kind ``config``, never an exception."""
        problems = []
        for label, call in seen.odd_connections().items():
            reason = _did_not_return(call)
            if reason:
                problems.append(f"config {label}: {reason}")
                continue
            result = call.result
            if not isinstance(result, dict):
                problems.append(f"config {label}: returned {type(result).__name__}, not a connection result")
                continue
            if result.get("status") != "failed" or result.get("failure_kind") != "config":
                problems.append(f"config {label}: status {result.get('status')!r}, failure_kind "
                                f"{result.get('failure_kind')!r}; expected 'failed', 'config'")
            for error in host_schemas.schema_errors(host_schemas.CONNECTION_RESULT, result, limit=2) or []:
                problems.append(f"config {label}: {error}")
        if problems:
            _fail("test_connection on configs no schema accepts", problems)

    def test_sync_with_optional_flags_on(self, seen: Observations) -> None:
        """Every optional flag of the config schema, switched on, is a config a user can save: test_connection
        returns a result, the sync ends with one SYNC_STATUS, its messages and records are valid."""
        runs = seen.flag_runs()
        if not runs:
            pytest.skip("the config schema has no optional flag (boolean) left off by the good config")
        problems = []
        for label, (call, run) in runs.items():
            if _did_not_return(call):
                problems.append(f"{label}: test_connection: {_did_not_return(call)}")
            problems += [f"{label}: {p}" for p in self._structure_problems(run)]
            if run.timed_out or run.exception:
                continue
            problems += self._message_problems(run, f"{label}: ") + self._ending_problems(run, f"{label}: ")
            problems += [f"{label}: {n.hook} raised {_first_line(n.exception)}" for n in run.assets + run.findings
                         if n.exception]
        if problems:
            _fail("the connector with optional flags switched on", problems)

    # ----------------------------------------------------------------------------------------------- hangs

    def test_hooks_return_in_time(self, seen: Observations) -> None:
        """Every hook call of every scenario returns within its limit (``hook_time_limit``, ``sync_time_limit``,
        ``cancel_time_limit``), measured from outside the call: a hung connector fails, it does not stall."""
        problems = [f"{call.label}: {call.timed_out}" for call in seen.all_calls() if call.timed_out]
        for run in seen.syncs():
            problems += [f"{run.label}: {n.exception}" for n in run.assets + run.findings
                         if n.exception and "did not return within" in n.exception]
        if problems:
            _fail("hook calls that overran their time limit", problems)

    # -------------------------------------------------------------------------------------- identity, purity

    def test_normalisers_are_pure(self, seen: Observations) -> None:
        """The same record normalised twice (the second time with the clock moved 400 days ahead) gives the same
        output: no clock read, no counter, no state kept between calls."""
        problems = []
        for first, again in seen.renormalised():
            where = f"{first.hook}({first.record.get('stream')} record)"
            if again.exception:
                problems.append(f"{where}: raised the second time: {_first_line(again.exception)}")
            elif not _same_json(first.output, again.output):
                problems.append(f"{where}: differs the second time at {_first_difference(first.output, again.output)}")
        if problems:
            _fail("normalisers that are not pure functions of the record", problems)

    def test_finding_uid_identifies_tenant_check_and_resource(self, seen: Observations) -> None:
        """``finding_info.uid`` stays when only the result's status or time changes (hosts update the finding)
        and differs for another tenant (two orgs' findings never overwrite each other)."""
        problems = []
        for change, original, changed in seen.identity_variants():
            where = f"{original.record.get('data', {}).get('check_id')} on {_resource_uid(original.record)}"
            if changed.exception:
                problems.append(f"{where}, {change}: connector_normalize_finding raised {_first_line(changed.exception)}")
                continue
            before, after = finding_uid(original.output), finding_uid(changed.output)
            if change == "tenant" and before == after:
                problems.append(f"{where}: the same finding uid {before!r} for another tenant")
            elif change != "tenant" and before != after:
                problems.append(f"{where}: the finding uid changes with the {change.split()[0]} ({before!r} -> {after!r})")
        if not seen.identity_variants() and not seen.sync("first").findings:
            pytest.skip("the sync emitted no check result")
        if problems:
            _fail("finding uids that do not identify (tenant, check, resource)", problems)

    def test_finding_compliance_status_matches_record(self, seen: Observations) -> None:
        """``compliance.status_id`` says what the check result says (pass 1, warning 2, fail 3, unknown 0,
        manual 99), for the results of the sync and for each status the kit gives them."""
        items = [("", n) for n in seen.sync("first").findings]
        items += [(f" ({change})", n) for change, _, n in seen.identity_variants() if change.startswith("status")]
        problems = []
        for change, item in items:
            status = (item.record.get("data") or {}).get("status")
            output = item.output if isinstance(item.output, dict) else None
            if output is None or status not in COMPLIANCE_STATUS_ID:
                continue
            got = (output.get("compliance") or {}).get("status_id") if isinstance(output.get("compliance"), dict) else None
            if got != COMPLIANCE_STATUS_ID[status]:
                problems.append(f"{(item.record.get('data') or {}).get('check_id')}{change}: status {status!r} "
                                f"normalised to compliance.status_id {got!r}, expected {COMPLIANCE_STATUS_ID[status]}")
        if not items:
            pytest.skip("the sync emitted no check result")
        if problems:
            _fail("findings whose compliance status contradicts the check result", problems)

    def test_sync_asset_ids_are_unique(self, seen: Observations) -> None:
        """Hosts key assets by uid: two objects under one uid in a sync overwrite each other."""
        uids = Counter(asset_uid(a.output)[1] for a in seen.sync("first").assets if asset_uid(a.output) is not None)
        dupes = [f"{uid!r} x{n}" for uid, n in uids.items() if n > 1]
        if dupes:
            _fail("asset uids emitted more than once in one sync", dupes)

    def test_finding_resources_are_emitted_assets(self, seen: Observations) -> None:
        """Every resource a finding names is an asset of the same sync: hosts link findings to assets by uid."""
        run = seen.sync("first")
        assets = {asset_uid(a.output)[1] for a in run.assets if asset_uid(a.output) is not None}
        problems = []
        for item in run.findings:
            resources = item.output.get("resources") if isinstance(item.output, dict) else None
            for resource in resources if isinstance(resources, list) else []:
                uid = resource.get("uid") if isinstance(resource, dict) else None
                if uid is not None and uid not in assets:
                    problems.append(f"{(item.record.get('data') or {}).get('check_id')}: resource {uid!r} "
                                    f"({resource.get('type')}) is not an asset of the sync")
        if not run.findings:
            pytest.skip("the sync emitted no check result")
        if problems:
            _fail("findings naming resources the sync did not emit as assets", sorted(set(problems)))

    def test_outputs_are_json_serialisable(self, seen: Observations) -> None:
        """Hosts store and ship messages and records as JSON: no datetime, set, bytes, NaN or non-string key."""
        problems = []
        for call in seen.all_calls():
            if isinstance(call, SyncRun):
                for i, message in enumerate(call.messages):
                    problems += _json_problems(message, f"sync {call.label} message {i}")
                for item in call.assets + call.findings:
                    problems += _json_problems(item.output, f"sync {call.label} {item.hook}")
                problems += _json_problems(call.progress, f"sync {call.label} progress")
            elif call.hook == "connector_test_connection":
                problems += _json_problems(call.result, f"test_connection({call.label})")
        for _, again in seen.renormalised():
            problems += _json_problems(again.output, f"{again.hook}")
        if problems:
            _fail("values that are not JSON", problems)

    # ---------------------------------------------------------------------------------------- side effects

    def test_hooks_leave_their_inputs_unchanged(self, seen: Observations) -> None:
        """The config, state and record a host passes are its own: a hook that changes them corrupts what the
        host saves (and the next call)."""
        problems = [f"{call.hook}({call.label}) changed the {what} passed in"
                    for call in seen.all_calls() for what in call.changed_inputs]
        for run in seen.syncs():
            problems += [f"{n.hook}({n.record.get('stream')} record) changed the record passed in"
                         for n in run.assets + run.findings if n.record_changed]
        if problems:
            _fail("hooks that modify their arguments", sorted(set(problems)))

    def test_files_written_only_in_kit_folder(self, seen: Observations) -> None:
        """A connector writes files only under ``tempfile.gettempdir()`` (the kit points it to a folder of its
        own): hosts run it read-only, side by side, in containers."""
        problems = [f"{call.label}: {where}" for call in seen.all_calls() for where in call.rec.writes]
        if problems:
            _fail("files written outside the temporary folder", sorted(set(problems)))

    def test_environment_reads_are_declared(self, seen: Observations, manifest: dict[str, Any]) -> None:
        """A connector is configured by its config; an environment variable its own code reads must be declared
        in the manifest (``environment``), or the host cannot set it and the admin cannot see it."""
        allowed = {e.get("name") if isinstance(e, dict) else e for e in declared(manifest, "environment") or []}
        problems = sorted({f"{name} (read during {call.label})" for call in seen.all_calls()
                           for name in call.rec.env_reads if name not in allowed})
        if problems:
            _fail("environment variables read but not declared in the manifest's environment", problems)

    def test_no_connector_thread_outlives_a_hook(self, seen: Observations) -> None:
        """Hosts run many connectors in one worker: a thread left running after a hook returned leaks, and may
        act after the host moved on."""
        problems = [f"{call.label}: thread {name!r} still alive {self.thread_grace_seconds:g} s after "
                    f"{call.hook} returned" for call in seen.all_calls() for name in call.threads_left]
        if problems:
            _fail("threads the connector started and left running", problems)

    def test_plugin_imports_without_the_host(self, seen: Observations) -> None:
        """A connector never imports the host: it must load in any host speaking the contract."""
        problems = seen.import_problems()
        if problems:
            _fail("the plugin depends on connector_host", problems)

    # ------------------------------------------------------------------------------------------ cancellation

    def test_sync_stops_when_cancelled(self, seen: Observations) -> None:
        """A sync whose ``context.cancelled()`` turns true (at its first record) stops within
        ``cancel_time_limit`` and ends ``partial`` (or ``cancelled``), never ``succeeded``."""
        run = seen.sync("cancel")
        problems = self._structure_problems(run)
        if not run.timed_out and not run.exception:
            if run.cancelled_after is None:
                problems.append("the sync emitted no RECORD, so the kit never cancelled it")
            problems += self._ending_problems(run)
            status = run.final_status()
            if status not in CANCELLED_STATUSES:
                problems.append(f"a cancelled sync ended {status!r}, expected one of {sorted(CANCELLED_STATUSES)}")
        if problems:
            _fail("a cancelled sync", problems)

    # -------------------------------------------------------------------------------------- declared needs

    def test_config_fields_holding_secrets_are_marked(self, seen: Observations, config_schema: dict[str, Any]) -> None:
        """A field that receives a secret of the target (whatever its name) is marked ``"secret": true``, so
        hosts mask, encrypt and never log it."""
        secrets = seen.target_secrets()
        problems = set()
        for scenario in ("good", "bad_credential", "unreachable", "wrong_url", "invalid"):
            for path, name, schema, value in config_rules.walk_config(config_schema, seen.config(scenario)):
                if isinstance(value, str) and schema.get("secret") is not True and any(s in value for s in secrets):
                    problems.add(f"{'/'.join(path)}: field {name!r} holds a secret of the target but is not "
                                 'marked "secret": true')
        if problems:
            _fail("config fields receiving secrets, not marked secret", sorted(problems))

    def test_requests_stay_within_declared_scopes(self, seen: Observations, manifest: dict[str, Any]) -> None:
        """Admins grant the manifest's ``permissions.scopes`` and nothing more: every request the connector
        makes needs one of them (where the target says which scope each endpoint needs)."""
        table = seen.endpoint_scopes()
        if table is None:
            pytest.skip("the target does not describe endpoint scopes (endpoint_scopes() and requests_seen())")
        granted = set(declared(manifest, "permissions", "scopes") or [])
        problems = set()
        for call in [seen.connection("good"), seen.sync("first")]:
            if not seen.requests_of(call):
                problems.add(f"conformance_target.requests_seen() reported no request during {call.hook}({call.label}):"
                             " the check cannot look")
            for request in seen.requests_of(call) or ():
                found = scope_for(table, request)
                if found is None or found[1] is None:
                    continue
                endpoint, scopes = found
                if not granted.intersection(scopes):
                    problems.add(f"{request.split('?')[0]} ({call.label}) needs {' or '.join(scopes)}, "
                                 "not in permissions.scopes")
        if problems:
            _fail("requests outside the declared scopes", sorted(problems))

    # ------------------------------------------------------------------------------------------- secrets

    def test_secrets_absent_from_messages(self, seen: Observations) -> None:
        """In connection results, sync messages (STATE included) and progress of every scenario, in any form."""
        hunter = seen.hunter()
        problems = []
        for call in seen.all_calls():
            if isinstance(call, SyncRun):
                for i, message in enumerate(call.messages):
                    problems += [f"sync {call.label} message {i}{leak}" for leak in hunter.leaks_in_value(message)]
                problems += [f"sync {call.label} progress{leak}" for leak in hunter.leaks_in_value(call.progress)]
            elif call.hook == "connector_test_connection":
                problems += [f"test_connection({call.label}) result{leak}" for leak in hunter.leaks_in_value(call.result)]
        if problems:
            _fail("secret values in what the connector returned", problems)

    def test_secrets_absent_from_logs(self, seen: Observations) -> None:
        """In every log record of the process (message, ``args``, ``extra``), warning and printed output."""
        hunter = seen.hunter()
        problems = []
        for call in seen.all_calls():
            for line in call.logs:
                where = f"{call.label}: {line.level} from {line.logger!r}"
                leaks = hunter.leaks_in_text(line.text)
                leaks += [f"in its {leak.lstrip('/')}" for leak in hunter.leaks_in_value(line.values) if not leaks]
                problems += [f"{where}: {leak}" for leak in leaks]
        if problems:
            _fail("secret values in log records (whole process, any level), warnings or printed output", problems)

    def test_secrets_absent_from_exceptions(self, seen: Observations) -> None:
        """In exceptions escaping a hook, a normaliser, a thread the connector started or a ``__del__``."""
        hunter = seen.hunter()
        problems = []
        for call in seen.all_calls():
            texts = [call.exception or ""] + call.thread_errors
            if isinstance(call, SyncRun):
                texts += [n.exception or "" for n in call.assets + call.findings]
            for text in texts:
                problems += [f"{call.label}: {leak}" for leak in hunter.leaks_in_text(text)]
        for _, again in seen.renormalised():
            problems += [f"{again.hook}: {leak}" for leak in hunter.leaks_in_text(again.exception or "")]
        if problems:
            _fail("secret values in exception text", problems)

    def test_secrets_absent_from_normalised_records(self, seen: Observations) -> None:
        """Nothing a host stores carries a secret."""
        hunter = seen.hunter()
        problems = []
        for run in seen.syncs():
            for item in run.assets + run.findings:
                problems += [f"sync {run.label} {item.record.get('stream')}{leak}"
                             for leak in hunter.leaks_in_value(item.output)]
        if problems:
            _fail("secret values in normalised assets or findings", sorted(set(problems)))

    def test_secrets_absent_from_files(self, seen: Observations) -> None:
        """In the files the connector writes (read back when the hook returns, or before it removes them)."""
        hunter = seen.hunter()
        problems = set()
        for call in seen.all_calls():
            for path, text in call.rec.files.items():
                problems.update(f"{path} (written during {call.label}): {leak}" for leak in hunter.leaks_in_text(text))
        if problems:
            _fail("secret values in files the connector wrote", sorted(problems))


def _same_json(a: Any, b: Any) -> bool:
    try:
        return json.dumps(a, sort_keys=True, default=repr) == json.dumps(b, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return a == b


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}/{key} (present only {'the second' if key in b else 'the first'} time)"
            if not _same_json(a[key], b[key]):
                return _first_difference(a[key], b[key], f"{path}/{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if not _same_json(x, y):
                return _first_difference(x, y, f"{path}/{i}")
    return f"{path or '/'}: {redaction.redact(repr(a))[:80]} then {redaction.redact(repr(b))[:80]}"


def _resource_uid(record: dict[str, Any]) -> Any:
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    resource = data.get("resource") if isinstance(data.get("resource"), dict) else {}
    return resource.get("uid")


_scratch_folder: list[str] = []


def _scratch() -> str:
    """A folder for the files of hook calls made outside the observations (manifest, config schema)."""
    if not _scratch_folder:
        import atexit
        import shutil
        import tempfile

        _scratch_folder.append(tempfile.mkdtemp(prefix="conformance-"))
        atexit.register(shutil.rmtree, _scratch_folder[0], True)
    return _scratch_folder[0]


_CACHE = pytest.StashKey[dict]()
_LOADED = pytest.StashKey[dict]()
