"""Run Test Connection and syncs of stored integrations through the connector facade.

The runner resolves the integration's secrets, validates its config, streams the connector's messages,
validates each against ``sync_message.schema.json`` (an invalid message is a recorded error, never a crash),
normalises records through the connector's hooks, stages them in batches and applies the sync in one
transaction at its end (:meth:`Store.finish_sync`). Secret values are redacted from everything it records or
reports. One sync per integration at a time: a lock in this process and the store's ``running`` row across
processes.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import store_codec
from .config_secrets import Redactor, SecretError, resolve_config
from .facade import Connector, SyncContext
from .loader import Registry
from .records import RecordError, asset_row, finding_row, relationship_row
from .stager import Stager
from .store import (
    Integration,
    Redact,
    Store,
    SyncInProgress,
    SyncRecord,
    encode_asset,
    encode_finding,
    encode_relationship,
    redaction,
)
from .validation import format_error, record_message_ok, validator

log = logging.getLogger(__name__)

MAX_ERRORS = 200
HEARTBEAT_SECONDS = 20.0

_active: list[Redactor] = []
_active_guard = threading.Lock()


def active_redactors() -> list[Redactor]:
    """Redactors of the syncs running in this process (log handlers apply them to every record)."""
    with _active_guard:
        return list(_active)


class ConfigProblem(Exception):
    """The integration cannot run as configured (unknown connector, secret unavailable, invalid config)."""


@dataclass
class ProgressEvent:
    """What the progress callback receives while a sync runs."""

    integration: str
    sync_id: int
    stream: str | None
    counts: dict[str, int]  # records received per stream so far
    requests: int | None = None
    rate_limit_wait_seconds: float | None = None
    message: str | None = None
    kind: str = "progress"  # progress | stream (a collection INCOMPLETE or SKIPPED) | error | done
    # per stream, the objects expected: the connector's total where it gives one, else the count of the last sync
    # of this mode (an estimate)
    totals: dict[str, int] = field(default_factory=dict)
    waiting: str | None = None  # the rate-limit wait now: "waiting 41 s for the users quota"
    eta_seconds: float | None = None  # from the share of the expected objects read so far (None: no estimate)


ProgressCallback = Callable[[ProgressEvent], None]


def redact_log_record(record: logging.LogRecord, redactors: list[Redactor]) -> None:
    """Redact a log record's message and its traceback text (formatted now, so no handler formats it raw)."""
    if not redactors:
        return
    text = record.getMessage()
    exc_text = record.exc_text
    if record.exc_info and not exc_text:
        exc_text = logging.Formatter().formatException(record.exc_info)
    for r in redactors:
        text = r.text(text)
        exc_text = r.text(exc_text) if exc_text else exc_text
    record.msg, record.args = text, None
    record.exc_info, record.exc_text = None, exc_text


class _RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor):
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact_log_record(record, [self.redactor])
        return True


def _describe(record: Mapping[str, Any]) -> str:
    """A record as a person finds it at the vendor: its stream, its own id and the parent it was read under."""
    data = record.get("data") if isinstance(record.get("data"), Mapping) else {}
    if record.get("kind") == "check_result":  # a result is found by its check and the object it judged
        res = data.get("resource") if isinstance(data.get("resource"), Mapping) else {}
        return (f"{record.get('stream')} record of check {data.get('check_id')!r} on {res.get('type') or 'resource'}"
                f" {res.get('uid')!r} ({data.get('status')})")[:300]
    own = data.get("id", data.get("uid"))
    text = f"{record.get('stream')} record {own!r}" if own is not None else f"{record.get('stream')} record"
    parent = record.get("parent")
    if isinstance(parent, Mapping) and parent.get("uid") is not None:
        text += f" under {parent.get('type') or 'parent'} {parent.get('uid')!r}"
    return text[:300]


