"""The Okta fields the checks read, found in the code (AST), not listed by hand: every ``dig`` path resolves
through the schemas of Okta's Management API spec, and every key read with ``.get``/``[...]``/``dig`` is a spec
property name or one of our own keys (catalog metadata, evidence, the engine's records). A new check reading
``settings.password.complexity.useUpperCase`` (okta-inspector's bug) fails here."""

from __future__ import annotations

import ast
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from checks_fixtures import okta_spec, spec_examples

CHECKS_DIR = Path(str(resources.files("connector_okta") / "checks"))
# keys of our own structures, never of an Okta object
OWN_KEYS = {
    "absence", "active", "check", "checks", "collections", "console", "everyone_ids", "evidence", "fanout",
    "groupId",  # the group id the sync adds to each streamed group member (resources.py visit_parent_key)
    "invalid_status", "kind", "kinds", "manual", "optional_collections", "parent_uid", "partial_data", "pipelines",
    "references", "related", "remediation", "requirements", "standards", "stig_id", "technical_userId",
    "thresholds",
    "caveat", "fanout_reads", "gaps_reported", "policy_types", "unread",  # catalog keys and evidence (issue 14)
    "standard", "toml",  # standards.toml: its [[standard]] tables (checks/catalog.py)
}
# served by Okta but only in the spec's examples, not its schemas
EXAMPLE_ONLY = {"mapAMRClaims"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# a dotted field path anywhere in the code (``dig(p, PATH)`` or a path handed to a helper such as ``_minimum``)
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
NOT_PATHS = {"catalog.toml", "connector_okta.checks"}  # package resource names


def _reads() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(dotted paths -> where, keys -> where) read in the checks package."""
    paths: dict[str, list[str]] = {}
    keys: dict[str, list[str]] = {}
    for f in sorted(CHECKS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            where = f"{f.name}:{getattr(node, 'lineno', 0)}"
            arg: Any = None
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.fullmatch(node.value) \
                    and node.value not in NOT_PATHS:
                paths.setdefault(node.value, []).append(where)
                arg = node
            elif isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else None
                idx = 1 if name == "dig" else 0 if name in ("get", "pop", "setdefault") else None
                if idx is not None and len(node.args) > idx:
                    arg = node.args[idx]
            elif isinstance(node, ast.Subscript):
                arg = node.slice
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                for part in arg.value.split("."):
                    if _NAME.fullmatch(part):
                        keys.setdefault(part, []).append(where)
    return paths, keys


class _Resolver:
    """Does a dotted path exist in some schema of the spec (through $ref, allOf/anyOf/oneOf, discriminator
    mappings, subtypes that allOf a base, array items and additionalProperties)?"""

    def __init__(self, spec: dict) -> None:
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self.subtypes: dict[str, list[str]] = {}
        for n, s in self.schemas.items():
            for sub in s.get("allOf") or []:
                if isinstance(sub, dict) and "$ref" in sub:
                    self.subtypes.setdefault(sub["$ref"].rsplit("/", 1)[-1], []).append(n)

    def deref(self, s: Any) -> Any:
        for _ in range(20):
            if not (isinstance(s, dict) and "$ref" in s):
                break
            s = self.schemas[s["$ref"].rsplit("/", 1)[-1]]
        return s

    def children(self, s: Any, key: str, depth: int = 0) -> list[Any]:
        s = self.deref(s)
        if not isinstance(s, dict) or depth > 8:
            return []
        out = []
        if key in (s.get("properties") or {}):
            out.append(s["properties"][key])
        for comb in ("allOf", "anyOf", "oneOf"):
            for sub in s.get(comb) or []:
                out += self.children(sub, key, depth + 1)
        if isinstance(s.get("additionalProperties"), dict):
            out.append(s["additionalProperties"])
        if s.get("type") == "array" and "items" in s:
            out += self.children(s["items"], key, depth + 1)
        if depth < 3:
            for ref in ((s.get("discriminator") or {}).get("mapping") or {}).values():
                name = ref.rsplit("/", 1)[-1]
                if name in self.schemas:
                    out += self.children(self.schemas[name], key, depth + 1)
        return out

    def resolves(self, path: str) -> bool:
        frontier: list[Any] = list(self.schemas.values())
        for part in path.split("."):
            nxt = [c for s in frontier for c in self.children(s, part)]
            for c in list(nxt):
                if isinstance(c, dict) and "$ref" in c:
                    nxt += [self.schemas[n] for n in self.subtypes.get(c["$ref"].rsplit("/", 1)[-1], [])]
            frontier = nxt
            if not frontier:
                return False
        return True


@pytest.fixture(scope="module")
def resolver() -> _Resolver:
    return _Resolver(okta_spec())


def test_the_reader_finds_the_reads() -> None:
    paths, keys = _reads()
    assert len(paths) > 30 and "settings.password.complexity.minUpperCase" in paths
    assert {"maxSessionIdleMinutes", "phishingResistant", "recovery_question"} <= set(keys)


def test_every_dig_path_exists_in_the_spec_schemas(resolver: _Resolver) -> None:
    paths, _ = _reads()
    bad = {p: w for p, w in paths.items() if not resolver.resolves(p) and p.rsplit(".", 1)[-1] not in EXAMPLE_ONLY}
    assert bad == {}


def test_the_resolver_rejects_fields_other_tools_invented(resolver: _Resolver) -> None:
    for wrong in ("settings.password.complexity.useUpperCase", "settings.complexity.minLength",
                  "actions.signon.session.maxIdle"):
        assert not resolver.resolves(wrong), wrong


def test_every_key_read_is_an_okta_property_or_our_own() -> None:
    names: set[str] = set()
    stack: list[Any] = [okta_spec()["components"]["schemas"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                names.update(node["properties"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert EXAMPLE_ONLY <= _example_keys()
    _, keys = _reads()
    unknown = {k: w[:3] for k, w in keys.items() if k not in names | OWN_KEYS | EXAMPLE_ONLY}
    assert unknown == {}, "a check reads a field the Okta spec does not define (or add it to OWN_KEYS if ours)"
    assert not (OWN_KEYS & names & {"useUpperCase"})


def _example_keys() -> set[str]:
    out: set[str] = set()
    stack: list[Any] = [spec_examples()]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out.update(k for k in node if isinstance(k, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def test_a_check_reading_an_invented_field_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      resolver: _Resolver) -> None:
    (tmp_path / "bad.py").write_text('def f(p):\n    return dig(p, "settings.password.complexity.useUpperCase"), '
                                     'p.get("useLowerCase")\n', encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "CHECKS_DIR", tmp_path)
    paths, keys = _reads()
    assert not resolver.resolves("settings.password.complexity.useUpperCase")
    assert set(paths) == {"settings.password.complexity.useUpperCase"} and "useLowerCase" in keys
