"""Secrets in integration configs: which fields are secret, how they are stored, and redaction.

A connector's config schema marks secret fields with ``"secret": true`` (``writeOnly: true`` and
``format: password`` count too). The host never stores their values in clear. A stored config holds, in
place of each secret value, a reference:

* ``{"$secret": "env", "name": "OKTA_API_TOKEN"}``: read from an environment variable at use time;
* ``{"$secret": "file", "path": "/run/secrets/okta-token"}``: read from a file at use time (trailing newline dropped);
* ``{"$secret": "fernet", "token": "gAAAA..."}``: encrypted at rest with a Fernet key the user provides in
  ``CONNECTOR_HOST_SECRET_KEY`` or in the file named by ``CONNECTOR_HOST_SECRET_KEY_FILE``.

:class:`Redactor` replaces secret values in any text the host prints, logs or stores. The password in a URL's
user info (``scheme://user:password@host``) anywhere in a config is treated as a secret too, whatever the schema
says, and :func:`mask_config` hides it.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

Path_ = tuple[str, ...]

ENV_SECRET_KEY = "CONNECTOR_HOST_SECRET_KEY"
ENV_SECRET_KEY_FILE = "CONNECTOR_HOST_SECRET_KEY_FILE"
REF_KEY = "$secret"
REDACTED = "[redacted]"


class SecretError(Exception):
    """A secret reference cannot be resolved or stored; the message says what to do."""


# --------------------------------------------------------------------------------------------- schema walking


def _resolve_ref(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        merged = dict(target) if isinstance(target, Mapping) else {}
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        node = merged
        seen += 1
        if seen > 32:  # a reference loop
            break
    return node


def _walk(root: Mapping[str, Any], node: Any, prefix: Path_, depth: int = 0) -> Iterator[tuple[Path_, Mapping]]:
    """Yield (path, subschema) for every property subschema reachable from ``node``."""
    if depth > 24 or not isinstance(node, Mapping):
        return
    node = _resolve_ref(root, node)
    yield prefix, node
    for name, sub in (node.get("properties") or {}).items():
        yield from _walk(root, sub, (*prefix, name), depth + 1)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(key) or []:
            yield from _walk(root, sub, prefix, depth + 1)
    for key in ("if", "then", "else"):
        if isinstance(node.get(key), Mapping):
            yield from _walk(root, node[key], prefix, depth + 1)


def is_secret_schema(node: Mapping[str, Any]) -> bool:
    return bool(node.get("secret") or node.get("writeOnly") or node.get("format") == "password")


def secret_paths(schema: Mapping[str, Any]) -> list[Path_]:
    """Dotted paths (as tuples) of every secret field in a config schema, across oneOf branches."""
    found: list[Path_] = []
    for path, node in _walk(schema, schema, ()):
        if path and is_secret_schema(node) and path not in found:
            found.append(path)
    return found


def schema_types_at(schema: Mapping[str, Any], path: Path_) -> set[str]:
    """The JSON types the schema allows at ``path`` (union over branches); empty when unknown."""
    types: set[str] = set()
    for p, node in _walk(schema, schema, ()):
        if p == path:
            t = node.get("type")
            if isinstance(t, str):
                types.add(t)
            elif isinstance(t, list):
                types.update(x for x in t if isinstance(x, str))
            if "const" in node or "enum" in node:
                for v in [node.get("const")] if "const" in node else node.get("enum") or []:
                    types.add(_json_type(v))
    return types


def _json_type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if v is None:
        return "null"
    return {str: "string", list: "array", dict: "object"}.get(type(v), "string")


def format_path(path: Path_) -> str:
    return ".".join(path)


def parse_path(text: str) -> Path_:
    parts = tuple(p for p in text.strip().split("."))
    if not text.strip() or any(not p for p in parts):
        raise ValueError(f"{text!r} is not a config key; use dotted names such as credentials.token")
    return parts


# --------------------------------------------------------------------------------------------- nested access

_MISSING = object()


def get_path(obj: Any, path: Path_, default: Any = None) -> Any:
    for part in path:
        if not isinstance(obj, Mapping) or part not in obj:
            return default
        obj = obj[part]
    return obj


def set_path(obj: dict[str, Any], path: Path_, value: Any) -> None:
    for part in path[:-1]:
        nxt = obj.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            obj[part] = nxt
        obj = nxt
    obj[path[-1]] = value


def delete_path(obj: dict[str, Any], path: Path_) -> None:
    for part in path[:-1]:
        obj = obj.get(part)  # type: ignore[assignment]
        if not isinstance(obj, dict):
            return
    obj.pop(path[-1], None)


# --------------------------------------------------------------------------------------------- references


def is_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(REF_KEY) in ("env", "file", "fernet")


def env_ref(name: str) -> dict[str, str]:
    if not name or not name.replace("_", "").isalnum():
        raise SecretError(f"{name!r} is not an environment variable name")
    return {REF_KEY: "env", "name": name}


def file_ref(path: str) -> dict[str, str]:
    return {REF_KEY: "file", "path": str(Path(path).expanduser().resolve())}


def _fernet(env: Mapping[str, str]) -> Any:
    key = env.get(ENV_SECRET_KEY)
    key_file = env.get(ENV_SECRET_KEY_FILE)
    if not key and key_file:
        try:
            key = Path(key_file).expanduser().read_text().strip()
        except OSError as e:
            raise SecretError(f"cannot read the secret key file {key_file} ({ENV_SECRET_KEY_FILE}): {e.strerror}") from None
    if not key:
        return None
    try:
        from cryptography.fernet import Fernet
    except ImportError:  # pragma: no cover - cryptography is a dependency
        raise SecretError("encrypting secrets needs the 'cryptography' package: pip install cryptography") from None
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except (ValueError, TypeError):
        raise SecretError(
            f"{ENV_SECRET_KEY} is not a Fernet key (32 url-safe base64-encoded bytes); create one with "
            "`connector-host secret-key`"
        ) from None


def encryption_available(env: Mapping[str, str] | None = None) -> bool:
    return _fernet(os.environ if env is None else env) is not None


def encrypt_ref(value: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    f = _fernet(os.environ if env is None else env)
    if f is None:
        raise SecretError("no encryption key")
    return {REF_KEY: "fernet", "token": f.encrypt(value.encode("utf-8")).decode("ascii")}


def resolve_ref(ref: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str:
    """Return the secret a reference points to; :class:`SecretError` (no secret in it) when it cannot."""
    env = os.environ if env is None else env
    kind = ref.get(REF_KEY)
    if kind == "env":
        name = ref.get("name", "")
        value = env.get(name)
        if value is None or value == "":
            raise SecretError(f"the environment variable {name} is not set; export it before running the host")
        return value
    if kind == "file":
        path = ref.get("path", "")
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as e:
            raise SecretError(f"cannot read the secret file {path}: {e.strerror or e}") from None
    if kind == "fernet":
        f = _fernet(env)
        if f is None:
            raise SecretError(
                f"this secret is encrypted; set {ENV_SECRET_KEY} (or {ENV_SECRET_KEY_FILE}) to the key it was saved with"
            )
        from cryptography.fernet import InvalidToken

        try:
            return f.decrypt(str(ref.get("token", "")).encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise SecretError(f"{ENV_SECRET_KEY} does not decrypt this secret; it was saved with another key") from None
    raise SecretError(f"unknown secret reference kind {kind!r}")


def describe_ref(value: Any) -> str:
    """How a stored secret is kept, for display (never the value)."""
    if not is_ref(value):
        return "not set" if value in (None, "") else "set"
    if value[REF_KEY] == "env":
        return f"from env ${value.get('name')}"
    if value[REF_KEY] == "file":
        return f"from file {value.get('path')}"
    return "encrypted"


def resolve_config(stored: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A deep copy of a stored config with every secret reference replaced by its value."""

    def walk(node: Any) -> Any:
        if is_ref(node):
            return resolve_ref(node, env)
        if isinstance(node, Mapping):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(copy.deepcopy(dict(stored)))


