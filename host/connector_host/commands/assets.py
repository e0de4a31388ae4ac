"""``connector-host assets``: the objects read, by type and name."""

from __future__ import annotations

import argparse

from ..console import EXIT_OK, CommandContext, ts
from ._common import CommandFactory, cut_hint, page_args, registered


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    a = cmd("assets", "assets (default: those present in the last complete sync)")
    a.add_argument("name", nargs="?", help="integration (default: all)")
    a.add_argument("--type", help="asset type, e.g. user, group, app, policy")
    a.add_argument("--search", help="name contains (case-insensitive), or exact uid")
    gone = a.add_mutually_exclusive_group()
    gone.add_argument("--gone", action="store_true", help="only assets gone from the org")
    gone.add_argument("--all", action="store_true", help="include gone assets")
    page_args(a)
    return registered(a, run)


def run(app: CommandContext) -> int:
    args, out = app.args, app.out
    page = app.store.query_assets(
        args.name, type=args.type, search=args.search, gone=args.gone, include_gone=args.all,
        limit=args.limit, offset=args.offset,
    )
    if out.as_json:
        out.json({"total": page.total, "limit": page.limit, "offset": page.offset, "items": page.items,
                  "counts_by_type": app.store.asset_counts(args.name)})
        return EXIT_OK
    if not page.items:
        out.line("no assets match")
        return EXIT_OK
    out.table(
        [(a["id"], a["type"], a["name"], a["uid"], ts(a["first_seen"]), ts(a["last_seen"]),
          "gone" if a["gone"] else "") for a in page.items],
        ["ID", "TYPE", "NAME", "UID", "FIRST SEEN", "LAST SEEN", ""],
    )
    cut_hint(out, len(page.items), page.total, page.offset, page.limit, "assets")
    return EXIT_OK
