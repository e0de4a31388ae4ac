"""The conformance checks, one test per promise, inherited by a connector's test class.

::

    from connector_host.conformance import ConformanceSuite

    class TestAcmeConformance(ConformanceSuite):
        connector_name = "acme"          # the entry-point name in group connector_host

plus a ``conformance_target`` fixture (see :class:`~connector_host.conformance.target.ConformanceTarget`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from . import config_rules, manifest_rules
from . import schemas as host_schemas
from .observations import Observations
from .runner import Connector, SyncRun, load_connector
from .secrets import leaks_in_text, leaks_in_value, mask

FAILURE_KINDS = {
    "bad_credential": {"credentials"},
    "unreachable": {"network"},
    "wrong_url": {"config"},
    "invalid": {"config"},
}
CRASH_ERROR_KINDS = {"network", "transient"}
MIN_MESSAGE_LENGTH = 15


#: The secrets of the target under test, masked in every failure message (set by the ``seen`` fixture).
_redaction: set[str] = set()


def _fail(what: str, problems: list[str], limit: int = 15) -> None:
    """Fail with every problem listed; the target's secret values are masked even here."""
    secrets = sorted(_redaction, key=len, reverse=True)
    what = _mask_all(what, secrets)
    problems = [_mask_all(p, secrets) for p in problems]
    shown = problems[:limit]
    more = f"\n  … and {len(problems) - limit} more" if len(problems) > limit else ""
    pytest.fail(f"{what}:\n  - " + "\n  - ".join(shown) + more, pytrace=False)


def _mask_all(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, mask(secret))
    return text


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
    #: Seconds a sync of the target's double may take before the kit stops it.
    sync_time_limit: ClassVar[float] = 120.0

    # ------------------------------------------------------------------------------------------ fixtures

    @pytest.fixture
    def connector(self, conformance_entry_points: list[Any]) -> Connector:
        if not self.connector_name:
            pytest.fail(f"{type(self).__name__}: set connector_name to the connector's entry-point name")
        return load_connector(self.connector_name, conformance_entry_points, self.connector_plugin)

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
            cache[key] = (conformance_target, loaded.plugin, Observations(loaded, conformance_target, self.sync_time_limit))
        seen = cache[key][2]
        try:
            _redaction.update(seen.secrets())
        except AssertionError:
            pass  # no secret to hunt: the secrets checks say so
        yield seen
        _redaction.clear()

    @pytest.fixture
    def manifest(self, loaded: Connector) -> dict[str, Any]:
        manifest = loaded.call("connector_manifest")
        if not isinstance(manifest, dict):
            pytest.fail(f"connector_manifest() returned {type(manifest).__name__}, not the parsed manifest.json",
                        pytrace=False)
        return manifest

    @pytest.fixture
    def config_schema(self, loaded: Connector) -> dict[str, Any]:
        schema = loaded.call("connector_config_schema")
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
            try:
                other_manifest = other.call("connector_manifest")
            except Exception:  # noqa: BLE001
                continue
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
        if call.exception:
            _fail("connector_test_connection raised on a good config", [call.exception])
        result = call.result
        if not isinstance(result, dict) or result.get("status") != "succeeded":
            _fail("connector_test_connection did not succeed on a good config", [repr(result)[:800]])

    def _check_failure(self, seen: Observations, scenario: str) -> None:
        call = seen.connection(scenario)
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
            if call.exception:
                problems.append(f"{scenario}: raised {call.exception.splitlines()[-1]}")
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
        if run.stopped:
            problems.append(f"the sync did not end: the kit {run.stopped}")
        return problems

    def test_sync_messages_validate_against_schema(self, seen: Observations) -> None:
        run = seen.sync("first")
        problems = self._structure_problems(run)
        for i, message in enumerate(run.messages):
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                problems.append(f"message {i} is not a dict with a type: {repr(message)[:200]}")
                continue
            payload_key = message["type"].lower()
            if payload_key not in message:
                problems.append(f"message {i} ({message['type']}) has no {payload_key!r} payload")
        if not run.messages:
            problems.append("the sync yielded no message at all")
        schema_absent = host_schemas.host_schema(host_schemas.SYNC_MESSAGE) is None
        if not schema_absent:
            for i, message in enumerate(run.messages):
                for error in host_schemas.schema_errors(host_schemas.SYNC_MESSAGE, message, limit=3) or []:
                    problems.append(f"message {i} ({message.get('type') if isinstance(message, dict) else '?'}): {error}")
        if problems:
            _fail("sync messages", problems)
        if schema_absent:
            pytest.skip("connector_host/schemas/sync_message.schema.json is not shipped by this host "
                        "(message structure checked only)")

    def test_sync_ends_with_exactly_one_sync_status(self, seen: Observations) -> None:
        """Hosts close the history entry and apply snapshot semantics on the one SYNC_STATUS."""
        run = seen.sync("first")
        problems = self._structure_problems(run)
        statuses = run.of_type("SYNC_STATUS")
        if len(statuses) != 1:
            problems.append(f"{len(statuses)} SYNC_STATUS messages, expected exactly one")
        if not run.messages or not isinstance(run.messages[-1], dict) or run.messages[-1].get("type") != "SYNC_STATUS":
            last = run.messages[-1].get("type") if run.messages and isinstance(run.messages[-1], dict) else None
            problems.append(f"the last message is {last!r}, not SYNC_STATUS")
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
        catalog = loaded.call("connector_checks")
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

    # ------------------------------------------------------------------------------------------- secrets

    def test_secrets_absent_from_messages(self, seen: Observations) -> None:
        secrets = seen.secrets()
        problems = []
        for call in seen.all_calls():
            problems += [f"test_connection({call.label}) result{leak}" for leak in leaks_in_value(call.result, secrets)
                         if not isinstance(call, SyncRun)]
            if isinstance(call, SyncRun):
                for i, message in enumerate(call.messages):
                    problems += [f"sync {call.label} message {i}{leak}" for leak in leaks_in_value(message, secrets)]
                problems += [f"sync {call.label} progress{leak}" for leak in leaks_in_value(call.progress, secrets)]
        if problems:
            _fail("secret values in what the connector returned", problems)

    def test_secrets_absent_from_logs(self, seen: Observations) -> None:
        secrets = seen.secrets()
        problems = []
        logged = 0
        for call in seen.all_calls():
            for line in call.logs:
                logged += 1
                problems += [f"{call.label}: {line.level} from {line.logger!r}: {leak}"
                             for leak in leaks_in_text(line.text, secrets)]
        if problems:
            _fail("secret values in log records (whole process, at DEBUG) or printed output", problems)

    def test_secrets_absent_from_exceptions(self, seen: Observations) -> None:
        secrets = seen.secrets()
        problems = []
        for call in seen.all_calls():
            texts = [call.exception or ""] + call.thread_errors
            if isinstance(call, SyncRun):
                texts += [n.exception or "" for n in call.assets + call.findings]
            for text in texts:
                problems += [f"{call.label}: {leak}" for leak in leaks_in_text(text, secrets)]
        if problems:
            _fail("secret values in exception text", problems)

    def test_secrets_absent_from_normalised_records(self, seen: Observations) -> None:
        secrets = seen.secrets()
        run = seen.sync("first")
        problems = []
        for item in run.assets + run.findings:
            problems += [f"{item.record.get('stream')}{leak}" for leak in leaks_in_value(item.output, secrets)]
        if problems:
            _fail("secret values in normalised assets or findings", problems)


_CACHE = pytest.StashKey[dict]()
