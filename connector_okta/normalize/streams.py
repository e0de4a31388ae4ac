"""Stream names and asset types -> the labels and OCSF classes of the normalised assets.

Stream names are fixed by ``connector_okta/resources.py``; the asset type (singular) is what check results
name in ``resource.type``. An unknown stream or type still gets a label (``"Okta " + Title Case``), so a new
collection normalises before this table learns about it.
"""

from __future__ import annotations

from typing import NamedTuple


class Kind(NamedTuple):
    stream: str
    asset_type: str
    label: str
    singleton: bool = False  # the org's settings objects: one per org, no id of their own


KINDS: tuple[Kind, ...] = (
    Kind("users", "user", "Okta User"),
    Kind("devices", "device", "Okta Device"),
    Kind("groups", "group", "Okta Group"),
    Kind("group_rules", "group_rule", "Okta Group Rule"),
    Kind("apps", "app", "Okta App"),
    Kind("policies", "policy", "Okta Policy"),
    Kind("policy_rules", "policy_rule", "Okta Policy Rule"),
    Kind("authenticators", "authenticator", "Okta Authenticator"),
    Kind("org_factors", "factor", "Okta Factor"),
    Kind("zones", "network_zone", "Okta Network Zone"),
    Kind("idps", "identity_provider", "Okta Identity Provider"),
    Kind("authorization_servers", "authorization_server", "Okta Authorization Server"),
    Kind("authorization_server_policies", "authorization_server_policy", "Okta Authorization Server Policy"),
    Kind("authorization_server_policy_rules", "authorization_server_policy_rule",
         "Okta Authorization Server Policy Rule"),
    Kind("api_tokens", "api_token", "Okta API Token"),
    Kind("trusted_origins", "trusted_origin", "Okta Trusted Origin"),
    Kind("event_hooks", "event_hook", "Okta Event Hook"),
    Kind("inline_hooks", "inline_hook", "Okta Inline Hook"),
    Kind("log_streams", "log_stream", "Okta Log Stream"),
    Kind("behaviors", "behavior", "Okta Behavior Detection"),
    Kind("device_assurances", "device_assurance", "Okta Device Assurance Policy"),
    Kind("user_roles", "role_assignment", "Okta Admin Role Assignment"),
    Kind("group_roles", "role_assignment", "Okta Admin Role Assignment"),
    Kind("org", "org", "Okta Org"),
    Kind("org_contacts", "org_contact", "Okta Org Contact"),
    Kind("org_support", "org_setting", "Okta Support Access Settings", singleton=True),
    Kind("threat_insight", "org_setting", "Okta ThreatInsight Settings", singleton=True),
    Kind("admin_console_settings", "org_setting", "Okta Admin Console Settings", singleton=True),
)

BY_STREAM: dict[str, Kind] = {k.stream: k for k in KINDS}
_LABEL_BY_TYPE: dict[str, str] = {}
for _k in KINDS:
    _LABEL_BY_TYPE.setdefault(_k.asset_type, _k.label)
_LABEL_BY_TYPE["org_setting"] = "Okta Org Setting"

#: class_uid per stream; every stream not listed is Cloud Resources Inventory Info (5023).
CLASS_BY_STREAM: dict[str, int] = {"users": 5003, "devices": 5001}


def _title(name: str) -> str:
    words = [w for w in name.replace("-", "_").split("_") if w]
    return "Okta " + " ".join(w[:1].upper() + w[1:] for w in words) if words else "Okta Object"


def _singular(stream: str) -> str:
    if stream.endswith("ies"):
        return stream[:-3] + "y"
    if stream.endswith("ses"):
        return stream[:-2]
    if stream.endswith("s") and not stream.endswith("ss"):
        return stream[:-1]
    return stream


def kind_for_stream(stream: str) -> Kind:
    """The kind of the assets of ``stream`` (a generic one for a stream this table does not know)."""
    if stream in BY_STREAM:
        return BY_STREAM[stream]
    asset_type = _singular(stream)
    return Kind(stream, asset_type, label_for_type(asset_type))


def label_for_type(asset_type: str) -> str:
    """``"policy_rule"`` -> ``"Okta Policy Rule"``; also accepts a stream name (``"policy_rules"``)."""
    if asset_type in _LABEL_BY_TYPE:
        return _LABEL_BY_TYPE[asset_type]
    if asset_type in BY_STREAM:
        return BY_STREAM[asset_type].label
    return _title(asset_type)
