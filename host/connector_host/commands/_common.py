"""What the view commands share: registration, integration lookup, the "cut" hint under a list."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..console import CommandContext, Output

CommandFactory = Callable[[str, str], argparse.ArgumentParser]
Handler = Callable[[CommandContext], int]


def registered(parser: argparse.ArgumentParser, run: Handler) -> argparse.ArgumentParser:
    """Make ``run`` the parser's handler (``cli.main`` calls ``args.run_command(app)``)."""
    parser.set_defaults(run_command=run)
    return parser


def integration_id(app: CommandContext, name: str | None) -> int | None:
    """The id of the integration ``name`` (:class:`NotFound`, exit 5, when there is none); None for all."""
    return None if name is None else app.store.get_integration(name).id


def several_integrations(app: CommandContext) -> bool:
    return len(app.store.list_integrations()) > 1


def cut_hint(out: Output, shown: int, total: int, offset: int, limit: int, noun: str) -> None:
    """``showing 51-100 of 1,113 findings; next: --offset 100`` (or ``N findings`` when all are shown)."""
    if total <= shown and offset == 0:
        out.line(f"\n{total:,} {noun}")
        return
    first, last = (offset + 1, offset + shown) if shown else (0, 0)
    text = f"\nshowing {first:,}-{last:,} of {total:,} {noun}"
    if last < total:
        text += f"; next: --offset {last} (or a larger --limit, or pipe --json to a pager)"
    out.line(text)


def page_args(parser: argparse.ArgumentParser, limit: int = 50) -> None:
    parser.add_argument("--limit", type=_positive, default=limit, help=f"rows to show (default {limit})")
    parser.add_argument("--offset", type=_non_negative, default=0, help="rows to skip (the next page)")


def _positive(text: str) -> int:
    n = _int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return n


def _non_negative(text: str) -> int:
    n = _int(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return n


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def dash(value: Any) -> Any:
    return "-" if value in (None, "") else value
