"""The cookiecutter template renders a connector that installs from a wheel and passes its own tests,
the conformance kit included, without edits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

cookiecutter = pytest.importorskip("cookiecutter.main").cookiecutter
pytest.importorskip("hatchling", reason="hatchling builds the rendered project offline (requirements-dev.txt)")

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "connector"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("extra_context", "connector_id", "package"),
    [
        pytest.param({}, "acme_directory", "connector_acme_directory", id="defaults"),
        pytest.param({"vendor_name": "Globex Identity", "version": "2.3.1"}, "globex_identity",
                     "connector_globex_identity", id="another-vendor"),
    ],
)
def test_rendered_template_installs_and_passes_its_tests(
    tmp_path: Path, extra_context: dict, connector_id: str, package: str
) -> None:
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=extra_context, output_dir=str(tmp_path)))
    leftovers = [p for p in project.rglob("*") if p.is_file() and "{{" in p.read_text(errors="ignore")]
    assert not leftovers, f"unrendered template markers in {leftovers}"

    lint = run([sys.executable, "-m", "ruff", "check", "."], cwd=project)
    if lint.returncode != 0 and "No module named ruff" not in lint.stderr:
        pytest.fail(f"the rendered project is not ruff-clean:\n{lint.stdout[-3000:]}")

    # Install as a user would (a wheel, package data included), into a folder of its own: the kit and the
    # test tools come from this environment, the connector only from its wheel.
    site = tmp_path / "site"
    pip = run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
               "--no-index", "--target", str(site), str(project)], cwd=tmp_path)
    assert pip.returncode == 0, pip.stderr[-3000:]
    assert (site / package / "manifest.json").is_file() and (site / package / "icon.svg").is_file()
    shutil.rmtree(project / package)  # the tests must use the installed wheel, not the source tree

    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PYTEST_ADDOPTS", None)
    report = tmp_path / "report.xml"
    tests = run([sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
                cwd=project, env=env)
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-2000:]

    cases = ET.parse(report).getroot().iter("testcase")
    outcome = {f"{c.get('classname')}::{c.get('name')}": (c[0].tag if len(c) else "passed") for c in cases}
    conformance = {k: v for k, v in outcome.items() if "TestConformance" in k}
    assert len(conformance) >= 35, f"the conformance kit did not run: {sorted(outcome)}"
    # The template's config has no optional flag to switch on; every other check runs and passes.
    not_run = {"tests.test_conformance.TestConformance::test_sync_with_optional_flags_on": "skipped"}
    assert {k: v for k, v in conformance.items() if v != "passed"} == not_run
    assert outcome["tests.test_conformance.TestConformance::test_entry_point_resolves"] == "passed"
    assert sum(1 for k in outcome if "TestConformance" not in k) >= 10, "the unit tests did not run"

