"""``connector-host assets``: the objects read, by type and name, with status, last sign-in, admin roles and the
findings failing on each; filters by type, status and admin."""

from __future__ import annotations

import argparse

from ..console import EXIT_OK, CliError, CommandContext, ts
from ..posture.assets import list_assets, statuses
from ._common import CommandFactory, cut_hint, integration_id, page_args, registered, several_integrations


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    a = cmd("assets", "assets (default: those present in the last complete sync)")
    a.add_argument("name", nargs="?", help="integration (default: all)")
    a.add_argument("--type", help="asset type, e.g. user, group, app, policy (the types present are listed when"
                                  " one is unknown)")
    a.add_argument("--status", help="the object's status, e.g. ACTIVE, SUSPENDED, LOCKED_OUT (case-insensitive)")
    a.add_argument("--admin", action="store_true", help="only users holding an admin role")
    a.add_argument("--search", help="name contains (case-insensitive), or exact uid")
    gone = a.add_mutually_exclusive_group()
    gone.add_argument("--gone", action="store_true", help="only assets gone from the org")
    gone.add_argument("--all", action="store_true", help="include gone assets")
    page_args(a)
    return registered(a, run)


def run(app: CommandContext) -> int:
    args, out = app.args, app.out
    iid = integration_id(app, args.name)
    counts = app.store.asset_counts(iid, include_gone=True)
    if args.type and args.type not in counts:
        valid = ", ".join(sorted(counts)) or "none yet (sync first)"
        raise CliError(f"unknown asset type {args.type!r}; the types in the store: {valid}")
    status = None
    if args.status:
        present = {s.upper(): s for s, _n in statuses(app.store, iid, args.type)}
        status = present.get(args.status.upper())
        if status is None:
            valid = ", ".join(sorted(present.values())) or "none"
            raise CliError(f"no asset{' of type ' + args.type if args.type else ''} has status {args.status!r};"
                           f" the statuses present: {valid}")
    page = list_assets(app.store, iid, type=args.type, search=args.search, status=status, admin=args.admin,
                       gone=args.gone, include_gone=args.all, limit=args.limit, offset=args.offset)
    if out.as_json:
        out.json({"total": page.total, "limit": page.limit, "offset": page.offset, "items": page.items,
                  "counts_by_type": app.store.asset_counts(iid)})
        return EXIT_OK
    if not page.items:
        out.line("no assets match")
        return EXIT_OK
    multi = several_integrations(app)
    rows = []
    for a in page.items:
        f = a["facts"]
        login = (ts(f["last_login"]) if f["last_login"] else "never") if a["type"] == "user" else ""
        roles = ", ".join(f["roles"] or []) or ("admin" if f["is_admin"] else "")
        row = [a["id"], a["type"], a["display_name"] + (f" ({f['full_name']})" if f["full_name"] else ""),
               (f["status"] or "").lower(), login, roles, a["failing"] or ""]
        row += [a["integration"]] if multi else []
        rows.append([*row, a["uid"], "gone" if a["gone"] else ""])
    headers = ["ID", "TYPE", "NAME", "STATUS", "LAST SIGN-IN", "ADMIN ROLES", "FAILING"]
    out.table(rows, [*headers, *(["INTEGRATION"] if multi else []), "UID", ""])
    cut_hint(out, len(page.items), page.total, page.offset, page.limit, "assets")
    return EXIT_OK
