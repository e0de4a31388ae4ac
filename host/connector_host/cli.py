"""``connector-host``: the reference host's command line (argparse).

Every view takes ``--json``. The service layer (store, runner, scheduler) holds the logic; this module only
parses arguments and renders results, so other front ends (the web page) reuse the same calls.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TextIO

from . import __version__
from .commands import VIEW_COMMANDS
from .config_secrets import ENV_SECRET_KEY, ENV_SECRET_KEY_FILE, SecretError, format_path, mask_config
from .console import (
    EXIT_BUSY,
    EXIT_CODES_HELP,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    SYNC_EXIT,
    CliError,
    Output,
    ProgressDisplay,
    history_table,
    out_of_scope,
    ts,
)
from .demo import add_demo_parser, run_demo
from .facade import Connector
from .job_queue import add_queue_parsers, broker_url, cli_schedule, cli_sync
from .loader import Registry, UnknownConnector, load_connectors
from .runner import ConfigProblem, Runner, active_redactors, redact_log_record
from .scheduler import Scheduler
from .service import ConfigInputError, build_config, check_config, interval_for
from .store import NotFound, Store, StoreError, SyncInProgress, SyncRecord, default_store_path
from .terminal import PrintableFormatter
from .web.serve import add_serve_parser, run_serve

log = logging.getLogger("connector_host")


# --------------------------------------------------------------------------------------------- config input


def _assignments(items: Sequence[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in items or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{option} takes KEY=VALUE, got {text.split('=')[0]!r}")
        out[key.strip()] = value
    return out


def read_secret_line(stream: TextIO, key: str) -> str:
    """One secret from ``stream`` (``--secret-stdin``): one line, or a whole PEM block when it starts one."""
    first = stream.readline()
    if not first:
        raise CliError(f"--secret-stdin {key}: nothing on standard input (pipe the secret in, one line)")
    text = first.rstrip("\r\n")
    if text.lstrip().startswith("-----BEGIN"):
        lines = [text]
        while not lines[-1].lstrip().startswith("-----END"):
            line = stream.readline()
            if not line:
                raise CliError(f"--secret-stdin {key}: the PEM block on standard input has no -----END line")
            lines.append(line.rstrip("\r\n"))
        text = "\n".join(lines) + "\n"
    if not text.strip():
        raise CliError(f"--secret-stdin {key}: the line on standard input is empty")
    return text


def prompted_secrets(args: argparse.Namespace, stdin: TextIO, stderr: TextIO) -> dict[str, str]:
    """``--secret-stdin KEY`` (one, read from standard input) and ``--secret-prompt KEY`` (typed, not echoed)."""
    import getpass

    out: dict[str, str] = {}
    stdin_keys = [k.strip() for k in getattr(args, "secret_stdin", None) or []]
    if len(stdin_keys) > 1:
        raise CliError("--secret-stdin can be given once (standard input holds one secret); "
                       "use --secret-prompt for the others")
    for key in stdin_keys:
        out[key] = read_secret_line(stdin, key)
    for key in [k.strip() for k in getattr(args, "secret_prompt", None) or []]:
        if key in out:
            raise CliError(f"{key} is given twice")
        try:
            value = getpass.getpass(f"{key} (not shown): ", stream=stderr)
        except EOFError:
            raise CliError(f"--secret-prompt {key}: no terminal to type the secret in; use --secret-stdin") from None
        if not value.strip():
            raise CliError(f"--secret-prompt {key}: nothing was typed")
        out[key] = value.strip()
    return out


def config_from_args(
    connector: Connector, base: Mapping[str, Any], args: argparse.Namespace, env: Mapping[str, str],
    *, stdin: TextIO | None = None, stderr: TextIO | None = None,
) -> dict[str, Any]:
    """--set / --unset / --secret-env / --secret-file / --secret-stdin / --secret-prompt applied to a stored
    config (see service.build_config). A secret given with ``--set`` works but is warned about: the command line
    is visible to every user of the machine (``ps``) and kept in the shell's history."""
    raw = _assignments(args.set, "--set")
    secrets = {format_path(p) for p in connector.secret_paths()}
    for key in raw:
        if key.strip() in secrets and stderr is not None:
            stderr.write(f"warning: --set {key}=... puts a secret on the command line, where other users (ps) and "
                         f"the shell history see it; use --secret-prompt {key} or --secret-stdin {key} instead\n")
    typed = prompted_secrets(args, stdin or sys.stdin, stderr or sys.stderr)
    try:
        return build_config(
            connector, base, env=env,
            raw_values=raw,
            secret_values=typed,
            secret_env=_assignments(args.secret_env, "--secret-env"),
            secret_file=_assignments(args.secret_file, "--secret-file"),
            unset=getattr(args, "unset", None) or (),
        )
    except ConfigInputError as e:
        raise CliError(str(e)) from None


