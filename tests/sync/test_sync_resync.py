"""Re-syncs against the sandbox (issue 18): the real client, the System Log feed, the sandbox's small change; the
results equal those of a full sync of the same org. And the users view: every field a users check reads is in it."""

from __future__ import annotations

import json

import pytest

from connector_okta import plugin
from connector_okta.sync import users_view

pytest.importorskip("okta_sandbox.generator")


def of(msgs, kind):
    return [m[m["type"].lower()] for m in msgs if m["type"] == kind]


def findings(msgs):
    return sorted(json.dumps({k: r["data"][k] for k in ("check_id", "status", "resource", "message", "evidence")},
                             sort_keys=True) for r in of(msgs, "RECORD") if r["kind"] == "check_result")


def endpoints(msgs):
    return of(msgs, "STATS")[0].get("requests_by_endpoint") or {}


def finals(msgs):
    return {s["stream"]: s for s in of(msgs, "STREAM_STATUS") if s["status"] != "STARTED"}


def sync(cfg, state=None):
    return list(plugin.connector_sync(config=cfg, state=state, context=None))


@pytest.fixture
def weak(sandbox, sandbox_config):
    from okta_sandbox.generator import token_for_role

    sb = sandbox("weak", users=1500, seed=1, rate_limits=None)
    cfg = sandbox_config(sb)
    cfg["auth"] = {"method": "api_token", "token": token_for_role(sb.org, "SUPER_ADMIN")}
    return sb, cfg


def test_unchanged_and_small_change_re_syncs_equal_a_full_sync(weak):
    from okta_sandbox.changes import small_change

    sb, cfg = weak
    first = sync(cfg)
    n_full = sum(endpoints(first).values())
    second = sync(cfg, of(first, "STATE")[0])
    assert of(second, "SYNC_STATUS")[0]["sync_mode"] == "incremental"
    assert of(second, "SYNC_STATUS")[0]["status"] == "succeeded"
    assert findings(second) == findings(first)
    ep = endpoints(second)
    assert sum(ep.values()) < 0.7 * n_full
    assert ep.get("/api/v1/logs") == 1 and "/api/v1/apps/{id}/users" not in ep and "/api/v1/apps/{id}/groups" not in ep

    change = small_change(sb.org)
    assert change["users"] == 15 and change["policy_rule"] and change["app_assignment"]
    third = sync(cfg, of(second, "STATE")[0])
    assert of(third, "SYNC_STATUS")[0]["sync_mode"] == "incremental"
    reference = sync(cfg)  # a full sync of the changed org
    assert findings(third) == findings(reference) != findings(first)
    ep = endpoints(third)
    assert ep.get("/api/v1/apps/{id}/users") == 1  # the app the System Log names
    fin = finals(third)
    assert fin["users"]["count"] == 15 and "1500 judged" in fin["users"]["reason"]
    changed_users = {r["data"]["id"] for r in of(third, "RECORD") if r["kind"] == "asset" and r["stream"] == "users"}
    assert len(changed_users) == 15
    aid, uid = change["app_assignment"]
    assert any(r["data"].get("from", {}).get("uid") == uid and r["data"].get("to", {}).get("uid") == aid
               for r in of(third, "RECORD") if r["kind"] == "relationship" and r["stream"] == "app_users")


def test_without_the_system_log_the_apps_rotate(weak):
    sb, cfg = weak
    sb.org.missing_features = {*sb.org.missing_features, "logs"}  # the feed answers E0000015
    first = sync(cfg)
    n_apps = len(sb.org.apps)
    state = of(first, "STATE")[0]
    read = 0
    for _ in range(6):  # full_sync_every 7: six re-syncs
        msgs = sync(cfg, state)
        assert of(msgs, "SYNC_STATUS")[0]["sync_mode"] == "incremental"
        assert of(msgs, "SYNC_STATUS")[0]["status"] == "succeeded"
        read += endpoints(msgs).get("/api/v1/apps/{id}/users", 0)
        state = of(msgs, "STATE")[0]
    assert read == n_apps  # every app once between two full syncs
    assert of(sync(cfg, state), "SYNC_STATUS")[0]["sync_mode"] == "full"


