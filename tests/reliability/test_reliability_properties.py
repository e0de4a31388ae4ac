"""Property tests: the check engine and the normalisers fed arbitrary Okta-shaped JSON.

The seeds are what a real sync of a sandbox org hands the check engine (every kept collection, every streamed
object) and every record it emits; hypothesis then mutates them (keys dropped, nulls, wrong types, unknown enum
values, huge strings, odd nesting) and picks each collection's status. Properties:

* the engine never raises, and yields only well-formed results;
* no check yields ``pass`` when a collection it requires is not ``complete`` (per-object verdicts of a stream
  check on an object it did read excepted);
* every result normalises to a Compliance Finding valid against our profile and OCSF 1.6.0;
* every mutated asset record normalises to an inventory event valid against both, or is rejected with
  ``NormalizationError`` because it cannot be identified.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("okta_sandbox.generator")

from connector_host import ocsf  # noqa: E402

from connector_okta.checks import implementations as check_implementations  # noqa: E402
from connector_okta.checks import registry as check_registry  # noqa: E402
from connector_okta.checks.catalog import FANOUT_ONLY, STREAMED  # noqa: E402
from connector_okta.checks.context import BudgetExhausted, Collection, OrgInfo  # noqa: E402
from connector_okta.checks.engine import RESULT_STATUSES, CheckEngine, catalog  # noqa: E402
from connector_okta.client.errors import FeatureNotAvailable, PermissionDenied  # noqa: E402
from connector_okta.normalize import NormalizationError, normalize_asset, normalize_finding  # noqa: E402
from connector_okta.sync import _default_engine, run_sync  # noqa: E402

ENGINE_EXAMPLES = 200
ASSET_EXAMPLES = 300
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                       HealthCheck.function_scoped_fixture])
COUNTED: dict[str, int] = {"engine": 0, "asset": 0, "results": 0}

STATUSES = ["complete", "complete", "complete", "incomplete", "unavailable", "skipped", "not_applicable"]
UNKNOWN_ENUMS = ["NOT_AN_OKTA_VALUE", "active", "", "ACTIVE ", "\u0000", "🙂", "PENDING_FUTURE_ENUM"]
HUGE = "x" * 120_000


class Recorder:
    """Wraps the real engine of a sync and keeps what it was given."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.collections: dict[str, Collection] = {}
        self.visits: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def set_collection(self, coll: Collection) -> None:
        self.collections[coll.name] = copy.deepcopy(coll)
        self.real.set_collection(coll)

    def visit(self, stream: str, item: dict[str, Any]) -> Any:
        self.visits.append((stream, copy.deepcopy(item)))
        return self.real.visit(stream, item)


@pytest.fixture(scope="module")
def seeds() -> dict[str, Any]:
    """One clean sync of a ``weak`` sandbox org (a Super Admin token: every collection is read)."""
    from okta_sandbox.generator import generate, token_for_role
    from okta_sandbox.server import Sandbox

    org = generate("weak", users=40, seed=11, pipeline=None)
    recorders: list[Recorder] = []

    def factory(*args: Any, **kwargs: Any) -> Recorder:
        recorders.append(Recorder(_default_engine(*args, **kwargs)))
        return recorders[-1]

    with Sandbox(org, rate_limits=None) as sb:
        cfg = {"org_url": sb.url, "auth": {"method": "api_token", "token": token_for_role(org, "SUPER_ADMIN")},
               "allow_insecure_http_loopback": True}
        msgs = list(run_sync(cfg, None, None, engine_factory=factory))
    assert msgs[-1]["sync_status"]["status"] == "succeeded", msgs[-1]
    rec = recorders[0]
    records = [m["record"] for m in msgs if m["type"] == "RECORD" and m["record"]["kind"] == "asset"]
    by_stream: dict[str, dict[str, Any]] = {}
    for r in records:
        by_stream.setdefault(r["stream"], r)  # one record of each stream, plus a few users
    sample = list(by_stream.values()) + [r for r in records if r["stream"] == "users"][:5]
    return {"collections": rec.collections, "visits": rec.visits, "records": sample,
            "org": msgs[0]["record"]["org"] if msgs[0]["type"] == "RECORD" else None,
            "pipeline": org.pipeline}


