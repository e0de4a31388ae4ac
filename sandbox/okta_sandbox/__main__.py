"""``python -m okta_sandbox``: serve a generated org until Ctrl-C.

Prints the URL, an API token, and (if the org has an OAuth service app with a known key) its client id
and the path of a temp file holding its private key PEM (mode 0600, removed on exit).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading

from .faults import KINDS, Fault
from .model import Org
from .ratelimit import RateLimits
from .server import Sandbox


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m okta_sandbox", description="A local Okta-compatible API server.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    p.add_argument("--scenario", default="default", help="scenario name (default, weak, hardened, ...)")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pipeline", choices=["idx", "v1"], default=None, help="idx = Identity Engine, v1 = Classic")
    p.add_argument("--scenario-dir", default=None, help="directory of JSON files overriding collections")
    p.add_argument("--time-scale", type=float, default=1.0, help="a rate-limit minute lasts 60/TIME_SCALE seconds")
    p.add_argument("--no-rate-limits", action="store_true", help="no rate or concurrency limits")
    p.add_argument("--token-share", type=float, default=0.5, help="share of a bucket per token/app (default 0.5)")
    p.add_argument("--concurrency", type=int, default=75, help="org-wide concurrent requests (default 75)")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help="KIND[:PATH][:k=v,...], repeatable; kinds: " + ", ".join(sorted(KINDS)))
    return p


def load_org(args: argparse.Namespace) -> Org:
    try:
        from .generator import generate
    except ImportError:  # pragma: no cover - only while the generator is missing
        sys.exit("okta_sandbox.generator is not available: cannot generate an org")
    kwargs = {"scenario_dir": args.scenario_dir} if args.scenario_dir else {}
    return generate(args.scenario, users=args.users, seed=args.seed, pipeline=args.pipeline, **kwargs)


def write_private_key(pem: str) -> str:
    fd, path = tempfile.mkstemp(prefix="okta-sandbox-", suffix=".pem")
    with os.fdopen(fd, "w") as f:
        f.write(pem)
    os.chmod(path, 0o600)
    return path


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faults = [Fault.parse(spec) for spec in args.fault]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    org = load_org(args)
    sb = Sandbox(
        org,
        rate_limits=None if args.no_rate_limits else RateLimits(),
        time_scale=args.time_scale,
        faults=faults,
        token_share=args.token_share,
        concurrency=args.concurrency,
        host=args.host,
        port=args.port,
    ).start()
    key_path = None
    print(f"url: {sb.url}")
    print(f"token: {sb.token}")
    for client in org.oauth_clients.values():
        pem = client.private_key_pem or getattr(org, "oauth_private_keys", {}).get(client.client_id)
        if pem:
            key_path = write_private_key(pem)
            print(f"oauth_client_id: {client.client_id}")
            print(f"oauth_private_key: {key_path}")
            break
    print(f"serving {len(org.users)} users ({args.scenario}, pipeline {org.pipeline}); Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
        if key_path:
            os.unlink(key_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
