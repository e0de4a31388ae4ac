"""The JSON API: the same actions as the pages (the page's script uses it for Test Connection and Sync Now).

Every state-changing route needs the CSRF token in the ``X-CSRFToken`` header. Secrets are never returned:
a stored config is shown with each secret replaced by how it is kept (``<secret: encrypted>``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from ..posture.benchmarks import benchmarks
from ..posture.findings import list_findings, posture_summary
from ..posture.standards import catalog_checks, standard_table
from ..store import NotFound, StoreError, SyncInProgress
from . import actions, queries
from .actions import ActionError, Host
from .presentation import PAGE_SIZE, finding_detail, finding_filter, relationship_groups

api = Blueprint("api", __name__)


def host() -> Host:
    return current_app.extensions["connector_host"]


@api.errorhandler(ActionError)
def action_error(e: ActionError) -> Any:
    return jsonify(error=str(e), status=e.status), e.status


@api.errorhandler(NotFound)
def not_found(e: NotFound) -> Any:
    return jsonify(error=str(e), status=404), 404


@api.errorhandler(StoreError)
def store_error(e: StoreError) -> Any:
    return jsonify(error=str(e), status=400), 400


def _int(name: str, default: int | None = None) -> int | None:
    v = request.args.get(name, "")
    return int(v) if v.isdigit() else default


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ActionError("send a JSON object (Content-Type: application/json)")
    return body


def _integration_out(integ: Any) -> dict[str, Any]:
    h = host()
    d = actions.integration_summary(h, integ)
    d["config"] = actions.masked_config(h, integ)
    return d


# ------------------------------------------------------------------------------------------------ connectors


@api.get("/connectors")
def connectors() -> Any:
    h = host()
    return jsonify(connectors=[actions.connector_card(c) for c in h.registry],
                   failures=[f.as_dict() for f in h.registry.failures])


@api.get("/connectors/<cid>/schema")
def connector_schema(cid: str) -> Any:
    return jsonify(actions.connector_or_404(host(), cid).config_schema())


# ------------------------------------------------------------------------------------------------ integrations


@api.get("/integrations")
def integrations() -> Any:
    h = host()
    return jsonify(integrations=[_integration_out(i) for i in h.store.list_integrations()])


@api.post("/integrations")
def create_integration() -> Any:
    h = host()
    body = _body()
    connector = actions.connector_or_404(h, str(body.get("connector") or ""))
    sub = actions.submit(h, connector, actions.json_form(h, connector, body, None), None)
    if not sub.ok:
        return jsonify(error="the configuration is not valid", errors=sub.errors, general=sub.general, status=422), 422
    integ = actions.save_submission(h, sub, None)
    return jsonify(_integration_out(integ)), 201


@api.get("/integrations/<int:iid>")
def get_integration(iid: int) -> Any:
    return jsonify(_integration_out(host().store.get_integration(iid)))


@api.route("/integrations/<int:iid>", methods=["PUT", "PATCH"])
def update_integration(iid: int) -> Any:
    h = host()
    integ = h.store.get_integration(iid)
    connector = actions.connector_or_404(h, integ.connector)
    body = _body()
    if "config" not in body:
        body = {**body, "config": integ.config}
    elif request.method == "PATCH" and isinstance(body["config"], dict):
        body = {**body, "config": _merge(integ.config, body["config"])}
    sub = actions.submit(h, connector, actions.json_form(h, connector, body, integ), integ)
    if not sub.ok:
        return jsonify(error="the configuration is not valid", errors=sub.errors, general=sub.general, status=422), 422
    return jsonify(_integration_out(actions.save_submission(h, sub, integ)))


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = _merge(base.get(k), v)
        return out
    return patch


@api.delete("/integrations/<int:iid>")
def delete_integration(iid: int) -> Any:
    h = host()
    integ = h.store.get_integration(iid)
    h.store.delete_integration(integ.id)
    return jsonify(deleted=integ.id)


@api.post("/integrations/<int:iid>/test")
def test_integration(iid: int) -> Any:
    return jsonify(host().runner.test(iid))


@api.post("/test-connection")
def test_connection() -> Any:
    """Test Connection of a configure form before it is saved (form fields, or JSON ``{connector, config}``).

    ``integration``: the integration being edited; its stored secrets are used for secret fields left empty.
    """
    h = host()
    if request.is_json:
        body = _body()
        iid = body.get("integration")
        if iid is not None and not str(iid).isdigit():
            raise ActionError("integration must be an integration id")
        integ = h.store.get_integration(int(iid)) if iid is not None else None
        connector = actions.connector_or_404(h, integ.connector if integ else str(body.get("connector") or ""))
        form: Any = actions.json_form(h, connector, body, integ)
    else:
        iid = request.form.get("_integration", "")
        integ = h.store.get_integration(int(iid)) if iid.isdigit() else None
        connector = actions.connector_or_404(h, integ.connector if integ else request.form.get("_connector", ""))
        form = request.form
    sub = actions.submit(h, connector, form, integ)
    result = actions.test_submission(sub)
    return jsonify(result=result, errors=sub.errors, general=sub.general)


@api.post("/integrations/<int:iid>/sync")
def start_sync(iid: int) -> Any:
    h = host()
    integ = h.store.get_integration(iid)
    body = request.get_json(silent=True) if request.is_json else None
    mode = (body.get("mode") if isinstance(body, dict) else None) or request.form.get("mode")
    try:
        status = h.jobs.start(integ, mode="full" if mode == "full" else None)  # "full": the page's Full sync
    except SyncInProgress as e:
        return jsonify(error=str(e), status=409, sync=h.jobs.status(integ)), 409
    return jsonify(status), 202


@api.post("/integrations/<int:iid>/sync/cancel")
def cancel_sync(iid: int) -> Any:
    h = host()
    integ = h.store.get_integration(iid)
    if not h.jobs.cancel(integ):
        return jsonify(error="no sync of this integration is running", status=409, sync=h.jobs.status(integ)), 409
    return jsonify(h.jobs.status(integ)), 202


@api.get("/integrations/<int:iid>/sync")
def sync_status(iid: int) -> Any:
    h = host()
    integ = h.store.get_integration(iid)
    status = h.jobs.status(integ)
    last = h.store.last_sync(integ.id)
    status["last_sync"] = last.as_dict() if last else None
    return jsonify(status)


# ------------------------------------------------------------------------------------------------ views


@api.get("/history")
def history() -> Any:
    rows = host().store.history(_int("integration"), limit=min(_int("limit", 50) or 50, 500))
    return jsonify(items=[r.as_dict() for r in rows])


@api.get("/findings")
def findings() -> Any:
    """The Finding View's query (posture.list_findings): ``status`` (failing, not_evaluated, a result, resolved,
    all) or ``view`` (open, failing, not_evaluated, passed, excepted, resolved, all) and ``result``; excepted
    results only under ``view=excepted`` (or a view that shows them), never among what needs attention."""
    limit = min(_int("limit", PAGE_SIZE) or PAGE_SIZE, 500)
    flt = finding_filter(request.args, _int("integration"))
    page = list_findings(host().store, flt, limit=limit, offset=max(_int("offset", 0) or 0, 0))
    return jsonify(total=page.total, limit=page.limit, offset=page.offset, view=flt.view, items=page.items)


@api.get("/findings/summary")
def findings_summary() -> Any:
    """Failing results by severity and results by status with excepted results apart (posture_summary, as the
    page), and the share of the STIG rules passing from the Standards table (an excepted rule is not passing)."""
    h = host()
    iid = _int("integration")
    benches = benchmarks(h.store, h.registry, iid)
    bench = next((b for b in benches.values() if "STIG" in b.standard), None)
    if bench is not None:
        table = standard_table(h.store, bench, iid, catalog_checks(h.store, h.registry, iid))
        c = table["counts"]
        stig = {"benchmark": bench.key, "rules": table["rules"], "passing": c["pass"], "failing": c["fail"],
                "not evaluated": c["not_evaluated"] + c["manual"], "excepted": c["excepted"],
                "share_passing": table["share_passing"],
                "by_rule": {r["id"]: r["label"] for r in table["items"]}}
    else:  # no STIG table published: the Vuln IDs the findings and the catalog name
        stig = queries.stig_summary(h.store, iid, queries.catalog_stig_rules(h.store, h.registry, iid))
    summary = posture_summary(h.store, iid)
    return jsonify(findings=summary, stig=stig)


@api.get("/findings/<int:fid>")
def finding(fid: int) -> Any:
    return jsonify(finding_detail(host().store.finding(fid)))


@api.get("/assets")
def assets() -> Any:
    h = host()
    limit = min(_int("limit", PAGE_SIZE) or PAGE_SIZE, 500)
    iid = _int("integration")
    page = h.store.query_assets(iid, type=request.args.get("type") or None, search=request.args.get("q") or None,
                                limit=limit, offset=_int("offset", 0) or 0)
    return jsonify(total=page.total, limit=page.limit, offset=page.offset, items=page.items,
                   counts_by_type=h.store.asset_counts(iid))


@api.get("/assets/<int:aid>")
def asset(aid: int) -> Any:
    a = host().store.asset(aid)
    a["relationship_groups"] = relationship_groups(a)
    return jsonify(a)
