"""The connector contract: the hooks a host calls on a connector plugin.

A connector is one module registered in the entry-point group ``connector_host`` under its id::

    [project.entry-points.connector_host]
    okta = "connector_okta.plugin"

and implements these hooks with ``pluggy.HookimplMarker("connector_host")``. A connector never imports the
host. The host calls the hooks of one connector at a time, always with keyword arguments, through the typed
facade in :mod:`connector_host.facade`. Specs only ever grow by new keyword arguments; an implementation may
accept fewer arguments than the spec names (pluggy passes only those it asks for).

Every hook is ``firstresult``: one connector answers it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pluggy

PROJECT = "connector_host"
ENTRY_POINT_GROUP = "connector_host"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def connector_manifest() -> dict[str, Any]:
    """Return the connector's parsed ``manifest.json``.

    It validates against ``schemas/manifest.schema.json``: id (the entry-point name), name, semver version,
    publisher, icon, categories, capabilities, the vendor scopes and role it needs, default and minimum sync
    interval, and the config schema it uses.
    """


@hookspec(firstresult=True)
def connector_config_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of the connector's configuration.

    The host renders its configuration form and validates user input from this schema alone. Secret fields
    are ``{"type": "string", "secret": true}``; hosts never show, log or store them in clear.
    """


@hookspec(firstresult=True)
def connector_test_connection(config: Mapping[str, Any]) -> dict[str, Any]:
    """Check that ``config`` can reach and read the vendor; never raise on bad input.

    Return a connection result (``schemas/connection_result.schema.json``): ``status`` ``succeeded`` or
    ``failed``; on failure a ``failure_kind`` (``config``, ``credentials``, ``permission``, ``network``,
    ``transient``) and a ``message`` a user can act on; ``capabilities``, one line per capability (which
    collections are readable, which scopes or roles are missing); ``identity`` (whom the credential acts as)
    and ``warnings``. No secret appears in it.
    """


@hookspec(firstresult=True)
def connector_sync(
    config: Mapping[str, Any], state: Mapping[str, Any] | None, context: Any
) -> Iterator[dict[str, Any]]:
    """Run one sync and stream its messages (``schemas/sync_message.schema.json``).

    ``state`` is what the previous sync's last ``STATE`` message held (``None`` on a first sync).
    ``context`` carries ``logger`` (a :class:`logging.Logger`), ``progress`` (a callable taking a progress
    dict), ``cancelled`` (a callable returning True when the host wants the sync to stop) and ``budget``
    (optional limits such as ``max_seconds``). The iterator yields RECORD, STREAM_STATUS, PROGRESS, LOG,
    STATE, STATS and ERROR messages and always ends with exactly one SYNC_STATUS message, also on failure.
    """


@hookspec(firstresult=True)
def connector_normalize_asset(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """Map one RECORD of kind ``asset`` to an asset of the neutral schema (``schemas/asset.schema.json``).

    A pure function of the record. Returns ``None`` for records that are not assets (relationships).
    """


@hookspec(firstresult=True)
def connector_normalize_finding(record: Mapping[str, Any]) -> dict[str, Any]:
    """Map one RECORD of kind ``check_result`` to a finding of the neutral schema (``schemas/finding.schema.json``).

    A pure function of the record; the finding's ``finding_info.uid`` depends only on the org, the check and
    the resource, so the same org state gives the same id on every sync.
    """


@hookspec(firstresult=True)
def connector_checks() -> list[dict[str, Any]]:
    """Optional: return the connector's check catalog (id, title, severity, standards, requirements, ...).

    Hosts use it to list what a connector covers (``connector-host checks okta``).

    The list may also hold the standards the checks map to, one entry each, so a host can show a standard's
    every rule (also those no result names yet) without carrying the standard itself::

        {"id": "standard:stig", "kind": "standard", "title": "DISA Okta IDaaS STIG V1R2",
         "standard": {"key": "stig", "name": "DISA Okta IDaaS STIG V1R2",  # name: as findings' compliance.standards
                      "label": "...", "id_label": "Vuln ID", "alt_label": "STIG ID",  # labels: optional
                      "rule_pattern": "^V-\\d+$", "alt_pattern": "...",  # optional regexes over requirements
                      "title_prefix": "...", "categories": {"CAT I": "high", ...},  # optional
                      "rules": [{"id": "V-273186", "alt_id": "OKTA-APP-000020", "title": "...",
                                 "category": "CAT II", "manual": false}, ...]}}

    ``rules[].id`` is the requirement string findings carry in ``compliance.requirements``. Entries of kind
    ``standard`` are not checks: no check result names them (a host that does not know them lists one more row).
    """
