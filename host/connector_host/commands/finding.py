"""``connector-host finding ID``: one finding in full."""

from __future__ import annotations

import argparse
import json

from ..console import EXIT_OK, CommandContext, ts
from ..posture.exceptions import attach, history
from ..posture.findings import RESULT_LABELS
from ._common import CommandFactory, registered


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    fi = cmd("finding", "one finding in full")
    fi.add_argument("id", help="finding id or uid")
    return registered(fi, run)


def run(app: CommandContext) -> int:
    out = app.out
    f = app.store.finding(app.args.id)
    if out.as_json:
        item = {**f, "integration_id": app.store.get_integration(f["integration"]).id}
        attach(app.store, [item])
        out.json({**f, "exception": item["exception"], "history": history(app.store, item)})
        return EXIT_OK
    raw = f.get("finding") or {}
    info = raw.get("finding_info") or {}
    result = RESULT_LABELS.get(f["compliance_status"], f["compliance_status"])
    out.line(f"{f['title']}  [{f['severity']}, {result}, {f['status']}]")
    out.line(f"  id {f['id']}  uid {f['uid']}  check {f['check_id']}  integration {f['integration']}")
    out.line(f"  resource: {f['resource'].get('type')} {f['resource'].get('name')} ({f['resource'].get('uid')})")
    out.line(f"  first seen {ts(f['first_seen'])}, last seen {ts(f['last_seen'])}"
             + (f", resolved {ts(f['resolved_at'])}" if f.get("resolved_at") else ""))
    if f["standards"]:
        out.line("  standards: " + ", ".join(f["standards"]))
    for label, value in (("description", info.get("desc")), ("status detail", raw.get("status_detail")),
                         ("remediation", (raw.get("remediation") or {}).get("desc"))):
        if value:
            out.line(f"  {label}: {value}")
    evidence = raw.get("evidences") or raw.get("evidence") or (raw.get("unmapped") or {}).get("evidence")
    if evidence:
        out.line("  evidence: " + json.dumps(evidence, sort_keys=True, default=str)[:2000])
    item = {**f, "integration_id": app.store.get_integration(f["integration"]).id}
    attach(app.store, [item])
    e = item["exception"]
    if e:
        scope = "this object" if e["resource_uid"] else "every object of the check"
        out.line(f"  exception #{e['id']}: {e['kind_label'].lower()} for {scope}, by {e['author']}"
                 + (f", until {ts(e['expires_at'])}" if e["expires_at"] else ", no expiry") + f": {e['reason']}")
    out.line("  history:")
    for ev in history(app.store, item):
        out.line(f"    {ts(ev['at'])}  {ev['event']}" + (f": {ev['detail']}" if ev["detail"] else ""))
    return EXIT_OK
