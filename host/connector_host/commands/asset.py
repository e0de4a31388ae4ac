"""``connector-host asset ID``: one asset in full, with its facts, relationships, findings and console link."""

from __future__ import annotations

import argparse
import json

from ..console import EXIT_OK, CommandContext, ts
from ..posture.assets import detail
from ..posture.findings import RESULT_LABELS
from ._common import CommandFactory, registered


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    ai = cmd("asset", "one asset in full, with its relationships and findings")
    ai.add_argument("id", help="asset id or uid")
    return registered(ai, run)


def run(app: CommandContext) -> int:
    out = app.out
    base = app.store.asset(app.args.id)
    a = detail(app.store, base["id"])
    if out.as_json:
        out.json(a)
        return EXIT_OK
    f = a["facts"]
    out.line(f"{a['type']} {a['display_name']} ({a['uid']}){'  [gone]' if a['gone'] else ''}")
    out.line(f"  id {a['id']}  integration {a['integration']}  class {a['class_uid']}  stream {a['stream']}")
    if f["full_name"]:
        out.line(f"  name: {f['full_name']}" + (f" <{f['email']}>" if f["email"] else ""))
    if f["status"]:
        out.line(f"  status: {f['status']}")
    if a["type"] == "user":
        out.line(f"  last sign-in: {ts(f['last_login']) if f['last_login'] else 'never'}")
        factors = f["factors"]
        out.line("  MFA factors: " + (", ".join(factors) or "none active" if factors is not None
                                       else "not read (the connector reads factors for admins)"))
        out.line("  admin roles: " + (", ".join(f["roles"] or []) or ("admin" if f["is_admin"] else "none")))
    out.line(f"  first seen {ts(a['first_seen'])}, last seen {ts(a['last_seen'])}")
    if a.get("console_url"):
        out.line(f"  admin console: {a['console_url']}")
    for r in a["relationships"][:50]:
        other = r["to"] if r["direction"] == "out" else r["from"]
        arrow = "->" if r["direction"] == "out" else "<-"
        out.line(f"  {arrow} {r['relation']} {other['type']} {other.get('name') or ''} ({other['uid']})")
    for x in a["findings"][:50]:
        exc = f" ({x['exception']['kind_label'].lower()})" if x.get("exception") else ""
        out.line(f"  finding {x['id']}: [{x['severity']}, {RESULT_LABELS.get(x['compliance_status'], '?')}{exc}]"
                 f" {x['title']}")
    out.line(json.dumps(a["asset"], indent=2, sort_keys=True, default=str))
    return EXIT_OK
