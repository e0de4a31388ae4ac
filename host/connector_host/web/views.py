"""The server-rendered pages: Integrations, Configure, History, Findings, Assets, and the login."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..store import NotFound, StoreError, SyncInProgress
from . import actions, queries
from .actions import ActionError, Host

pages = Blueprint("pages", __name__)

SEVERITY_ORDER = ["critical", "high", "medium", "low", "informational"]
RESULT_CHOICES = [
    ("", "All results"), ("failing", "Failing (fail + warning)"), ("fail", "Fail"), ("warning", "Warning"),
    ("pass", "Pass"), ("manual", "Manual"), ("unknown", "Unknown"), ("resolved", "Resolved"),
]
SORTS = [("severity", "Severity"), ("check", "Check"), ("first_seen", "First seen"), ("last_seen", "Last seen")]
PAGE_SIZE = 50
REL_LABELS = {
    ("member_of", "out"): "Groups (member of)",
    ("member_of", "in"): "Members",
    ("has_role", "out"): "Admin roles",
    ("has_role", "in"): "Holders of this role",
    ("assigned_to", "out"): "Assigned apps",
    ("assigned_to", "in"): "Assignments",
    ("rule_of", "in"): "Rules",
    ("rule_of", "out"): "Rule of",
    ("applies_to", "out"): "Applies to",
    ("applies_to", "in"): "Policies applied",
    ("owns", "out"): "Owns",
    ("owns", "in"): "Owners",
}


def host() -> Host:
    return current_app.extensions["connector_host"]


def _int_arg(name: str) -> int | None:
    v = request.args.get(name, "")
    return int(v) if v.isdigit() else None


def _integrations() -> list[Any]:
    return host().store.list_integrations()


# ------------------------------------------------------------------------------------------------ login


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    from .app import check_password

    error = None
    if request.method == "POST":
        if check_password(current_app, request.form.get("password", "")):
            session.clear()
            session["user"] = "admin"
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//") or "\\" in target:
                target = url_for("pages.integrations")
            return redirect(target)
        error = "wrong password"
    return render_template("login.html", error=error), (401 if error else 200)


@pages.route("/logout", methods=["POST"])
def logout() -> Any:
    session.clear()
    return redirect(url_for("pages.login"))


# ------------------------------------------------------------------------------------------------ integrations


@pages.route("/")
def index() -> Any:
    return redirect(url_for("pages.integrations"))


@pages.route("/integrations")
def integrations() -> Any:
    h = host()
    cards = [actions.connector_card(c) for c in h.registry]
    q = request.args.get("q", "").strip()
    configured = [actions.integration_summary(h, i) for i in h.store.list_integrations()]
    by_connector: dict[str, int] = {}
    for i in configured:
        by_connector[i["connector"]] = by_connector.get(i["connector"], 0) + 1
    return render_template(
        "integrations.html", cards=cards, configured=configured, q=q, by_connector=by_connector,
        failures=[f.as_dict() for f in h.registry.failures], active="integrations",
    )


@pages.route("/connectors/<cid>/icon")
def icon(cid: str) -> Any:
    c = host().registry.connectors.get(cid)
    found = actions.icon_bytes(c) if c else None
    if not found:
        abort(404)
    data, mime = found
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    resp.headers["Cache-Control"] = "max-age=3600"
    return resp


def _configure(connector_id: str, integ: Any) -> Any:
    h = host()
    try:
        connector = actions.connector_or_404(h, connector_id)
    except ActionError as e:
        abort(404, str(e))
    card = actions.connector_card(connector)
    test_result = None
    general: list[str] = []
    name = integ.name if integ else _default_name(connector.id)
    interval = integ.interval_minutes if integ else connector.default_interval_minutes()
    status_code = 200
    if request.method == "POST":
        sub = actions.submit(h, connector, request.form, integ)
        fields, name, interval, general = sub.fields, sub.name, sub.interval, sub.general
        action = request.form.get("_action", "save")
        if action == "test":
            test_result = actions.test_submission(sub)
            if sub.new_secrets:
                general = [*general, "Secret fields are never sent back to the browser: enter them again to save."]
        elif sub.ok:
            try:
                saved = actions.save_submission(h, sub, integ)
            except ActionError as e:
                general = [*general, str(e)]
                status_code = e.status
            else:
                flash(f"Saved {saved.name}.", "ok")
                return redirect(url_for("pages.integration", iid=saved.id))
        else:
            status_code = 422
        if status_code != 200 and sub.new_secrets:
            general = [*general, "Secret fields are never sent back to the browser: enter them again to save."]
    else:
        fields = actions.form_fields(connector, integ)
    status = h.jobs.status(integ) if integ else None
    recent = h.store.history(integ.id, limit=5) if integ else []
    frequencies = list(actions.FREQUENCIES)
    if interval and interval not in [f[0] for f in frequencies]:
        frequencies.append((interval, f"Every {interval} minutes"))
    return render_template(
        "configure.html", card=card, integ=integ, fields=fields, name=name, interval=interval or 0,
        frequencies=[f for f in frequencies if f[0] == 0 or f[0] >= connector.minimum_interval_minutes()],
        test_result=test_result, general=general, status=status, recent=recent, active="integrations",
        name_error=(sub.errors.get("_name") if request.method == "POST" else None),
        interval_error=(sub.errors.get("_interval") if request.method == "POST" else None),
    ), status_code


def _default_name(cid: str) -> str:
    taken = {i.name for i in _integrations()}
    n, name = 1, cid
    while name in taken:
        n += 1
        name = f"{cid}-{n}"
    return name


@pages.route("/integrations/new/<cid>", methods=["GET", "POST"])
def new_integration(cid: str) -> Any:
    return _configure(cid, None)


def _integ_or_404(iid: int) -> Any:
    try:
        return host().store.get_integration(iid)
    except NotFound:
        abort(404, f"no integration #{iid}")


@pages.route("/integrations/<int:iid>", methods=["GET", "POST"])
def integration(iid: int) -> Any:
    integ = _integ_or_404(iid)
    return _configure(integ.connector, integ)


@pages.route("/integrations/<int:iid>/sync", methods=["POST"])
def sync_now(iid: int) -> Any:
    integ = _integ_or_404(iid)
    try:
        host().jobs.start(integ)
        flash("Sync started.", "ok")
    except SyncInProgress as e:
        flash(str(e), "error")
    return redirect(url_for("pages.integration", iid=iid))


@pages.route("/integrations/<int:iid>/delete", methods=["POST"])
def delete_integration(iid: int) -> Any:
    integ = _integ_or_404(iid)
    try:
        host().store.delete_integration(integ.id)
        flash(f"Removed {integ.name} with its history, findings and assets.", "ok")
    except StoreError as e:
        flash(str(e), "error")
    return redirect(url_for("pages.integrations"))


# ------------------------------------------------------------------------------------------------ history


@pages.route("/history")
def history() -> Any:
    h = host()
    iid = _int_arg("integration")
    try:
        rows = h.store.history(iid, limit=200)
    except NotFound:
        abort(404)
    return render_template("history.html", rows=[r.as_dict() for r in rows], integrations=_integrations(),
                           integration=iid, active="history")


# ------------------------------------------------------------------------------------------------ findings


def finding_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """Store query arguments from request arguments (pages and API share it)."""
    severities = [s for s in args.getlist("severity") if s in SEVERITY_ORDER] if hasattr(args, "getlist") else []
    result = str(args.get("status", "") or "")
    status: list[str] = []
    if result == "failing":
        status = ["fail", "warning"]
    elif result in ("fail", "warning", "pass", "manual", "unknown"):
        status = [result]
    elif result == "resolved":
        status = ["resolved"]
    sort = str(args.get("sort", "severity") or "severity")
    return {
        "severity": severities or None,
        "status": status or None,
        "standard": str(args.get("standard", "") or "").strip() or None,
        "check": str(args.get("check", "") or "").strip() or None,
        "new": str(args.get("new", "")) in ("1", "on", "true"),
        "search": str(args.get("q", "") or "").strip() or None,
        "order": sort if sort in dict(SORTS) else "severity",
    }


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def finding_detail(f: dict[str, Any]) -> dict[str, Any]:
    """The parts of a stored finding the detail panel shows; tolerant of any shape the connector sent."""
    raw = _dict(f.get("finding"))
    info = _dict(raw.get("finding_info"))
    comp = _dict(raw.get("compliance"))
    remediation = _dict(raw.get("remediation"))
    requirements = [r for r in comp.get("requirements") or [] if isinstance(r, str)]
    evidence = [e.get("data", e) if isinstance(e, Mapping) else e for e in raw.get("evidences") or []
                if e is not None] if isinstance(raw.get("evidences"), list) else []
    details = comp.get("status_details") if isinstance(comp.get("status_details"), list) else []
    if not details and isinstance(raw.get("message"), str):
        details = [raw["message"]]
    standards = comp.get("standards") if isinstance(comp.get("standards"), list) else f.get("standards") or []
    return {
        **{k: v for k, v in f.items() if k != "finding"},
        "description": info.get("desc") or comp.get("desc"),
        "details": [d for d in details if isinstance(d, str)],
        "remediation": remediation.get("desc") if isinstance(remediation.get("desc"), str) else None,
        "references": [r for r in remediation.get("references") or [] if isinstance(r, str)],
        "resources": [r for r in raw.get("resources") or [] if isinstance(r, Mapping)]
        if isinstance(raw.get("resources"), list) else [],
        "evidence": evidence,
        "standards": [s for s in standards if isinstance(s, str)],
        "vuln_ids": [r for r in requirements if re.match(r"^V-\d+$", r)],
        "requirements": [r for r in requirements if not re.match(r"^V-\d+$", r)],
        "finding": raw,
    }


@pages.route("/findings")
def findings() -> Any:
    h = host()
    iid = _int_arg("integration")
    filters = finding_filters(request.args)
    page = max(1, _int_arg("page") or 1)
    try:
        result = h.store.query_findings(iid, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)
    except NotFound:
        abort(404)
    except StoreError as e:
        abort(400, str(e))
    selected = None
    fid = _int_arg("finding")
    if fid is not None:
        try:
            selected = finding_detail(h.store.finding(fid))
        except NotFound:
            selected = None
    summary = h.store.findings_summary(iid)
    stig = queries.stig_summary(h.store, iid, queries.catalog_stig_rules(h.store, h.registry, iid))
    options = queries.filter_options(h.store, iid)
    args = request.args.to_dict(flat=False)
    return render_template(
        "findings.html", page=result, filters=filters, raw=request.args, selected=selected, summary=summary,
        stig=stig, options=options, severities=SEVERITY_ORDER, results=RESULT_CHOICES, sorts=SORTS,
        integrations=_integrations(), integration=iid, pageno=page, page_size=PAGE_SIZE, args=args,
        active="findings",
    )


# ------------------------------------------------------------------------------------------------ assets


def relationship_groups(asset: dict[str, Any]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in asset.get("relationships") or []:
        key = (r["relation"], r["direction"])
        other = r["to"] if r["direction"] == "out" else r["from"]
        groups.setdefault(key, []).append({**other, "attributes": r.get("attributes")})
    return [
        {"label": REL_LABELS.get(k, f"{k[0].replace('_', ' ')} ({'to' if k[1] == 'out' else 'from'})"), "items": v}
        for k, v in sorted(groups.items())
    ]


@pages.route("/assets")
def assets() -> Any:
    h = host()
    iid = _int_arg("integration")
    atype = request.args.get("type", "").strip() or None
    q = request.args.get("q", "").strip() or None
    page = max(1, _int_arg("page") or 1)
    try:
        result = h.store.query_assets(iid, type=atype, search=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        counts = h.store.asset_counts(iid)
    except NotFound:
        abort(404)
    selected = None
    aid = _int_arg("asset")
    if aid is not None:
        try:
            selected = h.store.asset(aid)
            selected["groups"] = relationship_groups(selected)
        except NotFound:
            selected = None
    return render_template(
        "assets.html", page=result, counts=counts, atype=atype, q=q or "", selected=selected,
        integrations=_integrations(), integration=iid, pageno=page, page_size=PAGE_SIZE,
        args=request.args.to_dict(flat=False), active="assets",
    )
