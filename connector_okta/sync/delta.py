"""The re-sync (:class:`DeltaPhase`, ``sync_mode: incremental``, issue 18): read what Okta says changed since the
last sync, judge everything again, as a full sync would today.

After the kept phase (the small collections every check reads, re-read every sync) it reads:

* **groups** in full (one request per 200 groups), with ``expand=stats``: each group's ``lastMembershipUpdated``,
  admin flag and member count; then the roles of the groups Okta flags (``sync/admin_groups.py``);
* **users** changed since the last sync's mark (``filter=lastUpdated gt "<mark>"``: every status, DEPROVISIONED
  included). Deletions leave no ``lastUpdated``, so the number of users known (the last sync's view, plus new ones,
  less those the System Log names deleted) must equal the ``Everyone`` group's ``usersCount``; if it does not (or
  Okta does not say), every user is read again in this sync. Every user is then judged again: the changed ones as
  served now, the others from the view the last sync packed into its STATE (``sync/users_view.py``);
* **group members** of the groups whose ``lastMembershipUpdated`` moved, and of every group holding an admin role
  (the only memberships a check reads: ``okta-admin-group-size``);
* **app assignments** (``/apps/{id}/users``, ``/apps/{id}/groups``: no marker, one request per app in the apps
  bucket) of the apps the System Log names (``sync/changefeed.py``); without the feed, a slice of the apps per
  re-sync, so every app is re-read within ``full_sync_every`` syncs (:func:`rotation_slice`);
* **devices** changed since the mark (``search=lastUpdated gt "<mark>"``).

The checks then run on all of it: their results are a full sync's. What a re-sync cannot see until the next full
sync (every ``full_sync_every`` syncs; ``docs/internals.md``): objects deleted (the host marks assets gone and
resolves findings only on a full sync), memberships and assignments removed (their edges stay until then), and a
sign-in that changes only ``lastLogin`` if Okta does not move ``lastUpdated`` for it (unverified): a stale
failure, never a false pass.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator, Iterator, Mapping
from dataclasses import replace
from typing import Any

from .. import messages
from ..client.errors import OktaError
from ..collect import records_for
from ..resources import BY_NAME, Resource
from . import changefeed, users_view
from .admin_groups import admin_flag
from .children import Job, Reads, interleave, role_groups
from .context import setting
from .outcome import Outcome
from .reader import CollectionReader


def rotation_slice(ids: list[str], syncs_since_full: int, full_sync_every: int) -> list[str]:
    """The ids a re-sync re-reads when nothing says which changed: each id falls in one of the
    ``full_sync_every - 1`` re-syncs between two full syncs (by a hash of the id, stable as objects come and go)."""
    slices = max(1, full_sync_every - 1)
    k = syncs_since_full % slices
    return [i for i in ids if int(hashlib.sha1(i.encode()).hexdigest()[:8], 16) % slices == k]


def everyone_count(groups: Outcome | None) -> int | None:
    """The ``Everyone`` group's ``usersCount`` (every user of the org), when Okta states it."""
    for g in groups.items if groups else ():
        if g.get("type") == "BUILT_IN" and (g.get("profile") or {}).get("name") == "Everyone":
            stats = (g.get("_embedded") or {}).get("stats") if isinstance(g.get("_embedded"), Mapping) else None
            n = stats.get("usersCount") if isinstance(stats, Mapping) else None
            return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None
    return None


# read in part by a re-sync (what changed): the host must not take what it did not see for gone
DELTA_STREAMS = frozenset({"users", "group_members", "app_users", "app_groups", "devices"})


