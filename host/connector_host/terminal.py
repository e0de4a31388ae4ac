"""Text for a terminal: server text made harmless, and tables that fit the terminal's width.

* :func:`printable`: C0 and C1 control characters (ESC, BEL, CSI, ...), DEL and the Unicode bidirectional
  overrides are shown escaped (``\\x1b``, ``\\u202e``) instead of reaching the terminal: an Okta object named with
  an escape sequence cannot recolour, retitle or rewrite the screen (issue 15 item 10). Newlines (and tabs) are
  kept in free text; a table cell keeps neither; a log message (:class:`PrintableFormatter`) keeps tabs only.
* :func:`render_table`: rows as aligned columns (``rich``), fitted to ``width`` by shortening the widest columns
  with an ellipsis; ``width=None`` (output to a file or a pipe) never cuts anything.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from typing import Any

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_CELL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_LINE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_BIDI}]")  # all but tab: one line stays one line


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab shown escaped."""
    return _UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` as one line: every control character but tab shown escaped, newlines included (a log message built
    from server text can neither drive the terminal nor forge a log line of its own)."""
    return _UNSAFE_LINE.sub(_escape, text)


class PrintableFormatter(logging.Formatter):
    """A log formatter for a terminal: the message on one line with its C0 and C1 controls (ESC, BEL, CSI, CR, LF,
    DEL, bidirectional overrides) escaped; a traceback keeps its lines, with the controls within them escaped."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_text  # another handler's formatter may have cached the traceback unescaped
        record.exc_text = printable(saved) if saved and not record.exc_info else None
        try:
            return super().format(record)
        finally:
            record.exc_text = saved

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return printable(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return printable(super().formatStack(stack_info))


def cell(value: Any) -> str:
    """One table cell: None as ``-``, whitespace controls as spaces, other controls escaped."""
    if value is None:
        return "-"
    text = str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return _UNSAFE_CELL.sub(_escape, text)


def render_table(rows: Sequence[Sequence[Any]], headers: Sequence[str], width: int | None = None) -> list[str]:
    """The table's lines: a header row, then one line per row, columns two spaces apart; within ``width`` when
    given (the widest columns are shortened with an ellipsis), at full width otherwise."""
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:  # pragma: no cover - rich is a dependency; a stripped install still prints
        return _plain(rows, headers, width)
    cells = [[cell(c) for c in row] for row in rows]
    widths = fit([max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)],
                 [len(h) for h in headers], width)
    table = Table(box=None, show_header=True, header_style="", pad_edge=False, padding=(0, 2, 0, 0),
                  show_edge=False, expand=False)
    for h, w in zip(headers, widths, strict=True):
        table.add_column(Text(h), no_wrap=True, overflow="ellipsis", width=w)
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    buf = io.StringIO()
    needed = sum(widths) + 2 * (len(widths) - 1)
    console = Console(file=buf, width=max(width or 0, needed, 20), color_system=None, no_color=True, highlight=False,
                      markup=False, emoji=False, force_terminal=False, force_jupyter=False, soft_wrap=False,
                      legacy_windows=False)
    console.print(table)
    return [line.rstrip() for line in buf.getvalue().splitlines()]


def fit(natural: Sequence[int], headers: Sequence[int], width: int | None, gap: int = 2) -> list[int]:
    """Column widths within ``width``: free-text columns (wider than 22) give way first, down to 12 (or their
    header), the widest first; then, if still too wide, every column down to its header (or 6)."""
    widths = list(natural)
    if not width:
        return widths
    text_floors = [n if n <= 22 else min(n, max(h, 12)) for n, h in zip(natural, headers, strict=True)]
    all_floors = [min(n, max(h, 6)) for n, h in zip(natural, headers, strict=True)]
    for floors in (text_floors, all_floors):
        excess = sum(widths) + gap * (len(widths) - 1) - width
        while excess > 0:
            shrinkable = [i for i, w in enumerate(widths) if w > floors[i]]
            if not shrinkable:
                break
            widest = max(widths[i] for i in shrinkable)
            tops = [i for i in shrinkable if widths[i] == widest]
            lower = [widths[i] for i in shrinkable if widths[i] < widest]
            target = max([*lower, max(floors[i] for i in tops)])
            step = max(1, min(widest - target, -(-excess // len(tops))))
            for i in tops:
                cut = min(step, widths[i] - floors[i], excess)
                widths[i] -= cut
                excess -= cut
                if excess <= 0:
                    break
    return widths


def _plain(rows: Sequence[Sequence[Any]], headers: Sequence[str], width: int | None) -> list[str]:
    cells = [[cell(c) for c in row] for row in rows]
    widths = fit([max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)],
                 [len(h) for h in headers], width)

    def clip(text: str, w: int) -> str:
        return text if len(text) <= w else text[: max(0, w - 1)] + "…"

    lines = ["  ".join(clip(h, w).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(clip(c, w).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return lines
