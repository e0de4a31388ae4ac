"""Test Connection: validate the config, confirm the org, authenticate, probe what the checks need.

``test_connection(raw_config, probes=None)`` returns the ``connector_test_connection`` result and never raises.
It succeeds when the credential works, even if some collections are not readable: those are listed per
capability (``ok``, ``missing_scope``, ``forbidden``, ``not_available``, ``error``) with what to grant, and
summarised in ``warnings``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .client.errors import (
    ConfigError,
    CredentialsError,
    FeatureNotAvailable,
    NetworkError,
    NotFound,
    OktaError,
    PermissionDenied,
    is_oie_only,
    scrub,
)
from .client.routes import route_template, scope_for_path
from .config import SSWS_MAX_IDLE_MINUTES, OktaConfig, load_config
from .resources import LEAST_ROLE, ROLE_LABELS

# (name, path, scope): one cheap limit=1 read per collection family the checks use
DEFAULT_PROBES: list[tuple[str, str, str]] = [
    ("users", "/api/v1/users", "okta.users.read"),
    ("groups", "/api/v1/groups", "okta.groups.read"),
    ("apps", "/api/v1/apps", "okta.apps.read"),
    ("policies", "/api/v1/policies?type=OKTA_SIGN_ON", "okta.policies.read"),
    ("authenticators", "/api/v1/authenticators", "okta.authenticators.read"),
    ("zones", "/api/v1/zones", "okta.networkZones.read"),
    ("idps", "/api/v1/idps", "okta.idps.read"),
    ("authorization_servers", "/api/v1/authorizationServers", "okta.authorizationServers.read"),
    ("admin_roles", "/api/v1/iam/assignees/users", "okta.roles.read"),
    ("api_tokens", "/api/v1/api-tokens", "okta.apiTokens.read"),
    ("org", "/api/v1/org", "okta.orgs.read"),
]

FAILURE_KINDS = {
    "config": "config",
    "credentials": "credentials",
    "permission": "permission",
    "network": "network",
    "transient": "transient",
    "rate_limited": "transient",
}

TEST_DEADLINE_SECONDS = 120


def _probe_fields(probe: Any) -> tuple[str, str, str | None, str | None, str | None] | None:
    """``(name, path, scope, pipeline, admin_role)`` from a tuple, a dict or an object with those attributes."""
    if isinstance(probe, Mapping):
        values = [probe.get(k) for k in ("name", "path", "scope", "pipeline", "admin_role")]
    elif isinstance(probe, (tuple, list)):
        if len(probe) < 2:
            return None
        values = list(probe[:5]) + [None] * (5 - len(probe[:5]))
    else:
        values = [getattr(probe, k, None) for k in ("name", "path", "scope", "pipeline", "admin_role")]
    name, path, scope, pipeline, role = values
    if not isinstance(name, str) or not isinstance(path, str):
        return None

    def text(v: Any) -> str | None:
        return v if isinstance(v, str) and v else None

    return name, path, text(scope), text(pipeline), text(role)


def _result(started: float, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": "failed",
        "failure_kind": None,
        "message": "",
        "org": None,
        "identity": None,
        "capabilities": [],
        "warnings": [],
    }
    out.update(fields)
    out["duration_ms"] = int((time.monotonic() - started) * 1000)
    return out


def _fail(started: float, exc: BaseException, secrets: Iterable[str], **fields: Any) -> dict[str, Any]:
    if isinstance(exc, OktaError):
        kind = FAILURE_KINDS.get(exc.kind, "internal")
        message = str(exc)
    else:
        kind = "internal"
        message = f"unexpected error while testing the connection ({type(exc).__name__}); please report it."
    return _result(started, failure_kind=kind, message=scrub(message, secrets), **fields)


def test_connection(
    raw_config: Mapping[str, Any],
    probes: list[Any] | None = None,
    *,
    client_factory: Callable[[OktaConfig], Any] | None = None,
) -> dict[str, Any]:
    """The ``connector_test_connection`` result for ``raw_config``; never raises, never shows a secret."""
    started = time.monotonic()
    secrets: list[str] = []
    try:
        if isinstance(raw_config, Mapping):
            auth = raw_config.get("auth")
            if isinstance(auth, Mapping):
                secrets = [v for k, v in auth.items() if k in ("token", "private_key") and isinstance(v, str)]
            if isinstance(raw_config.get("proxy_password"), str):
                secrets.append(raw_config["proxy_password"])
        try:
            config = load_config(raw_config)
        except ConfigError as exc:
            return _fail(started, exc, secrets)
        return _run(config, probes, client_factory, started, secrets, raw_config.get("org_url"))
    except Exception as exc:  # noqa: BLE001 - the hook must never raise
        return _fail(started, exc, secrets)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _run(
    config: OktaConfig,
    probes: list[Any] | None,
    client_factory: Callable[[OktaConfig], Any] | None,
    started: float,
    secrets: list[str],
    raw_org_url: Any = None,
) -> dict[str, Any]:
    from .client import OktaClient

    client = client_factory(config) if client_factory else OktaClient(config)
    warnings: list[str] = []
    org: dict[str, Any] | None = None
    try:
        client.extend_deadline(min(TEST_DEADLINE_SECONDS, config.max_sync_seconds))
        try:
            client.well_known()
        except OktaError as exc:
            return _fail(started, exc, secrets + client.auth.secrets())
        meta = client.org
        org = {"url": meta.url, "pipeline": meta.pipeline, "id": meta.id}
        if meta.alternate:
            org["custom_domain"] = meta.alternate
        pasted = raw_org_url.strip().lower() if isinstance(raw_org_url, str) else ""
        if "-admin." in pasted and "-admin." not in config.org_url:
            warnings.append(f"org_url is an Admin Console address; the connector uses the org's API host {config.org_url}.")
        if meta.url != config.org_url and meta.alternate != config.org_url:
            warnings.append(f"{config.org_url} is served by the org {meta.url}; consider using that URL.")

        try:
            identity = _identity(client, config, warnings)
        except (CredentialsError, NetworkError) as exc:
            return _fail(started, exc, secrets + client.auth.secrets(), org=org)
        except OktaError as exc:
            if exc.kind in ("transient", "rate_limited", "config"):
                return _fail(started, exc, secrets + client.auth.secrets(), org=org)
            raise

        capabilities = _probe_all(client, probes if probes is not None else DEFAULT_PROBES, meta.pipeline,
                                  oauth=config.auth.method == "oauth")
        if any(c["status"] == "error" and c.get("kind") == "credentials" for c in capabilities) and not any(
            c["status"] == "ok" for c in capabilities
        ):
            return _result(
                started, failure_kind="credentials", org=org, identity=identity, capabilities=capabilities,
                message="the credential was refused when reading the org; " + capabilities[0]["detail"],
                warnings=warnings,
            )
        for cap in capabilities:
            cap.pop("kind", None)
        _capability_warnings(capabilities, warnings)
        if config.auth.method == "api_token" and config.sync_interval_minutes > SSWS_MAX_IDLE_MINUTES:
            warnings.append(
                f"API tokens expire after 30 days unused; the sync interval ({config.sync_interval_minutes} minutes) "
                "is longer, so the token may expire between syncs. Sync at least every 30 days or use OAuth."
            )
        auth = client.auth
        if getattr(auth, "is_oauth", False):
            missing = auth.missing_scopes
            if missing:
                warnings.append(
                    f"Okta did not grant the scopes {' '.join(missing)} to the service app; grant them on its "
                    "Okta API Scopes tab."
                )
            if auth.dpop_auto_enabled:
                warnings.append("the service app requires DPoP; set use_dpop: true in the credential.")
        readable = [c for c in capabilities if c["status"] == "ok"]
        denied = [c for c in capabilities if c["status"] in ("missing_scope", "forbidden")]
        if capabilities and not readable and len(denied) == len(capabilities):
            return _result(
                started, failure_kind="permission", org=org, identity=identity, capabilities=capabilities,
                warnings=warnings,
                message="the credential works but can read none of the collections the checks need; "
                + denied[0]["detail"],
            )
        who = identity.get("login") or identity.get("client_id") or "the credential"
        message = f"connected to {org['url']} as {who}; {len(readable)} of {len(capabilities)} collections readable"
        return _result(
            started, status="succeeded", message=message, org=org, identity=identity,
            capabilities=capabilities, warnings=warnings,
        )
    except Exception as exc:  # noqa: BLE001
        return _fail(started, exc, secrets + client.auth.secrets(), org=org, warnings=warnings)
    finally:
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass


def _role_types(body: Any) -> list[str]:
    roles = body if isinstance(body, list) else (body.get("value") if isinstance(body, Mapping) else None)
    out = []
    for role in roles or []:
        if isinstance(role, Mapping):
            value = role.get("type") or role.get("label") or role.get("role")
            if isinstance(value, str):
                out.append(value)
    return out


def _read_roles(
    client: Any, path: str, warnings: list[str], *, who: str, unreadable: str, advice: str, no_role: str
) -> list[str] | None:
    """The admin role types at ``path``, adding the warnings they call for (Super Administrator, no role);
    None, with the warning ``"{unreadable} (<code>); {advice}"``, when they may not be read."""
    try:
        roles = _role_types(client.get(path).json)
    except (PermissionDenied, NotFound, FeatureNotAvailable) as exc:
        warnings.append(f"{unreadable} ({exc.error_code or exc.status}); {advice}")
        return None
    if "SUPER_ADMIN" in roles:
        warnings.append(
            f"{who} is a Super Administrator. Okta and the DISA STIG advise a dedicated Read-Only Administrator "
            "for integrations; the connector only reads."
        )
    if not roles:
        warnings.append(no_role)
    return roles


def _identity(client: Any, config: OktaConfig, warnings: list[str]) -> dict[str, Any]:
    if config.auth.method == "api_token":
        me = client.get("/api/v1/users/me").json or {}
        profile = me.get("profile") if isinstance(me.get("profile"), Mapping) else {}
        identity: dict[str, Any] = {
            "type": "user",
            "auth_method": "api_token",
            "id": me.get("id"),
            "login": profile.get("login"),
            "name": " ".join(p for p in (profile.get("firstName"), profile.get("lastName")) if isinstance(p, str))
            or None,
            "status": me.get("status"),
            "roles": None,
        }
        if isinstance(me.get("id"), str):
            identity["roles"] = _read_roles(
                client, f"/api/v1/users/{me['id']}/roles", warnings,
                who=f"The token's user {identity['login']}",
                unreadable=f"could not read the admin roles of {identity['login'] or 'the token user'}",
                advice="reading admin roles usually needs a Super Administrator, so the Super Admin check of the "
                "token user is skipped.",
                no_role="the token's user has no admin role; most collections will be unreadable.",
            )
        return identity
    # OAuth service app: mint a token (proves the client credentials), then read the app's admin roles
    auth = client.auth
    identity = {
        "type": "service_app",
        "auth_method": "oauth",
        "client_id": config.auth.client_id,
        "scopes": None,
        "dpop": None,
        "roles": None,
    }
    identity["roles"] = _read_roles(
        client, f"/oauth2/v1/clients/{config.auth.client_id}/roles", warnings,
        who=f"The service app {config.auth.client_id}",
        unreadable="could not read the service app's admin roles",
        advice="grant okta.roles.read to see them.",
        no_role="the service app has no admin role assigned; assign Read-Only Administrator to it.",
    )
    identity["scopes"] = list(auth.granted_scopes or ())
    identity["dpop"] = bool(auth.use_dpop)
    return identity


def _probe_all(client: Any, probes: list[Any], pipeline: str | None, *, oauth: bool) -> list[dict[str, Any]]:
    capabilities: list[dict[str, Any]] = []
    seen: set[str] = set()
    for probe in probes:
        fields = _probe_fields(probe)
        if fields is None:
            continue
        name, path, scope, probe_pipeline, admin_role = fields
        if "{" in path or name in seen:
            continue  # sub-resources need a parent id; their parent's probe covers the scope
        seen.add(name)
        scope = scope or scope_for_path(path)
        route = route_template(path)
        cap: dict[str, Any] = {"name": name, "status": "ok", "detail": "readable", "scope": scope}
        if pipeline == "v1" and (probe_pipeline == "idx" or is_oie_only(route)):
            cap.update(status="not_available", detail="Identity Engine only; this org runs Classic Engine")
            capabilities.append(cap)
            continue
        if pipeline == "idx" and probe_pipeline == "v1":
            cap.update(status="not_available", detail="Classic Engine only; this org runs Identity Engine")
            capabilities.append(cap)
            continue
        try:
            client.get(path, params={"limit": 1})
        except PermissionDenied as exc:
            if exc.reason == "scope":
                missing = exc.missing_scope or scope
                cap.update(status="missing_scope", detail=f"grant {missing} to the service app", scope=missing,
                           missing_scopes=[missing] if missing else [])
            else:
                needs = f" (needs {admin_role})" if admin_role else ""
                who = "the service app's admin role" if oauth else "the token's admin"
                detail = f"{who} may not read {name}{needs} ({exc.error_code or 403})"
                if admin_role and admin_role != LEAST_ROLE:  # declared beyond the least role: expected, not an error
                    detail = (f"not in scope for this credential: Okta serves {name} to "
                              f"{ROLE_LABELS.get(admin_role, admin_role)} only ({admin_role}, {exc.error_code or 403});"
                              " its checks will not be evaluated")
                    cap["out_of_scope"] = True
                if oauth and scope:
                    detail += f"; the app also needs the scope {scope}"
                cap.update(status="forbidden", detail=detail)
            cap["request_id"] = exc.request_id
        except (FeatureNotAvailable, NotFound) as exc:
            cap.update(status="not_available", detail=f"not available on this org: {exc.message}")
        except OktaError as exc:
            cap.update(status="error", detail=str(exc), kind=exc.kind)
        capabilities.append(cap)
    return capabilities


def _capability_warnings(capabilities: list[dict[str, Any]], warnings: list[str]) -> None:
    scopes = sorted({c["scope"] for c in capabilities if c["status"] == "missing_scope" and c.get("scope")})
    if scopes:
        warnings.append(f"grant these scopes to the service app: {' '.join(scopes)}")
    forbidden = [c["name"] for c in capabilities if c["status"] == "forbidden" and not c.get("out_of_scope")]
    if forbidden:
        warnings.append(
            f"not readable with this admin role: {', '.join(forbidden)}; checks that need them will report unknown."
        )
    scoped = [c["name"] for c in capabilities if c["status"] == "forbidden" and c.get("out_of_scope")]
    if scoped:
        warnings.append(f"not in scope for this credential (Super Administrator only): {', '.join(scoped)}; syncs "
                        "succeed without them and their checks are not evaluated.")
    errors = [c["name"] for c in capabilities if c["status"] == "error"]
    if errors:
        warnings.append(f"could not read {', '.join(errors)} (see the capability details); try again later.")
