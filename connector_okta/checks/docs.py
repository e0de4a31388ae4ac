"""Render the check catalog as Markdown (``docs/checks.md``).

``python -m connector_okta.checks.docs [PATH]`` writes the table to PATH (default: print to stdout).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .catalog import STIG, load_catalog

HEADER = """# Posture checks

Generated from `connector_okta/checks/catalog.toml` by `python scripts/gen_checks_doc.py`;
do not edit by hand (a test compares this file with the generator's output).

Statuses: `pass`, `warning`, `fail`, `manual` (the API cannot answer: the result says where to look in the Admin
Console) and `unknown` (the data could not be read: the result says why). Missing data never yields `pass`.
Profiles: `baseline` (default), `stig` (DISA Okta IDaaS STIG V1R2 thresholds and the federal-only rules) and
`healthinsight` (Okta HealthInsight values). Fan-out: the check makes per-object calls within the sync's request
budget (admins first); what the budget does not reach is `unknown`.
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _refs(c: dict) -> str:
    refs = c.get("references", {})
    stds = ", ".join(refs.get("standards", []))
    reqs = ", ".join(refs.get("requirements", []))
    return f"{stds}: {reqs}" if reqs else stds


def _kind(c: dict) -> str:
    return c["kind"] + (" (partly manual)" if c["kind"] == "automated" and c.get("manual") else "")


def render() -> str:
    checks = load_catalog()
    lines = [HEADER]
    automated = sum(1 for c in checks if c["kind"] == "automated")
    lines.append(f"{len(checks)} checks: {automated} automated, {len(checks) - automated} manual.\n")
    lines.append("| id | title | severity | standards: requirements | automated or manual | collections | fan-out "
                 "| engines | profiles |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for c in checks:
        kind = _kind(c)
        colls = ", ".join(c.get("collections", []) + [f"({x})" for x in c.get("optional_collections", [])]) or "-"
        engines = ", ".join({"idx": "Identity Engine", "v1": "Classic"}[p] for p in c["pipelines"])
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"`{c['id']}`", c["title"], c["severity"], _refs(c), kind, colls, "yes" if c["fanout"] else "no",
            engines, ", ".join(c["profiles"]))) + " |")
    lines.append("\nCollections in parentheses are read when present (optional).\n")
    lines.append("## DISA Okta IDaaS STIG V1R2 coverage\n")
    lines.append("| Vuln ID | STIG ID | checks | automated or manual | where to look (Admin Console) |")
    lines.append("|---|---|---|---|---|")
    rules: dict[str, dict] = {}
    for c in checks:
        if STIG not in c["references"]["standards"]:
            continue
        reqs = c["references"]["requirements"]
        for i, r in enumerate(reqs):
            if not r.startswith("V-"):
                continue
            stig_id = reqs[i + 1] if i + 1 < len(reqs) and reqs[i + 1].startswith("OKTA-APP-") else "(not published)"
            entry = rules.setdefault(r, {"stig_id": stig_id, "checks": [], "kinds": set(), "console": []})
            entry["checks"].append(f"`{c['id']}`")
            entry["kinds"].add(_kind(c))
            entry["console"].append(c["remediation"]["console"])
    for vuln in sorted(rules):
        e = rules[vuln]
        lines.append("| " + " | ".join(_cell(x) for x in (
            vuln, e["stig_id"], ", ".join(e["checks"]), " + ".join(sorted(e["kinds"])), e["console"][0])) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
