"""Trends of one integration over its syncs: failing results by severity and the share of STIG (and HealthInsight)
rules passing, from the posture each applied sync left (``sync_posture``, recorded as the sync was applied), and
what changed in the last sync (new failing results, resolved ones).

The charts are inline SVG built here (numbers only, every label escaped), so the page and the report need no
script and no chart library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..store import Store
from .benchmarks import Benchmark
from .findings import SEVERITY_NAMES

SEVERITY_COLORS = {"critical": "#8b1a1a", "high": "#d9480f", "medium": "#e5a50a", "low": "#3b82c4",
                   "informational": "#8a94a6"}
SHARE_COLORS = {"stig": "#12805c", "healthinsight": "#5f3dc4"}


def _share(bench: Benchmark, requirements: Mapping[str, str]) -> dict[str, Any]:
    listed = [r.id for r in bench.rules]  # and the rules the results named beyond the list, as the table shows them
    rules = listed + sorted(k for k in requirements if k not in set(listed) and bench.is_rule(k))
    if not rules:
        return {"rules": 0, "passing": 0, "share": None}
    passing = sum(1 for r in rules if requirements.get(r) == "pass")
    return {"rules": len(rules), "passing": passing, "share": round(passing / len(rules), 4)}


def points(store: Store, integration_id: int, *, limit: int = 60,
           benchmarks: Mapping[str, Benchmark] | None = None) -> list[dict[str, Any]]:
    """The recorded posture of the integration's last ``limit`` applied syncs, oldest first, with the share of
    each of ``benchmarks`` (those its connector publishes) passing."""
    benches = benchmarks or {}
    rows = store._q(
        "SELECT p.sync_id, p.recorded_at, p.summary, s.started_at, s.sync_mode, s.status, s.findings_new,"
        " s.findings_resolved FROM sync_posture p JOIN syncs s ON s.id = p.sync_id WHERE p.integration_id = ?"
        " ORDER BY p.sync_id DESC LIMIT ?",
        (integration_id, limit),
    )
    out = []
    for sync_id, recorded_at, summary, started_at, mode, status, new, resolved in reversed(rows):
        try:
            s = json.loads(summary)
        except ValueError:
            continue
        reqs = s.get("requirements") or {}
        out.append({
            "sync_id": sync_id, "at": started_at, "recorded_at": recorded_at, "mode": mode, "status": status,
            "failing_by_severity": {k: int(v) for k, v in (s.get("failing_by_severity") or {}).items()},
            "failing": int(s.get("failing") or 0), "excepted": int(s.get("excepted") or 0),
            "by_status": s.get("by_status") or {}, "new": new, "resolved": resolved,
            "shares": {key: _share(bench, reqs) for key, bench in benches.items()},
        })
    return out


# ------------------------------------------------------------------------------------------------- charts

W, H, LEFT, RIGHT, TOP, BOTTOM = 680, 230, 44, 16, 14, 34


def _x(i: int, n: int) -> float:
    span = W - LEFT - RIGHT
    return LEFT + (span / 2 if n == 1 else span * i / (n - 1))


def _axis(n_points: Sequence[dict[str, Any]], top: float, fmt: str) -> list[str]:
    parts = []
    for k in range(5):
        v = top * k / 4
        y = H - BOTTOM - (H - TOP - BOTTOM) * k / 4
        label = f"{v:.0%}" if fmt == "%" else f"{v:,.0f}"
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"></line>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{label}</text>')
    n = len(n_points)
    step = max(1, n // 8)
    for i, p in enumerate(n_points):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{_x(i, n):.1f}" y="{H - BOTTOM + 16}" class="tick" text-anchor="middle">'
                         f'#{int(p["sync_id"])}</text>')
    return parts


def _series(values: Sequence[float], top: float, n: int, color: str, label: str, fmt: str,
            syncs: Sequence[int]) -> str:
    pts = []
    dots = []
    for i, v in enumerate(values):
        x = _x(i, n)
        y = H - BOTTOM - (H - TOP - BOTTOM) * (v / top if top else 0)
        pts.append(f"{x:.1f},{y:.1f}")
        shown = f"{v:.0%}" if fmt == "%" else f"{int(v):,}"
        dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(label)}, sync #'
                    f'{int(syncs[i])}: {shown}</title></circle>')
    return (f'<g class="series" data-series="{escape(label)}"><polyline fill="none" stroke="{color}" '
            f'stroke-width="2" points="{" ".join(pts)}"></polyline>{"".join(dots)}</g>')


def _legend(items: Sequence[tuple[str, str]]) -> str:
    x = LEFT
    parts = []
    for label, color in items:
        parts.append(f'<rect x="{x}" y="{H - 12}" width="10" height="10" fill="{color}"></rect>'
                     f'<text x="{x + 14}" y="{H - 3}" class="tick">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    return "".join(parts)


def _frame(body: list[str], label: str, chart_id: str) -> str:
    return (f'<svg class="trend-chart" id="{chart_id}" viewBox="0 0 {W} {H + 6}" role="img" '
            f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")


def severity_chart(pts: Sequence[dict[str, Any]]) -> str:
    """Failing results by severity over the syncs (one line per severity, and the total)."""
    if not pts:
        return ""
    n = len(pts)
    syncs = [p["sync_id"] for p in pts]
    top = max([p["failing"] for p in pts] + [1])
    top = _nice(top)
    body = _axis(pts, top, "n")
    legend = []
    for sev in SEVERITY_NAMES:
        values = [p["failing_by_severity"].get(sev, 0) for p in pts]
        if any(values):
            body.append(_series(values, top, n, SEVERITY_COLORS[sev], sev, "n", syncs))
            legend.append((sev, SEVERITY_COLORS[sev]))
    body.append(_series([p["failing"] for p in pts], top, n, "#1f2937", "all failing", "n", syncs))
    legend.append(("all failing", "#1f2937"))
    body.append(_legend(legend))
    return _frame(body, "failing results by severity over the syncs", "trend-severity")


def share_chart(pts: Sequence[dict[str, Any]], benchmarks: Mapping[str, Benchmark] | None = None) -> str:
    """The share of rules passing, per benchmark, over the syncs."""
    if not pts or not benchmarks:
        return ""
    n = len(pts)
    syncs = [p["sync_id"] for p in pts]
    body = _axis(pts, 1.0, "%")
    legend = []
    for key, bench in benchmarks.items():
        values = [p["shares"].get(key, {}).get("share") for p in pts]
        if all(v is None for v in values):
            continue
        body.append(_series([v or 0.0 for v in values], 1.0, n, SHARE_COLORS.get(key, "#444"), bench.label, "%",
                            syncs))
        legend.append((bench.label, SHARE_COLORS.get(key, "#444")))
    body.append(_legend(legend))
    return _frame(body, "share of rules passing over the syncs", "trend-share")


def _nice(v: float) -> float:
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if v <= step * 4:
            return float(-(-v // step) * step)
    return float(v)
