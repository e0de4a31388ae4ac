"""Fakes for the sync engine's tests: an in-memory Okta client over an ``okta_sandbox.model.Org`` and a
recording check engine. The end-to-end tests use the real sandbox server instead."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from okta_sandbox.filters import compile_filter
from okta_sandbox.model import Org

from connector_okta.client.errors import CredentialsError, FeatureNotAvailable, NotFound, PermissionDenied


def ts(n: int) -> str:
    return f"2025-01-{1 + n // 24:02d}T{n % 24:02d}:00:00.000Z"


def make_org(users: int = 12, groups: int = 4, pipeline: str = "idx") -> Org:
    org = Org(pipeline=pipeline)
    org.org = {"id": "00oFAKEORG1", "subdomain": "fake", "companyName": "Fake"}
    org.org_support = {"support": "DISABLED"}
    org.org_contacts = [{"contactType": "BILLING", "userId": "00u0"}]
    org.threat_insight = {"action": "block", "excludeZones": []}
    org.admin_console_settings = {"sessionMaxLifetimeMinutes": 720, "sessionIdleTimeoutMinutes": 15}
    org.org_factors = [{"id": "fac1", "factorType": "push", "status": "ACTIVE"}]
    statuses = ["ACTIVE", "ACTIVE", "LOCKED_OUT", "DEPROVISIONED", "SUSPENDED", "STAGED"]
    org.users = [{"id": f"00u{i:04d}", "status": statuses[i % len(statuses)], "lastUpdated": ts(i),
                  "profile": {"login": f"u{i}@fake.example"}} for i in range(users)]
    org.groups = [{"id": f"00g{i:04d}", "type": "OKTA_GROUP", "profile": {"name": f"g{i}"},
                   "lastUpdated": ts(i), "lastMembershipUpdated": ts(i + 1)} for i in range(groups)]
    org.group_members = {g["id"]: [u["id"] for j, u in enumerate(org.users) if j % groups == i]
                         for i, g in enumerate(org.groups)}
    org.group_rules = [{"id": "0prRULE1", "name": "rule"}]
    org.apps = [{"id": f"0oa{i:04d}", "label": f"app{i}", "status": "ACTIVE"} for i in range(3)]
    org.app_users = {a["id"]: [{"id": u["id"], "scope": "USER", "status": "ACTIVE"} for u in org.users[:5]]
                     for a in org.apps}
    org.app_groups = {a["id"]: [{"id": org.groups[0]["id"], "priority": 0}] for a in org.apps}
    org.policies = {
        "OKTA_SIGN_ON": [{"id": "00pSIGNON", "type": "OKTA_SIGN_ON", "name": "Default"}],
        "PASSWORD": [{"id": "00pPASS", "type": "PASSWORD", "name": "Default"}],
        "ACCESS_POLICY": [{"id": "rstACCESS", "type": "ACCESS_POLICY", "name": "Admin Console"}],
    }
    org.policy_rules = {"00pSIGNON": [{"id": "0prS1", "name": "r1"}, {"id": "0prS2", "name": "r2"}],
                        "00pPASS": [{"id": "0prP1", "name": "p1"}], "rstACCESS": [{"id": "0prA1", "name": "a1"}]}
    org.policy_mappings = {"rstACCESS": [{"id": "map1", "_links": {"application": {
        "href": "https://fake.okta.com/api/v1/apps/0oa0000"}}}]}
    org.authenticators = [{"id": "aut1", "key": "okta_password", "status": "ACTIVE"}]
    org.zones = [{"id": "nzo1", "name": "LegacyIpZone", "type": "IP"}]
    org.idps = [{"id": "0oaIDP1", "type": "SAML2"}]
    org.authorization_servers = [{"id": "ausDEFAULT", "name": "default"}]
    org.as_policies = {"ausDEFAULT": [{"id": "00pAS1", "name": "Default Policy"}]}
    org.as_policy_rules = {"ausDEFAULT/00pAS1": [{"id": "0prAS1", "name": "Default Rule"}]}
    org.behaviors = [{"id": "abc1", "type": "VELOCITY"}]
    org.device_assurances = [{"id": "dae1", "platform": "MACOS"}]
    org.devices = [{"id": f"guo{i}", "status": "ACTIVE", "lastUpdated": ts(i)} for i in range(3)]
    org.user_roles = {"00u0000": [{"id": "ra1", "type": "SUPER_ADMIN", "label": "Super Administrator",
                                   "assignmentType": "USER"}]}
    org.group_roles = {org.groups[1]["id"]: [{"id": "ra2", "type": "ORG_ADMIN", "assignmentType": "GROUP"}]}
    org.api_tokens = [{"id": "00Ttok1", "name": "ci", "userId": "00u0000"}]
    org.trusted_origins = [{"id": "tos1", "origin": "https://x.example"}]
    org.event_hooks = [{"id": "who1", "name": "hook"}]
    org.inline_hooks = [{"id": "cal1", "name": "inline"}]
    org.log_streams = [{"id": "0oaLS1", "type": "aws_eventbridge"}]
    return org


@dataclass
class FakeResponse:
    json: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FakeClient:
    """Serves the org like Okta would, counts requests; ``fail`` maps a path regex to an exception factory."""

    def __init__(self, org: Org, *, page_size: int | None = None) -> None:
        self.org = org
        self.page_size = page_size
        self.fail: dict[str, Any] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.hook = None  # called with each path before serving

    # the client API -------------------------------------------------------
    def well_known(self) -> dict[str, Any]:
        self._count("/.well-known/okta-organization")
        return {"id": self.org.org.get("id"), "pipeline": self.org.pipeline,
                "_links": {"organization": {"href": "https://fake.okta.com"}}}

    def get(self, path: str, params: dict | None = None) -> FakeResponse:
        self._count(path)
        return FakeResponse(self._serve(path, params or {}))

    def paginate(self, path: str, params: dict | None = None) -> Iterator[list[dict]]:
        params = dict(params or {})
        self._count(path)
        items = self._serve(path, params)
        if not isinstance(items, list):
            items = [items]
        size = self.page_size or int(params.get("limit") or 0) or len(items) or 1
        for i in range(0, max(len(items), 1), size):
            if i:
                self._count(path)
            yield items[i:i + size]

    def stats(self) -> dict[str, Any]:
        return {"requests": len(self.requests), "requests_by_bucket": {}, "requests_by_endpoint": {},
                "retries": 0, "throttled": 0, "rate_limit_wait_seconds": 0.0}

    # serving ---------------------------------------------------------------
    def _count(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)
        if self.hook:
            self.hook(path)
        for pattern, exc in self.fail.items():
            if re.fullmatch(pattern, path):
                raise exc() if callable(exc) else exc

    def _serve(self, path: str, params: dict) -> Any:
        o = self.org
        expr = params.get("filter") or params.get("search")
        m = re.fullmatch(r"/api/v1/(\w[\w-]*)(?:/([^/]+))?(?:/([\w-]+))?(?:/([^/]+))?(?:/(\w+))?", path)
        if m is None:
            raise NotFound(f"GET {path}: not found", status=404)
        a, b, c, d, e = m.groups()
        simple = {"api-tokens": o.api_tokens, "trustedOrigins": o.trusted_origins, "eventHooks": o.event_hooks,
                  "inlineHooks": o.inline_hooks, "logStreams": o.log_streams, "behaviors": o.behaviors,
                  "device-assurances": o.device_assurances, "zones": o.zones, "idps": o.idps,
                  "authenticators": o.authenticators}
        if a in ("authenticators", "device-assurances", "devices") and o.pipeline == "v1":
            raise FeatureNotAvailable(f"GET {path}: Identity Engine only", status=401, error_code="E0000015")
        if a in simple and b is None:
            return list(simple[a])
        if a == "org":
            if b is None:
                return o.org
            if b == "contacts":
                return list(o.org_contacts)
            if b == "factors":
                return list(o.org_factors)
            if b == "privacy":
                return o.org_support
        if a == "threats":
            return o.threat_insight
        if a == "first-party-app-settings":
            return o.admin_console_settings
        if a == "users":
            if b is None:
                users = list(o.users)
                if expr:
                    pred = compile_filter(expr)
                    return [u for u in users if pred(u)]
                return [u for u in users if u["status"] != "DEPROVISIONED"]
            if c == "roles":
                return list(o.user_roles.get(b, []))
        if a == "groups":
            if b is None:
                groups = list(o.groups)
                return [g for g in groups if compile_filter(expr)(g)] if expr else groups
            if b == "rules":
                return list(o.group_rules)
            if c == "users":
                ids = o.group_members.get(b, [])
                by_id = {u["id"]: u for u in o.users}
                return [by_id[i] for i in ids if i in by_id]
            if c == "roles":
                return list(o.group_roles.get(b, []))
        if a == "apps":
            if b is None:
                return list(o.apps)
            if c == "users":
                return list(o.app_users.get(b, []))
            if c == "groups":
                return list(o.app_groups.get(b, []))
        if a == "policies":
            if b is None:
                return list(o.policies.get(params.get("type"), []))
            if c == "rules":
                return list(o.policy_rules.get(b, []))
            if c == "mappings":
                return list(o.policy_mappings.get(b, []))
        if a == "authorizationServers":
            if b is None:
                return list(o.authorization_servers)
            if c == "policies" and d is None:
                return list(o.as_policies.get(b, []))
            if e == "rules":
                return list(o.as_policy_rules.get(f"{b}/{d}", []))
        if a == "iam":
            return [{"id": uid, "orn": f"orn:okta:directory:x:users:{uid}"} for uid in o.user_roles]
        if a == "devices":
            devices = list(o.devices)
            return [x for x in devices if compile_filter(expr)(x)] if expr else devices
        raise NotFound(f"GET {path}: not found", status=404)


class FakeEngine:
    """Records what the sync hands it; yields results that depend on what it saw."""

    def __init__(self, config: Any, org: dict[str, Any], fanout: Any, now_ms: int, *,
                 streams: tuple[str, ...] = ("users",)) -> None:
        self.org = org
        self.fanout = fanout
        self.collections: dict[str, Any] = {}
        self.visits: dict[str, int] = {}
        self._streams = streams
        self.order: list[str] = []
        self.seen: dict[str, list[dict]] = {}

    def required_collections(self) -> set[str]:
        return {"policies", "policy_rules", "authenticators", "zones", "apps", "user_roles"}

    def streams(self) -> set[str]:
        return set(self._streams)

    def set_collection(self, coll: Any) -> None:
        self.collections[coll.name] = coll
        self.order.append(coll.name)

    def visit(self, stream: str, item: dict) -> Iterator[dict]:
        self.visits[stream] = self.visits.get(stream, 0) + 1
        self.seen.setdefault(stream, []).append(item)
        if item.get("status") == "LOCKED_OUT":
            yield {"check_id": "fake-locked", "status": "fail", "resource": {"type": "user", "uid": item["id"]},
                   "message": "locked", "evidence": {"status": "LOCKED_OUT"}, "profile": "baseline"}

    def finish(self) -> Iterator[dict]:
        for name in sorted(self.collections):
            coll = self.collections[name]
            status = "pass" if coll.status == "complete" else "unknown"
            yield {"check_id": f"fake-{name}", "status": status,
                   "resource": {"type": "org", "uid": self.org["uid"]}, "message": coll.status,
                   "evidence": {"count": len(coll.items), "status": coll.status}, "profile": "baseline"}
        yield {"check_id": "fake-users-total", "status": "pass", "resource": {"type": "org", "uid": self.org["uid"]},
               "message": "", "evidence": {"visited": self.visits.get("users", 0)}, "profile": "baseline"}


def fake_config(**kw: Any) -> SimpleNamespace:
    base = dict(url="https://fake.okta.com", check_profile="baseline", check_overrides={}, collections_skip=[],
                fanout_budget=100, max_concurrency=3, max_sync_seconds=None, full_sync_every=5)
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.fixture
def fake_org() -> Org:
    return make_org()


@pytest.fixture
def run_fake():
    """``run_fake(org, state=None, config=None, context=None, client=None) -> (messages, client, engine)``."""
    from connector_okta.sync import SyncRun, guarded

    def run(org: Org, state: Any = None, config: Any = None, context: Any = None, client: Any = None,
            engine_kw: dict | None = None):
        client = client or FakeClient(org)
        engines: list[FakeEngine] = []

        def factory(*args: Any) -> FakeEngine:
            engines.append(FakeEngine(*args, **(engine_kw or {})))
            return engines[-1]

        cfg = config or fake_config()
        msgs = list(guarded({}, SyncRun(cfg, client, state, context, engine_factory=factory).run()))
        return msgs, client, (engines[0] if engines else None)

    return run




@pytest.fixture
def fakes() -> SimpleNamespace:
    return SimpleNamespace(FakeClient=FakeClient, FakeEngine=FakeEngine, make_org=make_org, config=fake_config,
                           CredentialsError=CredentialsError, PermissionDenied=PermissionDenied,
                           FeatureNotAvailable=FeatureNotAvailable, NotFound=NotFound)
