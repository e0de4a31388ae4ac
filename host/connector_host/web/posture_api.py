"""The JSON API of the posture views (issue 16): findings grouped by check, the standards tables, exceptions,
trends and the exports. Registered under ``/api`` next to :mod:`.api`, with the same session and CSRF rules
(every write needs the ``X-CSRFToken`` header)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from ..posture.benchmarks import benchmarks, default_key
from ..posture.exceptions import list_exceptions, parse_expiry
from ..posture.findings import check_groups, tab_counts
from ..posture.standards import catalog_checks, standard_table
from ..store import NotFound, StoreError
from .actions import Host
from .presentation import finding_filter

posture_api = Blueprint("posture_api", __name__)


def host() -> Host:
    return current_app.extensions["connector_host"]


@posture_api.errorhandler(NotFound)
def not_found(e: NotFound) -> Any:
    return jsonify(error=str(e), status=404), 404


@posture_api.errorhandler(StoreError)
def refused(e: StoreError) -> Any:
    return jsonify(error=str(e), status=400), 400


def _integration() -> int | None:
    v = request.args.get("integration", "")
    if not v:
        return None
    if not v.isdigit():
        raise StoreError("integration must be an integration id")
    return host().store.get_integration(int(v)).id


@posture_api.get("/findings/checks")
def grouped_findings() -> Any:
    """Findings grouped by check (the Finding View's default), with the same filters as ``/api/findings``
    plus ``view``."""
    iid = _integration()
    groups = check_groups(host().store, finding_filter(request.args, iid))
    return jsonify(total=len(groups), items=[g.as_dict() for g in groups], views=tab_counts(host().store, iid))


@posture_api.get("/standards")
def standards() -> Any:
    h = host()
    iid = _integration()
    benches = benchmarks(h.store, h.registry, iid)
    key = request.args.get("benchmark") or default_key(benches)
    if key is None:  # no connector of these integrations publishes a standard
        return jsonify(benchmark=None, benchmarks=[], integration=iid, rules=0, items=[],
                       message="no standards table: the connectors of these integrations publish none")
    if key not in benches:
        raise NotFound(f"no benchmark {key!r}; one of {', '.join(benches) or '(none published)'}")
    table = standard_table(h.store, benches[key], iid, catalog_checks(h.store, h.registry, iid))
    return jsonify({**table, "benchmarks": list(benches)})


@posture_api.get("/exceptions")
def exceptions() -> Any:
    return jsonify(items=list_exceptions(host().store, _integration(), state=request.args.get("state") or None,
                                         check=request.args.get("check") or None))


@posture_api.post("/exceptions")
def add_exception() -> Any:
    """``{"integration", "check", "object"?: uid, "kind", "reason", "author", "expires"?}`` (201)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise StoreError("send a JSON object (Content-Type: application/json)")
    integ = body.get("integration")
    if isinstance(integ, bool) or not isinstance(integ, int | str):
        raise StoreError("integration (an id or a name) is required")
    e = host().store.add_exception(
        integ, str(body.get("check") or ""), kind=str(body.get("kind") or ""), reason=str(body.get("reason") or ""),
        author=str(body.get("author") or ""), resource_uid=str(body["object"]) if body.get("object") else None,
        resource_name=str(body["object_name"]) if body.get("object_name") else None,
        expires_at=parse_expiry(str(body["expires"])) if body.get("expires") else None,
    )
    return jsonify(e), 201


@posture_api.post("/exceptions/<int:eid>/revoke")
def revoke_exception(eid: int) -> Any:
    body = request.get_json(silent=True) or {}
    by = str(body.get("author") or "") if isinstance(body, dict) else ""
    return jsonify(host().store.revoke_exception(eid, by=by or "api"))
