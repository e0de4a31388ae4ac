"""Logging and org settings."""

from __future__ import annotations

from collections.abc import Iterator

from .context import CheckContext
from .registry import check
from .results import org_res, res, result


@check("okta-log-streaming")
def log_streaming(ctx: CheckContext) -> Iterator[dict]:
    streams = ctx.collection("log_streams").items
    active = [s for s in streams if s.get("status") == "ACTIVE"]
    ev = {"active_streams": [{"name": s.get("name"), "type": s.get("type")} for s in active],
          "streams": len(streams)}
    if active:
        yield result("pass", res("log_stream", active[0]), f"System Log is streamed to {active[0].get('type')}.", ev)
    else:
        yield result("fail", org_res(ctx), "No ACTIVE log stream off-loads the System Log. If a SIEM pulls "
                     "/api/v1/logs instead, attest it manually.", ev, absence=True)


@check("okta-org-technical-contact")
def technical_contact(ctx: CheckContext) -> Iterator[dict]:
    items = ctx.collection("org_contacts").items
    tech = [c for c in items if c.get("contactType") == "TECHNICAL"]
    ev = {"contacts": [{"contactType": c.get("contactType"), "userId": c.get("userId")} for c in items]}
    user_id = tech[0].get("userId") if tech else None
    if tech and "userId" not in tech[0]:
        # the list names only the contact types; one budgeted call reads the technical contact's user
        body, why = ctx.fetch("/api/v1/org/contacts/technical")
        if why is not None or not isinstance(body, dict):
            yield result("unknown", org_res(ctx), "The technical contact could not be read "
                         f"(GET /api/v1/org/contacts/technical): {why or 'not a JSON object'}.", ev)
            return
        user_id = body.get("userId")
        ev["technical_userId"] = user_id
    if tech and user_id:
        yield result("pass", org_res(ctx), "A technical contact is set.", ev)
    elif tech:
        yield result("fail", org_res(ctx), "The technical contact names no user.", ev)
    else:
        yield result("fail", org_res(ctx), "No technical contact is set.", ev, absence=True)