@pytest.fixture(scope="module")
def assert_valid() -> Callable[[str, dict[str, Any]], None]:
    validators = {}
    for kind in ("asset", "finding"):
        schema = json.loads((resources.files("connector_host") / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        validators[kind] = cls(schema, format_checker=cls.FORMAT_CHECKER)

    def check(kind: str, event: dict[str, Any]) -> None:
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                    for e in validators[kind].iter_errors(event)]
        problems += ocsf.validation_errors(event)
        assert problems == [], (problems[:5], json.dumps(event)[:1500])
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        json.dumps(event)

    return check


# ------------------------------------------------------------------------------------------ mutations

def odd_value(rnd: random.Random, depth: int = 0) -> Any:
    choice = rnd.randrange(10)
    if choice == 0:
        return None
    if choice == 1:
        return rnd.choice([True, False])
    if choice == 2:
        return rnd.choice([0, -1, 2**63, 1.5, float("1e308")])
    if choice == 3:
        return rnd.choice(UNKNOWN_ENUMS)
    if choice == 4:
        return HUGE
    if choice == 5 and depth < 2:
        return [odd_value(rnd, depth + 1) for _ in range(rnd.randrange(3))]
    if choice == 6 and depth < 2:
        return {rnd.choice(["id", "type", "status", "_links", "name", "x"]): odd_value(rnd, depth + 1)}
    if choice == 7:
        return "2025-13-45T99:99:99.000Z"
    if choice == 8:
        return {}
    return []


def mutate(rnd: random.Random, value: Any, rate: float, depth: int = 0) -> Any:
    """A copy of ``value`` where each node, with probability ``rate``, is dropped, nulled or replaced."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            roll = rnd.random()
            if roll < rate / 3:
                continue  # key dropped
            if roll < rate:
                out[k] = odd_value(rnd)
            else:
                out[k] = mutate(rnd, v, rate, depth + 1)
        if rnd.random() < rate:
            out["unknownFieldFromTheFuture"] = odd_value(rnd)
        return out
    if isinstance(value, list):
        return [mutate(rnd, v, rate, depth + 1) for v in value if rnd.random() >= rate / 3]
    if isinstance(value, str) and rnd.random() < rate:
        return rnd.choice(UNKNOWN_ENUMS + [HUGE, value.lower(), value + "_NEW"])
    return value


class OddFanout:
    """Per-object reads that answer odd JSON, fail, or run out of budget."""

    def __init__(self, rnd: random.Random, samples: list[Any]) -> None:
        self.rnd = rnd
        self.samples = samples

    def get_json(self, path: str) -> Any:
        roll = self.rnd.randrange(6)
        if roll == 0:
            raise BudgetExhausted("spent")
        if roll == 1:
            raise PermissionDenied(f"GET {path}: permission denied (E0000006)", 403)
        if roll == 2:
            raise FeatureNotAvailable(f"GET {path}: feature not enabled (E0000015)", 401)
        if roll == 3:
            return odd_value(self.rnd)
        sample = self.rnd.choice(self.samples) if self.samples else {}
        return mutate(self.rnd, [sample] if roll == 4 else sample, 0.3)


# ------------------------------------------------------------------------------------------ properties

@settings(max_examples=ENGINE_EXAMPLES, **SETTINGS)
@given(seed=st.integers(0, 2**32), rate=st.sampled_from([0.0, 0.05, 0.2, 0.5, 0.9]),
       profile=st.sampled_from(["baseline", "stig", "healthinsight"]),
       pipeline=st.sampled_from(["idx", "idx", "v1", None]))
def test_check_engine_never_raises_and_never_passes_on_missing_data(seeds, assert_valid, seed, rate, profile,
                                                                    pipeline):
    rnd = random.Random(seed)  # one drawn seed drives every mutation (hypothesis' own buffer stays small)
    check_implementations.load_all()
    needs = {c["id"]: set(c.get("collections") or ()) for c in catalog()}
    samples = [i for c in seeds["collections"].values() for i in c.items[:3]]
    engine = CheckEngine(profile, {}, org=OrgInfo(id="00oPROPERTY", name="acme.okta.com", url="https://acme.okta.com",
                                                  pipeline=pipeline),
                         fanout=OddFanout(rnd, samples), now_ms=1_764_345_600_000)
    statuses: dict[str, str] = {}
    for name, coll in seeds["collections"].items():
        status = rnd.choice(STATUSES)
        statuses[name] = status
        items = mutate(rnd, coll.items, rate) if status in ("complete", "incomplete") else []
        by_parent = {pid: mutate(rnd, kids, rate) for pid, kids in coll.by_parent.items()} if items else {}
        engine.set_collection(Collection(name, status, None if status == "complete" else "a property test",
                                         items, by_parent))
    results: list[dict[str, Any]] = []
    visited: set[str] = set()
    streamed = {s for s, _ in seeds["visits"]}
    for stream, item in seeds["visits"]:
        odd = mutate(rnd, item, rate) if rnd.random() < 0.9 else odd_value(rnd)
        if isinstance(odd, dict) and isinstance(odd.get("id"), str):
            visited.add(odd["id"])
        results += list(engine.visit(stream, odd))
    for stream in streamed:
        statuses[stream] = rnd.choice(["complete", "complete", "incomplete"])
        engine.set_collection(Collection(stream, statuses[stream], None))
    results += list(engine.finish())

    COUNTED["engine"] += 1
    COUNTED["results"] += len(results)
    assert results, "the engine yielded nothing"
    for r in results:
        assert r["status"] in RESULT_STATUSES and isinstance(r["message"], str) and isinstance(r["evidence"], dict)
        unread = {n for n in needs.get(r["check_id"], set()) - FANOUT_ONLY if statuses.get(n, "complete") != "complete"}
        if r["status"] == "pass" and unread:
            stream = check_registry.STREAM_CHECKS.get(r["check_id"], (None, None))[0]
            per_object = stream in STREAMED and r["resource"].get("type") != "org" and r["resource"].get("uid") in visited
            assert per_object, f"{r['check_id']} passed although {unread} were not complete: {r['message'][:300]}"
    # normalising every result of a big example costs seconds: a sample of each example, all statuses covered
    chosen = {r["status"]: r for r in results}
    for r in list(chosen.values()) + rnd.sample(results, min(8, len(results))):
        record = {"stream": "check_results", "kind": "check_result", "org": {"uid": "00oPROPERTY",
                  "name": "acme.okta.com"}, "data": r, "emitted_at": 1_764_345_600_000}
        assert_valid("finding", normalize_finding(record))


@settings(max_examples=ASSET_EXAMPLES, **SETTINGS)
@given(seed=st.integers(0, 2**32), rate=st.sampled_from([0.05, 0.2, 0.5, 0.9]), index=st.integers(0, 10**6))
def test_every_mutated_record_normalises_to_a_valid_event(seeds, assert_valid, seed, rate, index):
    rnd = random.Random(seed)
    base = seeds["records"][index % len(seeds["records"])]
    record = dict(base)
    record["data"] = mutate(rnd, base["data"], rate) if rnd.random() < 0.95 else odd_value(rnd)
    COUNTED["asset"] += 1
    try:
        event = normalize_asset(record)
    except NormalizationError:
        data = record["data"]
        identified = isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"] != "" and (
            data["id"] == base["data"].get("id"))
        assert not identified, f"{record['stream']}: an identified object was rejected"
        return
    assert event is not None
    assert_valid("asset", event)
    raw = event["unmapped"]["source"]["raw"]
    assert raw == (record["data"] if record["data"] is not None else {}) or isinstance(raw, dict)


def test_zz_report_examples_run(capsys):
    """Not a property: prints how many examples ran (the figures for the report)."""
    with capsys.disabled():
        print(f"\nproperty examples run: engine {COUNTED['engine']} (check results {COUNTED['results']}), "
              f"asset records {COUNTED['asset']}")
    assert COUNTED["engine"] == 0 or COUNTED["engine"] >= 10
