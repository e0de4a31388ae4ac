"""What the pages and the JSON API do, on top of the service layer (store, runner, facade).

Both front ends call these functions, so a page and its API route always behave the same.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config_secrets import (
    Path_,
    Redactor,
    SecretError,
    encrypt_ref,
    get_path,
    resolve_ref,
    set_path,
    url_userinfo,
)
from ..facade import Connector
from ..loader import Registry, UnknownConnector
from ..runner import Runner
from ..service import drop_stale_secrets, retarget_message, stale_secrets
from ..store import Integration, Store, StoreError
from . import schema_form
from .jobs import SyncJobs

FREQUENCIES = [(0, "Off (sync on demand)"), (15, "Every 15 minutes"), (60, "Every hour"), (360, "Every 6 hours"),
               (720, "Every 12 hours"), (1440, "Every day"), (10080, "Every week")]


@dataclass
class Host:
    """The services one web app works with."""

    store: Store
    registry: Registry
    runner: Runner
    jobs: SyncJobs
    env: Mapping[str, str]
    dev_allow_insecure_loopback: bool = False  # ``serve --dev-allow-insecure-loopback``: offer developer options


class ActionError(Exception):
    """A request the host refuses; ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def connector_or_404(host: Host, connector_id: str) -> Connector:
    try:
        return host.registry.get(connector_id)
    except UnknownConnector as e:
        raise ActionError(str(e), 404) from None


def connector_card(c: Connector) -> dict[str, Any]:
    m = c.manifest()
    pub = m.get("publisher")
    return {
        "id": c.id,
        "name": str(m.get("name") or c.id),
        "version": str(m.get("version") or ""),
        "description": str(m.get("description") or ""),
        "categories": [str(x) for x in m.get("categories") or [] if isinstance(x, str | int)],
        "publisher": pub.get("name") if isinstance(pub, Mapping) else pub,
        "support_level": m.get("support_level"),
        "documentation_url": m.get("documentation_url") if str(m.get("documentation_url", "")).startswith("https://")
        else None,
        "has_icon": icon_bytes(c) is not None,
        "default_interval_minutes": c.default_interval_minutes(),
        "minimum_interval_minutes": c.minimum_interval_minutes(),
    }


def icon_bytes(c: Connector) -> tuple[bytes, str] | None:
    """The connector's icon (manifest ``icon``: a file next to its plugin module), as (bytes, mimetype)."""
    icon = c.manifest().get("icon")
    if not isinstance(icon, str) or "/" in icon or "\\" in icon or ".." in icon:
        return None
    types = {".svg": "image/svg+xml", ".png": "image/png"}
    mime = next((t for ext, t in types.items() if icon.lower().endswith(ext)), None)
    if mime is None:
        return None
    plugin = c._pm.get_plugin(c.id)
    package = getattr(plugin, "__package__", None) or getattr(type(plugin), "__module__", "").rpartition(".")[0]
    if not package:
        return None
    try:
        from importlib import resources

        data = resources.files(package).joinpath(icon).read_bytes()
    except (OSError, ModuleNotFoundError, TypeError, ValueError):
        return None
    return (data, mime) if len(data) < 512 * 1024 else None


def integration_summary(host: Host, integ: Integration) -> dict[str, Any]:
    last = host.store.last_sync(integ.id)
    c = host.registry.connectors.get(integ.connector)
    return {
        "id": integ.id,
        "name": integ.name,
        "connector": integ.connector,
        "connector_name": c.name if c else integ.connector,
        "connector_installed": c is not None,
        "interval_minutes": integ.interval_minutes,
        "enabled": integ.enabled,
        "running": host.jobs.is_running(integ),
        "last_sync": last.as_dict() if last else None,
    }


def masked_config(host: Host, integ: Integration) -> dict[str, Any]:
    c = host.registry.connectors.get(integ.connector)
    from ..config_secrets import mask_config

    return mask_config(integ.config, c.secret_paths() if c else [])


# ------------------------------------------------------------------------------------------ the configure form


@dataclass
class Submission:
    connector: Connector
    fields: list[schema_form.Field]
    name: str
    interval: int | None
    config: dict[str, Any]  # new secrets still in clear
    new_secrets: dict[Path_, str]
    probe: dict[str, Any]  # secrets resolved (for validation and Test Connection)
    unresolved: list[Path_]
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    stale: list[Path_] = field(default_factory=list)  # stored secrets not used: a destination changed

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general


