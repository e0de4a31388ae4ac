"""``connector-host serve``: the web page and the scheduler in one process, on the CLI's store.

Served by waitress (a production WSGI server, pure Python), quiet per request unless ``--access-log``.
Binds 127.0.0.1 unless ``--host`` says otherwise and always asks for a login: the password comes from
``CONNECTOR_HOST_WEB_PASSWORD`` or ``--password-file`` (at least 12 characters, not trivially weak), or, when none
is configured, a random one is made and printed once on stderr at start. The page answers only to the ``Host``
names it was started on (``--allowed-host`` adds more), so a DNS-rebinding page cannot reach it. Secrets typed
into the page are stored encrypted: with ``CONNECTOR_HOST_SECRET_KEY`` / ``CONNECTOR_HOST_SECRET_KEY_FILE`` when
set, otherwise with a key file created next to the store (``<store>.key``, mode 0600); a store that is not a file
(PostgreSQL) has no such place: one of those variables is required then (:func:`require_secret_key`).
With a broker (``--broker`` / ``CONNECTOR_HOST_BROKER``) no sync runs in the page's process: Sync Now enqueues it for
the workers, and the scheduler (unless ``--no-scheduler``) only enqueues the due syncs, under the store's
``scheduler`` lease (:func:`connector_host.job_queue.serve_scheduler`).

This module imports no Flask at import time, so the CLI's parser stays light.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..config_secrets import ENV_SECRET_KEY, ENV_SECRET_KEY_FILE
from ..console import EXIT_OK, EXIT_USAGE, CliError, CommandContext

ENV_PASSWORD = "CONNECTOR_HOST_WEB_PASSWORD"
log = logging.getLogger(__name__)


def add_serve_parser(cmd: Callable[[str, str], argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``serve`` with the CLI's subcommand factory."""
    s = cmd("serve", "serve the web page (Integrations, History, Findings, Assets) and run the scheduler")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other address requires a configured password)")
    s.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    s.add_argument("--password-file", metavar="PATH",
                   help=f"file holding the login password (or env {ENV_PASSWORD}); at least 12 characters. "
                        "Without one, a random password is printed at start (loopback only)")
    s.add_argument("--allowed-host", action="append", metavar="NAME", default=[],
                   help="a host name clients use to reach the page (the Host header), besides the bound address "
                        "and localhost; repeatable (e.g. the reverse proxy's public name)")
    s.add_argument("--no-scheduler", action="store_true", help="serve the page only; do not run scheduled syncs")
    s.add_argument("--workers", type=int, default=4, help="integrations synced in parallel (default 4)")
    s.add_argument("--threads", type=int, default=8, help="threads answering requests (default 8)")
    s.add_argument("--secure-cookies", action="store_true",
                   help="mark the session cookie Secure (behind an HTTPS reverse proxy)")
    s.add_argument("--access-log", action="store_true", help="log one line per request on stderr")
    s.add_argument("--dev-allow-insecure-loopback", action="store_true",
                   help="developers only: offer the connector's option allowing plain http to 127.0.0.1 "
                        "(a local test server such as the Okta sandbox); never for a real org")
    return s


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_password(args: argparse.Namespace, env: dict[str, str]) -> str | None:
    if getattr(args, "password_file", None):
        try:
            text = Path(args.password_file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ValueError(f"cannot read the password file {args.password_file}: {e.strerror}") from None
        if not text:
            raise ValueError(f"the password file {args.password_file} is empty")
        return text
    value = env.get(ENV_PASSWORD, "")
    return value or None


def secret_env(store_path: Path, env: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """``env`` with an encryption key for secrets typed into the page; creates ``<store>.key`` when none is set.

    Returns the env and a notice to print (or None).
    """
    if env.get(ENV_SECRET_KEY) or env.get(ENV_SECRET_KEY_FILE):
        return env, None
    from cryptography.fernet import Fernet

    key_file = Path(str(store_path) + ".key")
    notice = None
    try:  # a key file of ours that others can read (copied, restored from a backup) is made private, like the store
        st = key_file.stat()
        if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(key_file, 0o600)
    except OSError:
        pass
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(Fernet.generate_key().decode() + "\n")
        notice = (f"secrets entered in the page are encrypted with the new key file {key_file} (CLI commands on "
                  f"this store use it too); keep it with the store, or set {ENV_SECRET_KEY} instead")
    return {**env, ENV_SECRET_KEY_FILE: str(key_file)}, notice


def require_secret_key(store: Any, env: dict[str, str]) -> None:
    """A store that is not a file (PostgreSQL) needs ``CONNECTOR_HOST_SECRET_KEY`` / ``_FILE``: a key file made on
    this machine would be unknown to the workers and the other page processes that read the same store."""
    if getattr(store, "url", None) is None or env.get(ENV_SECRET_KEY) or env.get(ENV_SECRET_KEY_FILE):
        return
    raise CliError(
        f"the store {store.path} is not a file, so there is no place next to it for the key that encrypts the "
        f"secrets typed into the page: set {ENV_SECRET_KEY} or {ENV_SECRET_KEY_FILE} (the same key for every serve "
        "and worker process on this store; make one with: python -c \"from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())\")", EXIT_USAGE)


def allowed_hosts(bound: str, extra: Iterable[str]) -> list[str]:
    """The ``Host`` names the page answers to: the bound address (unless a wildcard), ``--allowed-host`` names."""
    out = [h for h in extra if h.strip()]
    try:
        wildcard = ipaddress.ip_address(bound.strip("[]")).is_unspecified
    except ValueError:
        wildcard = False
    if not wildcard:
        out.append(bound)
    return out


class AccessLog:
    """WSGI middleware: one line per request (method, path without its query, status, bytes, milliseconds)."""

    def __init__(self, app: Any, logger: logging.Logger):
        self.app = app
        self.log = logger

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        t0 = time.monotonic()
        seen: dict[str, str] = {}

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.app(environ, start)
        try:
            size = 0
            for chunk in body:
                size += len(chunk)
                yield chunk
        finally:
            close = getattr(body, "close", None)
            if close:
                close()
            self.log.info("%s %s %s %s %s %d bytes %.0f ms", environ.get("REMOTE_ADDR", "-"),
                          environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")[:200],
                          seen.get("status", "-"), environ.get("HTTP_HOST", "-")[:100], size,
                          (time.monotonic() - t0) * 1000)


def _access_logger(stream: Any) -> logging.Logger:
    logger = logging.getLogger("connector_host.web.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.handlers = [handler]
    return logger


def run_serve(app: CommandContext) -> int:
    from waitress.server import create_server
    from werkzeug.security import generate_password_hash

    from ..job_queue import mask_broker, serve_queue, serve_scheduler
    from ..runner import Runner
    from .app import create_app
    from .auth import generate_password, password_problem
    from .jobs import SyncJobs

    args, out = app.args, app.out
    env = dict(os.environ)
    try:
        password = read_password(args, env)
    except ValueError as e:
        raise CliError(str(e)) from None
    if not is_loopback(args.host) and not password:
        raise CliError(
            f"--host {args.host} exposes the page beyond this machine: set a login password with {ENV_PASSWORD} "
            "or --password-file (or bind 127.0.0.1)", EXIT_USAGE,
        )
    if password:
        problem = password_problem(password)
        if problem:
            raise CliError(f"{problem}: choose a longer, less guessable login password ({ENV_PASSWORD} or "
                           "--password-file), or configure none on loopback to get a random one", EXIT_USAGE)
    store = app.store
    require_secret_key(store, env)
    env, notice = secret_env(store.path, env)
    if notice:
        out.err(notice)
    generated = None
    if not password:
        password = generated = generate_password()
    runner = Runner(store, app.registry, env=env)
    queue = serve_queue(store, getattr(args, "broker", None), env)
    jobs = SyncJobs(runner, queue=queue)
    web = create_app(
        store, app.registry, runner=runner, jobs=jobs, env=env,
        password_hash=generate_password_hash(password), secure_cookies=args.secure_cookies,
        allowed_hosts=allowed_hosts(args.host, args.allowed_host),
        dev_allow_insecure_loopback=args.dev_allow_insecure_loopback,
    )
    wsgi: Any = AccessLog(web.wsgi_app, _access_logger(out.stderr)) if args.access_log else None
    if wsgi is not None:
        web.wsgi_app = wsgi
    try:
        server: Any = create_server(web, host=args.host, port=args.port, threads=max(1, args.threads),
                                    max_request_body_size=4 * 1024 * 1024, ident="connector-host")
    except OSError as e:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}", EXIT_USAGE) from None
    scheduler: Any = None
    sched_thread: threading.Thread | None = None
    if not args.no_scheduler:
        scheduler = serve_scheduler(store, runner, queue, max_workers=args.workers, progress=jobs.progress)
        sched_thread = threading.Thread(target=scheduler.run_forever, name="scheduler", daemon=True)
        sched_thread.start()
    host = f"[{args.host}]" if ":" in args.host else args.host
    if generated:
        out.err(f"login password (made for this run, shown once; set {ENV_PASSWORD} or --password-file to choose "
                f"one): {generated}")
    if args.dev_allow_insecure_loopback:
        out.err("developer mode: the page offers plain http to 127.0.0.1 (never use it for a real org)")
    out.err(f"serving {store.path} on http://{host}:{server.effective_port}/ (login required; "
            f"scheduler {'off' if scheduler is None else 'on'}"
            + (f"; syncs queued for the workers on {mask_broker(queue.broker)}" if queue is not None else "")
            + "); Ctrl-C to stop")
    previous = None
    if threading.current_thread() is threading.main_thread():
        def stop(_signum: int, _frame: Any) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        server.close()
        if scheduler is not None:
            scheduler.stop()
            if sched_thread is not None:
                sched_thread.join(timeout=30)
        if queue is not None:
            queue.close()
    return EXIT_OK
