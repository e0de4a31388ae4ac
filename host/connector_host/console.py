"""What the CLI's commands share: exit codes, ``CliError``, the ``Output`` writer, the progress line, the history
table, and ``CommandContext``, what a command module (``demo``, ``web.serve``) is handed by ``cli.App``.

The command modules and ``cli`` import this module; it imports none of them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TextIO

from .config_secrets import Redactor
from .facade import Connector
from .loader import Registry
from .runner import ProgressEvent
from .store import Store, SyncRecord
from .terminal import printable, render_table

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_BUSY = 4
EXIT_NOT_FOUND = 5
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
  0    ok (the sync succeeded, the connection test passed, the view was shown)
  1    a sync or connection test failed
  2    usage or configuration error (bad arguments, invalid config, missing secret, unknown connector)
  3    the sync was partial (some collections could not be read; nothing was marked gone or resolved)
  4    another sync of this integration is running
  5    not found (integration, finding or asset)
  130  interrupted (Ctrl-C)

environment:
  CONNECTOR_HOST_STORE              the store file (default: %s)
  CONNECTOR_HOST_SECRET_KEY         Fernet key to encrypt secrets at rest (create one: connector-host secret-key)
  CONNECTOR_HOST_SECRET_KEY_FILE    file holding that key
  CONNECTOR_HOST_CONNECTORS         load only these connector ids (comma-separated)
  CONNECTOR_HOST_BLOCK_CONNECTORS   never load these connector ids
"""

SYNC_EXIT = {"succeeded": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED, "interrupted": EXIT_INTERRUPTED}


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


class Output:
    """Writes views to stdout (text or JSON) with every known secret redacted; text views show control characters
    from server text escaped (:func:`connector_host.terminal.printable`) and tables fitted to the terminal."""

    def __init__(self, stdout: TextIO, stderr: TextIO, as_json: bool, width: int | None = None):
        self.stdout = stdout
        self.stderr = stderr
        self.as_json = as_json
        self.redactor = Redactor()
        self.width = width if width is not None else terminal_width(stdout)

    def redact_with(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def json(self, obj: Any) -> None:
        self.stdout.write(self.redactor.text(json.dumps(obj, indent=2, sort_keys=False, default=str)) + "\n")

    def line(self, text: str = "") -> None:
        self.stdout.write(printable(self.redactor.text(text)) + "\n")

    def err(self, text: str) -> None:
        self.stderr.write(printable(self.redactor.text(text)) + "\n")

    def table(self, rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
        """Aligned columns, within the terminal's width (the widest shortened with an ellipsis); full width when
        the output is a file or a pipe."""
        for line in render_table(rows, headers, self.width):
            self.line(line)


def terminal_width(stream: TextIO) -> int | None:
    """The width tables must fit: the terminal's (``$COLUMNS`` when set), or none for a file or a pipe."""
    try:
        if stream.isatty():
            return max(40, shutil.get_terminal_size((100, 20)).columns)
    except (AttributeError, ValueError, OSError):
        pass
    return None


def ts(ms: int | None) -> str:
    if ms is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000)) + "Z"


def _dur(record: SyncRecord) -> str:
    d = record.duration_seconds
    return "-" if d is None else f"{d:.1f}s"


def eta_text(seconds: float) -> str:
    """``ETA`` as a person reads it: 40 s, 3 min, 1 h 20 min."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    return f"{s // 3600} h {round(s % 3600 / 60)} min"


class ProgressDisplay:
    """One status line on stderr, rewritten in place (records per collection, requests, rate-limit waits), and a
    line for each collection that ends INCOMPLETE or SKIPPED; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO, enabled: bool | None = None, width: int | None = None):
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.width = width or max(40, shutil.get_terminal_size((100, 20)).columns - 1)
        self._last = 0.0
        self._shown = 0

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def __call__(self, event: ProgressEvent) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if event.kind == "done":
            self._clear()
            self.stream.flush()
            return
        if event.kind == "stream" and event.message:
            self._clear()
            self.stream.write(printable(event.message.replace("\n", " "))[: self.width] + "\n")
        elif event.kind != "progress" or now - self._last < 0.2:
            return
        self._last = now
        head = f"syncing {event.integration}: "
        tail = f" | {event.requests:,} requests" if event.requests else ""
        waiting = getattr(event, "waiting", None)
        if waiting:  # the wait under way: "waiting 41 s for the users quota"
            tail += f" | {waiting}"
        elif event.rate_limit_wait_seconds:
            tail += f" | rate-limit wait {event.rate_limit_wait_seconds:.1f}s"
        eta = getattr(event, "eta_seconds", None)
        if eta is not None:
            tail += f" | ETA {eta_text(eta)}"
        totals = getattr(event, "totals", None) or {}
        room = self.width - len(head) - len(tail)
        parts: list[str] = []
        for name, n in reversed(list(event.counts.items())):  # the latest collections first
            total = totals.get(name)
            # of the total where known (Okta's, or the last sync's count: an estimate, so a read past it shows as is)
            part = f"{name} {n:,}/{total:,}" if total and n <= total else f"{name} {n:,}"
            if sum(len(p) + 3 for p in parts) + len(part) > room:
                break
            parts.insert(0, part)
        text = printable(head + (" · ".join(parts) or "starting") + tail)[: self.width]
        self._clear()
        self.stream.write(text)
        self._shown = len(text)
        self.stream.flush()


def out_of_scope(record: SyncRecord) -> list[str]:
    """The collections of a sync not in scope for its credential (the connector reported them SKIPPED with
    ``error_kind`` ``out_of_scope``: a role the credential lacks; not an error)."""
    counts = record.counts if isinstance(record.counts, Mapping) else {}
    return sorted(s for s, c in counts.items() if isinstance(c, Mapping) and c.get("error_kind") == "out_of_scope")


def _assets(record: SyncRecord) -> str:
    """The ASSETS cell: an incremental sync re-read only what changed, so its count says so."""
    if record.sync_mode == "incremental" and record.status in ("succeeded", "partial"):
        return f"{record.assets_seen:,} changed" if record.assets_seen else "unchanged"
    return str(record.assets_seen)


def history_table(out: Output, records: Sequence[SyncRecord]) -> None:
    """Sync records as the table ``history``, ``sync``, ``schedule`` and ``demo`` print."""
    out.table(
        [(r.id, r.integration, ts(r.started_at), _dur(r), r.status, r.sync_mode, r.records, _assets(r),
          r.findings_seen, r.findings_new, r.findings_resolved, r.assets_gone, r.api_requests, len(r.errors))
         for r in records],
        ["SYNC", "INTEGRATION", "STARTED", "TOOK", "STATUS", "MODE", "RECORDS", "ASSETS", "FINDINGS",
         "NEW", "RESOLVED", "GONE", "REQUESTS", "ERRORS"],
    )


class CommandContext(Protocol):
    """What a command module's handler is handed (``cli.App`` is one): parsed arguments, output, connectors, store."""

    args: argparse.Namespace
    out: Output

    @property
    def registry(self) -> Registry: ...

    @property
    def store(self) -> Store: ...

    def connector(self, id: str) -> Connector:
        """The installed connector ``id``; :class:`CliError` when there is none."""
        ...
