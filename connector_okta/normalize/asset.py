"""Okta objects (RECORDs of kind ``asset``) -> OCSF 1.6.0 inventory events of our profile.

- ``users``   -> User Inventory Info (5003), the user in ``user`` (``user.uid`` is the Okta id);
- ``devices`` -> Device Inventory Info (5001), the device in ``device`` (``device.uid``);
- any other stream -> Cloud Resources Inventory Info (5023), the object in ``resources[0]`` (``resources[0].uid``).

Every asset carries ``unmapped.source`` = ``{connector, stream, type, label, uid, name, status, parent, raw, ...}``: the
same uid at one fixed place for every class, and the raw Okta object as served (``raw``). See
``docs/schema.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..identity import IdentityError, asset_uid
from .common import (
    CONNECTOR_ID,
    NormalizationError,
    as_bool,
    as_dict,
    as_str,
    as_uid,
    base_event,
    copy_json,
    dig,
    email,
    org_of,
    prune,
    to_ms,
)
from .streams import CLASS_BY_STREAM, Kind, kind_for_stream

COLLECT = 2  # activity_id "Collect" of the Discovery category

CLASS_NAMES = {5001: "Device Inventory Info", 5003: "User Inventory Info", 5023: "Cloud Resources Inventory Info"}

# Okta user statuses -> (is_disabled, is_locked); a status not listed (a new enum value) leaves both unknown.
_USER_STATE: dict[str, tuple[bool, bool]] = {
    "STAGED": (False, False),
    "PROVISIONED": (False, False),
    "ACTIVE": (False, False),
    "RECOVERY": (False, False),
    "PASSWORD_EXPIRED": (False, False),
    "LOCKED_OUT": (False, True),
    "SUSPENDED": (True, False),
    "DEPROVISIONED": (True, False),
}

# Okta device platform -> (OCSF device type_id, device type, OCSF os type_id)
_PLATFORMS: dict[str, tuple[int, str, int]] = {
    "WINDOWS": (99, "Computer", 100),
    "MACOS": (99, "Computer", 300),
    "CHROMEOS": (99, "Computer", 99),
    "IOS": (5, "Mobile", 301),
    "ANDROID": (5, "Mobile", 201),
}

_NAME_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "users": (("profile", "login"),),
    "groups": (("profile", "name"),),
    "apps": (("label",), ("name",)),
    "devices": (("profile", "displayName"), ("resourceDisplayName", "value")),
    "org": (("companyName",), ("subdomain",)),
    "user_roles": (("label",), ("type",)),
    "group_roles": (("label",), ("type",)),
    "org_contacts": (("contactType",),),
}
_DEFAULT_NAME_FIELDS: tuple[tuple[str, ...], ...] = (
    ("name",), ("label",), ("displayName",), ("profile", "name"), ("profile", "displayName"), ("type",),
)


def normalize_asset(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """One RECORD of kind ``asset`` -> an OCSF inventory event; ``None`` for relationship/other records.

    Raises :class:`NormalizationError` only when the record cannot be identified (no stream, no org uid,
    an object without an id in a collection whose objects have one).
    """
    if not isinstance(record, Mapping):
        raise NormalizationError(f"a record must be a JSON object, got {type(record).__name__}")
    if record.get("kind", "asset") != "asset":
        return None
    stream = as_str(record.get("stream"))
    if stream is None:
        raise NormalizationError("asset record has no stream name (record['stream'])")
    org_uid, org_name = org_of(record)
    kind = kind_for_stream(stream)
    data = record.get("data")
    obj = data if isinstance(data, Mapping) else {}
    parent = as_dict(record.get("parent"))
    uid = _asset_uid(kind, obj, org_uid, as_uid(parent.get("uid")))
    name = _asset_name(stream, obj) or as_uid(obj.get("id")) or uid
    class_uid = CLASS_BY_STREAM.get(stream, 5023)

    event = base_event(record, class_uid=class_uid, activity_id=COLLECT, org_uid=org_uid, org_name=org_name)
    event.update(
        {
            "activity_name": "Collect",
            "category_name": "Discovery",
            "class_name": CLASS_NAMES[class_uid],
            "type_name": f"{CLASS_NAMES[class_uid]}: Collect",
            "severity_id": 1,
            "severity": "Informational",
        }
    )
    source: dict[str, Any] = {
        "connector": CONNECTOR_ID,
        "stream": stream,
        "type": kind.asset_type,
        "label": kind.label,
        "uid": uid,
        "name": name,
    }
    status = as_str(obj.get("status"))
    if status is not None:
        source["status"] = status
    if as_uid(parent.get("uid")) is not None:
        source["parent"] = {"type": as_str(parent.get("type")), "uid": as_uid(parent.get("uid"))}

    if class_uid == 5003:
        event["user"] = _user(obj, uid, name, as_dict(record.get("enrichment")), source)
    elif class_uid == 5001:
        event["device"] = _device(obj, uid, name)
    else:
        event["resources"] = [_resource(obj, uid, name, kind)]
        if stream == "idps":
            event["idp"] = prune({"uid": uid, "name": name, "protocol_name": as_str(obj.get("type")),
                                  "state": status})
    source["raw"] = copy_json(data) if data is not None else {}
    event["unmapped"] = {"source": source}
    return event


# ------------------------------------------------------------------------------------------- identity


MAX_UID = 512  # the profile's limit (asset.schema.json); Okta ids are 20 characters


def _asset_uid(kind: Kind, obj: Mapping[str, Any], org_uid: str, parent_uid: str | None) -> str:
    uid = _identity(kind, obj, org_uid, parent_uid)
    if len(uid) > MAX_UID:
        raise NormalizationError(
            f"{kind.stream} object has an id of {len(uid)} characters, not an Okta id; it cannot be stored as an asset"
        )
    return uid


def _identity(kind: Kind, obj: Mapping[str, Any], org_uid: str, parent_uid: str | None) -> str:
    """The asset uid: unique across the org (docs/schema.md, "Asset identity")."""
    uid = as_uid(obj.get("id"))
    if uid is not None:
        try:
            return asset_uid(kind.stream, uid, obj, parent_uid)  # role assignments: scoped by their principal
        except IdentityError as e:
            raise NormalizationError(str(e)) from None
    if kind.singleton:
        return f"{org_uid}:{kind.stream}"
    contact = as_str(obj.get("contactType"))
    if contact is not None:
        return f"{org_uid}:{kind.stream}:{contact}"
    raise NormalizationError(
        f"{kind.stream} object has no 'id'; it cannot be stored as an asset (keys: {sorted(obj)[:10]})"
    )


def _asset_name(stream: str, obj: Mapping[str, Any]) -> str | None:
    for path in _NAME_FIELDS.get(stream, _DEFAULT_NAME_FIELDS):
        value = as_str(dig(obj, *path))
        if value is not None:
            return value
    return None


# --------------------------------------------------------------------------------------------- users


def _user(
    obj: Mapping[str, Any], uid: str, name: str, enrichment: Mapping[str, Any], source: dict[str, Any]
) -> dict[str, Any]:
    profile = as_dict(obj.get("profile"))
    first, last = as_str(profile.get("firstName")), as_str(profile.get("lastName"))
    full_name = " ".join(p for p in (first, last) if p) or None
    is_admin = as_bool(enrichment.get("is_admin"))
    factors = _active_factors(enrichment.get("factors"))
    has_mfa = as_bool(enrichment.get("has_mfa"))
    if has_mfa is None and factors is not None:  # decidable only from a read factor list, never from its absence
        has_mfa = bool(factors)
    if is_admin is None:
        type_id, type_ = 0, "Unknown"
    else:
        type_id, type_ = (2, "Admin") if is_admin else (1, "User")

    user: dict[str, Any] = {
        "uid": uid,
        "name": name,
        "email_addr": email(profile.get("email")),
        "full_name": full_name,
        "display_name": as_str(profile.get("displayName")),
        "phone_number": as_str(profile.get("mobilePhone")) or as_str(profile.get("primaryPhone")),
        "type_id": type_id,
        "type": type_,
        "has_mfa": has_mfa,
        "account": {"uid": uid, "name": name, "type_id": 99, "type": "Okta"},
        "groups": _groups(enrichment.get("groups")),
        "ldap_person": prune(
            {
                "given_name": first,
                "surname": last,
                "job_title": as_str(profile.get("title")),
                "employee_uid": as_str(profile.get("employeeNumber")),
                "cost_center": as_str(profile.get("costCenter")),
                "created_time": to_ms(obj.get("created")),
                "modified_time": to_ms(obj.get("lastUpdated")),
                "last_login_time": to_ms(obj.get("lastLogin")),
            }
        ),
    }
    # account state and password change have no OCSF 1.6.0 attribute: unmapped.source (docs/schema.md)
    state = _USER_STATE.get(source.get("status", ""))
    source["is_disabled"] = state[0] if state else None
    source["is_locked"] = state[1] if state else None
    source["last_login_time"] = to_ms(obj.get("lastLogin"))
    source["password_changed_time"] = to_ms(obj.get("passwordChanged"))
    source["status_changed_time"] = to_ms(obj.get("statusChanged"))
    source["is_admin"] = is_admin
    source["has_mfa"] = has_mfa
    if factors is not None:
        source["factors"] = factors  # the active factor types (OCSF 1.6.0 User has no attribute for them)
    roles = enrichment.get("roles")
    if isinstance(roles, list):
        source["roles"] = [r for r in roles if isinstance(r, str | Mapping)]
    return prune(user)


def _active_factors(value: Any) -> list[str] | None:
    """The active MFA factor types of ``enrichment.factors`` (the user's factors as read from
    ``/api/v1/users/{id}/factors``: factor objects, or factor types already judged active); ``None`` when the sync
    did not read them (not "no factor")."""
    if not isinstance(value, list):
        return None
    types: set[str] = set()
    for f in value:
        if isinstance(f, str) and f:
            types.add(f)
        elif isinstance(f, Mapping) and f.get("status") == "ACTIVE" and as_str(f.get("factorType")):
            types.add(str(f["factorType"]))
    return sorted(types)


def _groups(value: Any) -> list[dict[str, str]]:
    groups: list[dict[str, str]] = []
    if not isinstance(value, list):
        return groups
    for item in value:
        if isinstance(item, str) and item:
            groups.append({"uid": item})
        elif isinstance(item, Mapping):
            group = prune(
                {
                    "uid": as_uid(item.get("uid", item.get("id"))),
                    "name": as_str(item.get("name")) or as_str(dig(item, "profile", "name")),
                }
            )
            if group:
                groups.append(group)
    return groups


# ------------------------------------------------------------------------------------------- devices


def _device(obj: Mapping[str, Any], uid: str, name: str) -> dict[str, Any]:
    profile = as_dict(obj.get("profile"))
    platform = as_str(profile.get("platform"))
    type_id, type_, os_type_id = _PLATFORMS.get((platform or "").upper(), (0, "Unknown", 0))
    device: dict[str, Any] = {
        "uid": uid,
        "name": name,
        "type_id": type_id,
        "type": type_,
        "vendor_name": as_str(profile.get("manufacturer")),
        "model": as_str(profile.get("model")),
        "udid": as_str(profile.get("udid")),
        "created_time": to_ms(obj.get("created")),
        "modified_time": to_ms(obj.get("lastUpdated")),
    }
    if platform is not None:
        device["os"] = prune({"name": platform, "type_id": os_type_id,
                              "version": as_str(profile.get("osVersion"))})
    serial = as_str(profile.get("serialNumber"))
    if serial is not None:
        device["hw_info"] = {"serial_number": serial}
    return prune(device)


# ---------------------------------------------------------------------------------- cloud resources


def _resource(obj: Mapping[str, Any], uid: str, name: str, kind: Kind) -> dict[str, Any]:
    labels = [
        f"{key}:{value}"
        for key, value in (("status", obj.get("status")), ("type", obj.get("type")),
                           ("signOnMode", obj.get("signOnMode")))
        if isinstance(value, str) and value
    ]
    return prune(
        {
            "uid": uid,
            "name": name,
            "type": kind.label,
            "created_time": to_ms(obj.get("created")),
            "modified_time": to_ms(obj.get("lastUpdated")),
            "labels": labels,
        }
    )
