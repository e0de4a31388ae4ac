"""The Asset View as an admin reads it: a user's status, last sign-in, MFA factors, admin roles, groups and the
findings that concern it; filters by status, admin and type; links into the vendor's admin console.

Facts come from the normalised asset (OCSF with our profile's ``unmapped.source``: status, last_login_time,
is_admin, roles, has_mfa, factors, label) and, for what an asset does not carry, from the evidence of the findings
about it (an admin check reads each admin's active factors). Reading ``data`` for the filters is the one place
with dialect-specific SQL (JSON paths), in :func:`json_text`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from ..store import Page, Store, StoreError, now_ms
from .snapshot import EXCEPTED_SQL

FACTOR_KEYS = ("active_factor_types", "factor_types", "factors")


def json_text(store: Store, path: Sequence[str], column: str = "a.data") -> str:
    """SQL for the text at ``path`` in a JSON column (SQLite: json_extract; PostgreSQL: #>>)."""
    if getattr(store, "dialect", "sqlite") == "postgresql":
        return f"({column}::jsonb #>> '{{{','.join(path)}}}')"
    return f"json_extract({column}, '$.{'.'.join(path)}')"


def json_true(store: Store, path: Sequence[str], column: str = "a.data") -> str:
    expr = json_text(store, path, column)
    if getattr(store, "dialect", "sqlite") == "postgresql":
        return f"{expr} = 'true'"
    return f"{expr} = 1"


def _source(data: Mapping[str, Any]) -> Mapping[str, Any]:
    unmapped = data.get("unmapped") if isinstance(data.get("unmapped"), Mapping) else {}
    src = unmapped.get("source") if isinstance(unmapped, Mapping) else None
    return src if isinstance(src, Mapping) else {}


def display_name(name: str | None, uid: str | None, data: Mapping[str, Any] | None) -> str:
    """An asset's name for people: its name, or its label when the name is only its id (org settings)."""
    if name and name != uid:
        return name
    src = _source(data or {})
    label = src.get("label")
    if not isinstance(label, str) or not label:
        res = (data or {}).get("resources")
        label = res[0].get("type") if isinstance(res, list) and res and isinstance(res[0], Mapping) else None
    return str(label or name or uid or "-")


def facts(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the list and the detail show of an asset (None where the asset does not say)."""
    src = _source(data)
    user = data.get("user") if isinstance(data.get("user"), Mapping) else {}
    raw = src.get("raw") if isinstance(src.get("raw"), Mapping) else {}
    roles = src.get("roles") if isinstance(src.get("roles"), list) else None
    factors = src.get("factors") if isinstance(src.get("factors"), list) else None
    return {
        "status": src.get("status") if isinstance(src.get("status"), str) else None,
        "last_login": src.get("last_login_time") if isinstance(src.get("last_login_time"), int) else None,
        "password_changed": src.get("password_changed_time") if isinstance(src.get("password_changed_time"), int)
        else None,
        "is_admin": src.get("is_admin") if isinstance(src.get("is_admin"), bool) else None,
        "roles": [str(r) for r in roles] if roles is not None else None,
        "has_mfa": src.get("has_mfa") if isinstance(src.get("has_mfa"), bool) else None,
        "factors": [str(f) for f in factors] if factors is not None else None,
        "full_name": user.get("full_name") if isinstance(user.get("full_name"), str) else None,
        "email": user.get("email_addr") if isinstance(user.get("email_addr"), str) else None,
        "label": src.get("label") if isinstance(src.get("label"), str) else None,
        "kind": raw.get("type") if isinstance(raw.get("type"), str) else None,  # a policy's type, ...
        "app_name": raw.get("name") if isinstance(raw.get("name"), str) else None,
    }


def list_assets(
    store: Store, integration: int | None = None, *, type: str | None = None, search: str | None = None,
    status: str | None = None, admin: bool = False, include_gone: bool = False, gone: bool = False,
    limit: int = 50, offset: int = 0,
) -> Page:
    """Assets as :meth:`Store.query_assets` lists them, narrowed by ``status`` and ``admin``, each with its facts,
    its failing findings (excepted ones left out) and, for users, how many groups it is in."""
    if not status and not admin:
        page = store.query_assets(integration, type=type, search=search, include_gone=include_gone, gone=gone,
                                  limit=limit, offset=offset)
    else:
        where, params = _scope("a.gone_at IS NOT NULL" if gone else "1 = 1" if include_gone else "a.gone_at IS NULL",
                               integration, type)
        if search:
            where.append("(a.name LIKE ? OR a.uid = ?)")
            params.extend([f"%{search}%", search])
        if status:
            where.append(f"{json_text(store, ('unmapped', 'source', 'status'))} = ?")
            params.append(status)
        if admin:
            where.append(json_true(store, ("unmapped", "source", "is_admin")))
        clause = " AND ".join(where)
        total = store._q(f"SELECT COUNT(*) FROM assets a WHERE {clause}", params)[0][0]
        rows = store._q(
            "SELECT a.id, a.type, a.uid, a.name, a.class_uid, a.stream, a.first_seen, a.last_seen, a.gone_at,"
            " a.first_sync_id, a.last_sync_id, i.name AS integration FROM assets a JOIN integrations i"
            f" ON i.id = a.integration_id WHERE {clause} ORDER BY a.type, a.name, a.id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        page = Page([store._asset_row(r, full=False) for r in rows], total, limit, offset)
    enrich(store, page.items)
    return page


def enrich(store: Store, items: list[dict[str, Any]]) -> None:
    """Add ``facts``, ``display_name``, ``findings`` (failing, not excepted) and ``groups`` to asset rows."""
    if not items:
        return
    ids = [a["id"] for a in items]
    marks = ",".join("?" * len(ids))
    rows = store._q(f"SELECT id, integration_id, uid, data FROM assets WHERE id IN ({marks})", ids)
    by_id = {r[0]: r for r in rows}
    at = now_ms()
    keys: dict[int, list[str]] = {}
    for a in items:
        r = by_id.get(a["id"])
        data = _loads(r[3]) if r else {}
        a["integration_id"] = r[1] if r else None
        a["facts"] = facts(data)
        a["display_name"] = display_name(a.get("name"), a.get("uid"), data)
        if r:
            keys.setdefault(r[1], []).append(r[2])
    failing: dict[tuple[int, str], int] = {}
    groups: dict[tuple[int, str], int] = {}
    for integ, uids in keys.items():
        m = ",".join("?" * len(uids))
        for uid, n in store._q(
            f"SELECT f.resource_uid, COUNT(*) FROM findings f WHERE f.integration_id = ? AND f.resource_uid IN ({m})"
            f" AND f.status = 'active' AND f.compliance_status IN ('fail', 'warning') AND NOT {EXCEPTED_SQL}"
            " GROUP BY f.resource_uid",
            (integ, *uids, at),
        ):
            failing[(integ, uid)] = n
        for uid, n in store._q(
            f"SELECT from_uid, COUNT(*) FROM relationships WHERE integration_id = ? AND relation = 'member_of'"
            f" AND from_uid IN ({m}) GROUP BY from_uid", (integ, *uids),
        ):
            groups[(integ, uid)] = n
    for a in items:
        key = (a.get("integration_id"), a["uid"])
        a["failing"] = failing.get(key, 0)  # type: ignore[arg-type]
        a["group_count"] = groups.get(key, 0) if a["type"] == "user" else None  # type: ignore[arg-type]


def _loads(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _scope(gone: str, integration: int | None, type: str | None) -> tuple[list[str], list[Any]]:
    """The conditions (and their parameters) on assets ``a``: ``gone``, then the integration and type when given."""
    where, params = [gone], []
    if integration is not None:
        where.append("a.integration_id = ?")
        params.append(integration)
    if type:
        where.append("a.type = ?")
        params.append(type)
    return where, params


def statuses(store: Store, integration: int | None = None, type: str | None = None) -> list[tuple[str, int]]:
    """The statuses present among the assets (of a type), for the filter menu."""
    expr = json_text(store, ("unmapped", "source", "status"))
    where, params = _scope("a.gone_at IS NULL", integration, type)
    rows = store._q(f"SELECT x.s, COUNT(*) FROM (SELECT {expr} AS s FROM assets a WHERE {' AND '.join(where)}) x"
                    " WHERE x.s IS NOT NULL GROUP BY x.s ORDER BY x.s", params)
    return [(r[0], r[1]) for r in rows]


def factors_from_findings(findings: Iterable[Mapping[str, Any]]) -> list[str] | None:
    """A user's active MFA factors as an admin check read them (the evidence of its findings), when the asset
    itself does not carry them."""
    for f in findings:
        raw = f.get("finding") if isinstance(f.get("finding"), Mapping) else {}
        for e in raw.get("evidences") or [] if isinstance(raw.get("evidences"), list) else []:
            data = e.get("data") if isinstance(e, Mapping) else None
            if isinstance(data, Mapping):
                for key in FACTOR_KEYS:
                    if isinstance(data.get(key), list):
                        return [str(x) for x in data[key]]
    return None


def detail(store: Store, asset_id: int) -> dict[str, Any]:
    """One asset in full (:meth:`Store.asset`) with its facts, display name, its findings by check (excepted ones
    marked), its MFA factors (from the asset, else the evidence of its findings) and its console link."""
    a = store.asset(asset_id)
    data = a.get("asset") or {}
    a["facts"] = facts(data)
    a["display_name"] = display_name(a.get("name"), a.get("uid"), data)
    integ = store.get_integration(a["integration"])
    a["integration_id"] = integ.id
    rows = store._q(
        "SELECT f.id, f.check_id, f.title, f.severity_id, f.compliance_status, f.data FROM findings f"
        " WHERE f.integration_id = ? AND f.resource_uid = ? AND f.status = 'active' ORDER BY f.severity_id DESC, f.id",
        (integ.id, a["uid"]),
    )
    from ..store import SEVERITIES
    from .exceptions import attach

    found = [{"id": r[0], "check_id": r[1], "title": r[2], "severity": SEVERITIES.get(r[3], "other"),
              "compliance_status": r[4], "finding": _loads(r[5]), "integration_id": integ.id,
              "resource": {"uid": a["uid"]}} for r in rows]
    attach(store, found)
    a["findings"] = [{k: v for k, v in f.items() if k != "finding"} for f in found]
    a["failing"] = sum(1 for f in found if f["compliance_status"] in ("fail", "warning") and not f["exception"])
    if a["facts"]["factors"] is None:
        a["facts"]["factors"] = factors_from_findings(found)
    a["console_url"] = console_url(integ.connector, integ.config, a["type"], a["uid"], a["facts"])
    return a


# ------------------------------------------------------------------------------------------------- console links

# Okta Admin Console pages by asset type: {id} is the object's id; None: the type's list page has no per-object
# page the host can build. (A connector could give these itself: see the report's connector-side needs.)
_OKTA_PAGES: dict[str, str] = {
    "user": "/admin/user/profile/view/{id}",
    "group": "/admin/group/{id}",
    "authorization_server": "/admin/oauth2/as/{id}",
    "identity_provider": "/admin/access/identity-providers",
    "network_zone": "/admin/access/networks",
    "api_token": "/admin/access/api/tokens",
    "trusted_origin": "/admin/access/api/trusted_origins",
    "event_hook": "/admin/workflow/eventhooks",
    "inline_hook": "/admin/workflow/inlinehooks",
    "log_stream": "/admin/reports/log-streaming",
    "behavior": "/admin/access/behaviors",
    "authenticator": "/admin/access/multifactor",
    "device_assurance": "/admin/access/device-assurance",
    "role_assignment": "/admin/access/admins",
    "group_rule": "/admin/groups",
    "org": "/admin/settings/account",
    "org_setting": "/admin/settings/account",
    "org_contact": "/admin/settings/account",
}
_OKTA_POLICY_PAGES = {
    "OKTA_SIGN_ON": "/admin/access/policies",  # Global Session Policy
    "SIGN_ON": "/admin/access/policies",
    "PASSWORD": "/admin/access/authenticators",
    "MFA_ENROLL": "/admin/access/authenticators",
    "ACCESS_POLICY": "/admin/authn/authentication-policies",
    "PROFILE_ENROLLMENT": "/admin/authn/profile-enrollment",
}
_OKTA_DOMAINS = ("okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil", "trexcloud.com")


def _okta_admin_origin(org_url: str) -> str | None:
    """``https://acme.okta.com`` -> ``https://acme-admin.okta.com``; None for a custom domain or anything else."""
    try:
        parts = urlsplit(org_url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return None
    for domain in _OKTA_DOMAINS:
        if host.endswith("." + domain):
            sub = host[: -len(domain) - 1]
            if "." in sub or not sub:
                return None
            return f"https://{sub if sub.endswith('-admin') else sub + '-admin'}.{domain}"
    return None


def console_url(connector: str, config: Mapping[str, Any], asset_type: str | None, uid: str | None,
                asset_facts: Mapping[str, Any] | None = None) -> str | None:
    """The vendor admin console's page of an object, built from the integration's org URL and the object's id."""
    if connector != "okta" or not uid or not asset_type:
        return None
    origin = _okta_admin_origin(str(config.get("org_url") or ""))
    if origin is None:
        return None
    f = asset_facts or {}
    if asset_type == "app":
        name = f.get("app_name")
        path = f"/admin/app/{quote(name, safe='')}/instance/{{id}}/" if name else "/admin/apps/active"
    elif asset_type in ("policy", "policy_rule"):
        path = _OKTA_POLICY_PAGES.get(str(f.get("kind") or "").upper(), "/admin/access/policies")
    else:
        path = _OKTA_PAGES.get(asset_type)
    if path is None:
        return None
    if "{id}" in path and "/" in uid:
        return None  # a composite uid (role assignments, settings) is not an Okta id
    return origin + path.replace("{id}", quote(uid, safe=""))


def parse_admin(value: str | None) -> bool:
    if value in (None, "", "0", "false", "off"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise StoreError(f"admin takes 1 or 0, not {value!r}")


def asset_console_url(store: Store, integration: Any, resource: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """A finding's object: its asset id (to link to it) and its admin console page, when known."""
    uid = resource.get("uid")
    if not uid:
        return None, None
    rows = store._q(
        "SELECT id, type, data FROM assets WHERE integration_id = ? AND uid = ? ORDER BY gone_at IS NOT NULL, id"
        " LIMIT 1", (integration.id, uid),
    )
    if not rows:
        return None, console_url(integration.connector, integration.config, resource.get("type"), uid)
    asset_id, atype, data = rows[0]
    return asset_id, console_url(integration.connector, integration.config, atype, uid, facts(_loads(data)))
