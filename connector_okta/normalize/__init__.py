"""Okta records -> the neutral schema (our OCSF 1.6.0 profile, ``docs/schema.md``). Pure functions.

- :func:`normalize_asset` (alias :func:`asset`): a RECORD of kind ``asset`` -> an inventory event
  (5003 users, 5001 devices, 5023 everything else); ``None`` for relationship records.
- :func:`normalize_finding` (alias :func:`finding`): a RECORD of kind ``check_result`` -> a Compliance
  Finding (2003).

Both raise :class:`NormalizationError` only for a record that cannot be identified; the host reports and
skips it. Anything else odd (wrong types, unknown enums, nulls) yields a valid event that keeps the raw data.
"""

from .asset import normalize_asset
from .common import NormalizationError
from .finding import finding_uid, normalize_finding
from .streams import label_for_type


def singleton_uid(org_uid: str, stream: str) -> str:
    """The asset uid of an org settings object without an id of its own (``org_support``, ``threat_insight``...)."""
    return f"{org_uid}:{stream}"


asset = normalize_asset
finding = normalize_finding

__all__ = [
    "NormalizationError",
    "asset",
    "finding",
    "finding_uid",
    "label_for_type",
    "normalize_asset",
    "normalize_finding",
    "singleton_uid",
]
