"""``connector-host exceptions``: accept a risk, call a result a false positive or suppress a check, for one check
or one object (``add``); ``list`` them (the export of exceptions: ``--json``); ``revoke`` one."""

from __future__ import annotations

import argparse

from ..console import EXIT_OK, CliError, CommandContext, ts
from ..posture.exceptions import KINDS, STATES, list_exceptions, parse_expiry
from ..store import StoreError
from ._common import CommandFactory, integration_id, registered

KIND_NAMES = [k.replace("_", "-") for k in KINDS]


def register(cmd: CommandFactory) -> argparse.ArgumentParser:
    e = cmd("exceptions", "exceptions to findings: add, list, revoke (excepted results leave the counts)")
    sub = e.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = sub.add_parser("add", help="except one check of an integration, or one object of it")
    a.add_argument("name", help="integration")
    a.add_argument("--check", required=True, help="the check id")
    a.add_argument("--object", metavar="UID_OR_NAME", help="only this object (an asset uid, or its exact name)")
    a.add_argument("--kind", required=True, choices=KIND_NAMES, help="accepted-risk, false-positive or suppressed")
    a.add_argument("--reason", required=True, help="why")
    a.add_argument("--author", required=True, help="who decides")
    a.add_argument("--expires", metavar="WHEN",
                   help="YYYY-MM-DD (end of day, UTC), YYYY-MM-DDTHH:MM (UTC) or a duration: 30d, 12h")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text")
    ls = sub.add_parser("list", help="exceptions, newest first, with their state")
    ls.add_argument("name", nargs="?", help="integration (default: all)")
    ls.add_argument("--state", choices=STATES, help="active, expired or revoked")
    ls.add_argument("--check", help="a check id")
    ls.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text")
    r = sub.add_parser("revoke", help="end an exception now (kept for the history)")
    r.add_argument("id", type=int)
    r.add_argument("--author", required=True, help="who ends it")
    r.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text")
    return registered(e, run)


def run(app: CommandContext) -> int:
    args = app.args
    if getattr(args, "json", False):
        app.out.as_json = True
    return {"add": _add, "list": _list, "revoke": _revoke}[args.action](app)


def _object(app: CommandContext, iid: int, text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    rows = app.store._q(
        "SELECT uid, name FROM assets WHERE integration_id = ? AND (uid = ? OR name = ?) ORDER BY gone_at IS NOT NULL,"
        " uid = ? DESC LIMIT 2", (iid, text, text, text),
    )
    if not rows:
        return text, None  # an object the store has no asset for (the finding names it): taken as its uid
    if len(rows) > 1 and rows[0][0] != text:
        raise CliError(f"more than one object is named {text!r}: give its uid ({rows[0][0]}, {rows[1][0]})")
    return rows[0][0], rows[0][1]


def _add(app: CommandContext) -> int:
    args, out = app.args, app.out
    iid = integration_id(app, args.name)
    assert iid is not None
    uid, name = _object(app, iid, args.object)
    try:
        e = app.store.add_exception(iid, args.check, kind=args.kind.replace("-", "_"), reason=args.reason,
                                    author=args.author, resource_uid=uid, resource_name=name,
                                    expires_at=parse_expiry(args.expires))
    except StoreError as err:
        raise CliError(str(err)) from None
    if out.as_json:
        out.json(e)
    else:
        scope = f"object {name or uid}" if uid else "every object of the check"
        out.line(f"exception #{e['id']}: {KINDS[e['kind']].lower()} for {args.check} ({scope}) in {args.name}"
                 + (f", until {ts(e['expires_at'])}" if e["expires_at"] else ", no expiry"))
    return EXIT_OK


def _list(app: CommandContext) -> int:
    args, out = app.args, app.out
    items = list_exceptions(app.store, integration_id(app, args.name), state=args.state, check=args.check)
    if out.as_json:
        out.json(items)
        return EXIT_OK
    if not items:
        out.line("no exceptions")
        return EXIT_OK
    out.table(
        [(e["id"], e["integration"], e["check_id"], e["resource_name"] or e["resource_uid"] or "(every object)",
          e["kind_label"], e["state"], e["author"], ts(e["expires_at"]) if e["expires_at"] else "never", e["reason"])
         for e in items],
        ["ID", "INTEGRATION", "CHECK", "SCOPE", "KIND", "STATE", "AUTHOR", "EXPIRES", "REASON"],
    )
    return EXIT_OK


def _revoke(app: CommandContext) -> int:
    args, out = app.args, app.out
    try:
        e = app.store.revoke_exception(args.id, by=args.author)
    except StoreError as err:
        if type(err).__name__ == "NotFound":
            raise
        raise CliError(str(err)) from None
    if out.as_json:
        out.json(e)
    else:
        out.line(f"exception #{e['id']} revoked: its results count again")
    return EXIT_OK