# --------------------------------------------------------------------------------------------- commands


class App:
    def __init__(self, args: argparse.Namespace, out: Output, registry_factory: Callable[[], Registry],
                 stdin: TextIO | None = None):
        self.args = args
        self.out = out
        self.stdin = stdin or sys.stdin
        self._registry_factory = registry_factory
        self._registry: Registry | None = None
        self._store: Store | None = None

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self._registry_factory()
            for f in self._registry.failures:
                log.warning("connector %s failed to load: %s", f.id, f.error)
        return self._registry

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.args.store or default_store_path())
            self._store.recover_interrupted()
        return self._store

    @property
    def env(self) -> dict[str, str]:
        """The environment secrets are resolved in; ``<store>.key`` (made by ``serve``) is the default key file."""
        env = dict(os.environ)
        if not env.get(ENV_SECRET_KEY) and not env.get(ENV_SECRET_KEY_FILE):
            key_file = f"{self.store.path}.key"
            if os.path.exists(key_file):
                env[ENV_SECRET_KEY_FILE] = key_file
        return env

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def connector(self, id: str) -> Connector:
        try:
            return self.registry.get(id)
        except UnknownConnector as e:
            raise CliError(str(e)) from None

    def runner(self) -> Runner:
        return Runner(self.store, self.registry, env=self.env)

    # ---- connectors
    def cmd_connectors(self) -> int:
        items = []
        for c in self.registry:
            m = c.manifest()
            pub = m.get("publisher")
            items.append({
                "id": c.id, "name": m.get("name"), "version": m.get("version"),
                "publisher": pub.get("name") if isinstance(pub, Mapping) else pub,
                "categories": m.get("categories"), "description": m.get("description"),
                "support_level": m.get("support_level"), "checks": c.implements("connector_checks"),
                "source": c.source,
            })
        failures = [f.as_dict() for f in self.registry.failures]
        if self.out.as_json:
            self.out.json({"connectors": items, "failures": failures})
        else:
            if items:
                self.out.table([(i["id"], i["name"], i["version"], i["publisher"], ", ".join(i["categories"] or []))
                                for i in items], ["ID", "NAME", "VERSION", "PUBLISHER", "CATEGORIES"])
            else:
                self.out.line("no connectors installed (pip install a connector package, e.g. connector-okta)")
            for f in failures:
                self.out.err(f"connector {f['id']} failed to load: {f['error']}")
        return EXIT_OK

    def cmd_checks(self) -> int:
        c = self.connector(self.args.connector)
        checks = c.checks()
        if checks is None:
            raise CliError(f"connector {c.id!r} does not publish a check catalog (connector_checks)")
        if self.out.as_json:
            self.out.json(checks)
        else:
            rows = [(k.get("id"), k.get("severity"), k.get("title"), ", ".join(_standards(k))) for k in checks]
            self.out.table(rows, ["CHECK", "SEVERITY", "TITLE", "STANDARDS"])
            self.out.line(f"\n{len(checks)} checks")
        return EXIT_OK

    # ---- integrations
    def _check(self, connector: Connector, config: Mapping[str, Any]) -> None:
        check = check_config(connector, config, self.env)
        self.out.redact_with(check.redactor)
        for w in check.warnings:
            self.out.err(f"warning: {w}")
        if check.problems:
            raise CliError("invalid config:\n  " + "\n  ".join(check.problems))

    def _interval(self, connector: Connector, config: Mapping[str, Any], given: int | None) -> int | None:
        try:
            return interval_for(connector, config, given)
        except ConfigInputError as e:
            raise CliError(str(e)) from None

    def _show_integration(self, integ_name: str) -> None:
        integ = self.store.get_integration(integ_name)
        connector = self.registry.connectors.get(integ.connector)
        paths = connector.secret_paths() if connector else []
        d = integ.as_dict()
        d["config"] = mask_config(integ.config, paths)
        if self.out.as_json:
            self.out.json(d)
        else:
            self.out.line(f"integration {integ.name} (#{integ.id}), connector {integ.connector}")
            self.out.line(f"  sync every: {integ.interval_minutes or 'on demand only'}"
                          f"{' minutes' if integ.interval_minutes else ''}; enabled: {integ.enabled}")
            self.out.line("  config: " + json.dumps(d["config"], sort_keys=True))

    def cmd_add(self) -> int:
        connector = self.connector(self.args.connector)
        config = config_from_args(connector, {}, self.args, self.env, stdin=self.stdin, stderr=self.out.stderr)
        self._check(connector, config)
        interval = self._interval(connector, config, self.args.interval)
        try:
            self.store.add_integration(self.args.name, connector.id, config, interval_minutes=interval,
                                       enabled=not self.args.disabled)
        except StoreError as e:
            raise CliError(str(e)) from None
        self._show_integration(self.args.name)
        return EXIT_OK

    def cmd_edit(self) -> int:
        integ = self.store.get_integration(self.args.name)
        connector = self.connector(integ.connector)
        config = config_from_args(connector, integ.config, self.args, self.env, stdin=self.stdin,
                                  stderr=self.out.stderr)
        self._check(connector, config)
        kwargs: dict[str, Any] = {"config": config}
        if self.args.interval is not None or any(s.startswith("sync_interval_minutes=") for s in self.args.set or []):
            kwargs["interval_minutes"] = self._interval(connector, config, self.args.interval)
        if self.args.enable or self.args.disable:
            kwargs["enabled"] = bool(self.args.enable)
        if self.args.rename:
            kwargs["name"] = self.args.rename
        try:
            integ = self.store.update_integration(integ.id, **kwargs)
        except StoreError as e:
            raise CliError(str(e)) from None
        self._show_integration(integ.name)
        return EXIT_OK

    def cmd_remove(self) -> int:
        integ = self.store.get_integration(self.args.name)
        self.store.delete_integration(integ.id)
        if self.out.as_json:
            self.out.json({"removed": integ.name})
        else:
            self.out.line(f"removed integration {integ.name} and its history, assets and findings")
        return EXIT_OK

    def cmd_list(self) -> int:
        items = []
        for integ in self.store.list_integrations():
            last = self.store.last_sync(integ.id)
            items.append({
                "id": integ.id, "name": integ.name, "connector": integ.connector,
                "interval_minutes": integ.interval_minutes, "enabled": integ.enabled,
                "last_sync": None if last is None else {
                    "id": last.id, "status": last.status, "started_at": last.started_at, "ended_at": last.ended_at},
            })
        if self.out.as_json:
            self.out.json(items)
        elif not items:
            self.out.line("no integrations yet; add one with `connector-host add NAME --connector ID --set ...`")
        else:
            self.out.table(
                [(i["id"], i["name"], i["connector"], i["interval_minutes"] or "manual",
                  "yes" if i["enabled"] else "no",
                  (i["last_sync"] or {}).get("status"), ts((i["last_sync"] or {}).get("started_at")))
                 for i in items],
                ["ID", "NAME", "CONNECTOR", "EVERY (MIN)", "ENABLED", "LAST SYNC", "STARTED"],
            )
        return EXIT_OK

    # ---- test / sync
    def _redact_for(self, integ_ref: str) -> None:
        try:
            _i, connector, config = self.runner().prepare(integ_ref)
            self.out.redact_with(connector.redactor(config))
        except (ConfigProblem, NotFound):
            pass

    def cmd_test(self) -> int:
        self.store.get_integration(self.args.name)
        self._redact_for(self.args.name)
        result = self.runner().test(self.args.name)
        if self.out.as_json:
            self.out.json(result)
        else:
            self.out.line(f"Test Connection: {result.get('status')}"
                          + (f" ({result.get('failure_kind')})" if result.get("failure_kind") else ""))
            if result.get("message"):
                self.out.line(f"  {result['message']}")
            ident = result.get("identity")
            if isinstance(ident, Mapping):
                self.out.line("  acting as: " + ", ".join(f"{k}={v}" for k, v in ident.items()))
            for cap in result.get("capabilities") or []:
                miss = cap.get("missing_scopes")
                detail = cap.get("message") or cap.get("detail")
                status = "not in scope" if cap.get("out_of_scope") else cap.get("status")  # not an error
                self.out.line(f"  [{status}] {cap.get('name')}"
                              + (f": {detail}" if detail else "")
                              + (f" (missing: {', '.join(miss)})" if miss else ""))
            for w in result.get("warnings") or []:
                self.out.line(f"  warning: {w}")
        if result.get("status") == "succeeded":
            return EXIT_OK
        return EXIT_USAGE if result.get("failure_kind") == "config" else EXIT_FAILED

    def _unlock(self, name: str) -> list[dict[str, Any]]:
        unlocked = self.store.unlock(name)
        for u in unlocked:
            self.out.err(f"unlocked sync #{u['id']} of {name} (started {ts(u['started_at'])} by {u['owner']})"
                         + ("; its process still looks alive: if it is, what it sends from now on is refused"
                            if u["alive"] else ""))
        return unlocked

    def cmd_unlock(self) -> int:
        self.store.get_integration(self.args.name)
        unlocked = self._unlock(self.args.name)
        if self.out.as_json:
            self.out.json({"unlocked": unlocked})
        elif not unlocked:
            self.out.line(f"no sync of {self.args.name} is running; nothing to unlock")
        return EXIT_OK

    def cmd_sync(self) -> int:
        integ = self.store.get_integration(self.args.name)
        if broker_url(getattr(self.args, "broker", None)):  # a job queue: a worker runs it (job_queue.py)
            return cli_sync(self, integ)
        self._redact_for(self.args.name)
        if self.args.force_unlock:
            self._unlock(integ.name)
        display = ProgressDisplay(self.out.stderr)
        try:
            record = self.runner().sync(integ.id, mode=self.args.mode, progress=display)
        except SyncInProgress as e:
            raise CliError(str(e), EXIT_BUSY) from None
        self._print_sync(record)
        if record.status == "failed" and any(e.get("kind") == "config" for e in record.errors):
            return EXIT_USAGE
        return SYNC_EXIT.get(record.status, EXIT_FAILED)

    def _print_sync(self, record: SyncRecord) -> None:
        if self.out.as_json:
            self.out.json(record.as_dict())
            return
        self._history_table([record])
        if record.message:
            self.out.line(f"  {record.message}")
        for e in record.errors[:20]:
            where = f" [{e.get('stream')}]" if e.get("stream") else ""
            self.out.line(f"  {e.get('kind')}{where}: {e.get('message')}")
        if len(record.errors) > 20:
            self.out.line(f"  ... {len(record.errors) - 20} more errors (see `history --json`)")

    def _history_table(self, records: Sequence[SyncRecord]) -> None:
        history_table(self.out, records)

    def cmd_history(self) -> int:
        records = self.store.history(self.args.name, limit=self.args.limit)
        if self.out.as_json:
            self.out.json([r.as_dict() for r in records])
        elif not records:
            self.out.line("no syncs yet")
        else:
            self._history_table(records)
            if self.args.verbose_rows:
                for r in records:
                    self.out.line(f"\nsync #{r.id}: " + ", ".join(
                        _stream_count(s, v) for s, v in (r.counts if isinstance(r.counts, Mapping) else {}).items()))
                    if r.message and r.status in ("interrupted", "failed"):
                        self.out.line(f"  {r.message}")
                    scope = out_of_scope(r)
                    if scope:
                        self.out.line(f"  not in scope for this credential: {', '.join(scope)} (their checks are "
                                      "not evaluated; not an error)")
                    for e in (r.errors if isinstance(r.errors, list) else [])[:10]:
                        if isinstance(e, Mapping):
                            self.out.line(f"  {e.get('kind')}: {e.get('message')}")
                        else:
                            self.out.line(f"  {e}")
        return EXIT_OK

    def cmd_schedule(self) -> int:
        if broker_url(getattr(self.args, "broker", None)):  # a job queue: enqueue due syncs for the workers
            return cli_schedule(self)
        runner = self.runner()
        sched = Scheduler(self.store, runner, max_workers=self.args.workers,
                          progress=ProgressDisplay(self.out.stderr) if self.args.workers == 1 else None)
        if self.args.once:
            recovered = sched.recover()
            records = sched.run_once()
            if self.out.as_json:
                self.out.json({"interrupted": recovered, "syncs": [r.as_dict() for r in records]})
            elif records:
                self._history_table(records)
            else:
                self.out.line("nothing due")
            worst = max((SYNC_EXIT.get(r.status, EXIT_FAILED) for r in records), default=EXIT_OK,
                        key=lambda c: {0: 0, 3: 1, 1: 2}.get(c, 3))
            return worst
        self.out.err(f"scheduler running on {self.store.path} (Ctrl-C to stop)")
        try:
            sched.run_forever(poll_seconds=self.args.poll)
        except KeyboardInterrupt:
            sched.stop()
            return EXIT_INTERRUPTED
        return EXIT_OK

    def cmd_secret_key(self) -> int:
        from cryptography.fernet import Fernet

        self.out.line(Fernet.generate_key().decode())
        return EXIT_OK

    def cmd_demo(self) -> int:
        return run_demo(self)

    def cmd_serve(self) -> int:
        return run_serve(self)


