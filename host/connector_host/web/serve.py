"""``connector-host serve``: the web page and the scheduler in one process, on the CLI's store.

Binds 127.0.0.1 unless ``--host`` says otherwise; any other address needs a password
(``CONNECTOR_HOST_WEB_PASSWORD`` or ``--password-file``), compared against its hash. Secrets typed into the
page are stored encrypted: with ``CONNECTOR_HOST_SECRET_KEY`` / ``CONNECTOR_HOST_SECRET_KEY_FILE`` when set,
otherwise with a key file created next to the store (``<store>.key``, mode 0600).

This module imports no Flask at import time, so the CLI's parser stays light.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import threading
from collections.abc import Callable
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
                   help="address to bind (default 127.0.0.1; any other address requires a password)")
    s.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    s.add_argument("--password-file", metavar="PATH",
                   help=f"file holding the login password (or env {ENV_PASSWORD}); required off loopback")
    s.add_argument("--no-scheduler", action="store_true", help="serve the page only; do not run scheduled syncs")
    s.add_argument("--workers", type=int, default=4, help="integrations synced in parallel (default 4)")
    s.add_argument("--secure-cookies", action="store_true",
                   help="mark the session cookie Secure (behind an HTTPS reverse proxy)")
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
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(Fernet.generate_key().decode() + "\n")
        notice = (f"secrets entered in the page are encrypted with the new key file {key_file} (CLI commands on "
                  f"this store use it too); keep it with the store, or set {ENV_SECRET_KEY} instead")
    return {**env, ENV_SECRET_KEY_FILE: str(key_file)}, notice


def run_serve(app: CommandContext) -> int:
    from werkzeug.security import generate_password_hash
    from werkzeug.serving import make_server

    from ..runner import Runner
    from ..scheduler import Scheduler
    from .app import create_app
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
    store = app.store
    env, notice = secret_env(store.path, env)
    if notice:
        out.err(notice)
    runner = Runner(store, app.registry, env=env)
    jobs = SyncJobs(runner)
    web = create_app(
        store, app.registry, runner=runner, jobs=jobs, env=env,
        password_hash=generate_password_hash(password) if password else None, secure_cookies=args.secure_cookies,
    )
    scheduler: Scheduler | None = None
    sched_thread: threading.Thread | None = None
    if not args.no_scheduler:
        scheduler = Scheduler(store, runner, max_workers=args.workers, progress=jobs.progress)
        sched_thread = threading.Thread(target=scheduler.run_forever, name="scheduler", daemon=True)
        sched_thread.start()
    server: Any = make_server(args.host, args.port, web, threaded=True)
    host = f"[{args.host}]" if ":" in args.host else args.host
    out.err(f"serving {store.path} on http://{host}:{server.server_port}/ "
            f"({'login required' if password else 'no login: loopback only'}; "
            f"scheduler {'off' if scheduler is None else 'on'}); Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if scheduler is not None:
            scheduler.stop()
            if sched_thread is not None:
                sched_thread.join(timeout=30)
    return EXIT_OK
