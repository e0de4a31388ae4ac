"""The kit against a family of throwaway connectors: the good one passes, each broken one fails exactly the
checks it should. The kit runs in a pytester session, as a connector's own test suite runs it; all
scenarios share one session (a session per scenario costs ~1.7 s of plugin re-imports each)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import conformance_fake_host_import as fake_host
import conformance_fake_vendor as fake
import pytest

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent

CONFTEST = """
import pytest
import conformance_fake_vendor as fake

@pytest.fixture(scope="class")
def conformance_target():
    return fake.FakeTarget()
"""

HEADER = """
import pytest
from importlib.metadata import EntryPoint
from connector_host.conformance import ConformanceSuite
import conformance_fake_vendor as fake
import conformance_fake_host_import as fake_host
"""

VARIANTS = [*fake.VARIANTS, fake_host.ImportsHost]
MODULE_ALIAS = {fake.__name__: "fake", fake_host.__name__: "fake_host"}

# Short limits: a hung variant costs its limit, not the kit's defaults.
LIMITS = {"hook_time_limit": 2.0, "sync_time_limit": 5.0, "cancel_time_limit": 1.0, "thread_grace_seconds": 0.5}

VARIANT_CLASS = """
class Test_{name}(ConformanceSuite):
    connector_name = "fakevendor"
    connector_plugin = {module}.{name}()
{attributes}
    @pytest.fixture(scope="class")
    def conformance_target(self):
        return {module}.{name}.target()
"""


def variant_class(variant: type) -> str:
    attributes = {**LIMITS, **variant.suite_attributes}
    return VARIANT_CLASS.format(name=variant.__name__, module=MODULE_ALIAS[variant.__module__],
                                attributes="".join(f"    {k} = {v!r}\n" for k, v in attributes.items()))

ENTRY_POINT_CLASS = """
class Test_{name}(ConformanceSuite):
    connector_name = "fakevendor"
{attributes}
    @pytest.fixture
    def conformance_entry_points(self):
        return [EntryPoint(name=n, value=v, group="connector_host") for n, v in {entry_points!r}]
