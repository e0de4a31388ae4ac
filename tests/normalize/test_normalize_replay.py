"""The replay fixture of Okta's OpenAPI examples is what its builder makes of the spec (no hand edits), and every
object of it normalises to a valid asset with a uid of its own (``tests/host/test_host_replay.py`` syncs it)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from normalize_support import make_record

from connector_okta.normalize import normalize_asset

REPLAY = Path(__file__).resolve().parents[1] / "fixtures" / "replay"


def _builder():
    spec = importlib.util.spec_from_file_location("build_spec_examples", REPLAY / "build_spec_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_spec_fixture_is_built_from_the_spec(okta_spec):
    committed = json.loads((REPLAY / "okta_spec_examples.json").read_text(encoding="utf-8"))
    assert _builder().build(okta_spec) == committed, "rebuild it: build_spec_examples.py"


def test_the_spec_fixture_shares_role_ids_across_principals():
    responses = json.loads((REPLAY / "okta_spec_examples.json").read_text(encoding="utf-8"))["responses"]
    holders = [key for key, body in responses.items() if key.endswith("/roles")
               and any(role["id"] == "IFIFAX2BIRGUSTQ" for role in body)]
    assert len(holders) == 4  # APP_ADMIN's one id under two users and two groups
    uids = set()
    for key in holders:
        principal, pid = ("user" if key.startswith("/api/v1/users/") else "group"), key.split("/")[4]
        stream = f"{principal}_roles"
        for role in responses[key]:
            event = normalize_asset(make_record(stream, role, parent={"type": principal, "uid": pid}))
            uids.add(event["unmapped"]["source"]["uid"])
    assert len(uids) == sum(len(responses[k]) for k in holders)