def clear_secrets(stored: Mapping[str, Any], paths: Iterable[Path_]) -> list[Path_]:
    """Paths among ``paths`` whose stored value is in clear (not a reference): these must not be stored."""
    return [p for p in paths if (v := get_path(stored, p, _MISSING)) is not _MISSING and v not in (None, "")
            and not is_ref(v)]


_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/?#@\s:]*:)([^/?#@\s]*)@")


def _strings(config: Any, depth: int = 0) -> Iterator[str]:
    """Every string in a config (values of mappings, items of lists), 32 levels deep at most."""
    if depth > 32:
        return
    if isinstance(config, str):
        yield config
    elif isinstance(config, Mapping):
        for v in config.values():
            yield from _strings(v, depth + 1)
    elif isinstance(config, list | tuple):
        for v in config:
            yield from _strings(v, depth + 1)


def url_passwords(config: Any) -> list[str]:
    """The passwords of ``scheme://user:password@host`` URLs in any string of a config (raw and decoded)."""
    return [v for text in _strings(config) for m in _URL_PASSWORD.finditer(text) if m.group(2)
            for v in (m.group(2), unquote(m.group(2)))]


_URL_AUTHORITY = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://([^/?#\s]*)")


def url_userinfo(config: Any) -> list[str]:
    """The user info of every ``scheme://user:password@host`` URL in any string of a config: the whole of it up to
    the authority's last ``@`` (as the URL is connected with, so a password holding ``@`` is caught whole), and its
    password, raw and decoded. For messages that quote a refused value (e.g. a proxy URL with a login)."""
    found: list[str] = []
    for text in _strings(config):
        for m in _URL_AUTHORITY.finditer(text):
            userinfo = m.group(1).rpartition("@")[0]
            if userinfo:
                password = userinfo.partition(":")[2]
                found += [v for v in (userinfo, unquote(userinfo), password, unquote(password)) if v]
    return found


