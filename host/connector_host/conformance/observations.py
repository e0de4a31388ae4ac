"""What the kit saw a connector do, computed once per (suite class, target) and shared by the checks.

Everything is computed on first use: a check asks only for the calls it judges. The checks that judge every
call (secrets, side effects, time limits) ask for :meth:`Observations.all_calls`, which runs every scenario.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import config_rules, redaction
from .runner import Call, Connector, Harness, Limits, Normalised, SyncRun
from .secrets import MIN_SECRET_LENGTH, SecretHunter, usable_secrets
from .target import TARGET_METHODS

CONNECTION_SCENARIOS = {
    "good": "good_config",
    "bad_credential": "bad_credential_config",
    "unreachable": "unreachable_config",
    "wrong_url": "wrong_url_config",
    "invalid": "invalid_config",
}
FAILING_SCENARIOS = ("bad_credential", "unreachable", "wrong_url", "invalid")
#: The compliance.status_id each check-result status maps to (finding.schema.json).
COMPLIANCE_STATUS_ID = {"pass": 1, "warning": 2, "fail": 3, "unknown": 0, "manual": 99}
#: At most this many records of a sync are re-normalised by the purity and identity checks.
MAX_RENORMALISED = 1500


class TargetError(AssertionError):
    """The connector's conformance_target is not usable."""


#: Whether a module imports with the host hidden, per (module, sys.path): one subprocess per module and session.
_import_results: dict[tuple[str, tuple[str, ...]], list[str]] = {}

_IMPORT_PROBE = r"""
import importlib, importlib.abc, json, sys
sys.path[:] = json.loads(sys.argv[1])

class HideHost(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "connector_host" or name.startswith("connector_host."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the conformance kit)", name=name)
        return None

sys.meta_path.insert(0, HideHost())
importlib.import_module(sys.argv[2])
"""


