"""``state.ResultPacker`` (issue 8: check results packed as they are emitted, not held) gives what ``pack`` gives
for the whole list, so a stored state reads back the same either way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector_okta.state import ResultPacker, pack, unpack

results = st.lists(st.dictionaries(st.sampled_from(["check_id", "status", "evidence", "x"]),
                                   st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=4), max_size=20)


@given(results)
def test_packer_reads_back_like_pack(items: list[dict]) -> None:
    packer = ResultPacker()
    for item in items:
        packer.append(item)
    assert len(packer) == len(items)
    assert unpack(packer.packed()) == unpack(pack(items)) == items
    assert packer.packed() == packer.packed()  # packing is final and repeatable


def test_packer_refuses_results_after_packing() -> None:
    packer = ResultPacker()
    packer.packed()
    with pytest.raises(RuntimeError):
        packer.append({"check_id": "late"})
