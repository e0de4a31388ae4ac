"""The store's columns from a relationship record: the common shape's quick path (issue 18: most of a sync's
records are relationships) gives what the general path gives, and every other shape goes the general way."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
from connector_host.records import RecordError, relationship_row
from connector_host.store import StagedRelationship
from hypothesis import given, settings
from hypothesis import strategies as st


def _record(stream: Any = "group_members", **data: Any) -> dict[str, Any]:
    return {"stream": stream, "kind": "relationship",
            "data": {"relation": "member_of", "from": {"type": "user", "uid": "u1"},
                     "to": {"type": "group", "uid": "g1"}, **data}}


def test_the_common_shape():
    assert relationship_row(_record(attributes={"via": "rule"})) == StagedRelationship(
        "group_members", "member_of", "user", "u1", "group", "g1", {"via": "rule"})
    assert relationship_row(_record()).attributes is None


def test_other_shapes_take_the_general_path():
    # a number for a uid is read as its text; a Mapping that is not a dict still counts as attributes
    rec = _record()
    rec["data"]["from"]["uid"] = 42
    assert relationship_row(rec).from_uid == "42"
    assert relationship_row(_record(attributes=OrderedDict(a=1))).attributes == {"a": 1}
    assert relationship_row(_record(attributes=["not", "a", "map"])).attributes is None
    assert relationship_row(_record(stream=None)).stream is None
    bad = _record()
    bad["data"]["to"]["uid"] = ""
    with pytest.raises(RecordError):
        relationship_row(bad)


_valid = st.text(min_size=1, max_size=3)
_text = st.one_of(*[_valid] * 6, st.just(""), st.integers(), st.none())  # mostly the common shape


@settings(max_examples=300)
@given(relation=_text, ft=_text, fu=_text, tt=_text, tu=_text, stream=_text,
       attributes=st.one_of(st.none(), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
                            st.just([1])))
def test_the_quick_path_agrees_with_the_general_one(relation, ft, fu, tt, tu, stream, attributes):
    rec = {"stream": stream, "data": {"relation": relation, "from": {"type": ft, "uid": fu},
                                      "to": {"type": tt, "uid": tu}, "attributes": attributes}}
    general = {**rec, "data": OrderedDict(rec["data"])}  # not a dict: the general path alone
    try:
        expected: Any = relationship_row(general)
    except RecordError:
        expected = RecordError
    try:
        got: Any = relationship_row(rec)
    except RecordError:
        got = RecordError
    assert got == expected
