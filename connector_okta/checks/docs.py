"""Render the check catalog as Markdown (``docs/checks.md``).

``python -m connector_okta.checks.docs [PATH]`` writes the table to PATH (default: print to stdout).

Besides the catalog's metadata, the page says for each check which reads it depends on (the endpoints of its
collections, from :mod:`connector_okta.resources`), the semantics it applies, and what it reports when a read
fails; the words come from the catalog keys ``collections``, ``optional_collections``, ``gaps_reported``,
``policy_types``, ``fanout_reads``, ``caveat`` and ``unread`` (collection -> what the check reports when it could not
be read, where the generic words do not fit), and from the texts below.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..resources import BY_NAME
from .catalog import FANOUT_ONLY, STIG, STREAMED, load_catalog

HEADER = """# Posture checks

Generated from `connector_okta/checks/catalog.toml` by `python scripts/gen_checks_doc.py`;
do not edit by hand (a test compares this file with the generator's output).

Statuses: `pass`, `warning`, `fail`, `manual` (the API cannot answer: the result says where to look in the Admin
Console) and `unknown` (the data could not be read: the result says why). Missing data never yields `pass`.
Profiles: `baseline` (default), `stig` (DISA Okta IDaaS STIG V1R2 thresholds and the federal-only rules) and
`healthinsight` (Okta HealthInsight values). Fan-out: the check makes per-object calls within the sync's request
budget (admins first); what the budget does not reach is `unknown`.
"""

UNREAD = """## Data that was not read

Never a false pass: a check passes only on data that was read and found compliant.

- **A failed read is never an empty list.** Completeness is tracked per request series and per parent object. A
  read that fails (any HTTP status, a timeout, a malformed or truncated body, the fan-out budget) leaves what it
  would have returned *unknown*: the collection is INCOMPLETE and names the series or the parents it could not
  read, and the sync is `partial` (unless the only gaps are the configured fan-out budget or a feature the org
  does not have).
- **Per parent.** The rules of a policy, the policies and rules of an authorization server, the roles of an admin
  or a group, the members of a group are read once per parent. When one parent's read fails, that parent's
  children are unknown and every check that needs them says `unknown` for it, with the request, its HTTP status
  and Okta's request id (`evidence.unread`); the other parents are judged on what was read.
- **Deleted during the sync.** A per-parent read answered 404 re-reads the parent itself. Only when that answers
  404 too is the parent deleted: it is dropped from judgement (never judged on nothing) and reported (a `LOG`
  line, the collection's reason). Otherwise the 404 is a failed read like any other.
- **Children Okta guarantees.** Every global session (OKTA_SIGN_ON), password, enrollment (MFA_ENROLL) and app
  sign-in (ACCESS_POLICY) policy has a default or catch-all rule that cannot be deleted: zero rules read for one
  of them is a failed read, `unknown`, never a pass.
- **Per series.** Policies are read one type at a time (`GET /api/v1/policies?type=...`). A type that cannot be
  read (400, 403, 404, 5xx, ...) leaves the checks on the other types judged as usual; the checks on that type
  say `unknown`. A single object answered with something that is not an object (a list, a string) is a failed
  read, not an empty one.
- **Absent fields.** A field an object does not carry counts as its documented default only where Okta documents
  that default as the safe value (an IdP's `policy.trustClaims`, default false); otherwise the check says
  `unknown`.
- **Incomplete collections.** A check whose collection could not be read at all says `unknown` (or `manual` when
  the org does not have the feature and the check has a manual procedure). When a collection was read only in
  part and the check does not judge it object by object (below), no `pass` survives (it becomes `unknown`), and
  neither does a `fail` or `warning` that rests on something not being found.
"""

SEMANTICS = """## Conditions, as Okta evaluates them

Whatever cannot be decided is taken the way that cannot produce a pass: a restriction the check cannot confirm
does not restrict, and a permissive rule it cannot rule out is reachable.

- **Policies**: every ACTIVE policy of the type is judged, in priority order (which users each one reaches is not
  modelled, so none is skipped). The Okta Admin Console and Okta Dashboard policies are found through their apps
  (`saasure`, `okta_enduser`: `_links.accessPolicy`, or a policy mapping), never by name.
- **Rules**: every ACTIVE rule is judged unless a rule above it (a lower priority number, ACTIVE) matches every
  request: no people condition other than the Everyone group, no exclusion, network ANYWHERE, risk and identity
  provider ANY, and no other condition at all (device, platform, user type, expression, or anything unknown).
  Only rules whose priority is a known integer are ever taken as shadowed. A rule whose status is neither ACTIVE
  nor INACTIVE is judged as if active. A rule whose action is not an explicit DENY may allow access.
- **Network zones** (rules' `conditions.network`, API tokens' `network`): `ANYWHERE` or no condition does not
  restrict. `ZONE` with `include` restricts when every included id is a zone the sync read (or `ALL_ZONES`) and at
  least one is ACTIVE (`ALL_ZONES`: at least one ACTIVE zone exists). `exclude` alone restricts when an excluded
  zone is ACTIVE and names addresses (gateways, proxies; a dynamic zone's locations, ASNs, proxy type or IP
  service categories); an excluded zone that is INACTIVE or unknown cannot be confirmed to exclude anything
  (`unknown`), one that is ACTIVE and empty excludes nothing (not restricted). When the zones could not be read,
  a rule or token that names zones is `unknown`.
- **Device conditions**: a rule is limited by device when it requires a registered or managed device or a device
  assurance policy (`conditions.device.registered` / `managed` true, `assurance.include` not empty).
- **People and groups**: a people condition that names users, excludes anyone, or includes a group other than
  Everyone narrows the rule (so the rules below it stay reachable); the Everyone group is recognised in the
  `groups` collection (BUILT_IN, named Everyone) when it was read, otherwise no rule counts as matching everyone.
"""

# what a check reports when an optional collection could not be read
OPTIONAL_EFFECT = {
    "groups": "the Everyone group cannot be recognised, so no rule is taken as matching everyone (more rules are "
              "judged)",
    "zones": "the zones a rule or token names cannot be resolved: those rules or tokens are `unknown`",
    "policy_mappings": "an app without `_links.accessPolicy` cannot be matched to its policy: `unknown` for it",
    "authenticators": "`unknown` (Identity Engine)",
    "org_factors": "`unknown` (Classic)",
    "idps": "`unknown` (Classic: the smart card IdP cannot be found)",
    "admin_users": "every token owner's roles are read per owner (fan-out): `unknown` where that fails",
    "user_roles": "the owner's roles are read per owner (fan-out): `unknown` where that fails",
}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _refs(c: dict) -> str:
    refs = c.get("references", {})
    stds = ", ".join(refs.get("standards", []))
    reqs = ", ".join(refs.get("requirements", []))
    return f"{stds}: {reqs}" if reqs else stds


def _kind(c: dict) -> str:
    if c["kind"] == "automated" and c.get("manual"):
        return "automated (partly manual)"
    if c["kind"] == "automated" and c.get("caveat"):
        return "automated (pass with caveat)"
    return c["kind"]


def _read(name: str, policy_types: list[str]) -> str:
    """The request(s) a collection is read with."""
    if name in FANOUT_ONLY:
        return f"`{name}` (per object, within the fan-out budget)"
    res = BY_NAME.get(name)
    if res is None:
        return f"`{name}`"
    path = res.path.replace("{grandparent_id}", "{authServerId}").replace("{parent_id}", "{id}")
    if name == "policies":
        types = policy_types or [str(v.get("type")) for v in res.variants]
        return ", ".join(f"`GET {path}?type={t}`" for t in types)
    text = f"`GET {path}`"
    if res.variants and name == "users":
        text += " and `?filter=status eq \"DEPROVISIONED\"`"
    if res.parent:
        parent = BY_NAME[res.parent]
        budget = ", within the fan-out budget" if res.fanout else ""
        text += f" (per {res.principal or parent.asset_type or parent.name}{budget})"
    if name in STREAMED:
        text += " (streamed)"
    return text


def _on_failure(c: dict) -> list[str]:
    """What the check reports when each of its reads fails."""
    out = []
    gaps = set(c.get("gaps_reported", []))
    types = c.get("policy_types", [])
    custom = c.get("unread") or {}
    for name in c.get("collections", []):
        if name in custom:
            out.append(f"`{name}` not read: {custom[name]}")
        elif name == "policies" and types:
            out.append(f"policies of type {', '.join(types)} not read: `unknown` (no policy of the type can be "
                       "judged; read in part: no `pass`); a failure on another policy type does not affect it")
        elif name in gaps:
            out.append(f"`{name}` of one parent not read: `unknown` for that parent, naming the request, its status "
                       "and request id; the others are judged; a parent deleted during the sync is not judged")
        else:
            manual = " (`manual` where the org does not have the feature)" if c.get("manual") else ""
            out.append(f"`{name}` not read: `unknown`{manual}; read in part: no `pass`")
    for name in c.get("optional_collections", []):
        effect = custom.get(name) or OPTIONAL_EFFECT.get(name, "`unknown` where it is needed")
        out.append(f"`{name}` not read: {effect}")
    for read in c.get("fanout_reads", []):
        out.append(f"{read.split(' (')[0]} failing or beyond the budget: `unknown` for that object")
    return out


def _semantics(c: dict) -> list[str]:
    read = set(c.get("collections", [])) | set(c.get("optional_collections", []))
    out = []
    if "policy_rules" in read:
        out.append("policies and rules as Okta evaluates them (see *Conditions, as Okta evaluates them*)")
    if "zones" in read and c["id"] != "okta-network-custom-zones" and c["id"] != "okta-network-anonymizer-blocklist":
        out.append("network zone conditions (same section)")
    if "apps" in read and "policy_rules" in read:
        out.append("each app's policy found through the app")
    if c.get("caveat"):
        out.append(f"a `pass` carries the caveat: {c['caveat'].rstrip('.')}")
    return out


def _per_check(checks: list[dict]) -> list[str]:
    lines = ["## What each check reads, and what it reports when a read fails\n"]
    for c in checks:
        lines.append(f"### `{c['id']}`\n")
        if c["kind"] == "manual":
            lines.append(f"Manual: {c.get('manual', '')}\n")
            continue
        types = c.get("policy_types", [])
        reads = [_read(n, types) for n in c.get("collections", [])]
        reads += [f"{_read(n, types)} when present" for n in c.get("optional_collections", [])]
        reads += [f"`{r.split(' (')[0]}`" + (f" ({r.split(' (', 1)[1]}" if " (" in r else "")
                  for r in c.get("fanout_reads", [])]
        lines.append(f"- Reads: {'; '.join(reads)}.")
        sem = _semantics(c)
        if sem:
            lines.append(f"- Semantics: {'; '.join(sem)}.")
        lines.append("- When a read fails:")
        lines.extend(f"  - {what}." for what in _on_failure(c))
        lines.append("")
    return lines


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
    lines.append(UNREAD)
    lines.append(SEMANTICS)
    lines.extend(_per_check(checks))
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
