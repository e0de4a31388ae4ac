"""Staging a running sync's records on a thread of its own (issue 18, the host's ingest).

The runner's thread reads the connector's messages, turns them into rows and encodes each as JSON text as it comes
(:func:`store.encode_asset` and its siblings: work that holds the GIL, cheaper done at once than fought over, and the
normalised objects are freed at once rather than kept for a batch, which cost a 30,000-user sync ~1.7 s of garbage
collection); deflating the raw objects and writing them to the staging tables happens here, meanwhile
(:meth:`Store.stage_encoded`). Deflating
and SQLite run without the GIL, so on a machine with two cores they overlap the connector's own work (measured at
30,000 users: the host's CPU ~10% lower than with the encoding on this thread too). At most ``depth`` batches wait
(memory stays flat); a failure (the sync was unlocked meanwhile: ``SyncLost``) is raised in the runner's thread at
its next :meth:`put` or at :meth:`close`, as a direct call would have raised it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from .store import EncodedBatch, StagedAsset, StagedFinding, StagedRelationship, Store, encode_staged

_STOP = object()


class Stager:
    def __init__(self, store: Store, sync_id: int, *, redact: Callable[[str], str] | None = None,
                 depth: int = 2) -> None:
        self.store, self.sync_id, self.redact = store, sync_id, redact
        self._q: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name=f"connector-host-stage-{sync_id}", daemon=True)
        self._thread.start()
        self._closed = False

    def _work(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            if self._error is not None:
                continue  # drain: the runner learns of the failure at its next call
            try:
                self.store.stage_encoded(self.sync_id, item)
            except BaseException as exc:  # noqa: BLE001 - handed to the runner's thread
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def put(self, assets: Sequence[StagedAsset], findings: Sequence[StagedFinding],
            relationships: Sequence[StagedRelationship]) -> None:
        """Encode one batch and queue it (the lists are the caller's to reuse)."""
        self.put_encoded(encode_staged(assets, findings, relationships, redact=self.redact))

    def put_encoded(self, batch: EncodedBatch) -> None:
        """Queue a batch of rows already encoded (:func:`store.encode_asset` and its siblings); the batch is
        the stager's from now on."""
        self._raise()
        self._q.put(batch)

    def close(self) -> None:
        """Wait until every batch is staged; raise what staging raised."""
        if not self._closed:
            self._closed = True
            self._q.put(_STOP)
            self._thread.join()
        self._raise()

    def abandon(self) -> None:
        """Stop without raising (the sync failed or was interrupted: its staged rows are dropped anyway)."""
        if not self._closed:
            self._closed = True
            self._q.put(_STOP)
            self._thread.join(timeout=60)
        self._error = None
