"""The reliability tests' harness: the real Okta connector run by the real host (registry, runner, store)
against sandbox orgs, and snapshots of what the store holds, to compare a clean sync with a faulty one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from connector_host.loader import Registry, load_connectors
from connector_host.runner import Runner
from connector_host.store import Store, SyncRecord
from okta_sandbox.generator import token_for_role
from okta_sandbox.server import Sandbox

from connector_okta.client.session import OktaClient

TOKEN_ENV = "RELIABILITY_OKTA_TOKEN"
KEY_ENV = "RELIABILITY_OKTA_KEY"


@pytest.fixture
def compressed_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's retry backoff divided by ten (like the sandbox's ``time_scale`` for rate-limit windows): the
    retry logic and the number of attempts are unchanged, only the pauses between them are shorter. Import it
    into a test module to use it (no conftest here: other areas import ``conftest`` by name)."""
    real = OktaClient._backoff
    monkeypatch.setattr(OktaClient, "_backoff", lambda self, attempt: real(self, attempt) / 10)


def okta_registry() -> Registry:
    """The installed Okta connector alone (entry points, allow list ``okta``)."""
    return load_connectors(allow=["okta"], env={})


def super_token(sb: Sandbox) -> str:
    """An SSWS token of a Super Admin: it reads every collection, so a clean sync is ``succeeded``."""
    return token_for_role(sb.org, "SUPER_ADMIN")


def stored_config(sb: Sandbox, env_name: str = TOKEN_ENV, **extra: Any) -> dict[str, Any]:
    """An integration config as the host stores it: the token is a reference to an environment variable."""
    cfg: dict[str, Any] = {
        "org_url": sb.url,
        "auth": {"method": "api_token", "token": {"$secret": "env", "name": env_name}},
        "allow_insecure_http_loopback": True,
    }
    cfg.update(extra)
    return cfg


def oauth_stored_config(sb: Sandbox, env_name: str = KEY_ENV, **extra: Any) -> dict[str, Any]:
    client_id, client = next(iter(sb.org.oauth_clients.items()))
    cfg: dict[str, Any] = {
        "org_url": sb.url,
        "auth": {"method": "oauth", "client_id": client_id, "key_id": client.jwks["keys"][0]["kid"],
                 "private_key": {"$secret": "env", "name": env_name}},
        "allow_insecure_http_loopback": True,
    }
    cfg.update(extra)
    return cfg


@dataclass
class Snapshot:
    """What the store shows of one integration: active assets, findings by uid, and their statuses."""

    assets: set[tuple[str, str]]
    gone: set[tuple[str, str]]
    findings: dict[str, dict[str, Any]]  # uid -> {status, compliance_status, check_id, resource_uid}

    @property
    def open_findings(self) -> set[str]:
        return {uid for uid, f in self.findings.items() if f["status"] != "resolved"}


def snapshot(store: Store, integration_id: int) -> Snapshot:
    db = store._conn()  # noqa: SLF001 - a test reads the tables directly to see exactly what is kept
    rows = db.execute("SELECT type, uid, gone_at FROM assets WHERE integration_id = ?", (integration_id,)).fetchall()
    assets = {(r["type"], r["uid"]) for r in rows if r["gone_at"] is None}
    gone = {(r["type"], r["uid"]) for r in rows if r["gone_at"] is not None}
    findings = {
        r["uid"]: {"status": r["status"], "compliance_status": r["compliance_status"], "check_id": r["check_id"],
                   "resource_uid": r["resource_uid"]}
        for r in db.execute(
            "SELECT uid, status, compliance_status, check_id, resource_uid FROM findings WHERE integration_id = ?",
            (integration_id,),
        ).fetchall()
    }
    return Snapshot(assets, gone, findings)


@dataclass
class Host:
    """A store + the real Okta connector + a runner, in ``tmp``."""

    tmp: Path
    store: Store = field(init=False)
    runner: Runner = field(init=False)

    messages: list[dict[str, Any]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.store = Store(self.tmp / "reliability.db")
        registry = okta_registry()
        self.runner = Runner(self.store, registry, batch_size=200)
        connector = registry.get("okta")
        real_sync = connector.sync

        def teed(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            for msg in real_sync(*args, **kwargs):
                self.messages.append(msg)
                yield msg

        connector.sync = teed  # type: ignore[method-assign] - the test sees every message the runner sees

    def add(self, name: str, config: dict[str, Any]) -> int:
        return self.store.add_integration(name, "okta", config, interval_minutes=60).id

    def sync(self, integration_id: int, **kwargs: Any) -> tuple[SyncRecord, float]:
        self.messages.clear()
        started = time.monotonic()
        rec = self.runner.sync(integration_id, **kwargs)
        return rec, time.monotonic() - started

    def close(self) -> None:
        self.store.close()


# ----------------------------------------------------------------------------------------- listeners


class RecordingServer:
    """A plain HTTP server on a 127.0.0.x address that records every request (method, path, headers) and
    answers with ``body`` (HTML by default): a host that is not an Okta org, or a foreign host."""

    def __init__(self, host: str = "127.0.0.1", body: str = "<html><body>Welcome to nginx!</body></html>",
                 content_type: str = "text/html", status: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET  # noqa: N815

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                outer.connections += 1
                return True

        self._httpd = Server((host, 0), Handler)
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def payloads(msgs: list[dict[str, Any]], mtype: str) -> list[dict[str, Any]]:
    return [m[mtype.lower()] for m in msgs if m.get("type") == mtype]


def final_streams(msgs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """stream -> its last STREAM_STATUS other than STARTED."""
    return {s["stream"]: s for s in payloads(msgs, "STREAM_STATUS") if s["status"] != "STARTED"}


def check_results(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["data"] for r in payloads(msgs, "RECORD") if r["kind"] == "check_result"]


def asset_uids(msgs: list[dict[str, Any]]) -> set[str]:
    return {str(r["data"].get("id")) for r in payloads(msgs, "RECORD") if r["kind"] == "asset"
            and isinstance(r["data"], dict)}


def messages_of(store: Store, sync_id: int) -> str:
    """The sync's history row as text (message, errors, counts, stats)."""
    return json.dumps(store.get_sync(sync_id).as_dict(), default=str)


def iter_files(root: Path) -> Iterator[Path]:
    for p in sorted(root.rglob("*")):
        if p.is_file():
            yield p
