"""What the kit saw a connector do, computed once per (suite class, target) and shared by the checks."""

from __future__ import annotations

from typing import Any

from . import config_rules, runner
from .runner import Call, Connector, SyncRun
from .secrets import usable_secrets
from .target import TARGET_METHODS

CONNECTION_SCENARIOS = {
    "good": "good_config",
    "bad_credential": "bad_credential_config",
    "unreachable": "unreachable_config",
    "wrong_url": "wrong_url_config",
    "invalid": "invalid_config",
}


class TargetError(AssertionError):
    """The connector's conformance_target is not usable."""


class Observations:
    def __init__(self, connector: Connector, target: Any, time_limit: float) -> None:
        self.connector = connector
        self.target = target
        self.time_limit = time_limit
        self._connections: dict[str, Call] = {}
        self._syncs: dict[str, SyncRun] = {}
        self._configs: dict[str, Any] = {}
        missing = [m for m in TARGET_METHODS if not callable(getattr(target, m, None))]
        if missing:
            raise TargetError(
                f"conformance_target {type(target).__name__} lacks {', '.join(missing)}; see "
                "connector_host.conformance.ConformanceTarget for the interface"
            )

    # ------------------------------------------------------------------------------------- configs

    def config(self, scenario: str) -> Any:
        if scenario not in self._configs:
            self._configs[scenario] = getattr(self.target, CONNECTION_SCENARIOS[scenario])()
        return self._configs[scenario]

    def manifest(self) -> Any:
        return self.connector.call("connector_manifest")

    def config_schema(self) -> Any:
        return self.connector.call("connector_config_schema")

    # ---------------------------------------------------------------------------------------- calls

    def connection(self, scenario: str) -> Call:
        if scenario not in self._connections:
            self._connections[scenario] = runner.run_test_connection(
                self.connector, scenario, self.config(scenario)
            )
        return self._connections[scenario]

    def sync(self, label: str = "first") -> SyncRun:
        """``first`` and ``second``: two syncs of the same state; ``crash``: one under target.crash()."""
        if label not in self._syncs:
            if label == "crash":
                with self.target.crash():
                    self._syncs[label] = runner.run_sync(self.connector, label, self.config("good"), self.time_limit)
            else:
                self._syncs[label] = runner.run_sync(self.connector, label, self.config("good"), self.time_limit)
        return self._syncs[label]

    def all_calls(self) -> list[Call]:
        calls: list[Call] = [self.connection(s) for s in CONNECTION_SCENARIOS]
        calls += [self.sync("first"), self.sync("crash")]
        return calls

    def secrets(self) -> set[str]:
        values = set(self.target.secrets() or ())
        try:
            schema = self.config_schema()
        except Exception:  # noqa: BLE001 - reported by the config checks
            schema = None
        if isinstance(schema, dict):
            for scenario in CONNECTION_SCENARIOS:
                values |= config_rules.secret_values(schema, self.config(scenario))
        secrets = usable_secrets(values)
        if not secrets:
            raise TargetError(
                "no secret to hunt for: conformance_target.secrets() returned nothing usable and no config "
                f"field marked secret holds a value of {6}+ characters"
            )
        return secrets
