"""``normalize.common.copy_json`` (issue 8: replaces ``copy.deepcopy`` of every raw object) gives deepcopy's
result: equal, and sharing nothing mutable with its input."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from connector_okta.normalize.common import copy_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=30,
)


def _containers(value: object) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _containers(v))]
    return []


@given(json_values)
def test_copy_json_equals_deepcopy_and_shares_nothing(value: object) -> None:
    copied = copy_json(value)
    assert copied == copy.deepcopy(value)
    assert not set(_containers(copied)) & set(_containers(value))


def test_copy_json_falls_back_to_deepcopy_for_other_types() -> None:
    inner = [1, 2]
    value = {"t": (inner, "x")}
    copied = copy_json(value)
    assert copied == value and copied["t"][0] is not inner
