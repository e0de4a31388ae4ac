"""The host's service layer: what a front end (the CLI, the web page) does with integrations.

Front ends parse their input and render results; the rules live here: building a stored config from user
input (secrets become references or ciphertext, never clear values), validating it against the connector's
schema, choosing the sync interval, and the views. Everything returned is safe to show (secrets masked).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config_secrets import (
    ENV_SECRET_KEY,
    ENV_SECRET_KEY_FILE,
    Path_,
    Redactor,
    SecretError,
    _walk,
    delete_path,
    encrypt_ref,
    encryption_available,
    env_ref,
    file_ref,
    format_path,
    get_path,
    is_ref,
    mask_config,
    parse_path,
    resolve_ref,
    schema_types_at,
    secret_paths,
    set_path,
)
from .facade import Connector
from .loader import Registry, load_connectors
from .runner import ProgressCallback, Runner
from .store import Integration, Store, SyncRecord

UNRESOLVED = "unresolved-secret-placeholder"


class ConfigInputError(ValueError):
    """User input that cannot become a stored config; the message says what to do (no secret in it)."""


@dataclass
class ConfigCheck:
    problems: list[str] = field(default_factory=list)  # validation errors: refuse to save
    warnings: list[str] = field(default_factory=list)  # e.g. an env var not set yet: saved, fails at use
    redactor: Redactor = field(default_factory=Redactor)


def coerce(schema: Mapping[str, Any], path: Path_, raw: str) -> Any:
    """Turn a command-line string into the JSON type the schema expects at ``path``."""
    types = schema_types_at(schema, path)
    text = raw.strip()
    if types and types <= {"string"}:
        return raw
    if "boolean" in types and text.lower() in ("true", "false", "yes", "no", "on", "off", "1", "0"):
        return text.lower() in ("true", "yes", "on", "1")
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(text)
        except ValueError:
            pass
    if types & {"array", "object"} or not types:
        try:
            return json.loads(text)
        except ValueError:
            if "array" in types:
                return [p.strip() for p in text.split(",") if p.strip()]
    if "null" in types and text.lower() in ("null", "none"):
        return None
    return raw


def _path(key: str | Path_) -> Path_:
    if isinstance(key, tuple):
        return key
    try:
        return parse_path(key)
    except ValueError as e:
        raise ConfigInputError(str(e)) from None


def build_config(
    connector: Connector,
    base: Mapping[str, Any] | None = None,
    *,
    values: Mapping[str, Any] | None = None,
    raw_values: Mapping[str, str] | None = None,
    secret_values: Mapping[str, str] | None = None,
    secret_env: Mapping[str, str] | None = None,
    secret_file: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A stored config from ``base`` and user input (keys are dotted paths such as ``auth.token``).

    ``values``: typed values (from a JSON form); ``raw_values``: strings (from a command line), coerced with
    the schema; ``secret_values``: secrets in clear, encrypted with ``CONNECTOR_HOST_SECRET_KEY`` (refused when
    no key is set); ``secret_env`` / ``secret_file``: references read at use time. A clear value given for a
    secret field through ``values``/``raw_values`` is treated as ``secret_values``.
    """
    schema = connector.config_schema()
    secrets = connector.secret_paths()
    config = copy.deepcopy(dict(base or {}))
    clear: dict[Path_, str] = {}
    given: set[Path_] = set()
    for key in unset:
        delete_path(config, _path(key))
    for source, typed in ((values or {}, True), (raw_values or {}, False)):
        for key, value in source.items():
            path = _path(key)
            if path in secrets:
                if is_ref(value):
                    given.add(path)
                    set_path(config, path, dict(value))
                elif value not in (None, ""):
                    clear[path] = str(value)
                continue
            set_path(config, path, value if typed else coerce(schema, path, str(value)))
    for key, value in (secret_values or {}).items():
        clear[_path(key)] = value
    for path, value in clear.items():
        _must_be_secret(path, secrets)
        if not encryption_available(env):
            raise ConfigInputError(
                f"{format_path(path)} is a secret and is never stored in clear: pass it with "
                f"--secret-env {format_path(path)}=ENV_VAR or --secret-file {format_path(path)}=PATH, "
                f"or set {ENV_SECRET_KEY} (or {ENV_SECRET_KEY_FILE}) to store it encrypted"
            )
        try:
            set_path(config, path, encrypt_ref(value, env))
        except SecretError as e:
            raise ConfigInputError(str(e)) from None
    for refs, make in ((secret_env or {}, env_ref), (secret_file or {}, file_ref)):
        for key, target in refs.items():
            path = _path(key)
            _must_be_secret(path, secrets)
            given.add(path)
            try:
                set_path(config, path, make(target.strip()))
            except SecretError as e:
                raise ConfigInputError(str(e)) from None
    stale = stale_secrets(connector, base, config, given | set(clear))
    if stale:
        raise ConfigInputError(retarget_message(
            connector, base or {}, config, stale,
            how=" (--secret-prompt KEY, --secret-stdin KEY, --secret-env KEY=VAR or --secret-file KEY=PATH)"))
    return config


