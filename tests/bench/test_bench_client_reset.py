"""The client's wait until a rate-limit reset uses the finer clock when the server's ``Date`` agrees with it
(a performance fix of issue 8: ``Date`` has one-second resolution, so trusting it alone idles up to a second
per window), and still trusts ``Date`` over a skewed local clock."""

from __future__ import annotations

import pytest

from connector_okta.client.ratelimit import RateHeaders


def test_local_clock_within_dates_second_is_used() -> None:
    rh = RateHeaders(limit=600, remaining=0, reset=1_700_000_010, date=1_700_000_000.0)
    assert rh.seconds_to_reset(1_700_000_000.7) == pytest.approx(9.3)  # not 10: Date was rounded down


def test_skewed_local_clock_defers_to_date() -> None:
    rh = RateHeaders(limit=600, remaining=0, reset=1_700_000_010, date=1_700_000_000.0)
    assert rh.seconds_to_reset(1_700_000_300.0) == pytest.approx(10.0)  # local clock 300 s ahead
    assert rh.seconds_to_reset(1_699_999_999.5) == pytest.approx(10.0)  # local clock behind Date


def test_without_date_the_local_clock_is_used() -> None:
    rh = RateHeaders(limit=600, remaining=0, reset=1_700_000_010, date=None)
    assert rh.seconds_to_reset(1_700_000_004.0) == pytest.approx(6.0)
