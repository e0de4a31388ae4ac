"""Never a false pass, as a property of whole syncs: removing data can only take passes away.

One real sync of each small sandbox org is recorded (every request and answer). Each example replays it through
the real client, sync engine and check engine with a set of reads made to fail (404, 403, 400, 500, 503, a
timeout, a body that is not JSON, a body of the wrong shape, a page cut in half) and compares the check results
with the clean sync's, keyed by (check, resource):

* every result that passes in the faulty sync passed in the clean one: the set of passes may only shrink, and no
  result turns from ``fail``, ``warning``, ``unknown`` or ``manual`` into ``pass``;
* the sync ends with one SYNC_STATUS, ``succeeded`` or ``partial`` (never a crash).

The fault model is the reads the clean sync made, each failing persistently (its retries too). A parent's own
re-read after a 404 under it (``GET /api/v1/policies/{id}``) is not a read of the clean sync: it is answered by the
live sandbox, so a parent is never "deleted" here (a deletion is a change of the org, not a failed read; the sync
tests cover it). Examples are split by org and by fault family (a few reads, many reads, reads of one collection);
hypothesis draws the failing reads and their kinds. ``test_zz_report_examples_run`` prints how many ran.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("okta_sandbox.generator")

from okta_sandbox.generator import generate, token_for_role  # noqa: E402
from okta_sandbox.server import Sandbox  # noqa: E402
from replay_faults import KINDS, Recorder, Replay, read_key, results_by_key  # noqa: E402

from connector_okta.client.session import OktaClient  # noqa: E402
from connector_okta.sync import run_sync  # noqa: E402

# examples per (org, family): 2,000 in all
EXAMPLES = {
    ("hardened-idx", "few"): 450, ("hardened-idx", "many"): 250, ("hardened-idx", "collection"): 300,
    ("default-idx", "few"): 250, ("default-idx", "many"): 150, ("default-idx", "collection"): 200,
    ("hardened-v1", "few"): 200, ("hardened-v1", "many"): 100, ("hardened-v1", "collection"): 100,
}
ORGS = {"hardened-idx": ("hardened", "idx"), "default-idx": ("default", "idx"), "hardened-v1": ("hardened", "v1")}
KEEP_APPS = 3  # the Admin Console, the Dashboard and one more: fewer per-app reads, the same checks
COUNTED: dict[str, int] = {}
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@dataclass
class Recorded:
    """One org's clean sync: its config, recorded answers, reads and results."""

    config: dict[str, Any]
    replay: Replay
    reads: list[str]  # read keys the clean sync made, in order (the well-known read excepted)
    groups: dict[str, list[str]]  # route template -> its reads (one collection's reads)
    clean: dict[tuple[str, str, str, str], set[str]]


def _small_org(scenario: str, pipeline: str) -> Any:
    org = generate(scenario, users=8 if scenario != "hardened" else 10, seed=14, pipeline=pipeline)
    first_party = [a for a in org.apps if a.get("name") in ("saasure", "okta_enduser")]
    others = [a for a in org.apps if a not in first_party][: max(0, KEEP_APPS - len(first_party))]
    keep = {a["id"] for a in first_party + others}
    org.apps = [a for a in org.apps if a["id"] in keep]
    return org


def _template(key: str) -> str:
    path = key.split("?", 1)[0]
    return re.sub(r"/(?=[^/]*\d)[A-Za-z0-9]{6,}(?=/|$)", "/{id}", path) + ("?" if "?" in key else "")


def _client_factory(adapter: Any) -> Callable[[Any], OktaClient]:
    def factory(config: Any) -> OktaClient:
        session = requests.Session()
        session.trust_env = False  # no proxy lookups per request: the replay is in-process
        session.mount("http://", adapter)
        return OktaClient(config, session=session)

    return factory


@pytest.fixture(scope="module")
def recorded() -> Iterator[dict[str, Recorded]]:
    """Each org synced once for real against a sandbox started once for this module (rate limits off); the
    sandboxes stay up to answer what the recording lacks."""
    fast = pytest.MonkeyPatch()
    fast.setattr(OktaClient, "_backoff", lambda self, attempt: 0.0)  # retries unchanged, without the pauses
    out: dict[str, Recorded] = {}
    boxes = []
    try:
        for name, (scenario, pipeline) in ORGS.items():
            org = _small_org(scenario, pipeline)
            sb = Sandbox(org, rate_limits=None).start()
            boxes.append(sb)
            config = {"org_url": sb.url, "auth": {"method": "api_token", "token": token_for_role(org, "SUPER_ADMIN")},
                      "allow_insecure_http_loopback": True, "max_concurrency": 1}
            rec = Recorder()
            msgs = list(run_sync(config, None, None, client_factory=_client_factory(rec)))
            assert msgs[-1]["sync_status"]["status"] == "succeeded", msgs[-1]
            replay = Replay(rec.answers)
            clean_msgs = list(run_sync(config, None, None, client_factory=_client_factory(replay)))
            clean = results_by_key(clean_msgs)
            assert clean == results_by_key(msgs), "the replay must give the recorded sync's results"
            reads = list(dict.fromkeys(read_key(u) for u in rec.order))
            reads = [r for r in reads if not r.startswith("/.well-known/")]
            groups: dict[str, list[str]] = {}
            for r in reads:
                groups.setdefault(_template(r), []).append(r)
            out[name] = Recorded(config, replay, reads, groups, clean)
        yield out
    finally:
        for sb in boxes:
            sb.stop()
        fast.undo()


