"""The sandbox in its own process, driven over stdin/stdout (one JSON object per line).

    proc = SandboxProc.start(users=10_000, limits=True, time_scale=10)
    proc.url, proc.token          # where to point a client
    proc.stats()                  # the sandbox's request counters (requests per bucket, 429s)
    proc.shape()                  # the served org's size and the lower bound inputs (see lower_bound.py)
    proc.reset_limits()           # fresh rate-limit windows before the next client
    proc.set_limits(False)        # limits off (a reference sync), then on again
    proc.small_change()           # 1% of users, one policy rule and one app assignment changed
    proc.stop()

Run directly (``python benchmarks/sandbox_proc.py --users 1000``) it prints ``{"url": ..., "token": ...}`` and
then answers the commands ``stats``, ``shape``, ``reset``, ``limits on``, ``limits off``, ``change`` and ``quit``
read from stdin. The token never goes
to a log: it only travels over this pipe to the benchmark, which passes it to the clients it starts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def serve(argv: list[str] | None = None) -> int:
    from okta_sandbox.generator import generate, token_for_role
    from okta_sandbox.ratelimit import RateLimiter, RateLimits
    from okta_sandbox.server import Sandbox

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lower_bound import org_shape

    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--scenario", default="weak")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--time-scale", type=float, default=10.0)
    p.add_argument("--token-share", type=float, default=0.5)
    p.add_argument("--concurrency", type=int, default=75)
    p.add_argument("--no-rate-limits", action="store_true")
    p.add_argument("--fault", action="append", default=[], help="a sandbox fault spec (okta_sandbox.faults), repeatable")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    org = generate(args.scenario, users=args.users, seed=args.seed)
    limits = None if args.no_rate_limits else RateLimits()
    sb = Sandbox(org, rate_limits=limits, time_scale=args.time_scale, token_share=args.token_share,
                 concurrency=args.concurrency, faults=args.fault or None).start()
    out = sys.stdout
    try:  # a Super Administrator's token reads every collection (role assignments, API tokens, log streams)
        token = token_for_role(org, "SUPER_ADMIN")
    except LookupError:
        token = sb.token
    out.write(json.dumps({"url": sb.url, "token": token, "generate_seconds": round(time.perf_counter() - t0, 2)})
              + "\n")
    out.flush()
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "stats":
            reply: Any = sb.stats()
        elif cmd == "shape":
            reply = org_shape(sb.org)
        elif cmd == "reset":
            sb.limiter = RateLimiter(limits, time_scale=args.time_scale, token_share=args.token_share)
            reply = {"ok": True}
        elif cmd in ("limits off", "limits on"):  # e.g. a reference sync that should not wait on limits
            sb.limiter = RateLimiter(limits if cmd == "limits on" else None, time_scale=args.time_scale,
                                     token_share=args.token_share)
            reply = {"ok": True}
        elif cmd == "change":  # the benchmark's small change (okta_sandbox.changes.small_change)
            from okta_sandbox.changes import small_change

            reply = small_change(sb.org, seed=args.seed)
        elif cmd == "quit":
            break
        else:
            reply = {"error": f"unknown command {cmd!r}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    sb.stop()
    return 0


@dataclass
class SandboxProc:
    proc: subprocess.Popen[str]
    url: str
    token: str = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, *, users: int, limits: bool = True, time_scale: float = 10.0, token_share: float = 0.5,
              concurrency: int = 75, scenario: str = "weak", seed: int = 1,
              faults: tuple[str, ...] = ()) -> SandboxProc:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--users", str(users), "--scenario", scenario,
               "--seed", str(seed), "--time-scale", str(time_scale), "--token-share", str(token_share),
               "--concurrency", str(concurrency)]
        if not limits:
            cmd.append("--no-rate-limits")
        for spec in faults:
            cmd += ["--fault", spec]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        if not first:
            proc.wait(timeout=10)
            raise RuntimeError(f"the sandbox process exited ({proc.returncode}) before serving; see its stderr")
        hello = json.loads(first)
        return cls(proc, hello["url"], hello["token"], {
            "users": users, "limits": limits, "time_scale": time_scale, "token_share": token_share,
            "concurrency": concurrency, "scenario": scenario, "seed": seed, "faults": list(faults),
            "generate_seconds": hello.get("generate_seconds")})

    def _ask(self, cmd: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox process stopped answering")
        return json.loads(line)

    def stats(self) -> dict[str, Any]:
        return self._ask("stats")

    def shape(self) -> dict[str, Any]:
        return self._ask("shape")

    def reset_limits(self) -> None:
        self._ask("reset")

    def set_limits(self, on: bool) -> None:
        self._ask("limits on" if on else "limits off")

    def small_change(self) -> dict[str, Any]:
        """1% of users, one policy rule and one app assignment changed (okta_sandbox.changes.small_change)."""
        return self._ask("change")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)

    def __enter__(self) -> SandboxProc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What happened between two ``stats()`` snapshots: requests per bucket, per status, 429s."""
    def sub(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
        keys = set(a) | set(b)
        return {k: b.get(k, 0) - a.get(k, 0) for k in sorted(keys) if b.get(k, 0) - a.get(k, 0)}

    return {
        "requests": after["requests"] - before["requests"],
        "requests_by_bucket": sub(before["requests_by_bucket"], after["requests_by_bucket"]),
        "responses_by_status": sub({str(k): v for k, v in before["responses_by_status"].items()},
                                   {str(k): v for k, v in after["responses_by_status"].items()}),
        "throttled": after["throttled"] - before["throttled"],
        "peak_concurrency": after.get("peak_concurrency"),
    }


if __name__ == "__main__":
    sys.exit(serve())
