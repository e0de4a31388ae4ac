"""``connector-host standards``: a benchmark's rules (DISA Okta IDaaS STIG V1R2, Okta HealthInsight) with their
status, the objects behind each and the checks that judge it."""

from __future__ import annotations

import argparse

from ..console import EXIT_OK, CliError, CommandContext
from ..posture.benchmarks import benchmarks, default_key
from ..posture.standards import RULE_LABELS, RULE_STATUSES, catalog_checks, standard_table
from ._common import CommandFactory, integration_id, registered


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    s = cmd("standards", "a benchmark's rules (those the connectors publish; default: the first, the DISA Okta IDaaS"
                         " STIG for Okta): status, objects, checks")
    s.add_argument("name", nargs="?", help="integration (default: all; a rule fails when it fails in any)")
    s.add_argument("--benchmark", help="which benchmark, by key (stig, healthinsight for Okta; default: the first "
                                       "the connectors publish)")
    s.add_argument("--status", choices=[x.replace("_", "-") for x in RULE_STATUSES],
                   help="only rules with this status")
    return registered(s, run)


def run(app: CommandContext) -> int:
    args, out = app.args, app.out
    iid = integration_id(app, args.name)
    benches = benchmarks(app.store, app.registry, iid)
    key = args.benchmark or default_key(benches)
    if key is None:
        if out.as_json:
            out.json({"benchmark": None, "benchmarks": [], "rules": 0, "items": []})
        else:
            out.line("no standards table: the connectors of these integrations publish none")
        return EXIT_OK
    if key not in benches:
        raise CliError(f"no benchmark {key!r}; one of {', '.join(benches) or '(none published)'}")
    table = standard_table(app.store, benches[key], iid, catalog_checks(app.store, app.registry, iid))
    items = table["items"]
    if args.status:
        items = [i for i in items if i["status"] == args.status.replace("-", "_")]
    if out.as_json:
        out.json({**table, "items": items})
        return EXIT_OK
    bench = table["benchmark"]
    stig = bool(bench["alt_label"])
    rows = []
    for r in items:
        checks = ", ".join(c["id"] for c in r["checks"]) or "(no check)"
        if stig:
            rows.append([r["id"], r["alt_id"] or "-", r["category"] or "-", r["label"], r["affected"], checks,
                         r["title"]])
        else:
            rows.append([r["title"], r["severity"] or "-", r["label"], r["affected"], checks])
    headers = (["VULN ID", "STIG ID", "CAT", "STATUS", "OBJECTS", "CHECKS", "TITLE"] if stig
               else ["RECOMMENDATION", "SEVERITY", "STATUS", "OBJECTS", "CHECKS"])
    if rows:
        out.table(rows, headers)
    else:
        out.line("no rule matches")
    c = table["counts"]
    share = table["share_passing"]
    out.line(f"\n{bench['label']}: {c['pass']} of {table['rules']} rules pass"
             + (f" ({share:.0%})" if share is not None else " (no results yet)")
             + "; " + ", ".join(f"{c[s]} {RULE_LABELS[s]}" for s in ("fail", "not_evaluated", "manual")))
    return EXIT_OK