# ------------------------------------------------------------------------------------- re-targeted secrets

_DESTINATION_NAME = re.compile(r"(^|_)(url|uri|host|hostname|endpoint|domain|server)$|proxy|insecure|tls|verify|ssl",
                               re.IGNORECASE)


def destination_paths(schema: Mapping[str, Any]) -> list[Path_]:
    """The config fields that decide where stored secrets are sent, and how safely.

    A field marked ``"x-secret-destination": true`` in the connector's config schema, or, without marks, any
    field named like an address (``org_url``, ``base_url``, ``*_host``, ``*_endpoint``, ``domain``...), a proxy
    (``https_proxy``, ``proxy_username``...), or a transport-safety switch (``allow_insecure_*``, ``verify_tls``,
    ``*_ssl*``), or of ``format: uri``. Secret fields themselves are not included (a new secret is entered).
    """
    secrets = set(secret_paths(schema))
    marked = [p for p, node in _walk(schema, schema, ()) if p and node.get("x-secret-destination") is True]
    if marked:
        return sorted(set(marked) - secrets)
    out: set[Path_] = set()
    for path, node in _walk(schema, schema, ()):
        if not path or path in secrets or node.get("properties"):
            continue
        if _DESTINATION_NAME.search(path[-1]) or node.get("format") in ("uri", "url", "hostname"):
            out.add(path)
    return sorted(out)


def _destination_value(schema: Mapping[str, Any], config: Mapping[str, Any], path: Path_) -> Any:
    value = get_path(config, path)
    if value is None:
        default = next((n.get("default") for p, n in _walk(schema, schema, ()) if p == path and "default" in n), None)
        value = default
    if isinstance(value, str):
        value = value.strip().rstrip("/")
    return None if value in ("", False, [], {}) else value


def retargeted(connector: Connector, stored: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Path_]:
    """The destination fields (:func:`destination_paths`) whose value differs between ``stored`` and ``new``."""
    if not stored:
        return []
    schema = connector.config_schema()
    return [p for p in destination_paths(schema)
            if _destination_value(schema, stored, p) != _destination_value(schema, new, p)]


def stale_secrets(connector: Connector, stored: Mapping[str, Any] | None, new: Mapping[str, Any],
                  given: Iterable[Path_] = ()) -> list[Path_]:
    """Secrets of ``new`` carried over from ``stored`` (the same reference) although a destination changed.

    A stored secret is bound to where it was meant to go: an org URL, a proxy or the plain-http switch changed
    since, and the secret is never sent to the new place until it is entered again (a forged or rebound page,
    a script, a typo cannot redirect a saved token). Empty when nothing changed.
    """
    if not stored or not retargeted(connector, stored, new):
        return []
    out = []
    entered = set(given)
    for path in connector.secret_paths():
        if path in entered:
            continue
        value = get_path(new, path)
        if is_ref(value) and value == get_path(stored, path):
            out.append(path)
    return out


def retarget_message(connector: Connector, stored: Mapping[str, Any], new: Mapping[str, Any],
                     stale: list[Path_], *, how: str = "") -> str:
    """Why ``stale`` secrets are not used, naming the changed fields and the secrets to enter again."""
    changed = ", ".join(format_path(p) for p in retargeted(connector, stored, new))
    names = ", ".join(format_path(p) for p in stale)
    return (f"{changed} changed, so the stored {names} will not be sent there: enter {names} again"
            f"{how} (a stored secret is only ever used with the address, proxy and transport it was saved with)")


def drop_stale_secrets(config: dict[str, Any], stale: Iterable[Path_]) -> None:
    for path in stale:
        delete_path(config, path)


