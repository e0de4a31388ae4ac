"""``connector-host demo``: a full sync of a generated sandbox Okta org, over HTTP, through the host.

Starts an ``okta_sandbox`` org in this process (imported lazily: the host does not depend on the sandbox),
adds an integration to a temporary store (the API token kept as an environment-variable reference, never in
the store), runs Test Connection and a full sync, then prints the history row, the failing findings by
severity, the top findings and the asset counts by type.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from .config_secrets import env_ref
from .console import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    SYNC_EXIT,
    CliError,
    CommandContext,
    ProgressDisplay,
    history_table,
    ts,
)
from .runner import Runner
from .store import Store

DEMO_TOKEN_ENV = "CONNECTOR_HOST_DEMO_OKTA_TOKEN"
SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational", "unknown", "other", "fatal")


def add_demo_parser(cmd: Callable[[str, str], argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``demo`` with the CLI's subcommand factory."""
    d = cmd("demo", "sync a generated sandbox Okta org end to end and print the results")
    d.add_argument("--users", type=int, default=200, help="users in the sandbox org (default 200)")
    d.add_argument("--scenario", default="weak", help="sandbox scenario (default weak)")
    d.add_argument("--top", type=int, default=10, help="top findings to print")
    return d


def run_demo(app: CommandContext) -> int:
    out, args = app.out, app.args
    try:
        from okta_sandbox.generator import generate
        from okta_sandbox.server import Sandbox
    except ImportError as e:
        raise CliError(f"the demo needs the okta-sandbox package ({e}); pip install okta-sandbox") from None
    connector = app.connector("okta")

    started = time.monotonic()
    org = generate(args.scenario, users=args.users)
    sandbox = Sandbox(org).start()
    tmp = tempfile.TemporaryDirectory(prefix="connector-host-demo-")
    store = Store(args.store or os.path.join(tmp.name, "store.db"))
    previous_env = os.environ.get(DEMO_TOKEN_ENV)
    os.environ[DEMO_TOKEN_ENV] = sandbox.token
    try:
        config: dict[str, Any] = {
            "org_url": sandbox.url,
            "auth": {"method": "api_token", "token": env_ref(DEMO_TOKEN_ENV)},
            "allow_insecure_http_loopback": True,
        }
        name = f"okta-sandbox-{int(time.time())}"
        store.add_integration(name, connector.id, config, interval_minutes=connector.default_interval_minutes())
        runner = Runner(store, app.registry)
        _i, _c, resolved = runner.prepare(name)
        out.redact_with(connector.redactor(resolved))
        if not out.as_json:
            out.line(f"Sandbox Okta org ({args.scenario}, {args.users} users) at {sandbox.url}; store {store.path}")

        result = runner.test(name)
        if not out.as_json:
            caps = result.get("capabilities") or []
            ok = sum(1 for c in caps if c.get("status") in ("ok", "succeeded"))
            out.line(f"Test Connection: {result.get('status')} ({ok}/{len(caps)} capabilities readable)"
                     + (f" - {result.get('message')}" if result.get("message") else ""))
        if result.get("status") != "succeeded":
            if out.as_json:
                out.json({"test_connection": result})
            return EXIT_USAGE if result.get("failure_kind") == "config" else EXIT_FAILED

        record = runner.sync(name, progress=ProgressDisplay(out.stderr))
        summary = store.findings_summary(name)
        top = store.query_findings(name, status=["fail", "warning"], limit=args.top).items
        counts = store.asset_counts(name)
        elapsed = round(time.monotonic() - started, 2)

        if out.as_json:
            out.json({
                "test_connection": result, "sync": record.as_dict(), "findings_summary": summary,
                "top_findings": top, "asset_counts": counts, "seconds": elapsed,
            })
        else:
            out.line("")
            out.line("History")
            history_table(out, [record])
            if record.message:
                out.line(f"  {record.message}")
            out.line("")
            by_sev = summary["failing_by_severity"]
            out.line(f"Findings failing: {summary['failing']} "
                     + "(" + ", ".join(f"{s} {by_sev[s]}" for s in SEVERITY_ORDER if s in by_sev) + ")")
            results = summary["by_status"]
            out.line("Check results: " + ", ".join(f"{k} {v}" for k, v in sorted(results.items())))
            out.line("")
            out.line(f"Top {len(top)} findings")
            out.table([(f["severity"], f["title"], _resource(f)) for f in top], ["SEVERITY", "TITLE", "RESOURCE"])
            out.line("")
            out.line(f"Assets: {sum(counts.values())}")
            out.table(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), ["TYPE", "COUNT"])
            out.line("")
            out.line(f"Done in {elapsed}s; sync #{record.id} started {ts(record.started_at)}.")
            if not args.store:
                out.line("The demo store was temporary; use --store PATH to keep it and browse with "
                         "`connector-host --store PATH findings`.")
        # a partial sync is the expected outcome of a least-privileged (read-only admin) token: still a success
        return EXIT_OK if record.status in ("succeeded", "partial") else SYNC_EXIT.get(record.status, EXIT_FAILED)
    finally:
        if previous_env is None:
            os.environ.pop(DEMO_TOKEN_ENV, None)
        else:
            os.environ[DEMO_TOKEN_ENV] = previous_env
        sandbox.stop()
        store.close()
        tmp.cleanup()


def _resource(f: dict[str, Any]) -> str:
    r = f.get("resource") or {}
    name = r.get("name") or r.get("uid") or "-"
    return f"{r.get('type') or '?'} {name}"
