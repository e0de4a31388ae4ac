"""``connector-host findings``: what fails first, then what could not be evaluated; passes only when asked."""

from __future__ import annotations

import argparse

from ..console import EXIT_OK, CliError, CommandContext, ts
from ..posture.findings import (
    DEFAULT_VIEW,
    RESULTS,
    VIEWS,
    FindingFilter,
    check_groups,
    list_findings,
    parse_results,
    parse_severities,
)
from ..posture.standards import catalog_checks
from ..store import StoreError
from ._common import CommandFactory, cut_hint, integration_id, page_args, registered, several_integrations

VIEW_NAMES = [v.replace("_", "-") for v in VIEWS]


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    f = cmd("findings", "findings that need attention: failing (fail, warning) first, then not evaluated"
                        " (unknown, manual); passed results with --view passed")
    add_filter_args(f)
    f.add_argument("--by-check", action="store_true",
                   help="one row per check: its worst result, the objects it fails on of those checked, standards")
    f.add_argument("--sort", choices=["severity", "check", "first_seen", "last_seen"], default="severity")
    page_args(f)
    return registered(f, run)


def add_filter_args(f: argparse.ArgumentParser) -> None:
    """The selection ``findings`` and ``export`` share."""
    views = "; ".join(f"{k.replace('_', '-')}: {v.help}" for k, v in VIEWS.items())
    f.add_argument("name", nargs="?", help="integration (default: all)")
    f.add_argument("--view", choices=VIEW_NAMES, default=DEFAULT_VIEW,
                   help=f"which results (default {DEFAULT_VIEW}): {views}")
    f.add_argument("--severity", action="append", metavar="SEVERITY",
                   help="critical, high, medium, low, informational; repeatable or comma-separated")
    f.add_argument("--status", action="append", metavar="RESULT",
                   help=f"only these results: {', '.join(RESULTS)} (or failing, not-evaluated); or a state: active"
                        " (every active result, passes included), resolved; repeatable")
    f.add_argument("--check", help="a check id")
    f.add_argument("--standard", help="a standard or requirement id (substring), e.g. STIG or V-273186")
    f.add_argument("--requirement", help="exactly this requirement, e.g. V-273193 or 'HealthInsight: ThreatInsight'")
    f.add_argument("--new", action="store_true", help="became failing in the last sync")
    f.add_argument("--resolved", action="store_true", help="stopped failing in the last sync")
    f.add_argument("--search", help="check, title or object name contains (or an exact object id)")


def build_filter(app: CommandContext) -> FindingFilter:
    """The selection of ``findings`` (and ``export``) from the parsed arguments."""
    args = app.args
    view = args.view.replace("-", "_")
    results: list[str] = []
    for value in args.status or ():
        for part in str(value).split(","):
            part = part.strip().lower()
            if part == "active":
                view = "all"
            elif part == "resolved":
                view = "resolved"
            elif part:
                results.append(part)
    try:
        parsed = parse_results(results)
        severity = parse_severities(args.severity)
    except StoreError as e:
        raise CliError(str(e)) from None
    if args.check:
        known = known_checks(app)
        if args.check not in known:
            shown = ", ".join(sorted(known)[:60]) + (" ..." if len(known) > 60 else "")
            raise CliError(f"unknown check {args.check!r}; the checks with results or in the catalogs: "
                           f"{shown or 'none yet (sync first)'}")
    if parsed and view in ("open", "failing", "not_evaluated", "passed"):
        view = "all"  # the results asked for, whichever tab they belong to
    return FindingFilter(
        integration=integration_id(app, args.name), view=view, results=parsed, severity=severity,
        check=args.check, standard=args.standard, requirement=args.requirement, search=args.search, new=args.new,
        resolved_last=args.resolved, order=getattr(args, "sort", "severity"),
    )


def known_checks(app: CommandContext) -> set[str]:
    """The check ids of the stored results and of the installed connectors' catalogs."""
    known = {r[0] for r in app.store._q("SELECT DISTINCT check_id FROM findings WHERE check_id IS NOT NULL")}
    return known | {c["id"] for c in catalog_checks(app.store, app.registry)}


def run(app: CommandContext) -> int:
    args, out = app.args, app.out
    flt = build_filter(app)
    if args.by_check:
        return run_by_check(app, flt)
    page = list_findings(app.store, flt, limit=args.limit, offset=args.offset)
    if out.as_json:
        out.json({"view": flt.view, "total": page.total, "limit": page.limit, "offset": page.offset,
                  "sections": page.extra.get("sections"), "items": page.items})
        return EXIT_OK
    if not page.items:
        out.line("no findings match" + (" (passed results: --view passed)" if flt.view == "open" else ""))
        return EXIT_OK
    multi = several_integrations(app)
    headers = ["ID", "SEVERITY", "RESULT", "CHECK", "TITLE", "OBJECT"]
    headers += ["INTEGRATION"] if multi else []
    rows = []
    for f in page.items:
        exc = f.get("exception")
        result = f["result"] + (f" ({exc['kind_label'].lower()})" if exc else "")
        result += ", resolved" if f["status"] == "resolved" else ""
        row = [f["id"], f["severity"], result, f["check_id"], f["title"], f["object"]["text"]]
        row += [f["integration"]] if multi else []
        rows.append([*row, ts(f["first_seen"]), ts(f["last_seen"])])
    headers += ["FIRST SEEN", "LAST SEEN"]
    if out.width and out.width < 160:  # a narrow terminal: the names matter more than when they were first seen
        rows = [r[:-2] + r[-1:] for r in rows]
        headers = headers[:-2] + headers[-1:]
    out.table(rows, headers)
    sections = page.extra.get("sections") or {}
    parts = [f"{k.lower()} {v:,}" for k, v in sections.items() if k and v]
    cut_hint(out, len(page.items), page.total, page.offset, page.limit,
             "findings" + (f" ({', '.join(parts)})" if len(parts) > 1 else ""))
    return EXIT_OK


def run_by_check(app: CommandContext, flt: FindingFilter) -> int:
    out, args = app.out, app.args
    groups = check_groups(app.store, flt)
    shown = groups[args.offset:args.offset + args.limit]
    if out.as_json:
        out.json({"view": flt.view, "total": len(groups), "limit": args.limit, "offset": args.offset,
                  "items": [g.as_dict() for g in shown]})
        return EXIT_OK
    if not shown:
        out.line("no checks match" + (" (passed results: --view passed)" if flt.view == "open" else ""))
        return EXIT_OK
    multi = several_integrations(app)
    rows = []
    for g in shown:
        d = g.as_dict()
        objects = "org" if not g.per_object else f"{g.affected:,}" + (f" of {g.checked:,}" if g.checked is not None
                                                                      else "")
        row = [d["severity"], d["result"], g.check_id, objects, g.new or "", ", ".join(d["vuln_ids"])]
        row += [g.integration] if multi else []
        rows.append([*row, g.title + (f" - {g.summary}" if g.summary else "")])
    headers = ["SEVERITY", "STATUS", "CHECK", "AFFECTED", "NEW", "STIG"] + (["INTEGRATION"] if multi else [])
    out.table(rows, [*headers, "TITLE"])
    cut_hint(out, len(shown), len(groups), args.offset, args.limit, "checks")
    out.line("objects of one check: connector-host findings [NAME] --check CHECK_ID")
    return EXIT_OK