def faults_few(rec: Recorded) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(rec.reads), st.sampled_from(KINDS), min_size=1, max_size=4)


def faults_many(rec: Recorded) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(rec.reads), st.sampled_from(KINDS), min_size=5, max_size=40)


def faults_collection(rec: Recorded) -> st.SearchStrategy[dict[str, str]]:
    """Some or all reads of one collection (one route: every policy's rules, every app's users, ...) fail alike."""
    def pick(template: str) -> st.SearchStrategy[dict[str, str]]:
        reads = rec.groups[template]
        return st.tuples(st.lists(st.booleans(), min_size=len(reads), max_size=len(reads)),
                         st.sampled_from(KINDS)).map(
            lambda t: {r: t[1] for r, on in zip(reads, t[0], strict=True) if on} or {reads[0]: t[1]})

    return st.sampled_from(sorted(rec.groups)).flatmap(pick)


FAMILIES = {"few": faults_few, "many": faults_many, "collection": faults_collection}


def check_monotone(rec: Recorded, faults: dict[str, str]) -> None:
    rec.replay.faults = faults
    try:
        msgs = list(run_sync(rec.config, None, None, client_factory=_client_factory(rec.replay)))
    finally:
        rec.replay.faults = {}
    status = [m for m in msgs if m["type"] == "SYNC_STATUS"]
    assert len(status) == 1 and msgs[-1] is status[0], "a sync ends with exactly one SYNC_STATUS"
    assert status[0]["sync_status"]["status"] in ("succeeded", "partial"), (status[0], faults)
    crashed = [m for m in msgs if m["type"] == "ERROR" and m["error"]["kind"] == "internal"
               and "check engine failed" in m["error"]["message"]]
    assert not crashed, crashed
    faulty = results_by_key(msgs)
    new_passes = {key: (sorted(rec.clean.get(key, ())), sorted(got)) for key, got in faulty.items()
                  if "pass" in got and "pass" not in rec.clean.get(key, set())}
    assert not new_passes, f"passes that the clean sync did not have, with {faults}: {new_passes}"


def _property(org: str, family: str) -> Callable[..., None]:
    n = max(1, round(EXAMPLES[(org, family)] * float(os.environ.get("MONOTONIC_EXAMPLES_SCALE", "1"))))

    @settings(max_examples=n, **SETTINGS)
    @given(data=st.data())
    def run(recorded: dict[str, Recorded], data: st.DataObject) -> None:
        rec = recorded[org]
        faults = data.draw(FAMILIES[family](rec), label="faults")
        COUNTED[f"{org}/{family}"] = COUNTED.get(f"{org}/{family}", 0) + 1
        check_monotone(rec, faults)

    return run


@pytest.mark.parametrize(("org", "family"), sorted(EXAMPLES))
def test_failed_reads_only_take_passes_away(recorded: dict[str, Recorded], org: str, family: str) -> None:
    _property(org, family)(recorded)


def test_every_read_failing_alone_takes_no_pass_away_wrongly(recorded: dict[str, Recorded]) -> None:
    """Not drawn: every read of every clean sync failing alone, the fault kinds taken in turn."""
    for k, rec in enumerate(recorded.values()):
        for i, read in enumerate(rec.reads):
            check_monotone(rec, {read: KINDS[(i + k) % len(KINDS)]})
            COUNTED["exhaustive"] = COUNTED.get("exhaustive", 0) + 1


def test_zz_report_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    """Not a property: prints how many examples ran (the figure for the report)."""
    drawn = sum(v for k, v in COUNTED.items() if k != "exhaustive")
    with capsys.disabled():
        print(f"\nmonotonicity examples run: {drawn} drawn ({', '.join(f'{k} {v}' for k, v in sorted(COUNTED.items()))})")
    scale = float(os.environ.get("MONOTONIC_EXAMPLES_SCALE", "1"))
    assert not COUNTED or drawn >= min(2000, 2000 * scale) * 0.95 or len(COUNTED) < len(EXAMPLES)
