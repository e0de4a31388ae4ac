"""``connector-host trends NAME``: the posture each applied sync left (failing results by severity, the share of
STIG and HealthInsight rules passing, new and resolved), and what the last sync changed."""

from __future__ import annotations

import argparse

from ..console import EXIT_OK, CommandContext, ts
from ..posture.benchmarks import benchmarks
from ..posture.findings import FindingFilter, list_findings
from ..posture.trends import points
from ._common import CommandFactory, registered


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    t = cmd("trends", "an integration's posture over its syncs, and what the last sync changed")
    t.add_argument("name", help="integration")
    t.add_argument("--limit", type=int, default=20, help="syncs to show (default 20)")
    return registered(t, run)


def run(app: CommandContext) -> int:
    args, out = app.args, app.out
    integ = app.store.get_integration(args.name)
    benches = benchmarks(app.store, app.registry, integ.id)
    pts = points(app.store, integ.id, limit=max(1, args.limit), benchmarks=benches)
    new = list_findings(app.store, FindingFilter(integration=integ.id, new=True, view="failing"), limit=20)
    resolved = list_findings(app.store, FindingFilter(integration=integ.id, resolved_last=True), limit=20)
    if out.as_json:
        out.json({"integration": integ.name, "points": pts,
                  "new": {"total": new.total, "items": new.items},
                  "resolved": {"total": resolved.total, "items": resolved.items}})
        return EXIT_OK
    if not pts:
        out.line(f"no sync of {integ.name} applied yet: each applied sync adds a point")
        return EXIT_OK

    def share(p: dict, key: str) -> str:
        v = p["shares"].get(key, {}).get("share")
        return "-" if v is None else f"{v:.0%}"

    out.table(
        [(f"#{p['sync_id']}", ts(p["at"]), p["status"], p["mode"], p["failing"],
          *(p["failing_by_severity"].get(s, 0) for s in ("critical", "high", "medium", "low")), p["excepted"],
          *(share(p, key) for key in benches), p["new"], p["resolved"]) for p in pts],
        ["SYNC", "STARTED", "STATUS", "MODE", "FAILING", "CRIT", "HIGH", "MED", "LOW", "EXCEPTED",
         *(key.upper() for key in benches), "NEW", "RESOLVED"],
    )
    for label, page in (("new since the last sync", new), ("resolved since the last sync", resolved)):
        out.line(f"\n{page.total} {label}" + (":" if page.items else ""))
        for f in page.items:
            out.line(f"  {f['severity']:<13} {f['result']:<8} {f['title']} - {f['object']['text']}")
        if page.total > len(page.items):
            out.line("  ... (connector-host findings " + integ.name
                     + (" --new)" if page is new else " --resolved)"))
    return EXIT_OK
