"""The server-rendered pages: Integrations, Configure, History, Findings, Assets, and the login."""

from __future__ import annotations

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

from ..posture.findings import VIEWS, list_findings
from ..store import SEVERITIES, NotFound, StoreError, SyncInProgress
from . import actions, queries
from .actions import ActionError, Host
from .auth import check_password
from .presentation import (
    PAGE_SIZE,
    RESULT_CHOICES,
    SEVERITY_ORDER,
    SORTS,
    filter_args,
    finding_detail,
    finding_filter,
    relationship_groups,
)

pages = Blueprint("pages", __name__)


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


@pages.route("/findings")
def findings() -> Any:
    h = host()
    iid = _int_arg("integration")
    try:
        if iid is not None:
            h.store.get_integration(iid)
        flt = finding_filter(request.args, iid)
    except NotFound:
        abort(404)
    except StoreError as e:
        abort(400, str(e))
    page = max(1, _int_arg("page") or 1)
    try:
        result = list_findings(h.store, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
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
    args = filter_args(request.args)
    integrations = _integrations()
    return render_template(
        "findings.html", page=result, flt=flt, raw=request.args, selected=selected, summary=summary,
        stig=stig, options=options, severities=SEVERITY_ORDER, results=RESULT_CHOICES, sorts=SORTS,
        views=VIEWS, tab_counts=queries.view_counts(h.store, iid), integrations=integrations, integration=iid,
        pageno=page, page_size=PAGE_SIZE, args=args, multi=len(integrations) > 1, active="findings",
        flt_severity_names=[SEVERITIES.get(i) for i in flt.severity],
    )


# ------------------------------------------------------------------------------------------------ assets


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
        args=filter_args(request.args), active="assets",
    )
