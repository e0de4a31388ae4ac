"""The repository layout the design card names (issue 13): the connector's distribution at the root, the manifest
and schemas there as the single source, the README's table of contents true to the tree, and a built wheel that
carries the package data an installer expects."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]


def test_the_root_is_the_connector_distribution() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "connector-okta"
    assert project["entry-points"]["connector_host"] == {"okta": "connector_okta.plugin"}
    for name in ("manifest.json", "schemas", "connector_okta", "tests", "README.md", "LICENSE", "CHANGELOG.md"):
        assert (ROOT / name).exists(), name


def test_every_directly_imported_third_party_module_is_declared() -> None:
    declared = " ".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]).lower()
    imported: set[str] = set()
    for path in (ROOT / "connector_okta").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"connector_okta"}
    distribution = {"jwt": "pyjwt"}
    missing = [m for m in sorted(third_party) if distribution.get(m, m) not in declared]
    assert not missing, f"imported by connector_okta but not declared in pyproject.toml: {missing}"


def test_the_root_manifest_validates_and_the_package_reads_the_same_files() -> None:
    schema = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text())
    manifest = json.loads((ROOT / "manifest.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(manifest)
    from connector_okta import plugin

    assert plugin.connector_manifest() == manifest
    assert plugin.connector_config_schema() == json.loads((ROOT / "schemas" / "config.schema.json").read_text())


def test_package_data_links_point_at_the_single_source() -> None:
    links = {
        ROOT / "connector_okta" / "manifest.json": ROOT / "manifest.json",
        ROOT / "connector_okta" / "icon.svg": ROOT / "icon.svg",
        ROOT / "connector_okta" / "schemas": ROOT / "schemas",
        ROOT / "host" / "connector_host" / "schemas": ROOT / "schemas",
    }
    for link, target in links.items():
        assert link.is_symlink() and link.resolve() == target.resolve(), f"{link} must link to {target}"


def test_the_readme_contents_table_matches_the_tree() -> None:
    section = (ROOT / "README.md").read_text().split("## Contents", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| ([^|]+?) \|", section, re.M)[1:]  # after the header
    named = {n.split("/")[0] for cell in first_cells for n in re.findall(r"`([^`]+)`", re.sub(r"\(.*?\)", "", cell))}
    missing_on_disk = [n for n in named if not (ROOT / n).exists()]
    assert not missing_on_disk, f"README's Contents names what is not in the tree: {missing_on_disk}"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    top = {p.split("/", 1)[0] for p in tracked if not p.startswith(".")} or {p.name for p in ROOT.iterdir()}
    ignored = {"README.md", "LICENSE", "CHANGELOG.md", "icon.svg", "pytest.ini", "ruff.toml"}
    unlisted = sorted(top - named - ignored)
    assert not unlisted, f"top-level entries missing from the README's Contents table: {unlisted}"


def test_the_built_wheel_carries_manifest_schemas_license_and_py_typed(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("connector_okta-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("connector_okta/manifest.json", "connector_okta/icon.svg", "connector_okta/py.typed",
                   "connector_okta/schemas/config.schema.json", "connector_okta/schemas/asset.schema.json",
                   "connector_okta/schemas/finding.schema.json", "connector_okta/schemas/ocsf-1.6.0/2003.json",
                   "connector_okta/checks/catalog.toml"):
        assert needed in names, needed
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("connector_host/", "okta_sandbox/", "tests/")) for n in names)
    with zipfile.ZipFile(wheel) as zf:
        assert json.loads(zf.read("connector_okta/manifest.json")) == json.loads((ROOT / "manifest.json").read_text())


def test_versions_agree() -> None:
    """The connector's manifest, its distribution and the host's __version__ carry the same release."""
    import connector_host

    connector = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    host = tomllib.loads((ROOT / "host" / "pyproject.toml").read_text())["project"]["version"]
    assert json.loads((ROOT / "manifest.json").read_text())["version"] == connector
    assert connector_host.__version__ == host
