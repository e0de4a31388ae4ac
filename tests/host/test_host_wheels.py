"""The built wheels, installed into a fresh virtual environment, load the connector through its entry point
(schemas and manifest come from package data, not the checkout). Needs the package
index (or pip's cache) for the dependencies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]



def test_wheels_in_a_fresh_venv_load_the_connector_and_run_the_demo(tmp_path):
    wheels = tmp_path / "wheels"
    for project in ("host", ".", "sandbox"):
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(ROOT / project)],
                       check=True, capture_output=True, timeout=300)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_ = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bin_ / "pip"), "install", "-q", *map(str, sorted(wheels.glob("*.whl")))],
                   check=True, capture_output=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_HOST_", "PYTHON"))}
    run = lambda *a: subprocess.run([str(bin_ / "connector-host"), *a], capture_output=True, text=True,  # noqa: E731
                                    timeout=300, env=env, cwd=tmp_path)
    listed = run("connectors", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [c["id"] for c in data["connectors"]] == ["okta"] and data["failures"] == []
    assert str(venv) in subprocess.run(
        [str(bin_ / "python"), "-c", "import connector_okta, connector_host; print(connector_okta.__file__)"],
        capture_output=True, text=True, check=True, env=env, cwd=tmp_path).stdout  # not the checkout
    demo = run("demo", "--users", "20", "--json")
    assert demo.returncode == 0, demo.stderr[-2000:]
    result = json.loads(demo.stdout)
    assert result["sync"]["status"] in ("succeeded", "partial") and result["asset_counts"]["user"] == 20
