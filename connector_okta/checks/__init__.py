"""Posture checks: the catalog (``catalog.toml``), the check functions (one module per area) and the engine.

Public surface: :class:`CheckEngine`, :class:`Collection`, :class:`OrgInfo`, :class:`CheckContext`,
:class:`BudgetExhausted`, :class:`Fanout`, :class:`Gap`; the metadata of all checks is ``engine.catalog()`` (the submodule
``connector_okta.checks.catalog`` loads and validates ``catalog.toml``).
"""

from .context import BudgetExhausted, CheckContext, Collection, Fanout, Gap, OrgInfo
from .engine import CheckEngine

__all__ = ["BudgetExhausted", "CheckContext", "CheckEngine", "Collection", "Fanout", "Gap", "OrgInfo"]