class UidLedger:
    """The asset keys (type, uid) staged by one sync, each with a digest of the record that claimed it (a second
    ledger holds the findings' uids).

    The store keys an asset by (type, uid) and a finding by its uid, so a second record with a key already staged
    would replace the first.
    :meth:`claim` tells the runner whether a record's key is new, a repeat of the same record (dropped silently),
    or taken by a different record (refused as a sync error naming both). Memory: two short byte strings per
    asset, never the records themselves.
    """

    NEW, SAME, TAKEN = "new", "same", "taken"

    def __init__(self, *, canonical: bool = False) -> None:
        self._seen: dict[bytes, bytes] = {}
        self.canonical = canonical

    def content(self, record: Mapping[str, Any]) -> bytes:
        """What makes two records the same: stream, vendor object, parent and enrichment (not the emission time).
        Pickled, not JSON: twice as fast (issue 18: the host's ingest), and the same object read twice comes in the
        same shape (its key order too). ``canonical``: JSON with sorted keys, so the same content built by two
        code paths in another key order is still the same (the findings' ledger: a connector judges an object in
        more than one place, and findings are few)."""
        keep = {k: record.get(k) for k in ("stream", "data", "parent", "enrichment")}
        if not self.canonical:
            try:
                return pickle.dumps(keep, 5)
            except Exception:  # noqa: BLE001 - not picklable: the canonical JSON, slower
                pass
        return store_codec.json_text(keep, sort_keys=True).encode()

    def claim(self, type_: str, uid: str, record: Mapping[str, Any]) -> tuple[str, str | None]:
        """``(NEW, None)``, ``(SAME, None)`` or ``(TAKEN, description of the record holding the key)``."""
        key = hashlib.blake2b(f"{type_}\0{uid}".encode(), digest_size=16).digest()
        digest = hashlib.blake2b(self.content(record), digest_size=16).digest()
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = digest + _describe(record).encode()
            return self.NEW, None
        if first[:16] == digest:
            return self.SAME, None
        return self.TAKEN, first[16:].decode(errors="replace")


@dataclass
class _SyncState:
    counts: dict[str, int] = field(default_factory=dict)
    stream_status: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_dropped: int = 0
    tainted_streams: set[str] = field(default_factory=set)
    uids: UidLedger = field(default_factory=UidLedger)
    finding_uids: UidLedger = field(default_factory=lambda: UidLedger(canonical=True))  # a finding's key: its uid
    uid_conflicts: dict[str, int] = field(default_factory=dict)  # stream -> records refused: uid of another record
    invalid_messages: int = 0
    internal_errors: int = 0  # ERROR messages of kind internal sent by the connector
    records: int = 0
    final: dict[str, Any] | None = None
    state: Mapping[str, Any] | None = None
    state_seen: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    requests: int | None = None
    rate_wait: float | None = None
    totals: dict[str, int] = field(default_factory=dict)
    wait_bucket: str | None = None
    wait_until: float = 0.0  # monotonic time the current rate-limit wait ends
    started: float = field(default_factory=time.monotonic)

    def waiting(self) -> str | None:
        left = self.wait_until - time.monotonic()
        return f"waiting {left:.0f} s for the {self.wait_bucket} quota" if self.wait_bucket and left >= 1 else None

    def eta(self, counts: Mapping[str, int]) -> float | None:
        """Seconds left: the time so far scaled by the share of the expected objects not read yet (plus the wait
        under way); None without an estimate or before there is enough to go on."""
        expected = {s: t for s, t in self.totals.items() if t > 0}
        total = sum(expected.values())
        done = sum(min(counts.get(s, 0), t) for s, t in expected.items())
        elapsed = time.monotonic() - self.started
        if not total or done <= 0 or elapsed < 2:
            return None
        rest = elapsed * (total - done) / done
        return round(max(rest, self.wait_until - time.monotonic(), 0.0), 1)

    def claim(self, ledger: UidLedger, type_: str, uid: str, record: Mapping[str, Any], stream: str,
              redactor: Redactor, conflict: Callable[[], str], advice: str) -> bool:
        """Whether to stage ``record`` under its key: yes when new; no when the same record came before (stored
        once); no when a different record holds the key (refused: an error names both, the sync is partial).
        ``conflict`` says what clashed, asked only then (not for every record of a sync)."""
        outcome, holder = ledger.claim(type_, uid, record)
        if outcome == UidLedger.NEW:
            return True
        if outcome == UidLedger.TAKEN:
            self.uid_conflicts[stream] = self.uid_conflicts.get(stream, 0) + 1
            first, second = redactor.text(holder), redactor.text(_describe(record))
            message = redactor.text(f"{conflict()}: {first} and {second}; the second was not stored. {advice}")
            self.error("internal", message[:2000], stream=stream, uid=redactor.text(uid), records=[first, second])
        return False

    def error(self, kind: str, message: str, *, stream: str | None = None, fatal: bool = False, **extra: Any) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.errors_dropped += 1
            return
        self.errors.append({"kind": kind, "message": message, "stream": stream, "fatal": fatal, **extra})


