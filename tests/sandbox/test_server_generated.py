"""The server over generated orgs: the CLI, the generator's credentials, and a 100,000-user org."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import jwt
import pytest
import requests

generator = pytest.importorskip("okta_sandbox.generator")


def test_cli_prints_url_token_and_oauth_key_then_serves(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "okta_sandbox", "--port", "0", "--scenario", "weak", "--users", "60",
         "--time-scale", "60", "--fault", "error:/api/v1/groups:count=1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        info: dict[str, str] = {}
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("serving"):
                break
            key, _, value = line.strip().partition(": ")
            info[key] = value
        assert info["url"].startswith("http://127.0.0.1:"), info
        h = {"Authorization": f"SSWS {info['token']}"}
        assert requests.get(info["url"] + "/api/v1/org", headers=h, timeout=5).status_code == 200
        assert requests.get(info["url"] + "/api/v1/groups", headers=h, timeout=5).status_code == 500
        key_path = info["oauth_private_key"]
        assert oct(os.stat(key_path).st_mode & 0o777) == "0o600"
        token_url = info["url"] + "/oauth2/v1/token"
        now = int(time.time())
        cid = info["oauth_client_id"]
        assertion = jwt.encode({"iss": cid, "sub": cid, "aud": token_url, "exp": now + 300, "jti": str(uuid.uuid4())},
                               open(key_path).read(), algorithm="RS256")
        r = requests.post(token_url, timeout=5, data={
            "grant_type": "client_credentials", "scope": "okta.users.read",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion})
        assert r.status_code == 200, r.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert not os.path.exists(key_path)


def test_cli_rejects_a_bad_fault_spec():
    r = subprocess.run([sys.executable, "-m", "okta_sandbox", "--fault", "meteor:/x"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "unknown fault kind" in r.stderr


def test_generated_org_serves_hrefs_on_the_sandbox_url(sandbox):
    sb = sandbox("default", users=60)
    h = {"Authorization": f"SSWS {sb.token}"}
    text = requests.get(sb.url + "/api/v1/users?limit=5", headers=h, timeout=5).text
    assert sb.org.base_url not in text and sb.url in text


@pytest.mark.parametrize("pipeline", ["idx", "v1"])
def test_generated_org_answers_every_list_path(sandbox, pipeline):
    from okta_sandbox.generator import token_for_role

    sb = sandbox("default", users=60, pipeline=pipeline)
    h = {"Authorization": f"SSWS {token_for_role(sb.org, 'SUPER_ADMIN')}"}
    for path in ["/api/v1/users", "/api/v1/groups", "/api/v1/apps", "/api/v1/policies?type=PASSWORD",
                 "/api/v1/zones", "/api/v1/iam/assignees/users", "/api/v1/logs", "/api/v1/api-tokens"]:
        assert requests.get(sb.url + path, headers=h, timeout=5).status_code == 200, path
    auth = requests.get(sb.url + "/api/v1/authenticators", headers=h, timeout=5)
    assert auth.status_code == (200 if pipeline == "idx" else 401)


def test_100k_users_page_and_filter_cheaply(sandbox):
    sb = sandbox("default", users=100_000)
    h = {"Authorization": f"SSWS {sb.token}"}
    counts = sb.org.users.status_counts()
    t0 = time.perf_counter()
    r = requests.get(sb.url + "/api/v1/users", params={"filter": 'status eq "DEPROVISIONED"'}, headers=h, timeout=10)
    first_page = time.perf_counter() - t0
    seen = len(r.json())
    url = r.links.get("next", {}).get("url")
    t1 = time.perf_counter()
    pages = 1
    while url and pages < 20:
        r = requests.get(url, headers=h, timeout=10)
        seen += len(r.json())
        url = r.links.get("next", {}).get("url")
        pages += 1
    per_page = (time.perf_counter() - t1) / max(1, pages - 1)
    assert seen == min(counts["DEPROVISIONED"], 20 * 200)
    assert {u["status"] for u in r.json()} <= {"DEPROVISIONED"}
    assert first_page < 2.0 and per_page < 0.5, (first_page, per_page)
    # a user in the middle, by id, is found without scanning
    t2 = time.perf_counter()
    uid = sb.org.users.id_of(73_421)
    assert requests.get(f"{sb.url}/api/v1/users/{uid}", headers=h, timeout=5).json()["id"] == uid
    assert time.perf_counter() - t2 < 0.5


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_serving_100k_users_walk_keeps_memory_flat(sandbox):
    """A full walk of 100,000 users (485 pages) grows the process (server + client) by only a few MB:
    the server pages over the lazy sequence and never copies it."""
    sb = sandbox("default", users=100_000, rate_limits=None)
    h = {"Authorization": f"SSWS {sb.token}"}
    before = _rss_mb()
    n, url = 0, sb.url + "/api/v1/users?limit=200"
    with requests.Session() as s:
        while url:
            r = s.get(url, headers=h, timeout=30)
            n += len(r.json())
            url = r.links.get("next", {}).get("url")
    counts = sb.org.users.status_counts()
    assert n == 100_000 - counts["DEPROVISIONED"]
    assert _rss_mb() - before < 40


@pytest.mark.parametrize(
    "expr",
    [None, 'status eq "DEPROVISIONED"', 'status eq "ACTIVE" or status eq "SUSPENDED"',
     'lastUpdated gt "{mid}"', 'lastUpdated ge "{mid}" and (status eq "ACTIVE" or status eq "DEPROVISIONED")',
     'lastUpdated lt "{mid}"'],
)
def test_lazy_users_fast_path_agrees_with_plain_evaluation(expr):
    from okta_sandbox.filters import compile_filter
    from okta_sandbox.routes import user_indices

    users = generator.generate("default", users=400).users
    users.touch(5, status="SUSPENDED")
    mid = sorted(u["lastUpdated"] for u in users)[200]
    expr = expr.format(mid=mid) if expr else None
    plain = list(users)  # a plain list: no per-user indexes
    pred = compile_filter(expr) if expr else (lambda u: u["status"] != "DEPROVISIONED")
    expected = [i for i, u in enumerate(plain) if pred(u)]
    assert list(user_indices(users, expr)) == expected == list(user_indices(plain, expr))
    assert 0 < len(expected) < 400