def developer_keys(connector: Connector) -> list[str]:
    """Top-level config properties for developers only (e.g. ``allow_insecure_http_loopback``): marked
    ``"x-developer-only": true``, or named ``*insecure*``. The page offers them only when started with
    ``--dev-allow-insecure-loopback``."""
    props = connector.config_schema().get("properties") or {}
    return [k for k, v in props.items()
            if isinstance(v, Mapping) and (v.get("x-developer-only") is True or "insecure" in k.lower())]


def form_fields(connector: Connector, integ: Integration | None, *, dev: bool = False) -> list[schema_form.Field]:
    skip = schema_form.HOST_OWNED + (() if dev else tuple(developer_keys(connector)))
    return schema_form.build_fields(connector.config_schema(), integ.config if integ else {}, skip=skip)


def submit(host: Host, connector: Connector, form: Mapping[str, Any], integ: Integration | None) -> Submission:
    """Parse and validate a submitted configure form (nothing is stored).

    Developer options the page does not offer keep their stored value. When the org URL, the proxy or the
    plain-http switch changed (:func:`..service.stale_secrets`), the stored secrets are dropped from the
    submission and their fields say to enter them again: a saved token is never sent to a new address.
    """
    dev = host.dev_allow_insecure_loopback
    fields = form_fields(connector, integ, dev=dev)
    parsed = schema_form.parse_form(fields, form, integ.config if integ else {})
    if not dev:
        for key in developer_keys(connector):
            parsed.config.pop(key, None)
            if integ and key in integ.config:
                parsed.config[key] = copy.deepcopy(integ.config[key])
    stale = stale_secrets(connector, integ.config if integ else None, parsed.config, parsed.new_secrets)
    stale_general = []
    if stale and integ is not None:
        stale_general.append(retarget_message(connector, integ.config, parsed.config, stale))
        drop_stale_secrets(parsed.config, stale)
    secrets = connector.secret_paths()
    probe, unresolved = schema_form.resolve_probe(parsed.config, secrets, lambda ref: resolve_ref(ref, host.env))
    errors, general = schema_form.validate(connector.config_schema(), fields, probe, secret_paths=secrets,
                                           ignore=tuple(unresolved))
    for k, v in parsed.errors.items():
        errors[k] = v
    names = schema_form.field_names(fields)
    for path in stale:
        if path in names:
            errors[names[path]] = "enter it again: the address, proxy or plain-http setting changed"
    general = [*stale_general, *general]
    # a refused value is quoted by the schema's messages: never a secret, nor a URL's login (https_proxy)
    shown = [v for p in secrets if isinstance(v := get_path(probe, p), str)]
    hide = Redactor([*shown, *parsed.new_secrets.values(), *url_userinfo(parsed.config)])
    if hide:
        errors = {k: hide.text(v) for k, v in errors.items()}
        general = [hide.text(g) for g in general]
    name = str(form.get("_name", "") or "").strip() or (integ.name if integ else "")
    if not name:
        errors["_name"] = "required"
    raw_interval = str(form.get("_interval", "") or "").strip()
    interval: int | None = integ.interval_minutes if integ else connector.default_interval_minutes()
    if raw_interval:
        try:
            interval = int(raw_interval)
        except ValueError:
            errors["_interval"] = "choose a frequency"
    if interval is not None and interval <= 0:
        interval = None
    if interval and interval < connector.minimum_interval_minutes():
        errors["_interval"] = f"at least {connector.minimum_interval_minutes()} minutes for {connector.name}"
    for f in schema_form.iter_fields(fields):
        f.error = errors.get(f.name)
    return Submission(connector, fields, name, interval, parsed.config, parsed.new_secrets, probe, unresolved,
                      errors, general, stale)


