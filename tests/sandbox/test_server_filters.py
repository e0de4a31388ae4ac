"""Okta filter/search expressions and the per-user-index fast path the users listing uses."""

from __future__ import annotations

import pytest
from okta_sandbox.errors import OktaHTTPError
from okta_sandbox.filters import compile_filter, simple_user_filter
from okta_sandbox.routes import user_indices

U = [
    {"id": "00u1", "status": "ACTIVE", "lastUpdated": "2024-01-02T00:00:00.000Z", "profile": {"login": "ann@x.io"}},
    {"id": "00u2", "status": "DEPROVISIONED", "lastUpdated": "2024-03-02T00:00:00.000Z", "profile": {"login": "bob@x.io"}},
    {"id": "00u3", "status": "SUSPENDED", "lastUpdated": "2024-05-02T00:00:00.000Z", "profile": {"login": "cy@y.io"}},
]


@pytest.mark.parametrize(
    ("expr", "ids"),
    [
        ('status eq "ACTIVE"', ["00u1"]),
        ('status eq "ACTIVE" or status eq "SUSPENDED"', ["00u1", "00u3"]),
        ('lastUpdated gt "2024-02-01T00:00:00.000Z"', ["00u2", "00u3"]),
        ('lastUpdated ge "2024-03-02T00:00:00Z" and (status eq "ACTIVE" or status eq "DEPROVISIONED")', ["00u2"]),
        ('profile.login sw "b" or profile.login ew "y.io"', ["00u2", "00u3"]),
        ('not (status eq "ACTIVE")', ["00u2", "00u3"]),
        ("profile.login pr", ["00u1", "00u2", "00u3"]),
        ('profile.nickName eq "x"', []),
        ('id eq "00u2"', ["00u2"]),
    ],
)
def test_expressions(expr, ids):
    assert [u["id"] for u in U if compile_filter(expr)(u)] == ids
    assert [U[i]["id"] for i in user_indices(U, expr)] == ids  # the fast path agrees


@pytest.mark.parametrize("expr", ['status eq', 'status zz "A"', '(status eq "A"', 'status eq "A" bogus', '"A"'])
def test_bad_expressions_are_e0000031(expr):
    with pytest.raises(OktaHTTPError) as err:
        compile_filter(expr)
    assert err.value.status == 400 and err.value.body["errorCode"] == "E0000031"


def test_simple_filters_are_recognised():
    f = simple_user_filter('lastUpdated gt "2024-01-01T00:00:00.000Z" and (status eq "A" or status eq "B")')
    assert f is not None and f.statuses == {"A", "B"} and f.updated_op == "gt"
    assert simple_user_filter('profile.login eq "x"') is None
    assert simple_user_filter('status eq "A" and profile.login eq "x"') is None


def test_default_listing_omits_deprovisioned():
    assert [U[i]["id"] for i in user_indices(U, None)] == ["00u1", "00u3"]
