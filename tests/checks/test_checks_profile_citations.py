"""A result cites its check's STIG requirement (V-..., OKTA-APP-...) whatever the profile, so the ``baseline``
profile (the default) must never be stricter than the STIG on a STIG-mapped check: a baseline ``fail`` on an org
that meets the STIG would claim a STIG violation that is not there."""

from __future__ import annotations

from checks_fixtures import build_org, run

from connector_okta.checks.catalog import STIG, load_catalog

# threshold name prefix -> which way is stricter
_STRICTER = {"max_": lambda a, b: a < b, "min_": lambda a, b: a > b}


def _stricter(name: str, value: object, stig_value: object) -> bool:
    for prefix, cmp in _STRICTER.items():
        if name.startswith(prefix) and isinstance(value, int | float) and isinstance(stig_value, int | float):
            return cmp(value, stig_value)
    return False


def test_baseline_is_never_stricter_than_the_stig_on_stig_checks() -> None:
    bad = []
    for c in load_catalog():
        if STIG not in c["references"]["standards"] or "stig" not in c["profiles"]:
            continue
        th = c.get("thresholds") or {}
        stig, base = th.get("stig") or {}, th.get("baseline") or {}
        for name, value in base.items():
            stig_value = stig.get(name, value)
            if _stricter(name, value, stig_value):
                bad.append((c["id"], name, value, stig_value))
    assert bad == []


def test_an_18_hour_session_lifetime_passes_v_273203_under_the_default_profile() -> None:
    org = build_org()
    for rules in org["policy_rules"].values():
        for r in rules:
            session = (r.get("actions") or {}).get("signon", {}).get("session")
            if isinstance(session, dict) and session.get("maxSessionLifetimeMinutes"):
                session["maxSessionLifetimeMinutes"] = 1080
    results = [r for r in run(org, profile="baseline") if r["check_id"] == "okta-session-max-lifetime"]
    assert results and {r["status"] for r in results} == {"pass"}, [(r["status"], r["message"]) for r in results]
    org_long = build_org()
    for rules in org_long["policy_rules"].values():
        for r in rules:
            session = (r.get("actions") or {}).get("signon", {}).get("session")
            if isinstance(session, dict) and session.get("maxSessionLifetimeMinutes"):
                session["maxSessionLifetimeMinutes"] = 1081
    assert "fail" in {r["status"] for r in run(org_long, profile="baseline")
                      if r["check_id"] == "okta-session-max-lifetime"}