def _mask_url_passwords(node: Any) -> Any:
    if isinstance(node, str):
        return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}@" if m.group(2) else m.group(0), node)
    if isinstance(node, dict):
        return {k: _mask_url_passwords(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask_url_passwords(v) for v in node]
    return node


def mask_config(stored: Mapping[str, Any], paths: Iterable[Path_]) -> dict[str, Any]:
    """A config fit for display: each secret replaced by how it is kept (``from env $X``, ``encrypted``), and
    the password of any URL with user info replaced by ``[redacted]``."""
    shown = copy.deepcopy(dict(stored))
    for p in paths:
        v = get_path(shown, p, _MISSING)
        if v is not _MISSING:
            set_path(shown, p, f"<secret: {describe_ref(v)}>")
    return _mask_url_passwords(shown)


# --------------------------------------------------------------------------------------------- redaction


class Redactor:
    """Replaces secret values (and their JSON-escaped forms and long lines of multi-line secrets) in text.

    A secret shorter than :attr:`MIN_LEN` is replaced where it appears quoted (``'ab'``, ``"ab"``: how validation
    errors and reprs show values) or as a URL's password (``:ab@``), not everywhere (every ``ab`` of a text)."""

    MIN_LEN = 4

    def __init__(self, secrets: Iterable[str] = ()):
        needles: dict[str, str] = {}  # needle -> its replacement
        for s in secrets:
            if not isinstance(s, str) or not s.strip():
                continue
            if len(s.strip()) < self.MIN_LEN:
                for v in {s, s.strip()}:  # the quoted forms keep their quotes: 'token': '[redacted]'
                    for quoted in (repr(v), json.dumps(v), f"'{v}'", f'"{v}"'):
                        needles[quoted] = f"{quoted[0]}{REDACTED}{quoted[-1]}"
                    needles[f":{v}@"] = f":{REDACTED}@"
                continue
            # JSON-escaped as the standard library writes it and as the store's JSON does (non-ASCII kept)
            plain = [s, s.strip(), json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1]]
            for line in s.splitlines():
                line = line.strip()
                if len(line) >= 16 and not line.startswith("-----"):
                    plain.append(line)
            for n in plain:
                if len(n) >= self.MIN_LEN:
                    needles.setdefault(n, REDACTED)
        # longest first so a whole value is replaced before its fragments
        self._needles = sorted(needles.items(), key=lambda item: len(item[0]), reverse=True)

    @classmethod
    def for_config(cls, config: Mapping[str, Any], paths: Iterable[Path_]) -> Redactor:
        values = [v for p in paths if isinstance(v := get_path(config, p), str)]
        return cls(values + url_passwords(config))

    def __bool__(self) -> bool:
        return bool(self._needles)

    def text(self, text: str) -> str:
        if not self._needles or not isinstance(text, str):
            return text
        for n, replacement in self._needles:
            if n in text:
                text = text.replace(n, replacement)
        return text

    def obj(self, obj: Any) -> Any:
        """Redact every string inside a JSON-like object (returns a new object when anything changed)."""
        if not self._needles:
            return obj
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {k: self.obj(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.obj(v) for v in obj]
        return obj
