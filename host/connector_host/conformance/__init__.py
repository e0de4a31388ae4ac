"""The connector conformance kit: every promise a connector makes to a host, as pytest checks.

A connector's test suite opts in::

    from connector_host.conformance import ConformanceSuite

    class TestAcmeConformance(ConformanceSuite):
        connector_name = "acme"

and supplies a ``conformance_target`` fixture (:class:`ConformanceTarget`). See docs/connector-authors.md.
"""

from .suite import ConformanceSuite, asset_uid, finding_uid
from .target import ConformanceTarget

__all__ = ["ConformanceSuite", "ConformanceTarget", "asset_uid", "finding_uid"]