class DeltaPhase(CollectionReader):
    """Reads what changed since the last sync; the users view is kept here in both modes (``visit``)."""

    # ------------------------------------------------------------------ the users view, in every mode

    def visit(self, res: Resource, item: dict[str, Any], parent_id: str | None) -> Iterator[dict[str, Any]]:
        if res.name == "users":
            self.users_view.put(item)
        yield from super().visit(res, item, parent_id)

    # ------------------------------------------------------------------ the phase

    def delta_phase(self) -> Iterator[dict[str, Any]]:
        for name in ("groups", "group_roles"):
            self.check_stop()
            yield from self.read(BY_NAME[name])
        self.check_stop()
        changes = yield from self.change_feed()
        changed_users = yield from self.changed_users()
        self.check_stop()
        yield from self.read_subsets(changes)
        self.check_stop()
        yield from self.judge_users(changed_users, changes)

    def mark(self, key: str) -> str:
        return self.prior.high_water.get(key, "")

    def change_feed(self) -> Generator[dict[str, Any], None, changefeed.Changes | None]:
        """The System Log's changes since the last sync, or None when it cannot say."""
        since = self.prior.log_since
        if not since:
            return None
        params = changefeed.query(since, changefeed.iso(self.now_ms))
        pages = self.client.paginate(changefeed.PATH, params)
        try:
            changes = changefeed.read(pages)
        except OktaError as exc:
            self.stop_if_fatal(exc)
            yield messages.log("INFO", f"incremental sync: the System Log could not say what changed ({exc.kind}: "
                                       f"{exc}); app assignments are re-read for a share of the apps instead")
            return None
        finally:
            close = getattr(pages, "close", None)
            if close:
                close()
        self.log_feed_ok = True
        if changes.too_many:
            yield messages.log("INFO", "incremental sync: the System Log names too many changes; every app's "
                                       "assignments are re-read")
        return changes

    def changed_users(self) -> Generator[dict[str, Any], None, dict[str, dict[str, Any]] | None]:
        """Users updated since the mark, by id (held until it is known that no user was deleted); None when the
        read failed (then every user is read again)."""
        res = BY_NAME["users"]
        if not self.enabled("users"):
            return None
        params = {**res.params, "filter": f'lastUpdated gt "{self.mark("users")}"'}
        out: dict[str, dict[str, Any]] = {}
        try:
            for page in self.client.paginate(res.path, params):
                self.check_stop()
                for item in page or ():
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        out[item["id"]] = item
        except OktaError as exc:
            self.stop_if_fatal(exc)
            yield messages.log("INFO", f"incremental sync: the changed users could not be listed ({exc.kind}); "
                                       "every user is read")
            return None
        return out

    # ------------------------------------------------------------------ per-parent collections, a subset

    def read_subsets(self, changes: changefeed.Changes | None) -> Iterator[dict[str, Any]]:
        apps = [a["id"] for a in self.outcomes["apps"].items if isinstance(a.get("id"), str)] \
            if "apps" in self.outcomes else []
        every = int(setting(self.config, "full_sync_every", 7))
        if changes is not None and not changes.too_many:
            known = set(apps)
            app_users = [a for a in apps if a in changes.app_users and a in known]
            app_groups = [a for a in apps if a in changes.app_groups and a in known]
            why = "the apps the System Log names as changed since the last sync"
        elif changes is not None:
            app_users = app_groups = apps
            why = "every app (the System Log names too many changes)"
        else:
            app_users = app_groups = rotation_slice(apps, self.prior.syncs_since_full, every)
            why = (f"a share of the apps (no System Log: every app is re-read within {max(1, every - 1)} re-syncs, "
                   "and on each full sync)")
        members, members_why = self.groups_to_reread()
        plans = [("app_groups", app_groups, why), ("app_users", app_users, why), ("group_members", members,
                                                                                  members_why)]
        readers = []
        for name, parents, reason in plans:
            res = BY_NAME[name]
            pre = self.precheck(res)
            if pre is not None:
                yield from self.finish_collection(res, pre)
                continue
            yield messages.stream_status(res.name, "STARTED")
            reads = Reads(res)
            reads.parent_ids = list(dict.fromkeys(parents))
            reads.series = self.series(res)[:1]
            reads.jobs = [Job(res.name, parent=pid) for pid in reads.parent_ids]
            reads.pending = len(reads.jobs)
            parent = BY_NAME[res.parent].name if res.parent else "parents"
            reads.outcome.reason = (f"incremental: read under {len(reads.parent_ids)} {parent}, {reason}; the "
                                    "others are unchanged since the last sync")
            readers.append(reads)
        devices = BY_NAME["devices"]
        pre = self.precheck(devices)
        if pre is not None:
            yield from self.finish_collection(devices, pre)
        else:
            delta = replace(devices, variants=({"search": f'lastUpdated gt "{self.mark("devices")}"'},))
            yield messages.stream_status(devices.name, "STARTED")
            reads = self.open_reads(delta)
            reads.outcome.reason = "incremental: the devices updated since the last sync"
            readers.append(reads)
        yield from self.run_reads(readers, interleave(readers), self.workers, queue_size=self.workers,
                                  finish_early=False)

    def groups_to_reread(self) -> tuple[list[str], str]:
        """The groups whose members are read: memberships changed since the mark, or holding an admin role."""
        groups = self.outcomes.get("groups")
        mark = self.mark("groups_membership")
        roles = self.outcomes.get("group_roles")
        admin = {gid for gid, kids in (roles.by_parent if roles else {}).items() if kids}
        admin |= role_groups(self.outcomes.get("user_roles"))
        out = []
        for g in groups.items if groups else ():
            gid = g.get("id")
            if not isinstance(gid, str):
                continue
            moved = str(g.get("lastMembershipUpdated") or "") > mark
            if moved or gid in admin or admin_flag(g):
                out.append(gid)
        return out, "the groups whose memberships changed since the last sync or that hold an admin role"

    # ------------------------------------------------------------------ the users

    def judge_users(self, changed: dict[str, dict[str, Any]] | None, changes: changefeed.Changes | None
                    ) -> Iterator[dict[str, Any]]:
        """Judge every user: from the view and the changes, or, when users may have been deleted (or the changes
        could not be listed), from a full read."""
        res = BY_NAME["users"]
        pre = self.precheck(res)
        if pre is not None:
            yield from self.finish_collection(res, pre)
            return
        deleted = changes.deleted_users if changes is not None else set()
        if changed is not None:
            changed = {uid: u for uid, u in changed.items() if uid not in deleted}
        why = None
        if changed is None:
            why = "the changed users could not be listed"
        else:
            try:
                expected, prior_n = self.count_users(changed, deleted)
            except ValueError as exc:
                expected = prior_n = -1
                why = f"the last sync's users view could not be read ({exc})"
            everyone = everyone_count(self.outcomes.get("groups"))
            if why is not None:
                pass
            elif everyone is None:
                why = "Okta did not say how many users the org has (the Everyone group's stats)"
            elif everyone != expected:
                why = (f"the org has {everyone} users where the last sync knew {prior_n}, {len(changed)} changed "
                       f"since (users were deleted)")
        if why is not None:
            yield messages.log("INFO", f"incremental sync: every user is read again: {why}")
            yield from self.read(res)
            return
        assert changed is not None
        yield messages.stream_status(res.name, "STARTED")
        outcome = Outcome("complete", count=len(changed))
        judged = 0
        for uid, fields in users_view.lines(self.prior.users_view or ""):
            self.check_stop()
            if uid in deleted:
                continue
            user = changed.pop(uid, None)
            if user is not None:
                yield from self.emit_user(res, user)
            else:
                user = users_view.as_user(uid, json.loads(fields))
            judged += 1
            yield from self.visit(res, user, None)
            if judged % 5000 == 0:
                yield from self.progress(res.name, judged)
        for user in changed.values():  # new users
            yield from self.emit_user(res, user)
            yield from self.visit(res, user, None)
            judged += 1
        outcome.reason = (f"incremental: {outcome.count} users changed since the last sync were read; "
                          f"{judged} judged")
        yield from self.progress(res.name, judged, force=True)
        yield from self.finish_collection(res, outcome)

    def emit_user(self, res: Resource, user: dict[str, Any]) -> Iterator[dict[str, Any]]:
        records = records_for(res, user, self.org_ref, None)
        self.enrich_user(user, records)
        self.high_water.see("users", user.get("lastUpdated"))
        yield from records

    def count_users(self, changed: dict[str, dict[str, Any]], deleted: set[str]) -> tuple[int, int]:
        """(users known now: the view's, plus the new ones, less those deleted; the view's count)."""
        prior_n = 0
        seen_changed = 0
        gone = 0
        for uid, _ in users_view.lines(self.prior.users_view or ""):
            prior_n += 1
            if uid in deleted:
                gone += 1
            elif uid in changed:
                seen_changed += 1
        new = len(changed) - seen_changed
        return prior_n + new - gone, prior_n