class Observations:
    def __init__(self, connector: Connector, target: Any, limits: Limits) -> None:
        self.connector = connector
        self.target = target
        self.limits = limits
        missing = [m for m in TARGET_METHODS if not callable(getattr(target, m, None))]
        if missing:
            raise TargetError(
                f"conformance_target {type(target).__name__} lacks {', '.join(missing)}; see "
                "connector_host.conformance.ConformanceTarget for the interface"
            )
        self.folder = tempfile.mkdtemp(prefix="conformance-")
        self.harness = Harness(connector, limits, self.folder)
        self._configs: dict[str, Any] = {}
        self._connections: dict[str, Call] = {}
        self._syncs: dict[str, SyncRun] = {}
        self._cache: dict[str, Any] = {}
        self._requests: dict[int, Counter[str]] = {}  # id(call) -> requests the double saw during it

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # ------------------------------------------------------------------------------------- configs

    def config(self, scenario: str) -> Any:
        if scenario not in self._configs:
            self._configs[scenario] = getattr(self.target, CONNECTION_SCENARIOS[scenario])()
        return copy.deepcopy(self._configs[scenario])

    def manifest(self) -> Any:
        return self._once("manifest", lambda: self.harness.call("connector_manifest")).result

    def config_schema(self) -> Any:
        return self._once("schema", lambda: self.harness.call("connector_config_schema")).result

    def _schema_dict(self) -> dict[str, Any]:
        schema = self.config_schema()
        return schema if isinstance(schema, dict) else {}

    # ---------------------------------------------------------------------------------------- calls

    def _seen_requests(self) -> Counter[str] | None:
        seen = getattr(self.target, "requests_seen", None)
        if not callable(seen):
            return None
        requests = seen() or ()
        if isinstance(requests, Mapping):  # counts per request
            return Counter({str(r): int(n) for r, n in requests.items()})
        return Counter(str(r) for r in requests)

    def _tracked(self, make: Callable[[], Call]) -> Any:
        before = self._seen_requests()
        call = make()
        if before is not None:
            self._requests[id(call)] = (self._seen_requests() or Counter()) - before
        return call

    def connection(self, scenario: str) -> Call:
        if scenario not in self._connections:
            self._connections[scenario] = self._tracked(
                lambda: self.harness.test_connection(scenario, self.config(scenario)))
        return self._connections[scenario]

    def sync(self, label: str = "first") -> SyncRun:
        """``first`` and ``second``: two first syncs of the same state; ``crash``: one under target.crash();
        ``incremental``: a sync given the first's last STATE; ``cancel``: one cancelled at its first record."""
        if label not in self._syncs:
            good = self.config("good")
            if label == "crash":
                with self.target.crash():
                    run = self._tracked(lambda: self.harness.sync(label, good))
            elif label == "incremental":
                states = self.sync("first").of_type("STATE")
                state = states[-1].get("state") if states else None
                run = self._tracked(lambda: self.harness.sync(label, good, state if isinstance(state, dict) else None))
            elif label == "cancel":
                run = self._tracked(lambda: self.harness.sync(label, good, cancel=True))
            else:
                run = self._tracked(lambda: self.harness.sync(label, good))
            self._syncs[label] = run
        return self._syncs[label]

    def failing_syncs(self) -> dict[str, SyncRun]:
        """A sync of each failing config: the target's four, and those the kit derives from the good one."""
        def compute() -> dict[str, SyncRun]:
            runs = {s: self._tracked(lambda s=s: self.harness.sync(s, self.config(s))) for s in FAILING_SCENARIOS}
            for label, config in self.derived_failing_configs():
                runs[label] = self._tracked(lambda label=label, config=config: self.harness.sync(label, config))
            return runs
        return self._once("failing_syncs", compute)

    def derived_failing_configs(self) -> list[tuple[str, Any]]:
        return self._once("derived", lambda: config_rules.failing_variants(self._schema_dict(), self.config("good")))

    def odd_connections(self) -> dict[str, Call]:
        """test_connection with JSON values no config schema accepts, and with the derived failing configs."""
        def compute() -> dict[str, Call]:
            values = config_rules.garbage_configs(self._schema_dict()) + self.derived_failing_configs()
            return {label: self._tracked(lambda label=label, v=v: self.harness.test_connection(label, v))
                    for label, v in values}
        return self._once("odd_connections", compute)

    def flag_runs(self) -> dict[str, tuple[Call, SyncRun]]:
        """test_connection and a sync with each optional flag of the config schema switched on."""
        def compute() -> dict[str, tuple[Call, SyncRun]]:
            out = {}
            for label, config in config_rules.flag_variants(self._schema_dict(), self.config("good")):
                out[label] = (self._tracked(lambda label=label, c=config: self.harness.test_connection(label, c)),
                              self._tracked(lambda label=label, c=config: self.harness.sync(label, c)))
            return out
        return self._once("flag_runs", compute)

    def syncs(self) -> list[SyncRun]:
        """Every sync the kit runs."""
        runs = [self.sync(label) for label in ("first", "second", "crash", "incremental", "cancel")]
        runs += list(self.failing_syncs().values())
        runs += [run for _, run in self.flag_runs().values()]
        return runs

    def all_calls(self) -> list[Call]:
        """Every call of every scenario (runs what has not run yet)."""
        calls: list[Call] = [self.connection(s) for s in CONNECTION_SCENARIOS]
        calls += list(self.odd_connections().values())
        calls += [call for call, _ in self.flag_runs().values()]
        calls += self.syncs()
        self.renormalised()
        self.identity_variants()
        calls += self.harness.renormalised_calls
        return calls

    def requests_of(self, call: Call) -> Counter[str] | None:
        return self._requests.get(id(call))

    # --------------------------------------------------------------------------------- re-normalising

    def renormalised(self) -> list[tuple[Normalised, Normalised]]:
        """Each record of the first sync normalised again, with the clock moved: (first time, second time)."""
        def compute() -> list[tuple[Normalised, Normalised]]:
            firsts = [n for n in self.sync("first").assets + self.sync("first").findings if n.exception is None]
            firsts = firsts[:MAX_RENORMALISED]
            again = self.harness.renormalise([(n.hook, n.record) for n in firsts], shift_clock=True)
            return list(zip(firsts, again, strict=True))
        return self._once("renormalised", compute)

    def identity_variants(self) -> list[tuple[str, Normalised, Normalised]]:
        """Check results of the first sync changed in one respect: ``(change, original, changed)``.

        Changes: ``status <s>`` (another status, same object), ``time`` (emitted a day later),
        ``tenant`` (the same result from another org).
        """
        def compute() -> list[tuple[str, Normalised, Normalised]]:
            originals = [n for n in self.sync("first").findings if n.exception is None and isinstance(n.output, dict)]
            originals = originals[: max(1, MAX_RENORMALISED // 8)]
            pairs: list[tuple[str, Normalised, dict[str, Any]]] = []
            for n in originals:
                data = n.record.get("data") if isinstance(n.record.get("data"), dict) else {}
                for status in COMPLIANCE_STATUS_ID:
                    if status != data.get("status"):
                        changed = copy.deepcopy(n.record)
                        changed["data"]["status"] = status
                        if isinstance(data.get("message"), str):  # a new status comes with a new sentence
                            changed["data"]["message"] = f"{data['message']} (status changed to {status})"
                        pairs.append((f"status {status}", n, changed))
                later = copy.deepcopy(n.record)
                if isinstance(later.get("emitted_at"), int):
                    later["emitted_at"] += 86_400_000
                    pairs.append(("time", n, later))
                other = copy.deepcopy(n.record)
                org = other.get("org") if isinstance(other.get("org"), dict) else {}
                other["org"] = {**org, "uid": f"{org.get('uid', 'org')}-another-tenant", "name": "Another tenant"}
                pairs.append(("tenant", n, other))
            changed_items = self.harness.renormalise([(n.hook, rec) for _, n, rec in pairs])
            return [(change, n, item) for (change, n, _), item in zip(pairs, changed_items, strict=True)]
        return self._once("identity_variants", compute)

    # ------------------------------------------------------------------------------------- the plugin

    def import_problems(self) -> list[str]:
        """Why the connector's plugin module does not import with connector_host hidden (a subprocess)."""
        module = self.plugin_module()
        if module is None:
            return []
        key = (module, tuple(sys.path))
        if key not in _import_results:
            try:
                done = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, json.dumps(sys.path), module],
                                      capture_output=True, text=True, timeout=max(self.limits.hook, 30))
            except subprocess.TimeoutExpired:
                _import_results[key] = [f"importing {module} did not finish within {max(self.limits.hook, 30):g} s"]
            else:
                lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
                _import_results[key] = [] if done.returncode == 0 else [
                    f"`import {module}` fails where connector_host is not installed: "
                    + (lines[-1] if lines else f"exit status {done.returncode}"),
                    *(["traceback:\n" + "\n".join(lines[-12:])] if len(lines) > 1 else []),
                ]
        return _import_results[key]

    def plugin_module(self) -> str | None:
        if self.connector.entry_point is not None:
            return self.connector.entry_point.module
        plugin = self.connector.plugin
        name = getattr(plugin, "__name__", None) if isinstance(plugin, type(sys)) else type(plugin).__module__
        return name if name and name != "__main__" else None

    # ---------------------------------------------------------------------------------------- secrets

    def secrets(self) -> set[str]:
        def compute() -> set[str]:
            values = set(self.target.secrets() or ())
            schema = self.config_schema()
            if isinstance(schema, dict):
                for scenario in CONNECTION_SCENARIOS:
                    values |= config_rules.secret_values(schema, self.config(scenario))
            return usable_secrets(values)
        secrets = self._once("secrets", compute)
        redaction.register(secrets)
        if not secrets:
            raise TargetError(
                "no secret to hunt for: conformance_target.secrets() returned nothing usable and no config "
                f"field marked secret holds a value of {MIN_SECRET_LENGTH}+ characters"
            )
        return secrets

    def hunter(self) -> SecretHunter:
        return self._once("hunter", lambda: SecretHunter(self.secrets()))

    def target_secrets(self) -> set[str]:
        return usable_secrets(self.target.secrets() or ())

    # ----------------------------------------------------------------------------------------- scopes

    def endpoint_scopes(self) -> list[tuple[str | None, re.Pattern[str], str, list[str] | None]] | None:
        """``(method, path pattern, endpoint, acceptable scopes)`` from the target, most specific first."""
        describe = getattr(self.target, "endpoint_scopes", None)
        if not callable(describe) or not callable(getattr(self.target, "requests_seen", None)):
            return None
        table = []
        for endpoint, scopes in dict(describe() or {}).items():
            method, _, path = str(endpoint).strip().rpartition(" ")
            regex = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path.rstrip("/") or "/"))
            accepted = None if scopes is None else [scopes] if isinstance(scopes, str) else list(scopes)
            table.append((method.upper() or None, re.compile(f"^{regex}/?$"), str(endpoint), accepted))
        table.sort(key=lambda row: (row[2].count("{"), -len(row[2])))
        return table


def scope_for(table: Iterable[tuple[str | None, re.Pattern[str], str, list[str] | None]],
              request: str) -> tuple[str, list[str] | None] | None:
    """The endpoint a request (``"GET /path?query"``) falls under, and the scopes that allow it."""
    method, _, target = request.strip().rpartition(" ")
    path = target.split("?", 1)[0].split("#", 1)[0]
    path = re.sub(r"^[a-z]+://[^/]+", "", path) or "/"
    for m, pattern, endpoint, scopes in table:
        if (m is None or not method or m == method.upper()) and pattern.match(path):
            return endpoint, scopes
    return None


def declared(manifest: Any, *keys: str) -> Any:
    node = manifest
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node