def test_submission(sub: Submission) -> dict[str, Any]:
    """Test Connection with the submitted (unsaved) config; a config the schema refuses is not sent."""
    if sub.stale:
        return {"status": "failed", "failure_kind": "config", "capabilities": [], "message": sub.general[0]}
    if sub.unresolved:
        names = ", ".join(".".join(p) for p in sub.unresolved)
        return {"status": "failed", "failure_kind": "config", "capabilities": [],
                "message": f"the stored secret {names} cannot be read here; enter it again"}
    if sub.general or any(k != "_name" for k in sub.errors):  # the name does not matter to a test
        return {"status": "failed", "failure_kind": "config", "capabilities": [],
                "message": "the configuration is not valid: fix the fields marked in the form"}
    return sub.connector.test_connection(sub.probe)


def seal(host: Host, sub: Submission) -> dict[str, Any]:
    """The config to store: every new secret encrypted (never in clear)."""
    config = copy.deepcopy(sub.config)
    for path, value in sub.new_secrets.items():
        if get_path(config, path) is not None:
            try:
                set_path(config, path, encrypt_ref(value, host.env))
            except SecretError:
                raise ActionError(
                    "secrets are stored encrypted and this host has no key: start it with CONNECTOR_HOST_SECRET_KEY "
                    "(or CONNECTOR_HOST_SECRET_KEY_FILE) set; `connector-host serve` creates one next to the store",
                    500,
                ) from None
    return config


def save_submission(host: Host, sub: Submission, integ: Integration | None) -> Integration:
    if not sub.ok:
        raise ActionError("the configuration is not valid", 422)
    config = seal(host, sub)
    try:
        if integ is None:
            return host.store.add_integration(sub.name, sub.connector.id, config, interval_minutes=sub.interval)
        return host.store.update_integration(
            integ.id, config=config, interval_minutes=sub.interval, name=sub.name if sub.name != integ.name else None
        )
    except StoreError as e:
        sub.errors["_name"] = str(e)
        raise ActionError(str(e), 409) from None


def json_form(host: Host, connector: Connector, body: Mapping[str, Any], integ: Integration | None) -> dict[str, Any]:
    """Translate a JSON API body ``{name, interval_minutes, config}`` into the form fields ``submit`` reads.

    ``config`` is a plain config object; secret fields omitted (or null) keep the stored secret.
    """
    config = body.get("config")
    if config is not None and not isinstance(config, Mapping):
        raise ActionError("config must be an object")
    config = dict(config or {})
    if not host.dev_allow_insecure_loopback:
        for key in developer_keys(connector):
            stored = integ.config.get(key) if integ else None
            if key in config and config[key] != stored and not (config[key] in (False, None) and stored is None):
                raise ActionError(f"{key} is a developer option: start the page with `connector-host serve "
                                  "--dev-allow-insecure-loopback` to set it (never for a real org)", 422)
    fields = form_fields(connector, integ, dev=host.dev_allow_insecure_loopback)
    form: dict[str, Any] = {}

    def fill(fs: list[schema_form.Field], values: Any) -> None:
        for f in fs:
            v = values.get(f.path[-1]) if isinstance(values, Mapping) else None
            if f.kind == "choice":
                idx = f.selected
                if isinstance(v, Mapping):
                    for b in f.branches:
                        if b.consts and all(v.get(k) == val for k, val in b.consts.items()):
                            idx = b.index
                form[f.name + "~"] = str(idx)
                fill(f.branches[idx].fields, v if isinstance(v, Mapping) else {})
            elif f.kind == "group":
                fill(f.children, v if isinstance(v, Mapping) else {})
            elif v is None or (f.secret and not isinstance(v, str)):
                continue  # a secret left out (or a stored reference) keeps the stored secret
            elif f.kind == "checkbox":
                if v:
                    form[f.name] = "on"
            elif f.kind == "list":
                form[f.name] = "\n".join(map(str, v)) if isinstance(v, list) else str(v)
            elif f.kind == "json":
                import json

                form[f.name] = json.dumps(v)
            elif f.kind == "select" and not isinstance(v, str):
                import json

                form[f.name] = json.dumps(v)
            else:
                form[f.name] = str(v)
        # a boolean the body leaves out keeps its stored value
        for f in fs:
            if f.kind == "checkbox" and f.name not in form and isinstance(values, Mapping) and f.path[-1] not in values \
                    and f.value is True:
                form[f.name] = "on"

    fill(fields, config)
    if body.get("name") is not None:
        form["_name"] = str(body["name"])
    if body.get("interval_minutes") is not None:
        form["_interval"] = str(body["interval_minutes"])
    return form