def _stream_count(stream: str, value: Any) -> str:
    """One collection of a sync's counts: ``{records, status}`` once a sync ended, a bare number while it ran
    (what a killed sync leaves)."""
    if isinstance(value, Mapping):
        if value.get("error_kind") == "out_of_scope":
            return f"{stream} (not in scope for this credential)"
        if value.get("changed_only"):  # an incremental sync re-read only what changed
            return f"{stream} {value.get('records')} changed" if value.get("records") else f"{stream} unchanged"
        return f"{stream} {value.get('records')} ({value.get('status') or '-'})"
    return f"{stream} {value} (-)"


def _standards(check: Mapping[str, Any]) -> list[str]:
    refs = check.get("references")
    std = check.get("standards") or (refs.get("standards") if isinstance(refs, Mapping) else None) or []
    if isinstance(std, Mapping):
        return [f"{k} {v}" if v else str(k) for k, v in std.items()]
    return [s if isinstance(s, str) else json.dumps(s) for s in std]


# --------------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text")
    common.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS,
                        help="the store file (env CONNECTOR_HOST_STORE)")
    common.add_argument("--broker", metavar="URL", default=argparse.SUPPRESS,
                        help="the job queue's broker (env CONNECTOR_HOST_BROKER): redis://... or amqp://...")

    p = argparse.ArgumentParser(
        prog="connector-host",
        description="Reference host for security posture connectors: add integrations, test them, sync them "
                    "(now or on a schedule) and read their history, findings and assets.",
        epilog=EXIT_CODES_HELP % default_store_path(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"connector-host {__version__}")
    p.add_argument("--store", metavar="PATH", help="the store file (env CONNECTOR_HOST_STORE)")
    p.add_argument("--broker", metavar="URL", help="the job queue's broker (env CONNECTOR_HOST_BROKER): syncs are "
                   "queued for `connector-host worker` processes instead of run in this one")
    p.add_argument("--json", action="store_true", help="print JSON instead of text (before or after the command)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr (-vv for debug)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cmd(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common])

    cmd("connectors", "list the installed connectors (from their manifests) and those that failed to load")
    c = cmd("checks", "list a connector's posture checks")
    c.add_argument("connector")

    def config_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="set a config value (dotted keys, e.g. auth.method=api_token); repeatable")
        sp.add_argument("--secret-env", action="append", metavar="KEY=ENV_VAR",
                        help="read a secret field from an environment variable at run time")
        sp.add_argument("--secret-file", action="append", metavar="KEY=PATH",
                        help="read a secret field from a file at run time")
        sp.add_argument("--secret-stdin", action="append", metavar="KEY",
                        help="read a secret field from standard input (one line, or a PEM block) and store it "
                             "encrypted (needs CONNECTOR_HOST_SECRET_KEY)")
        sp.add_argument("--secret-prompt", action="append", metavar="KEY",
                        help="type a secret field at a hidden prompt and store it encrypted; repeatable")
        sp.add_argument("--interval", type=int, metavar="MINUTES",
                        help="auto sync frequency in minutes (0: on demand only; default: the connector's)")

    a = cmd("add", "add an integration (the config is validated against the connector's schema)")
    a.add_argument("name")
    a.add_argument("--connector", required=True, help="connector id (see `connectors`)")
    config_args(a)
    a.add_argument("--disabled", action="store_true", help="do not schedule it")

    e = cmd("edit", "change an integration's config, interval or name")
    e.add_argument("name")
    config_args(e)
    e.add_argument("--unset", action="append", metavar="KEY", help="remove a config key; repeatable")
    g = e.add_mutually_exclusive_group()
    g.add_argument("--enable", action="store_true")
    g.add_argument("--disable", action="store_true")
    e.add_argument("--rename", metavar="NEW_NAME")

    r = cmd("remove", "remove an integration with its history, assets and findings")
    r.add_argument("name")
    cmd("list", "list the integrations and their last sync")
    t = cmd("test", "Test Connection: can the integration reach and read the vendor?")
    t.add_argument("name")
    s = cmd("sync", "sync an integration now")
    s.add_argument("name")
    s.add_argument("--mode", choices=["full", "incremental"], default=None,
                   help="full: read everything; incremental (the default when the connector offers it): re-read "
                        "only what changed when the last sync allows it")
    s.add_argument("--no-wait", action="store_true", help="with a broker: return once the sync is queued")
    s.add_argument("--force-unlock", action="store_true",
                   help="first end a sync of this integration still marked running (a stuck or killed one)")
    u = cmd("unlock", "end a sync marked running that will never finish (its process was killed or is stuck)")
    u.add_argument("name")

    sc = cmd("schedule", "run the scheduler")
    sc.add_argument("action", choices=["run"])
    sc.add_argument("--once", action="store_true", help="run what is due now, then exit")
    sc.add_argument("--workers", type=int, default=4, help="integrations synced in parallel (default 4)")
    sc.add_argument("--poll", type=float, default=30.0, help=argparse.SUPPRESS)

    h = cmd("history", "the sync history, newest first")
    h.add_argument("name", nargs="?")
    h.add_argument("--limit", type=int, default=20)
    h.add_argument("--details", dest="verbose_rows", action="store_true", help="counts per collection and errors")

    for view_command in VIEW_COMMANDS:  # findings, finding, assets, asset, ...: connector_host/commands/
        view_command.register(cmd)

    cmd("secret-key", f"print a new key for {ENV_SECRET_KEY} (encrypts secrets at rest)")

    add_demo_parser(cmd)
    add_serve_parser(cmd)
    add_queue_parsers(cmd)  # worker, cancel, jobs (job_queue.py)
    return p


def _configure_logging(verbosity: int, stderr: TextIO) -> Callable[[], None]:
    """Log to ``stderr`` at the chosen level, secrets redacted; returns a function restoring the old setup."""
    root = logging.getLogger()
    previous_level = root.level
    if verbosity <= 0:
        level = logging.WARNING
    elif verbosity == 1:
        level = logging.INFO
    else:
        level = logging.DEBUG
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(PrintableFormatter("%(levelname)s %(name)s: %(message)s"))  # server text escaped
    handler.addFilter(_redact_active)
    root.handlers = [h for h in root.handlers if not getattr(h, "_connector_host", False)]
    handler._connector_host = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(previous_level)

    return restore


def _redact_active(record: logging.LogRecord) -> bool:
    redact_log_record(record, active_redactors())
    return True


def main(
    argv: Sequence[str] | None = None,
    *,
    registry: Registry | Callable[[], Registry] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Entry point of the console script; returns the exit code (``registry`` lets tests inject connectors)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return int(e.code or 0)
    if not hasattr(args, "store") or args.store is None:
        args.store = os.environ.get("CONNECTOR_HOST_STORE") or None
    restore_logging = _configure_logging(args.verbose, stderr)
    out = Output(stdout, stderr, bool(getattr(args, "json", False)))
    if isinstance(registry, Registry):
        factory: Callable[[], Registry] = lambda: registry  # noqa: E731
    else:
        factory = registry or load_connectors
    app = App(args, out, factory, stdin=stdin)
    run_command = getattr(args, "run_command", None)  # a command module's handler (connector_host/commands/)
    handler = (lambda: run_command(app)) if run_command else getattr(app, "cmd_" + args.command.replace("-", "_"))
    try:
        return handler()
    except CliError as e:
        out.err(f"error: {e}")
        return e.code
    except NotFound as e:
        out.err(f"error: {e}")
        return EXIT_NOT_FOUND
    except (StoreError, ConfigProblem, SecretError) as e:
        out.err(f"error: {e}")
        return EXIT_USAGE
    except sqlite3.DatabaseError as e:  # damaged after it was opened, or a page of it unreadable
        out.err(f"error: the store {getattr(args, 'store', None) or default_store_path()} cannot be read: {e}. "
                "It is damaged or not a connector-host store: restore it from a backup, or give another --store")
        return EXIT_USAGE
    except KeyboardInterrupt:
        out.err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `connector-host findings | head`
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_FAILED
    finally:
        app.close()
        restore_logging()


def run() -> NoReturn:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
