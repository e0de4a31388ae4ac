"""The README and the host docs are true to the code (audit of issue 4): every `connector-host` command they show
parses with the CLI's own parser, every local link resolves, and the repository scripts they show run with the
virtual environment's Python (the system one has none of the packages)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from connector_host import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def code_lines(text: str) -> list[str]:
    """Lines of fenced blocks (continuations joined) and inline code spans."""
    lines: list[str] = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        lines += block.replace("\\\n", " ").splitlines()
    lines += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return lines


def host_commands(path: Path) -> list[str]:
    out = []
    for line in code_lines(path.read_text()):
        line = line.split(" #", 1)[0].strip()
        m = re.search(r"(?:^|[\s/])connector-host\s+(.+)$", line)
        if m and not m.group(1).startswith(("contributors", "package", "0.")):
            out.append(m.group(1))
    return out


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_connector_host_command_shown_parses(doc: Path) -> None:
    parser = cli.build_parser()
    bad = []
    for command in host_commands(doc):
        argv = shlex.split(command.replace("...", "x"))
        try:
            parser.parse_args(argv)
        except SystemExit:
            bad.append(command)
    assert not bad, f"{doc.name} shows commands the CLI rejects: {bad}"


def test_the_readme_shows_the_main_commands() -> None:
    commands = " | ".join(host_commands(ROOT / "README.md"))
    for sub in ("demo", "add ", "test ", "sync ", "schedule run", "serve", "findings"):
        assert sub in commands, sub


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_local_links_resolve(doc: Path) -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text())
    missing = [link for link in links if "://" not in link and not (doc.parent / link).exists()]
    assert not missing, f"{doc.name} links to missing files: {missing}"


def test_repository_scripts_run_with_the_venv_python() -> None:
    text = (ROOT / "README.md").read_text()
    shown = re.findall(r"([^\s`]*python3?)\s+scripts/\S+", text)
    assert shown and all(p.startswith(".venv/bin/") for p in shown), shown
