"""``connector-host asset ID``: one asset in full, with its relationships and findings."""

from __future__ import annotations

import argparse
import json

from ..console import EXIT_OK, CommandContext, ts
from ._common import CommandFactory, registered


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    ai = cmd("asset", "one asset in full, with its relationships and findings")
    ai.add_argument("id", help="asset id or uid")
    return registered(ai, run)


def run(app: CommandContext) -> int:
    out = app.out
    a = app.store.asset(app.args.id)
    if out.as_json:
        out.json(a)
        return EXIT_OK
    out.line(f"{a['type']} {a['name']} ({a['uid']}){'  [gone]' if a['gone'] else ''}")
    out.line(f"  id {a['id']}  integration {a['integration']}  class {a['class_uid']}  stream {a['stream']}")
    out.line(f"  first seen {ts(a['first_seen'])}, last seen {ts(a['last_seen'])}")
    for r in a["relationships"][:50]:
        other = r["to"] if r["direction"] == "out" else r["from"]
        arrow = "->" if r["direction"] == "out" else "<-"
        out.line(f"  {arrow} {r['relation']} {other['type']} {other.get('name') or ''} ({other['uid']})")
    for f in a["findings"][:50]:
        out.line(f"  finding {f['id']}: [{f['severity']}, {f['compliance_status']}] {f['title']}")
    out.line(json.dumps(a["asset"], indent=2, sort_keys=True, default=str))
    return EXIT_OK