def _must_be_secret(path: Path_, secrets: list[Path_]) -> None:
    if path not in secrets:
        known = ", ".join(format_path(p) for p in secrets) or "none"
        raise ConfigInputError(f"{format_path(path)} is not a secret field of this connector (secret fields: {known})")


def check_config(connector: Connector, stored: Mapping[str, Any], env: Mapping[str, str] | None = None) -> ConfigCheck:
    """Validate a stored config; secrets are resolved where possible, unresolvable ones become warnings."""
    probe = json.loads(json.dumps(stored))
    ignore: list[Path_] = []
    result = ConfigCheck()
    resolved: list[str] = []
    for path in connector.secret_paths():
        value = get_path(probe, path)
        if is_ref(value):
            try:
                secret = resolve_ref(value, env)
                resolved.append(secret)
                set_path(probe, path, secret)
            except SecretError as e:
                result.warnings.append(f"{format_path(path)}: {e}")
                set_path(probe, path, UNRESOLVED)
                ignore.append(path)
        elif value not in (None, "") and isinstance(value, str):
            result.problems.append(f"{format_path(path)}: a secret must be a reference or encrypted, not clear text")
            resolved.append(value)
    result.redactor = Redactor(resolved)
    result.problems += connector.validate_config(probe, ignore=tuple(ignore))
    return result


def interval_for(connector: Connector, config: Mapping[str, Any], given: int | None) -> int | None:
    """The auto sync frequency in minutes: given, else the config's ``sync_interval_minutes``, else the
    manifest default; ``None`` means on demand only. Refuses values below the manifest minimum."""
    interval = given
    if interval is None and isinstance(config.get("sync_interval_minutes"), int):
        interval = config["sync_interval_minutes"]
    if interval is None:
        interval = connector.default_interval_minutes()
    if interval and interval < connector.minimum_interval_minutes():
        raise ConfigInputError(
            f"the sync interval must be at least {connector.minimum_interval_minutes()} minutes for "
            f"{connector.id} (0 to sync only on demand)"
        )
    return interval or None


class HostService:
    """One store, the loaded connectors and a runner: the operations of the Integrations flow."""

    def __init__(self, store: Store, registry: Registry | None = None, runner: Runner | None = None):
        self.store = store
        self.registry = registry if registry is not None else load_connectors()
        self.runner = runner or Runner(store, self.registry)

    def connector(self, id: str) -> Connector:
        return self.registry.get(id)

    def connectors(self) -> list[dict[str, Any]]:
        out = []
        for c in self.registry:
            m = c.manifest()
            out.append({"id": c.id, "manifest": m, "config_schema": c.config_schema(),
                        "checks": c.implements("connector_checks"), "source": c.source})
        return out

    def integration_view(self, ref: str | int) -> dict[str, Any]:
        """An integration fit for display: secrets shown only as how they are kept; its last sync."""
        integ = self.store.get_integration(ref)
        connector = self.registry.connectors.get(integ.connector)
        d = integ.as_dict()
        d["config"] = mask_config(integ.config, connector.secret_paths() if connector else [])
        last = self.store.last_sync(integ.id)
        d["last_sync"] = last.as_dict() if last else None
        return d

    def save_integration(
        self,
        name: str,
        connector_id: str,
        config: Mapping[str, Any],
        *,
        interval_minutes: int | None = None,
        enabled: bool = True,
        existing: str | int | None = None,
    ) -> tuple[Integration, ConfigCheck]:
        """Validate and store (add, or update ``existing``); :class:`ConfigInputError` lists the problems."""
        connector = self.connector(connector_id)
        if existing is not None:
            stored = self.store.get_integration(existing).config
            stale = stale_secrets(connector, stored, config)
            if stale:
                raise ConfigInputError(retarget_message(connector, stored, config, stale))
        check = check_config(connector, config, self.runner.env)
        if check.problems:
            raise ConfigInputError("invalid config:\n  " + "\n  ".join(check.problems))
        interval = interval_for(connector, config, interval_minutes)
        if existing is None:
            integ = self.store.add_integration(name, connector.id, config, interval_minutes=interval, enabled=enabled)
        else:
            integ = self.store.update_integration(
                existing, config=config, interval_minutes=interval, enabled=enabled, name=name
            )
        return integ, check

    def test(self, ref: str | int) -> dict[str, Any]:
        return self.runner.test(ref)

    def sync(self, ref: str | int, *, progress: ProgressCallback | None = None, trigger: str = "manual") -> SyncRecord:
        return self.runner.sync(ref, progress=progress, trigger=trigger)
