"""``connector-host export``: a view of findings as CSV or OCSF JSON Lines (the same selection as ``findings``),
or one integration's self-contained HTML report (prints cleanly to PDF)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable

from ..console import EXIT_OK, CliError, CommandContext
from ..posture.export import chunks
from ..posture.report import build as build_report
from ..terminal import printable
from ._common import CommandFactory, registered
from .findings import add_filter_args, build_filter


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    e = cmd("export", "export findings (CSV, OCSF JSON Lines) or an integration's HTML report")
    add_filter_args(e)
    e.add_argument("--format", choices=["csv", "jsonl", "html"], default="csv",
                   help="csv (a row per result), jsonl (an OCSF Compliance Finding per line) or html (the report"
                        " of one integration: summary, STIG table, findings by check, remediation)")
    e.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default: standard output)")
    return registered(e, run)


def _write(app: CommandContext, parts: Iterable[str]) -> int:
    path = app.args.output
    if not path or path == "-":
        stream = app.out.stdout
        tty = _isatty(stream)  # a terminal gets control characters of server text escaped, as every text view
        for part in parts:
            stream.write(printable(part.replace("\r\n", "\n")) if tty else part)
        stream.flush()
        return EXIT_OK
    # The export holds personal data: a private file (0600) with an unpredictable temporary name in the target's
    # folder (a planted FILE.part symlink cannot redirect the write), renamed over FILE once complete.
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            for part in parts:
                f.write(part)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {path}", file=app.out.stderr if app.out.stderr is not None else sys.stderr)
    return EXIT_OK


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def run(app: CommandContext) -> int:
    args = app.args
    if args.format == "html":
        name = args.name
        if name is None:
            integrations = app.store.list_integrations()
            if len(integrations) != 1:
                raise CliError("the report covers one integration: name it (connector-host export NAME --format html)")
            name = integrations[0].name
        return _write(app, [build_report(app.store, app.registry, name)])
    flt = build_filter(app)
    return _write(app, chunks(app.store, flt, args.format))
