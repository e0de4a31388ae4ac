"""The server-rendered pages: Integrations, Configure, History, Findings, Assets, and the login."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as url_quote

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
    stream_with_context,
    url_for,
)
from markupsafe import Markup

from ..posture.assets import asset_console_url, list_assets
from ..posture.assets import detail as asset_detail
from ..posture.assets import statuses as asset_statuses
from ..posture.benchmarks import benchmarks as published_benchmarks
from ..posture.benchmarks import default_key
from ..posture.exceptions import KINDS as EXCEPTION_KINDS
from ..posture.exceptions import attach as attach_exceptions
from ..posture.exceptions import history as finding_history
from ..posture.exceptions import list_exceptions, parse_expiry
from ..posture.export import FORMATS as EXPORT_FORMATS
from ..posture.export import chunks as export_chunks
from ..posture.export import filename as export_filename
from ..posture.findings import (
    FAILING,
    NOT_EVALUATED,
    VIEWS,
    FindingFilter,
    check_groups,
    list_findings,
    posture_summary,
    tab_counts,
)
from ..posture.report import build as build_report
from ..posture.standards import RULE_LABELS, catalog_checks, standard_table
from ..posture.trends import points as trend_points
from ..posture.trends import severity_chart, share_chart
from ..store import SEVERITIES, NotFound, Page, StoreError, SyncInProgress
from . import actions, auth, queries
from .actions import ActionError, Host
from .presentation import (
    PAGE_SIZE,
    RESULT_CHOICES,
    SEVERITY_ORDER,
    SORTS,
    filter_args,
    finding_detail,
    finding_filter,
    relationship_groups,
    sync_scope,
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
    return auth.login_page()  # throttled; a server-side session; only a local ``next``


@pages.route("/logout", methods=["POST"])
def logout() -> Any:
    return auth.logout()  # the session is revoked on the server


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
        fields = actions.form_fields(connector, integ, dev=h.dev_allow_insecure_loopback)
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
        full = request.form.get("mode") == "full"  # the Full sync button
        host().jobs.start(integ, mode="full" if full else None)
        flash("Full sync started." if full else "Sync started.", "ok")
    except SyncInProgress as e:
        flash(str(e), "error")
    return redirect(url_for("pages.integration", iid=iid))


@pages.route("/integrations/<int:iid>/cancel", methods=["POST"])
def cancel_sync(iid: int) -> Any:
    integ = _integ_or_404(iid)
    if host().jobs.cancel(integ):
        flash("Cancel requested: the sync stops within seconds, and nothing of it is applied.", "ok")
    else:
        flash("No sync of this integration is running.", "error")
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
    items = [r.as_dict() for r in rows]
    for item in items:
        item["scope"] = sync_scope(item)  # collections out of this credential's scope are not errors
    return render_template("history.html", rows=items, integrations=_integrations(), integration=iid,
                           active="history")


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
    grouped = request.args.get("group", "check") != "none"
    groups = None
    try:
        if grouped:
            groups = _group_page(check_groups(h.store, flt), flt, page)
            result = Page([], groups.extra["results"], PAGE_SIZE)
        else:
            result = list_findings(h.store, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    except StoreError as e:
        abort(400, str(e))
    selected = _selected_finding()
    summary = posture_summary(h.store, iid)
    benches = published_benchmarks(h.store, h.registry, iid)
    first = default_key(benches)
    stig = _stig_donut(standard_table(h.store, benches[first], iid, catalog_checks(h.store, h.registry, iid))
                       ) if first else {"rules": 0}
    options = queries.filter_options(h.store, iid)
    args = filter_args(request.args)
    integrations = _integrations()
    return render_template(
        "findings.html", page=result, groups=groups, grouped=grouped, flt=flt, raw=request.args, selected=selected, summary=summary,
        stig=stig, options=options, severities=SEVERITY_ORDER, results=RESULT_CHOICES, sorts=SORTS,
        views=VIEWS, tab_counts=tab_counts(h.store, iid), integrations=integrations, integration=iid,
        pageno=page, page_size=PAGE_SIZE, args=args, multi=len(integrations) > 1, active="findings",
        flt_severity_names=[SEVERITIES.get(i) for i in flt.severity],
    )


def _stig_donut(table: dict[str, Any]) -> dict[str, Any]:
    """The Finding View's STIG panel from the Standards table (the same rules and statuses)."""
    c = table["counts"]
    evaluated = table["share_passing"] is not None
    return {"rules": table["rules"] if evaluated else 0, "share_passing": table["share_passing"],
            "passing": c["pass"], "failing": c["fail"], "not evaluated": c["not_evaluated"] + c["manual"],
            "excepted": c["excepted"]}


