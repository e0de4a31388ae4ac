"""A small store of posture results for the view tests (issue 16): two integrations, users known by id only in
their findings, failing, passing, unknown and manual results, STIG and HealthInsight requirements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pluggy
from connector_host.store import StagedAsset, StagedFinding, Store

STIG = "DISA Okta IDaaS STIG V1R2"
HI = "Okta HealthInsight"
hookimpl = pluggy.HookimplMarker("connector_host")
SEV = {"critical": 5, "high": 4, "medium": 3, "low": 2, "informational": 1}


def user(uid: str, login: str, full_name: str, **source: Any) -> StagedAsset:
    data = {"class_uid": 5003, "user": {"uid": uid, "name": login, "full_name": full_name},
            "unmapped": {"source": {"uid": uid, "type": "user", "name": login, **source}}}
    return StagedAsset("user", uid, login, 5003, "users", data)


def resource(type_: str, uid: str, name: str, **source: Any) -> StagedAsset:
    data = {"class_uid": 5023, "resources": [{"uid": uid, "name": name, "type": type_}],
            "unmapped": {"source": {"uid": uid, "type": type_, "name": name, **source}}}
    return StagedAsset(type_, uid, name, 5023, type_ + "s", data)


def result(check: str, status: str, rtype: str, ruid: str, rname: str | None, *, severity: str = "medium",
           title: str | None = None, standards: Iterable[str] = (), requirements: Iterable[str] = (),
           message: str = "", evidence: Mapping[str, Any] | None = None) -> StagedFinding:
    title = title or f"Check {check}"
    uid = f"{check}:{ruid}"
    data = {
        "class_uid": 2003, "finding_info": {"uid": uid, "title": title, "desc": f"Why {check} matters."},
        "severity_id": SEV[severity], "message": message,
        "compliance": {"control": check, "standards": list(standards), "requirements": list(requirements),
                       "status_details": [message] if message else []},
        "evidences": [{"name": "Values read", "data": dict(evidence or {})}],
        "remediation": {"desc": f"Admin Console: fix {check}"},
        "resources": [{"uid": ruid, "name": rname or ruid, "type": rtype}],
        "metadata": {"tenant_uid": "org1"},
    }
    return StagedFinding(uid, check, title, SEV[severity], status, [*standards, *requirements], rtype, ruid, rname,
                         data)


ASSETS = [
    user("00u1", "alice@example.com", "Alice Adams", status="ACTIVE", is_admin=True, roles=["SUPER_ADMIN"],
         last_login_time=1_700_000_000_000),
    user("00u2", "bob@example.com", "Bob Brown", status="ACTIVE", is_admin=True, roles=["ORG_ADMIN"]),
    user("00u3", "carol@example.com", "Carol Clark", status="SUSPENDED", is_admin=False),
    resource("policy", "pol1", "Default Policy"),
    resource("org", "org1", "Acme Corp"),
]


def results() -> list[StagedFinding]:
    mfa = {"severity": "critical", "title": "Every administrator has MFA", "standards": [STIG, HI],
           "requirements": ["V-273193", "OKTA-APP-000560", "HealthInsight: Enable MFA for admins"]}
    return [
        # per-object results (users known by id only: the view must show their login and name)
        result("admin-mfa", "fail", "user", "00u1", "00u1", message="Admin has no active MFA factor.",
               evidence={"active_factor_types": []}, **mfa),
        result("admin-mfa", "pass", "user", "00u2", "00u2", message="Admin has factors: push.",
               evidence={"active_factor_types": ["push"]}, **mfa),
        result("admin-mfa", "fail", "user", "00u3", "00u3", message="Admin has no active MFA factor.",
               evidence={"active_factor_types": []}, **mfa),
        result("admin-mfa", "fail", "org", "org1", "Acme Corp", message="2 of 3 administrators have no MFA.",
               evidence={"admins": 3, "failing": 2}, **mfa),
        result("password-length", "warning", "policy", "pol1", "Default Policy", severity="medium",
               title="Password minimum length", standards=[STIG], requirements=["V-273195", "OKTA-APP-000650"],
               message="Minimum length 8 (at least 15).", evidence={"minLength": 8}),
        result("log-streaming", "unknown", "org", "org1", "Acme Corp", severity="high",
               title="Audit records are off-loaded", standards=[STIG], requirements=["V-273202", "OKTA-APP-001430"],
               message="log_streams could not be read: permission denied."),
        result("dod-banner", "manual", "org", "org1", "Acme Corp", severity="medium", title="DoD banner",
               standards=[STIG], requirements=["V-273192"], message="Look at the sign-in page."),
        result("zones", "pass", "org", "org1", "Acme Corp", severity="low", title="Network zones are defined",
               standards=[HI], requirements=["HealthInsight: Network zones"], message="2 zones."),
    ]


def make_store(path: str | Path, *, second: bool = True) -> Store:
    """``acme`` synced once with :func:`results`; ``beta`` (when ``second``) with the failing MFA result only."""
    store = Store(path)
    acme = store.add_integration("acme", "okta", {"org_url": "https://acme.okta.com"})
    sid = store.start_sync(acme.id)
    store.stage(sid, ASSETS, results(), [])
    store.finish_sync(sid, "succeeded")
    if second:
        beta = store.add_integration("beta", "okta", {"org_url": "https://beta.okta.com"})
        sid = store.start_sync(beta.id)
        store.stage(sid, ASSETS[:1], results()[:1], [])
        store.finish_sync(sid, "succeeded")
    return store


class StandardsOnly:
    """A connector (throwaway plugin) publishing the Okta connector's standards (``standards.toml``) with its
    catalog and no check: the view tests' own checks stay the only ones behind each rule."""

    def __init__(self, standards: list[dict[str, Any]] | None = None) -> None:
        from connector_okta.checks.catalog import standard_entries

        self.entries = standard_entries() if standards is None else standards

    @hookimpl
    def connector_manifest(self) -> dict[str, Any]:
        return {"id": "okta", "name": "Okta"}

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        return {"type": "object"}

    @hookimpl
    def connector_test_connection(self, config: Any) -> dict[str, Any]:
        return {"status": "failed", "capabilities": []}

    @hookimpl
    def connector_sync(self, config: Any, state: Any, context: Any) -> Any:
        return iter(())

    @hookimpl
    def connector_normalize_asset(self, record: Any) -> None:
        return None

    @hookimpl
    def connector_normalize_finding(self, record: Any) -> dict[str, Any]:
        return {}

    @hookimpl
    def connector_checks(self) -> list[dict[str, Any]]:
        return list(self.entries)


def registry(standards: list[dict[str, Any]] | None = None) -> Any:
    """A registry whose ``okta`` connector publishes the Okta standards (or ``standards``: catalog entries)."""
    from connector_host.facade import Connector
    from connector_host.loader import Registry

    return Registry(connectors={"okta": Connector.from_plugin("okta", StandardsOnly(standards))})


def benchmark(key: str) -> Any:
    """The Okta connector's published benchmark ``key`` (stig, healthinsight)."""
    from connector_host.posture.benchmarks import published

    return published(registry(), ["okta"])[key]