class Recording(dict):
    """A user object that records every field read from it (nested objects too)."""

    def __init__(self, data, seen, prefix=""):
        super().__init__(data)
        self.seen, self.prefix = seen, prefix

    def _wrap(self, key, value):
        path = self.prefix + key
        self.seen.add(path)
        return Recording(value, self.seen, path + ".") if isinstance(value, dict) else value

    def get(self, key, default=None):
        if key in self:
            return self._wrap(key, dict.__getitem__(self, key))
        self.seen.add(self.prefix + key)
        return default

    def __getitem__(self, key):
        return self._wrap(key, dict.__getitem__(self, key))

    def __iter__(self):
        self.seen.add(self.prefix + "*")
        return super().__iter__()

    def items(self):
        self.seen.add(self.prefix + "*")
        return super().items()

    def keys(self):
        self.seen.add(self.prefix + "*")
        return super().keys()

    def values(self):
        self.seen.add(self.prefix + "*")
        return super().values()


@pytest.mark.parametrize("profile", ["baseline", "stig", "strict"])
def test_the_users_view_holds_every_field_a_users_check_reads(profile):
    """A re-sync judges unchanged users from the view: a users check reading a field it lacks would judge them
    wrongly. Add the field to users_view.FIELDS."""
    from okta_sandbox.generator import generate

    from connector_okta.checks import CheckEngine, Collection, OrgInfo

    org = generate("weak", users=400, seed=1)
    try:
        engine = CheckEngine(profile, {}, org=OrgInfo(id="o", name="o", url="", pipeline="idx"), fanout=None,
                             now_ms=1_767_225_600_000)
    except KeyError:
        pytest.skip(f"no {profile} profile")
    admins = [{"id": uid} for uid, roles in org.user_roles.items() if roles]
    engine.set_collection(Collection("admin_users", "complete", None, admins, {}))
    engine.set_collection(Collection("user_roles", "complete", None, [], dict(org.user_roles)))
    engine.set_collection(Collection("api_tokens", "complete", None, list(org.api_tokens), {}))
    seen: set[str] = set()
    full, projected = [], []
    for user in org.users:
        full += list(engine.visit("users", Recording(dict(user), seen)))
    allowed = {"id", *users_view.FIELDS, *{f.split(".")[0] for f in users_view.FIELDS}}
    assert seen <= allowed, sorted(seen - allowed)
    # and judging from the view gives the same per-user results
    engine2 = CheckEngine(profile, {}, org=OrgInfo(id="o", name="o", url="", pipeline="idx"), fanout=None,
                          now_ms=1_767_225_600_000)
    for name in ("admin_users", "user_roles", "api_tokens"):
        engine2.set_collection(engine._collections[name])
    writer = users_view.ViewWriter()
    for user in org.users:
        writer.put(user)
    for user in users_view.users(writer.packed()):
        projected += list(engine2.visit("users", user))
    assert projected == full
    assert list(engine2.finish()) == list(engine.finish())


def test_a_view_round_trips_and_refuses_what_is_not_one():
    w = users_view.ViewWriter()
    w.put({"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@b", "email": "x"}, "lastLogin": None,
           "credentials": {"password": {}}})
    w.put({"id": "bad\tid"})
    w.put({"status": "ACTIVE"})
    assert w.count == 1
    assert list(users_view.users(w.packed())) == [{"id": "00u1", "status": "ACTIVE", "lastLogin": None,
                                                   "profile": {"login": "a@b"}}]
    for odd in ("not base64!", "aGVsbG8=", ""):
        with pytest.raises(ValueError) if odd else _nothing():
            list(users_view.lines(odd))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