def _group_page(groups: list[Any], flt: Any, page: int) -> Page:
    wanted = [s for _h, results in flt.sections() for s in results]
    items = [g.as_dict() for g in groups[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    return Page(items, len(groups), PAGE_SIZE, (page - 1) * PAGE_SIZE,
                extra={"results": sum(g.count(wanted) for g in groups)})


CHECK_TABS = [("failing", "Affected"), ("not_evaluated", "Not evaluated"), ("passed", "Passing"),
              ("excepted", "Excepted"), ("all", "All")]


@pages.route("/findings/check")
def finding_check() -> Any:
    """One check of one integration: what it says, and the objects it judged (paged, searchable), each with its
    result, the message and the values read."""
    h = host()
    iid = _int_arg("integration")
    check = request.args.get("check", "").strip()
    if iid is None or not check:
        abort(404, "give an integration and a check")
    integ = _integ_or_404(iid)
    view = request.args.get("view", "") or ""
    groups = check_groups(h.store, FindingFilter(integration=integ.id, check=check, view="all"))
    if not groups:
        abort(404, f"no results of check {check!r} in {integ.name}")
    group = groups[0]
    if view not in dict(CHECK_TABS):
        view = ("failing" if group.affected else "not_evaluated" if group.not_evaluated
                else "excepted" if group.excepted else "passed")
    q = request.args.get("q", "").strip() or None
    page = max(1, _int_arg("page") or 1)
    flt = FindingFilter(integration=integ.id, check=check, view=view, search=q, order="severity",
                        objects_only=group.per_object)  # the org-level summary is shown above, not as an object
    result = list_findings(h.store, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, detail=True)
    counts = {"failing": group.count(FAILING), "not_evaluated": group.count(NOT_EVALUATED),
              "passed": group.count(["pass"]), "excepted": group.excepted}
    counts["all"] = sum(counts.values())
    sample = h.store.finding(result.items[0]["id"]) if result.items else None
    about = finding_detail(sample) if sample else None
    selected = _selected_finding()
    args = {"integration": [str(integ.id)], "check": [check], "view": [view], **({"q": [q]} if q else {})}
    return render_template(
        "finding_check.html", group=group.as_dict(), integ=integ, page=result, view=view, tabs=CHECK_TABS,
        tab_counts=counts, q=q or "", about=about, selected=selected, pageno=page, page_size=PAGE_SIZE,
        args=args, exceptions=list_exceptions(h.store, integ.id, check=check), kinds=EXCEPTION_KINDS,
        author=_author(), active="findings",
    )


def _selected_finding() -> dict[str, Any] | None:
    """The finding the detail panel shows (``?finding=``), with its exception and its history."""
    fid = _int_arg("finding")
    if fid is None:
        return None
    h = host()
    try:
        raw = h.store.finding(fid)
    except NotFound:
        return None
    detail = finding_detail(raw)
    integ = h.store.get_integration(raw["integration"])
    item = {**raw, "integration_id": integ.id}
    attach_exceptions(h.store, [item])
    detail["exception"] = item["exception"]
    detail["integration_id"] = integ.id
    detail["history"] = finding_history(h.store, item)
    detail["kinds"] = EXCEPTION_KINDS
    detail["author"] = _author()
    resource = asset_console_url(h.store, integ, raw.get("resource") or {})
    detail["asset_id"], detail["console_url"] = resource
    return detail


def _author() -> str:
    return str(session.get("user") or "")


# ------------------------------------------------------------------------------------------------ exceptions


@pages.route("/exceptions")
def exceptions() -> Any:
    h = host()
    iid = _int_arg("integration")
    if iid is not None:
        _integ_or_404(iid)
    state = request.args.get("state", "") or None
    try:
        items = list_exceptions(h.store, iid, state=state)
    except StoreError as e:
        abort(400, str(e))
    integrations = _integrations()
    return render_template("exceptions.html", items=items, state=state or "", integrations=integrations,
                           integration=iid, multi=len(integrations) > 1, kinds=EXCEPTION_KINDS,
                           args=filter_args(request.args), active="findings")


@pages.route("/exceptions", methods=["POST"])
def add_exception() -> Any:
    """Except one check (every object) or one object of it: accepted risk, false positive or suppressed."""
    h = host()
    form = request.form
    back = _local_next(form.get("next", ""))
    iid = form.get("integration", "")
    if not iid.isdigit():
        abort(400, "an integration is required")
    integ = _integ_or_404(int(iid))
    try:
        e = h.store.add_exception(
            integ.id, form.get("check", ""), kind=form.get("kind", ""), reason=form.get("reason", ""),
            author=form.get("author", ""), resource_uid=form.get("resource_uid") or None,
            resource_name=form.get("resource_name") or None, expires_at=parse_expiry(form.get("expires")),
        )
    except StoreError as e:
        flash(str(e), "error")
        return redirect(back or url_for("pages.findings"))
    scope = f"object {e['resource_name'] or e['resource_uid']}" if e["resource_uid"] else "every object of the check"
    flash(f"Exception #{e['id']} ({EXCEPTION_KINDS[e['kind']].lower()}) recorded for {scope}: its results leave"
          " the counts and are listed under Excepted.", "ok")
    return redirect(back or url_for("pages.findings", view="excepted"))


@pages.route("/exceptions/<int:eid>/revoke", methods=["POST"])
def revoke_exception(eid: int) -> Any:
    h = host()
    back = _local_next(request.form.get("next", ""))
    try:
        h.store.revoke_exception(eid, by=request.form.get("author", "") or _author() or "web page")
        flash(f"Exception #{eid} revoked: its results count again.", "ok")
    except NotFound:
        abort(404)
    except StoreError as e:
        flash(str(e), "error")
    return redirect(back or url_for("pages.exceptions"))


def _local_next(target: str) -> str | None:
    """Only a path of this site (never another host: //evil, /\\evil, a scheme): the login's own rule."""
    return auth.safe_next(target, "") or None


def _attachment(name: str) -> str:
    """A Content-Disposition for a download named after an integration: an ASCII fallback the WSGI server can
    encode (quotes, control and non-ASCII characters replaced) plus the exact name as RFC 6266 ``filename*``."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name) or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{url_quote(name, safe='')}"


# ------------------------------------------------------------------------------------------------ exports


@pages.route("/export/findings.<fmt>")
def export_findings(fmt: str) -> Any:
    """The current view of the Finding View (same arguments) as CSV or OCSF JSON Lines, streamed."""
    if fmt not in EXPORT_FORMATS:
        abort(404, f"no export format {fmt!r}; csv or jsonl")
    h = host()
    iid = _int_arg("integration")
    integ = _integ_or_404(iid) if iid is not None else None
    try:
        flt = finding_filter(request.args, iid)
        chunks = export_chunks(h.store, flt, fmt)
        first = next(chunks, "")  # errors before the response starts
    except StoreError as e:
        abort(400, str(e))
    mime, ext = EXPORT_FORMATS[fmt]

    def body() -> Any:
        yield first
        yield from chunks

    resp = Response(stream_with_context(body()), mimetype=mime.split(";")[0])
    if "charset" in mime:
        resp.charset = "utf-8"
    name = export_filename(integ.name if integ else None, flt, ext)
    resp.headers["Content-Disposition"] = _attachment(name)
    return resp


@pages.route("/report")
def report() -> Any:
    """A self-contained HTML report of one integration (summary, STIG table, findings by check with their objects
    and remediation, exceptions), downloaded; it prints cleanly to PDF."""
    h = host()
    iid = _int_arg("integration")
    integrations = _integrations()
    if iid is None and len(integrations) == 1:
        iid = integrations[0].id
    if iid is None:
        abort(400, "choose an integration: a report covers one")
    integ = _integ_or_404(iid)
    html = build_report(h.store, h.registry, integ.id)
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Disposition"] = _attachment(f"posture-report-{integ.name}.html")
    return resp


# ------------------------------------------------------------------------------------------------ trends


@pages.route("/trends")
def trends() -> Any:
    """One integration over its syncs: failing results by severity, the share of rules passing, and what the last
    sync changed (new failing results, resolved ones)."""
    h = host()
    integrations = _integrations()
    iid = _int_arg("integration")
    if iid is None and integrations:
        iid = integrations[0].id
    integ = _integ_or_404(iid) if iid is not None else None
    benches = published_benchmarks(h.store, h.registry, integ.id) if integ else {}
    pts = trend_points(h.store, integ.id, benchmarks=benches) if integ else []
    new = resolved = None
    if integ:
        new = list_findings(h.store, FindingFilter(integration=integ.id, new=True, view="failing"), limit=50)
        resolved = list_findings(h.store, FindingFilter(integration=integ.id, resolved_last=True), limit=50)
    return render_template(
        "trends.html", integ=integ, points=pts, latest=pts[-1] if pts else None,
        severity_svg=Markup(severity_chart(pts)), share_svg=Markup(share_chart(pts, benches)),  # noqa: S704
        new=new, resolved=resolved, integrations=integrations, integration=iid, benchmarks=benches,
        args=filter_args(request.args), active="trends",
    )


# ------------------------------------------------------------------------------------------------ standards


@pages.route("/standards")
def standards() -> Any:
    """A benchmark as a table of its rules (DISA Okta IDaaS STIG, Okta HealthInsight): status, the objects
    behind each rule and a link to its findings, with the share of rules passing."""
    h = host()
    iid = _int_arg("integration")
    if iid is not None:
        _integ_or_404(iid)
    benches = published_benchmarks(h.store, h.registry, iid)
    key = request.args.get("benchmark") or default_key(benches)
    integrations = _integrations()
    if key is None:  # no connector of these integrations publishes a standard
        return render_template("standards.html", table=None, rows=[], status="", labels=RULE_LABELS,
                               benchmarks=benches, bench=None, integrations=integrations, integration=iid,
                               multi=len(integrations) > 1, args=filter_args(request.args), active="standards")
    if key not in benches:
        abort(404, f"no benchmark {key!r}; one of {', '.join(benches) or '(none published)'}")
    table = standard_table(h.store, benches[key], iid, catalog_checks(h.store, h.registry, iid))
    status = request.args.get("status", "")
    rows = [r for r in table["items"] if r["status"] == status] if status in RULE_LABELS else table["items"]
    return render_template(
        "standards.html", table=table, rows=rows, status=status if status in RULE_LABELS else "",
        labels=RULE_LABELS, benchmarks=benches, bench=key, integrations=integrations, integration=iid,
        multi=len(integrations) > 1, args=filter_args(request.args), active="standards",
    )


# ------------------------------------------------------------------------------------------------ assets


@pages.route("/assets")
def assets() -> Any:
    h = host()
    iid = _int_arg("integration")
    atype = request.args.get("type", "").strip() or None
    q = request.args.get("q", "").strip() or None
    status = request.args.get("status", "").strip() or None
    admin = request.args.get("admin", "") in ("1", "on", "true")
    page = max(1, _int_arg("page") or 1)
    try:
        result = list_assets(h.store, iid, type=atype, search=q, status=status, admin=admin, limit=PAGE_SIZE,
                             offset=(page - 1) * PAGE_SIZE)
        counts = h.store.asset_counts(iid)
        status_choices = asset_statuses(h.store, iid, atype)
    except NotFound:
        abort(404)
    selected = None
    aid = _int_arg("asset")
    if aid is not None:
        try:
            selected = asset_detail(h.store, aid)
            selected["groups"] = relationship_groups(selected)
        except NotFound:
            selected = None
    integrations = _integrations()
    return render_template(
        "assets.html", page=result, counts=counts, atype=atype, q=q or "", selected=selected, status=status or "",
        admin=admin, statuses=status_choices, integrations=integrations, integration=iid, pageno=page,
        page_size=PAGE_SIZE, multi=len(integrations) > 1, args=filter_args(request.args), active="assets",
    )