class Runner:
    """Runs integrations of one store with the connectors of one registry."""

    def __init__(self, store: Store, registry: Registry, *, batch_size: int = 2000, env: Mapping[str, str] | None = None):
        self.store = store
        self.registry = registry
        self.batch_size = batch_size
        self.env = env
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._message_validator = validator("sync_message.schema.json")

    # ------------------------------------------------------------------------------------------ helpers
    def _lock(self, integration_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(integration_id, threading.Lock())

    def is_running(self, integration_id: int) -> bool:
        return self._lock(integration_id).locked()

    def prepare(self, ref: str | int) -> tuple[Integration, Connector, dict[str, Any]]:
        """The integration, its connector and its resolved, validated config; :class:`ConfigProblem` if not."""
        integ = self.store.get_integration(ref)
        try:
            connector = self.registry.get(integ.connector)
        except LookupError as e:
            raise ConfigProblem(str(e)) from None
        try:
            config = resolve_config(integ.config, self.env)
        except SecretError as e:
            raise ConfigProblem(f"integration {integ.name!r}: {e}") from None
        problems = connector.validate_config(config)
        if problems:
            raise ConfigProblem(
                f"integration {integ.name!r} has an invalid config: " + "; ".join(problems[:5])
                + f". Fix it with `connector-host edit {integ.name} --set KEY=VALUE`"
            )
        return integ, connector, config

    # ------------------------------------------------------------------------------------------ test
    def test(self, ref: str | int) -> dict[str, Any]:
        """Test Connection for a stored integration. A config problem is a failed result of kind ``config``."""
        try:
            _integ, connector, config = self.prepare(ref)
        except ConfigProblem as e:
            return {"status": "failed", "failure_kind": "config", "message": str(e), "capabilities": []}
        return connector.test_connection(config)

    # ------------------------------------------------------------------------------------------ sync
    def sync(
        self,
        ref: str | int,
        *,
        trigger: str = "manual",
        mode: str | None = None,
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
        budget: Mapping[str, Any] | None = None,
    ) -> SyncRecord:
        """Run one sync now and return its history row.

        ``mode``: ``full`` asks the connector for a full sync (it must read everything); ``incremental`` or None
        (the default) lets a connector that declares incremental syncs re-read only what changed when it can (it
        reports the mode it ran in ``SYNC_STATUS``); a connector without incremental syncs is asked for a full one.

        Raises :class:`SyncInProgress` when the integration is syncing already. A config problem (missing
        secret, invalid config, connector not installed) is recorded as a failed sync with an error of kind
        ``config``.
        """
        integ = self.store.get_integration(ref)
        lock = self._lock(integ.id)
        if not lock.acquire(blocking=False):
            raise SyncInProgress(f"integration {integ.name!r} is syncing already; wait for it to end")
        try:
            try:
                integ, connector, config = self.prepare(integ.id)
            except ConfigProblem as e:
                sync_id = self.store.start_sync(integ.id, sync_mode=mode or "full", trigger=trigger)
                return self.store.finish_sync(
                    sync_id, "failed", message=str(e), errors=[{"kind": "config", "message": str(e), "fatal": True}]
                )
            modes = (connector.manifest().get("capabilities") or {}).get("sync_modes") or ["full"]
            if mode is None:
                mode = "incremental" if "incremental" in modes else "full"
            if mode not in modes:
                mode = "full"
            sync_id = self.store.start_sync(integ.id, sync_mode=mode, trigger=trigger)
            return self._run(integ, connector, config, sync_id, mode, progress, cancelled, budget)
        finally:
            lock.release()

    def _run(
        self,
        integ: Integration,
        connector: Connector,
        config: dict[str, Any],
        sync_id: int,
        mode: str,
        progress: ProgressCallback | None,
        cancelled: Callable[[], bool] | None,
        budget: Mapping[str, Any] | None,
    ) -> SyncRecord:
        redactor = connector.redactor(config)
        st = _SyncState()
        # staging rows, encoded as each record comes (store.encode_asset and its siblings)
        batch_a: list[tuple[Any, ...]] = []
        batch_f: list[tuple[Any, ...]] = []
        batch_r: list[tuple[Any, ...]] = []
        encode = redaction(redactor.text if redactor else None)
        last_beat = time.monotonic()
        logger = logging.getLogger(f"connector_host.sync.{connector.id}")
        log_filter = _RedactingFilter(redactor)
        logger.addFilter(log_filter)
        with _active_guard:
            _active.append(redactor)
        is_cancelled = cancelled or (lambda: False)

        st.totals = self._estimates(integ.id, sync_id, mode)

        def notify(kind: str, stream: str | None = None, message: str | None = None) -> None:
            if progress is None:
                return
            try:
                counts = dict(st.counts)  # (a rate-limit wait is told from the connector's waiting thread)
                progress(
                    ProgressEvent(
                        integ.name, sync_id, stream, counts, st.requests, st.rate_wait,
                        redactor.text(message) if message else None, kind, dict(st.totals), st.waiting(),
                        st.eta(counts),
                    )
                )
            except Exception:  # a broken display never breaks a sync
                log.debug("progress callback raised", exc_info=True)

        def on_progress(p: Any) -> None:
            if isinstance(p, Mapping):
                if isinstance(p.get("requests"), int):
                    st.requests = p["requests"]
                if isinstance(p.get("rate_limit_wait_seconds"), int | float):
                    st.rate_wait = float(p["rate_limit_wait_seconds"])
                waiting = p.get("waiting")
                if isinstance(waiting, Mapping) and isinstance(waiting.get("seconds"), int | float):
                    st.wait_bucket = str(waiting.get("bucket") or "Okta's")[:60]
                    st.wait_until = time.monotonic() + float(waiting["seconds"])
                if isinstance(p.get("total"), int) and isinstance(p.get("stream"), str):  # Okta's count
                    st.totals[p["stream"]] = p["total"]
                notify("progress", p.get("stream") if isinstance(p.get("stream"), str) else None,
                       p.get("message") if isinstance(p.get("message"), str) else None)

        # batches are encoded and written on a thread of their own while this one reads the connector (stager.py)
        stager = Stager(self.store, sync_id, redact=redactor.text if redactor else None)

        def flush(force: bool = False) -> None:
            nonlocal last_beat
            if batch_a or batch_f or batch_r:
                stager.put_encoded((batch_a[:], batch_f[:], batch_r[:]))
                batch_a.clear()
                batch_f.clear()
                batch_r.clear()
                last_beat = time.monotonic()
            elif force or time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                self.store.heartbeat(sync_id, counts=st.counts)
                last_beat = time.monotonic()

        context = SyncContext(
            logger=logger, progress=on_progress, cancelled=is_cancelled, budget=dict(budget or {}), sync_mode=mode
        )
        outcome: str | None = None
        message: str | None = None
        try:
            stream_iter = connector.sync(config, integ.state, context)
            for msg in stream_iter:
                if st.final is not None:
                    st.error("internal", "the connector sent messages after SYNC_STATUS; they were ignored")
                    break
                self._handle(connector, msg, st, redactor, encode, batch_a, batch_f, batch_r, on_progress, notify,
                             logger)
                if len(batch_a) + len(batch_f) + len(batch_r) >= self.batch_size:
                    flush()
                elif time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    flush()
                if is_cancelled():
                    outcome, message = "interrupted", "cancelled by the host before the connector finished"
                    close = getattr(stream_iter, "close", None)
                    if close:
                        close()
                    break
            if outcome is None:
                flush()
            stager.close()  # every batch staged before the sync is applied
        except KeyboardInterrupt:
            stager.abandon()
            self.store.finish_sync(
                sync_id, "interrupted", message="interrupted by the user (Ctrl-C); nothing of it was applied",
                counts=self._counts(st), records=st.records, errors=redactor.obj(st.errors),
                stats=redactor.obj(st.stats),
            )
            raise
        except Exception as e:
            stager.abandon()
            log.debug("sync %s raised", sync_id, exc_info=True)
            st.error("internal", redactor.text(f"the connector raised {type(e).__name__}: {e}"), fatal=True)
            outcome, message = "failed", redactor.text(f"the sync stopped on an unexpected error: {type(e).__name__}: {e}")
        finally:
            stager.abandon()  # a no-op once closed
            logger.removeFilter(log_filter)
            with _active_guard:
                _active.remove(redactor)

        if outcome is None:
            outcome, message = self._judge(st, redactor)
        if st.errors_dropped:
            st.errors.append({"kind": "internal", "message": f"{st.errors_dropped} more errors not recorded", "fatal": False})
        complete = [s for s, v in st.stream_status.items() if v.get("status") == "COMPLETE"]
        final_mode = (st.final or {}).get("sync_mode") if isinstance(st.final, Mapping) else None
        snapshot_streams = (st.final or {}).get("snapshot_streams") if isinstance(st.final, Mapping) else None
        if not isinstance(snapshot_streams, list) or not all(isinstance(x, str) for x in snapshot_streams):
            snapshot_streams = None
        counts = self._counts(st)
        if final_mode == "incremental":
            # what an incremental sync did not read in full (not in its snapshot_streams): its count is what
            # changed, the rest is unchanged (History: "changed" / "unchanged", never a small count of assets)
            in_full = (st.final or {}).get("snapshot_streams") if isinstance(st.final, Mapping) else None
            for stream, entry in counts.items():
                if entry.get("status") == "COMPLETE" and stream != "check_results" and (
                        not isinstance(in_full, list) or stream not in in_full):
                    entry["changed_only"] = True
        try:
            record = self.store.finish_sync(
                sync_id,
                outcome,
                message=message,
                complete_streams=complete if st.stream_status else None,
                counts=counts,
                records=st.records,
                errors=redactor.obj(st.errors),
                stats=redactor.obj(st.stats),
                state=(redactor.obj(dict(st.state)) if st.state is not None else None) if st.state_seen else ...,
                sync_mode=final_mode if final_mode in ("full", "incremental") else None,
                snapshot_streams=snapshot_streams,
            )
        except Exception:
            log.exception("could not record the end of sync %s", sync_id)
            raise
        notify("done", message=f"sync {record.status}")
        return record

    def _estimates(self, integration_id: int, sync_id: int, mode: str) -> dict[str, int]:
        """Per stream, the records of the last applied sync of ``mode`` (else of any mode): what the progress
        display expects this one to read."""
        try:
            past = [r for r in self.store.history(integration_id, limit=20)
                    if r.id != sync_id and r.status in ("succeeded", "partial") and isinstance(r.counts, Mapping)]
        except Exception:  # noqa: BLE001 - an estimate never stops a sync
            return {}
        best = next((r for r in past if r.sync_mode == mode), past[0] if past else None)
        if best is None:
            return {}
        return {s: int(c.get("records") or 0) for s, c in best.counts.items()
                if isinstance(c, Mapping) and isinstance(c.get("records"), int)}

    @staticmethod
    def _counts(st: _SyncState) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for stream in sorted(set(st.counts) | set(st.stream_status)):
            ss = st.stream_status.get(stream, {})
            entry: dict[str, Any] = {"records": st.counts.get(stream, 0), "status": ss.get("status")}
            if ss.get("count") is not None:
                entry["count"] = ss["count"]
            if ss.get("reason"):
                entry["reason"] = ss["reason"]
            if ss.get("error_kind"):  # out_of_scope: not in scope for this credential (shown calmly, not an error)
                entry["error_kind"] = ss["error_kind"]
            out[stream] = entry
        return out

    def _judge(self, st: _SyncState, redactor: Redactor) -> tuple[str, str | None]:
        if st.final is None:
            st.error("internal", "the connector ended without a SYNC_STATUS message", fatal=True)
            return "failed", "the connector ended without reporting a status; nothing was applied"
        status = st.final.get("status")
        message = redactor.text(st.final.get("message")) if isinstance(st.final.get("message"), str) else None
        if status == "succeeded":
            problems = []
            # a stream the connector stopped at its configured per-object budget (error_kind "budget") is its
            # deliberate choice and does not taint a succeeded sync; its assets are still never marked gone,
            # since gone-marking only covers streams reported COMPLETE
            incomplete = sorted(s for s, v in st.stream_status.items()
                                if v.get("status") == "INCOMPLETE" and v.get("error_kind") != "budget")
            if incomplete:
                problems.append(f"streams incomplete: {', '.join(incomplete)}")
            if st.tainted_streams:
                problems.append(f"records the host could not store in: {', '.join(sorted(st.tainted_streams))}")
            if st.uid_conflicts:
                problems.append(f"{sum(st.uid_conflicts.values())} records refused in "
                                f"{', '.join(sorted(st.uid_conflicts))}: their uid belonged to a different record")
            if st.invalid_messages:
                problems.append(f"{st.invalid_messages} invalid messages")
            if st.internal_errors:
                problems.append(f"{st.internal_errors} internal errors reported by the connector")
            if problems:
                return "partial", "downgraded to partial by the host (" + "; ".join(problems) + ")"
        return str(status), message

    def _handle(
        self,
        connector: Connector,
        msg: Any,
        st: _SyncState,
        redactor: Redactor,
        encode: Redact,
        batch_a: list[tuple[Any, ...]],
        batch_f: list[tuple[Any, ...]],
        batch_r: list[tuple[Any, ...]],
        on_progress: Callable[[Any], None],
        notify: Callable[..., None],
        logger: logging.Logger,
    ) -> None:
        if not record_message_ok(msg) and (not isinstance(msg, Mapping) or not self._message_validator.is_valid(msg)):
            st.invalid_messages += 1
            problems = (
                [format_error(e) for e in self._message_validator.iter_errors(msg)][:3]
                if isinstance(msg, Mapping)
                else [f"not an object but {type(msg).__name__}"]
            )
            mtype = msg.get("type") if isinstance(msg, Mapping) else None
            stream = None
            if mtype == "RECORD" and isinstance(msg.get("record"), Mapping):
                stream = msg["record"].get("stream") if isinstance(msg["record"].get("stream"), str) else "?"
                st.tainted_streams.add(stream)
            st.error("internal", redactor.text(f"invalid {mtype or ''} message: " + "; ".join(problems))[:1000], stream=stream)
            if mtype == "SYNC_STATUS":
                st.final = {"status": "failed", "message": "the connector sent an invalid SYNC_STATUS"}
            return
        mtype = msg["type"]
        if mtype == "RECORD":
            record = msg["record"]
            stream, kind = record["stream"], record["kind"]
            st.records += 1
            st.counts[stream] = st.counts.get(stream, 0) + 1
            try:
                if kind == "asset":
                    asset = connector.normalize_asset(record)
                    if asset is None:
                        return
                    if not isinstance(asset, Mapping):
                        raise RecordError(f"connector_normalize_asset returned {type(asset).__name__}")
                    row = asset_row(record, asset)
                    if st.claim(st.uids, row.type, row.uid, record, stream, redactor,
                                lambda: f"two different records have the asset uid {row.uid!r} (type {row.type})",
                                "A connector must give every object a uid of its own (scoped by its parent where the "
                                "vendor's id is not unique)"):
                        batch_a.append(encode_asset(row, encode))
                elif kind == "check_result":
                    finding = connector.normalize_finding(record)
                    if not isinstance(finding, Mapping):
                        raise RecordError(f"connector_normalize_finding returned {type(finding).__name__}")
                    frow = finding_row(record, finding)
                    # two results for one finding (say a pass and a fail of one check on one object): the store
                    # would keep the later alone, so one judgement would vanish unseen
                    if st.claim(st.finding_uids, "finding", frow.uid, record, stream, redactor,
                                lambda: f"two different check results have the finding uid {frow.uid!r}",
                                "A connector must emit one result per check and object in a sync"):
                        batch_f.append(encode_finding(frow, encode))
                else:
                    batch_r.append(encode_relationship(relationship_row(record), encode))
            except Exception as e:
                st.tainted_streams.add(stream)
                st.error("internal", redactor.text(f"{kind} record of {stream} not stored: {type(e).__name__}: {e}")[:1000],
                         stream=stream)
        elif mtype == "STREAM_STATUS":
            ss = msg["stream_status"]
            st.stream_status[ss["stream"]] = dict(ss)
            notable = ss["status"] in ("INCOMPLETE", "SKIPPED")  # worth a line of its own in a progress display
            notify("stream" if notable else "progress", ss["stream"],
                   f"{ss['stream']}: {ss['status']}" + (f" ({ss['reason']})" if ss.get("reason") else ""))
        elif mtype == "PROGRESS":
            on_progress(msg["progress"])
        elif mtype == "LOG":
            entry = msg["log"]
            logger.log(logging.getLevelName(entry["level"]), "%s", redactor.text(entry["message"]))
        elif mtype == "STATE":
            st.state, st.state_seen = msg["state"], True
        elif mtype == "STATS":
            st.stats = dict(msg["stats"])
            st.requests = st.stats.get("requests", st.requests)
            if isinstance(st.stats.get("rate_limit_wait_seconds"), int | float):
                st.rate_wait = float(st.stats["rate_limit_wait_seconds"])
        elif mtype == "ERROR":
            err = msg["error"]
            if err["kind"] == "internal":
                st.internal_errors += 1
            st.error(
                err["kind"], redactor.text(err["message"])[:2000], stream=err.get("stream"), fatal=bool(err.get("fatal")),
                request_id=err.get("request_id"),
            )
            notify("error", err.get("stream"), redactor.text(err["message"]))
        elif mtype == "SYNC_STATUS":
            st.final = dict(msg["sync_status"])
