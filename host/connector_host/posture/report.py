"""A self-contained HTML report of one integration: summary, the STIG and HealthInsight tables, findings by check
with their affected objects and remediation, exceptions. One file, no script, no external resource (styles and
charts inline), laid out to print cleanly to PDF (A4, headers repeated, a check never cut from its heading).

Built with the standard library (no template engine), so ``connector-host export --format html`` works without
the web extra; every value is escaped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from html import escape
from typing import Any

from .. import __version__
from ..loader import Registry
from ..store import Store, now_ms
from .benchmarks import benchmarks
from .exceptions import list_exceptions
from .findings import SEVERITY_NAMES, FindingFilter, check_groups, list_findings, posture_summary, tab_counts
from .standards import RULE_LABELS, catalog_checks, standard_table

MAX_OBJECTS = 500  # per check; the CSV export has them all

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bad:#c92a2a; --ok:#12805c; --warn:#b35c00; }
* { box-sizing: border-box; }
body { font: 13px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 28px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 2px solid var(--ink);
     padding-bottom: 4px; } h3 { font-size: 14px; margin: 0 0 4px; } h4 { font-size: 12px; margin: 10px 0 4px;
     text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.muted { color: var(--muted); } .small { font-size: 11px; } .mono { font-family: Menlo, Consolas, monospace; }
.pre { white-space: pre-line; } .nowrap { white-space: nowrap; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 10px; }
th { text-align: left; font-size: 10px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
     border-bottom: 1px solid var(--ink); padding: 4px 6px; }
td { border-bottom: 1px solid var(--line); padding: 4px 6px; vertical-align: top; }
thead { display: table-header-group; } tr { break-inside: avoid; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; } .card { border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; min-width: 150px; } .card b { display: block; font-size: 22px; }
.pill { display: inline-block; font-size: 10px; font-weight: 700; padding: 1px 7px; border-radius: 4px;
        text-transform: capitalize; white-space: nowrap; border: 1px solid currentColor; }
.s-critical { color: #8b1a1a; } .s-high { color: #d9480f; } .s-medium { color: #8a5a00; } .s-low { color: #1d5f99; }
.s-informational { color: var(--muted); }
.r-fail { color: var(--bad); } .r-warning { color: var(--warn); } .r-pass { color: var(--ok); }
.r-unknown, .r-not_evaluated, .r-manual { color: var(--muted); } .r-excepted { color: #5f3dc4; }
.check { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin: 12px 0; }
.check-head { break-after: avoid; }
.ev { font-family: Menlo, Consolas, monospace; font-size: 10px; margin-right: 8px; }
svg { vertical-align: middle; }
footer { margin-top: 30px; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; } .check { break-inside: auto; } .check-head { break-inside: avoid; }
  .noprint { display: none; }
}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _ts(ms: Any) -> str:
    if not isinstance(ms, int | float):
        return "–"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ms / 1000))


def _pill(kind: str, value: str, label: str | None = None) -> str:
    return f'<span class="pill {kind}-{_e(value)}">{_e(label or value)}</span>'


def _bars(values: Mapping[str, int]) -> str:
    top = max([*values.values(), 1])
    colors = {"critical": "#8b1a1a", "high": "#d9480f", "medium": "#e5a50a", "low": "#3b82c4", "informational": "#8a94a6"}
    rows = []
    for i, s in enumerate(SEVERITY_NAMES):
        v = values.get(s, 0)
        w = round(220 * v / top, 1)
        y = i * 22
        rows.append(f'<text x="0" y="{y + 14}" font-size="11">{s}</text>'
                    f'<rect x="90" y="{y + 3}" width="{w}" height="14" rx="2" fill="{colors[s]}"></rect>'
                    f'<text x="{96 + w}" y="{y + 14}" font-size="11">{v}</text>')
    return (f'<svg width="360" height="{len(SEVERITY_NAMES) * 22}" role="img" aria-label="failing by severity">'
            + "".join(rows) + "</svg>")


def _donut(share: float | None) -> str:
    pct = round((share or 0) * 100)
    return (f'<svg width="92" height="92" viewBox="0 0 42 42" role="img" aria-label="{pct}% passing">'
            '<circle cx="21" cy="21" r="15.915" fill="none" stroke="#fde2e2" stroke-width="5"></circle>'
            '<circle cx="21" cy="21" r="15.915" fill="none" stroke="#12805c" stroke-width="5" '
            f'stroke-dasharray="{pct} {100 - pct}" stroke-dashoffset="25"></circle>'
            f'<text x="21" y="23.5" font-size="8" font-weight="700" text-anchor="middle">{pct}%</text></svg>')


def _standard_section(table: Mapping[str, Any]) -> str:
    bench = table["benchmark"]
    stig = bool(bench["alt_label"])
    c = table["counts"]
    head = (f'<div class="cards"><div class="card">{_donut(table["share_passing"])}</div><div class="card">'
            f'<b>{c["pass"]} / {table["rules"]}</b>rules pass<br><span class="small muted">{c["fail"]} fail · '
            f'{c["not_evaluated"]} not evaluated · {c["manual"]} manual · {c["excepted"]} excepted</span></div></div>')
    cols = (["Vuln ID", "STIG ID", "Title", "CAT"] if stig else ["Recommendation", "Severity"]) + [
        "Status", "Objects", "Checks"]
    rows = []
    for r in table["items"]:
        first = ([f'<td class="mono nowrap">{_e(r["id"])}</td>',
                  f'<td class="mono small nowrap">{_e(r["alt_id"] or "–")}</td>',
                  f"<td>{_e(r['title'])}</td>", f'<td class="nowrap">{_e(r["category"] or "–")}</td>'] if stig
                 else [f"<td>{_e(r['title'])}</td>", f"<td>{_e(r['severity'] or '–')}</td>"])
        rows.append(
            f'<tr data-rule="{_e(r["id"])}">' + "".join(first)
            + f"<td>{_pill('r', r['status'], RULE_LABELS[r['status']])}</td>"
            + f'<td class="num">{r["affected"]}</td>'
            + f'<td class="small mono">{"<br>".join(_e(x["id"]) for x in r["checks"]) or "–"}</td></tr>')
    return (f"<h2>{_e(bench['label'])}</h2>" + head + "<table><thead><tr>"
            + "".join(f"<th>{_e(x)}</th>" for x in cols) + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _evidence(ev: Mapping[str, Any]) -> str:
    import json

    parts = []
    for k, v in ev.items():
        if k == "profile":
            continue
        text = v if isinstance(v, str) else json.dumps(v, default=str)
        parts.append(f'<span class="ev"><span class="muted">{_e(k)}</span> {_e(text[:200])}</span>')
    return "".join(parts)


def _check_section(store: Store, g: Any, at: int) -> str:
    d = g.as_dict()
    flt = FindingFilter(integration=g.integration_id, check=g.check_id, view="open", objects_only=g.per_object, at=at)
    page = list_findings(store, flt, limit=MAX_OBJECTS, detail=True, record=True)
    sample = page.items[0]["finding"] if page.items else {}
    info = sample.get("finding_info") if isinstance(sample.get("finding_info"), dict) else {}
    remediation = sample.get("remediation") if isinstance(sample.get("remediation"), dict) else {}
    objects = "the org" if not g.per_object else (
        f"{g.affected} of {g.checked} objects" if g.checked is not None else f"{g.affected} objects")
    head = (f'<div class="check-head"><h3>{_pill("s", d["severity"])} {_pill("r", d["status"], d["result"])} '
            f'{_e(g.title)}</h3><p class="small muted"><span class="mono">{_e(g.check_id)}</span> · {_e(objects)}'
            + (f" · {g.excepted} excepted" if g.excepted else "")
            + (f" · {_e(', '.join(d['vuln_ids']))}" if d["vuln_ids"] else "") + "</p>"
            + (f"<p><b>{_e(g.summary)}</b></p>" if g.summary else "")
            + (f"<p>{_e(info.get('desc'))}</p>" if info.get("desc") else "")
            + (f'<h4>Remediation</h4><p class="pre">{_e(remediation.get("desc"))}</p>'
               if remediation.get("desc") else "") + "</div>")
    rows = []
    for f in page.items:
        o = f["object"]
        rows.append(f"<tr><td>{_e(o['name'])}" + (f'<br><span class="small muted">{_e(o["detail"])}</span>'
                                                   if o["detail"] and o["detail"] != o["name"] else "")
                    + f'</td><td class="small">{_e(o["type"])}</td>'
                    + f"<td>{_pill('r', f['compliance_status'], f['result'])}</td>"
                    + f'<td class="small">{_e(f.get("message"))}</td><td>{_evidence(f.get("evidence") or {})}</td></tr>')
    more = page.total - len(page.items)
    table = ("<h4>Affected objects</h4><table><thead><tr><th>Object</th><th>Type</th><th>Result</th><th>Why</th>"
             "<th>Evidence</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
             + (f'<p class="small muted">and {more} more (see the CSV export)</p>' if more > 0 else "")) if rows else ""
    return f'<section class="check" data-check="{_e(g.check_id)}">' + head + table + "</section>"


def build(store: Store, registry: Registry | None, integration: str | int, *, at: int | None = None) -> str:
    """The report of one integration, as one HTML document."""
    at = now_ms() if at is None else at
    integ = store.get_integration(integration)
    last = store.last_sync(integ.id, applied=True)
    summary = posture_summary(store, integ.id, at)
    counts = tab_counts(store, integ.id, at)
    catalog = catalog_checks(store, registry, integ.id)
    tables = [standard_table(store, b, integ.id, catalog) for b in benchmarks(store, registry, integ.id).values()]
    base = FindingFilter(integration=integ.id, at=at)
    failing = check_groups(store, base)
    excepted = list_exceptions(store, integ.id, at=at)
    connector = registry.connectors.get(integ.connector) if registry else None
    title = f"Posture report: {integ.name}"
    parts = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(connector.name if connector else integ.connector)} · generated {_ts(at)}'
        + (f" · last sync #{last.id} {_e(last.status)} ({_e(last.sync_mode)}) at {_ts(last.started_at)}" if last
           else " · no sync applied yet") + "</p>",
        "<h2>Summary</h2>",
        f'<div class="cards"><div class="card"><b class="r-fail">{counts["failing"]}</b>failing results</div>'
        f'<div class="card"><b>{counts["not_evaluated"]}</b>not evaluated</div>'
        f'<div class="card"><b class="r-pass">{counts["passed"]}</b>passing</div>'
        f'<div class="card"><b class="r-excepted">{counts["excepted"]}</b>excepted</div>'
        f'<div class="card"><b>{len([g for g in failing if g.status in ("fail", "warning")])}</b>checks failing</div>'
        "</div>",
        "<h4>Failing results by severity</h4>" + _bars(summary["failing_by_severity"]),
    ]
    parts += [_standard_section(t) for t in tables] or [
        '<h2>Standards</h2><p class="muted">No standards table: the connector publishes none.</p>']
    parts.append("<h2>Findings by check</h2>")
    parts.append('<p class="muted small">Failing checks first, then those not evaluated; each with the objects it'
                 " fails on (excepted results left out) and how to fix it.</p>")
    parts += [_check_section(store, g, at) for g in failing]
    if not failing:
        parts.append('<p class="muted">Nothing failing and nothing left unevaluated.</p>')
    parts.append("<h2>Exceptions</h2>")
    if excepted:
        parts.append("<table><thead><tr><th>#</th><th>Check</th><th>Scope</th><th>Kind</th><th>Reason</th>"
                     "<th>Author</th><th>Expires</th><th>State</th></tr></thead><tbody>" + "".join(
                         f"<tr><td>{e['id']}</td><td class=\"mono small\">{_e(e['check_id'])}</td>"
                         f"<td>{_e(e['resource_name'] or e['resource_uid'] or 'every object')}</td>"
                         f"<td>{_e(e['kind_label'])}</td><td>{_e(e['reason'])}</td><td>{_e(e['author'])}</td>"
                         f"<td>{_ts(e['expires_at']) if e['expires_at'] else 'never'}</td><td>{_e(e['state'])}</td></tr>"
                         for e in excepted) + "</tbody></table>")
    else:
        parts.append('<p class="muted">None.</p>')
    parts.append(f'<footer class="small muted">connector-host {_e(__version__)} · {_e(integ.name)} · {_ts(at)}</footer>')
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            # opened from disk, the report still runs nothing and loads nothing
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
            'img-src data:">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>" + "\n".join(parts) + "</body></html>\n")