"""

GOOD_EP = ("fakevendor", "conformance_fake_vendor:GOOD")
ENTRY_POINT_SCENARIOS = {
    "ep_good": [GOOD_EP],
    "ep_missing": [],
    "ep_module_missing": [("fakevendor", "conformance_no_such_module:plugin")],
    "ep_attribute_missing": [("fakevendor", "conformance_fake_vendor:NO_SUCH_ATTRIBUTE")],
    "ep_twin_manifest_id": [GOOD_EP, ("fakevendor_twin", "conformance_fake_vendor:GOOD")],
    "ep_two_plugins_one_name": [GOOD_EP, ("fakevendor", "conformance_fake_vendor:OTHER")],
}

_outcomes: dict[str, dict[str, str]] = {}
_messages: dict[str, dict[str, str]] = {}  # scenario -> check -> failure text


@pytest.fixture
def kit_outcomes(pytester: pytest.Pytester) -> dict[str, dict[str, str]]:
    """Scenario -> check name -> passed / failed / skipped, from one pytester session (computed once)."""
    if not _outcomes:
        pytester.syspathinsert(HERE)
        pytester.makeconftest(CONFTEST)
        source = HEADER + "".join(variant_class(v) for v in VARIANTS)
        source += "".join(ENTRY_POINT_CLASS.format(
            name=n, entry_points=eps, attributes="".join(f"    {k} = {v!r}\n" for k, v in LIMITS.items())) for n, eps in ENTRY_POINT_SCENARIOS.items())
        pytester.makepyfile(test_suite=source)
        reprec = pytester.inline_run("-p", "no:cacheprovider", "-p", "no:randomly")
        seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for report in reprec.getreports("pytest_runtest_logreport"):
            _, cls, test = report.nodeid.split("::")
            seen[cls.removeprefix("Test_")][test].add(report.outcome)
            if report.failed:
                _messages.setdefault(cls.removeprefix("Test_"), {})[test] = str(report.longrepr)
        for scenario, tests in seen.items():
            _outcomes[scenario] = {t: "failed" if "failed" in o else "skipped" if "skipped" in o else "passed"
                                   for t, o in tests.items()}
    return _outcomes


def failed(outcomes: dict[str, str]) -> set[str]:
    return {name for name, outcome in outcomes.items() if outcome == "failed"}


def test_good_connector_passes_every_check(kit_outcomes: dict[str, dict[str, str]]) -> None:
    outcomes = kit_outcomes["GoodConnector"]
    assert failed(outcomes) == set(), outcomes
    assert len(outcomes) >= 35, f"the kit ran only {len(outcomes)} checks"
    # Registered directly: no entry point to resolve (skipped, not passed); every other check really ran.
    assert {n for n, o in outcomes.items() if o == "skipped"} == {"test_entry_point_resolves"}, outcomes


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v is not fake.GoodConnector],
                         ids=lambda v: v.__name__)
def test_broken_connector_fails_exactly_its_checks(kit_outcomes: dict[str, dict[str, str]], variant: type) -> None:
    got = failed(kit_outcomes[variant.__name__])
    missing = variant.expected_failures - got
    unexpected = got - variant.expected_failures - variant.optional_failures
    assert not missing and not unexpected, (
        f"{variant.__name__}: checks that should have failed but did not: {sorted(missing)}; "
        f"checks that failed but should not: {sorted(unexpected)}"
    )
    for check, text in getattr(variant, "expected_messages", {}).items():
        assert text in _messages[variant.__name__].get(check, ""), (check, _messages[variant.__name__].get(check))


def test_connector_loaded_through_its_entry_point_passes(kit_outcomes: dict[str, dict[str, str]]) -> None:
    outcomes = kit_outcomes["ep_good"]
    assert failed(outcomes) == set(), outcomes
    assert {n for n, o in outcomes.items() if o == "skipped"} == set(), outcomes


@pytest.mark.parametrize("scenario", ["ep_missing", "ep_module_missing", "ep_attribute_missing"])
def test_unloadable_connector_fails_loading_and_passes_nothing(
    kit_outcomes: dict[str, dict[str, str]], scenario: str
) -> None:
    outcomes = kit_outcomes[scenario]
    assert "test_entry_point_resolves" in failed(outcomes), outcomes
    assert not [n for n, o in outcomes.items() if o == "passed"], outcomes


def test_twin_manifest_id_fails_uniqueness(kit_outcomes: dict[str, dict[str, str]]) -> None:
    assert failed(kit_outcomes["ep_twin_manifest_id"]) == {"test_connector_id_is_unique"}


def test_two_plugins_under_one_name_fail_loading_and_uniqueness(kit_outcomes: dict[str, dict[str, str]]) -> None:
    assert failed(kit_outcomes["ep_two_plugins_one_name"]) == {
        "test_connector_id_is_unique", "test_entry_point_resolves"}


def test_plugin_is_inert_and_a_missing_target_says_what_to_define(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(HERE)
    pytester.makepyfile(test_other="def test_nothing():\n    assert True\n",
                        test_suite=HEADER + "class Test_Good(ConformanceSuite):\n    connector_name = 'fakevendor'\n"
                        "    connector_plugin = fake.GoodConnector()\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "test_nothing or test_connection_succeeds_on_good_config")
    # The plugin (loaded by its pytest11 entry point) adds no test and no failure to a module that does not
    # opt in; a suite without a conformance_target fixture errors saying what to define.
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*define a `conformance_target` fixture*"])


def test_authors_guide_lists_every_check() -> None:
    """docs/connector-authors.md names every check of the kit (with what it catches)."""
    from connector_host.conformance import ConformanceSuite

    guide = (HERE.parents[1] / "docs" / "connector-authors.md").read_text()
    checks = [name for name in dir(ConformanceSuite) if name.startswith("test_")]
    assert len(checks) >= 50
    table = guide.split("### What it checks, and why", 1)[1]
    missing = [c for c in checks if f"`{c}`" not in table]
    assert not missing, f"checks the authors' guide does not list: {missing}"

