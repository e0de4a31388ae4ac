"""The posture checks: each one a small function with its metadata, yielding check results.

A result's ``status`` is ``pass``, ``fail``, ``warning``, ``manual`` or ``unknown``; a check that cannot tell
(the field is missing, the data could not be read) says ``unknown`` and why, never ``pass``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import resources

CATALOG: dict[str, dict[str, Any]] = {
    "user-mfa": {
        "title": "Every active user is enrolled in MFA",
        "severity": "high",
        "severity_id": 4,
        "rationale": "An account protected by a password alone falls to phishing and password spraying.",
        "remediation": "Require MFA enrolment at next sign-in for the users listed, then enforce it tenant-wide.",
        "standards": ["CIS Controls v8"],
        "requirements": ["6.5"],
    },
}


def check_id(name: str) -> str:
    return f"{resources.connector_id()}-{name}"


def catalog() -> list[dict[str, Any]]:
    return [{"id": check_id(name), **meta} for name, meta in CATALOG.items()]


def metadata(full_id: str) -> dict[str, Any]:
    return CATALOG[full_id.removeprefix(resources.connector_id() + "-")]


def user_mfa(user: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One result per active user: pass when enrolled, fail when not, unknown when the API does not say."""
    if user.get("status") != "active":
        return
    enrolled = user.get("mfa_enrolled")
    status = {True: "pass", False: "fail"}.get(enrolled, "unknown")
    message = {
        "pass": "The user is enrolled in MFA.",
        "fail": "The user signs in with a password only.",
        "unknown": "The API did not say whether the user is enrolled in MFA.",
    }[status]
    yield {
        "check_id": check_id("user-mfa"),
        "status": status,
        "resource": {"type": "user", "uid": str(user.get("id")), "name": user.get("email") or str(user.get("id"))},
        "message": message,
        "evidence": {"mfa_enrolled": enrolled, "status": user.get("status")},
    }
