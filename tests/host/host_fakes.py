"""A throwaway connector for the host tests, registered directly on the loader (no entry points)."""

from __future__ import annotations

import threading
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("connector_host")

TOKEN = "00SECRETtokenVALUE-zz9-plural-z-alpha"

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["url", "auth"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "auth": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["method", "token"],
                    "properties": {"method": {"const": "token"}, "token": {"type": "string", "minLength": 10, "secret": True}},
                },
                {
                    "type": "object",
                    "required": ["method", "client_id", "private_key"],
                    "properties": {
                        "method": {"const": "key"},
                        "client_id": {"type": "string"},
                        "private_key": {"$ref": "#/$defs/key"},
                    },
                },
            ]
        },
        "timeout": {"type": "integer", "minimum": 1},
        "skip": {"type": "array", "items": {"type": "string"}},
        "verbose": {"type": "boolean"},
    },
    "$defs": {"key": {"type": "string", "secret": True}},
}


def manifest(id: str = "fake", **over: Any) -> dict[str, Any]:
    m = {
        "id": id,
        "name": "Fake",
        "version": "1.2.3",
        "publisher": {"name": "tests"},
        "description": "A throwaway connector for the host tests.",
        "categories": ["Testing"],
        "support_level": "experimental",
        "host_version": ">=0.1,<1",
        "capabilities": {
            "test_connection": True, "asset_classes": [5003, 5023], "finding_classes": [2003], "sync_modes": ["full"],
            "checks": True,
        },
        "permissions": {"scopes": ["fake.read"], "roles": ["READ_ONLY"]},
        "sync": {"default_interval_minutes": 60, "minimum_interval_minutes": 5},
        "config_schema": "schemas/config.schema.json",
    }
    m.update(over)
    return m


class FakeOrg:
    """What the fake connector serves; tests change it between syncs."""

    def __init__(self) -> None:
        self.users = {f"u{i}": f"user{i}" for i in range(1, 4)}
        self.groups = {"g1": "Admins", "g2": "Everyone"}
        self.members = {("u1", "g1"), ("u2", "g2")}
        self.checks = {("mfa", "u1"): "fail", ("mfa", "u2"): "pass", ("session", "org"): "warning"}
        self.status = "succeeded"
        self.incomplete: set[str] = set()  # streams reported INCOMPLETE
        self.extra_messages: list[Any] = []  # yielded before SYNC_STATUS
        self.raise_in_sync: Exception | None = None
        self.block: threading.Event | None = None  # sync waits on it (to test concurrency)
        self.started = threading.Event()
        self.no_sync_status = False
        self.leak_secret = False
        self.calls = 0


class FakeConnector:
    """A connector implementing every hook; records look like internals.md says."""

    def __init__(self, org: FakeOrg | None = None, id: str = "fake"):
        self.org = org or FakeOrg()
        self.id = id

    @hookimpl
    def connector_manifest(self) -> dict[str, Any]:
        return manifest(self.id)

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        return CONFIG_SCHEMA

    @hookimpl
    def connector_test_connection(self, config):
        token = config["auth"].get("token")
        if token != TOKEN:
            return {"status": "failed", "failure_kind": "credentials",
                    "message": f"the token {token} was rejected", "capabilities": []}
        return {"status": "succeeded", "failure_kind": None, "message": "connected",
                "capabilities": [{"name": "users", "status": "ok"}], "identity": {"id": "svc"}, "warnings": []}

    @hookimpl
    def connector_sync(self, config, state, context):
        org = self.org
        org.calls += 1
        org.started.set()
        if org.block is not None:
            org.block.wait(10)
        if org.raise_in_sync:
            raise org.raise_in_sync
        now = 1764345600000
        o = {"uid": "o1", "name": "fake.example"}

        def rec(stream: str, kind: str, data: dict) -> dict:
            return {"type": "RECORD", "record": {"stream": stream, "kind": kind, "org": o, "data": data, "emitted_at": now}}

        def status(stream: str) -> dict:
            s = "INCOMPLETE" if stream in org.incomplete else "COMPLETE"
            return {"type": "STREAM_STATUS", "stream_status": {"stream": stream, "status": s, "count": None,
                                                               "reason": "boom" if s == "INCOMPLETE" else None}}

        yield {"type": "LOG", "log": {"level": "INFO", "message": f"starting with token {config['auth'].get('token')}"}}
        for uid, name in sorted(org.users.items()):
            yield rec("users", "asset", {"id": uid, "login": f"{name}@{config.get('url')}"})
        yield status("users")
        yield {"type": "PROGRESS", "progress": {"stream": "users", "count": len(org.users), "requests": 3,
                                                "rate_limit_wait_seconds": 0.5}}
        for uid, name in sorted(org.groups.items()):
            yield rec("groups", "asset", {"id": uid, "name": name})
        yield status("groups")
        for u, g in sorted(org.members):
            yield rec("group_members", "relationship",
                      {"relation": "member_of", "from": {"type": "user", "uid": u}, "to": {"type": "group", "uid": g}})
        yield status("group_members")
        for (check, res), st in sorted(org.checks.items()):
            yield rec("check_results", "check_result", {
                "check_id": check, "status": st, "resource": {"type": "user" if res != "org" else "org", "uid": res,
                                                              "name": org.users.get(res, res)},
                "message": f"{check} is {st}", "evidence": {"value": st},
            })
        yield status("check_results")
        yield from org.extra_messages
        if org.leak_secret:
            yield {"type": "ERROR", "error": {"kind": "credentials", "message": f"rejected {config['auth']['token']}",
                                              "fatal": False}}
        yield {"type": "STATS", "stats": {"requests": 7, "rate_limit_wait_seconds": 0.5}}
        yield {"type": "STATE", "state": {"cursor": org.calls}}
        if not org.no_sync_status:
            status_ = "partial" if org.incomplete and org.status == "succeeded" else org.status
            yield {"type": "SYNC_STATUS", "sync_status": {"status": status_, "message": f"fake {status_}"}}

    @hookimpl
    def connector_normalize_asset(self, record):
        if record["kind"] != "asset":
            return None
        d = record["data"]
        if record["stream"] == "users":
            return {"class_uid": 5003, "user": {"uid": d["id"], "name": d["login"]},
                    "unmapped": {"source": {"type": "user", "uid": d["id"]}}}
        return {"class_uid": 5023, "resources": [{"uid": d["id"], "name": d["name"], "type": "Fake Group"}],
                "unmapped": {"source": {"type": "group", "uid": d["id"]}}}

    @hookimpl
    def connector_normalize_finding(self, record):
        d = record["data"]
        sev = {"mfa": 4, "session": 3}.get(d["check_id"], 1)
        return {
            "class_uid": 2003,
            "severity_id": sev,
            "finding_info": {"uid": f"{d['check_id']}:{d['resource']['uid']}", "title": f"Check {d['check_id']}"},
            "compliance": {"status_id": {"pass": 1, "warning": 2, "fail": 3}.get(d["status"], 0),
                           "standards": ["FAKE-STIG"], "requirements": [f"V-{d['check_id']}"]},
            "resources": [d["resource"]],
        }

    @hookimpl
    def connector_checks(self):
        return [{"id": "mfa", "title": "MFA", "severity": "high", "standards": ["FAKE-STIG"]},
                {"id": "session", "title": "Session", "severity": "medium", "standards": []}]


