"""The sync engine: walks :mod:`connector_okta.resources`, emits records, feeds the checks, reports.

Order of a sync (one module per phase; :class:`SyncRun` in :mod:`.run` mixes them in and runs them in order):

1. load the config (a bad one ends the sync before any request: ``ERROR config`` + ``SYNC_STATUS failed``)
   (:mod:`.run`);
2. ``/.well-known/okta-organization`` (pipeline: Identity Engine or Classic) and ``/api/v1/org`` (org uid and
   the ``org`` collection); the org name is the host of the configured URL (:mod:`.bootstrap`);
3. the **kept** phase: the small collections every check reads (org settings, authenticators, policies,
   zones, apps, ...), then their per-parent sub-collections (policy rules, app groups, admin roles, ...) on a
   bounded thread pool; each is handed whole to the check engine (:mod:`.kept`);
4. the mode decision (full or incremental, see :mod:`connector_okta.state`) (:mod:`.mode`);
5. on a full sync the **stream** phase: groups (kept), group roles (of the groups Okta flags), app assignments,
   users (plain listing + DEPROVISIONED), group memberships and devices, each object emitted and visited by
   the engine, never held (:mod:`.streamed`); on an incremental sync the **delta** phase: groups and group roles
   again, then only what Okta says changed (users and devices by ``lastUpdated``, members of groups whose
   memberships moved, app assignments the System Log names), every user judged again from the last sync's users
   view and the changes (:mod:`.delta`, :mod:`.users_view`, :mod:`.changefeed`);
6. the check engine's ``finish()`` (:mod:`.checks_phase`), then ``STATS``, ``STATE`` and exactly one
   ``SYNC_STATUS`` (:mod:`.wrapup`).

A collection Okta will not serve (403, E0000015, 404) is reported with ``STREAM_STATUS`` and given to the checks
as ``unavailable``; a feature absent by pipeline is ``not_applicable`` and a collection disabled in the config
is ``skipped``; neither of the last two makes the sync partial. Completeness is tracked per request series and per
parent: a read that fails is a gap (named in the collection's reason and handed to the checks), never an empty
list; a parent is deleted only when its own read answers 404 (:mod:`.reader`, ``docs/internals.md``).

The parts every phase shares, from the bottom up: :mod:`.outcome` (:class:`Outcome`, :class:`SyncStopped`),
:mod:`.context` (the host's context, settings, the client and engine shapes), :mod:`.base` (the run's state),
:mod:`.checks_phase` (feeding the check engine), :mod:`.ledger` (each collection's outcome), :mod:`.children`
(per-parent reads and the fan-out budget), :mod:`.reader` (reading one collection).
"""

from __future__ import annotations

from .base import DEFAULT_FULL_SYNC_EVERY, PROGRESS_EVERY_SECONDS
from .checks_phase import default_engine
from .checks_phase import default_engine as _default_engine  # noqa: F401 - the name tests/reliability imports
from .kept import DEFER_WHEN_FULL
from .ledger import NETWORK_FAILURES_TO_STOP
from .outcome import PARTIAL_KINDS, Outcome, SyncStopped
from .run import SyncRun, guarded, run_sync

__all__ = [
    "DEFAULT_FULL_SYNC_EVERY",
    "DEFER_WHEN_FULL",
    "NETWORK_FAILURES_TO_STOP",
    "PARTIAL_KINDS",
    "PROGRESS_EVERY_SECONDS",
    "Outcome",
    "SyncRun",
    "SyncStopped",
    "default_engine",
    "guarded",
    "run_sync",
]
