"""The STIG share counts the catalog's rules that no check reported on as not evaluated (audit of issue 10):
under the baseline profile some STIG checks do not run, and the share must not be computed over the rest only."""

from __future__ import annotations

from typing import Any

from connector_host.loader import Registry
from connector_host.store import StagedFinding, Store
from connector_host.web import queries

STIG = "DISA Example STIG V1R1"


class CatalogOnly:
    """Stands in for a loaded connector: only its check catalog is read."""

    def __init__(self, catalog: list[dict[str, Any]]):
        self._catalog = catalog

    def checks(self) -> list[dict[str, Any]]:
        return self._catalog


def finding(uid: str, status: str, rule: str) -> StagedFinding:
    return StagedFinding(uid, f"check-{rule}", f"title {uid}", 3, status, [STIG, rule], "org", "o1", "org",
                         {"uid": uid})


def test_rules_without_results_are_not_evaluated_not_left_out(tmp_path) -> None:
    store = Store(tmp_path / "stig.db")
    try:
        integ = store.add_integration("acme", "fakevendor", {"url": "x"})
        catalog = [
            {"id": "a", "references": {"standards": [STIG], "requirements": ["V-1", "SRG-1"]}},
            {"id": "b", "standards": [STIG], "requirements": ["V-2"]},  # flat shape too
            {"id": "c", "references": {"standards": ["Vendor best practice"], "requirements": ["V-3"]}},
        ]
        registry = Registry(connectors={"fakevendor": CatalogOnly(catalog)})  # type: ignore[dict-item]
        expected = queries.catalog_stig_rules(store, registry, integ.id)
        assert expected == {"V-1", "V-2"}

        # before any sync: no results, nothing to summarise (not "0% passing")
        assert queries.stig_summary(store, integ.id, expected)["rules"] == 0

        sid = store.start_sync(integ.id)
        store.stage(sid, [], [finding("f1", "pass", "V-1")], [])
        store.finish_sync(sid, "succeeded")
        alone = queries.stig_summary(store, integ.id)
        assert (alone["rules"], alone["share_passing"]) == (1, 1.0)  # what the page showed before the fix
        summary = queries.stig_summary(store, integ.id, expected)
        assert summary["by_rule"] == {"V-1": "passing", "V-2": "not evaluated"}
        assert (summary["rules"], summary["passing"], summary["not evaluated"], summary["share_passing"]) == (2, 1, 1, 0.5)
        # an integration of another connector does not borrow this catalog
        other = store.add_integration("other", "unknownvendor", {"url": "y"})
        assert queries.catalog_stig_rules(store, registry, other.id) == set()
    finally:
        store.close()
