from __future__ import annotations

import logging
from types import SimpleNamespace

from conftest import BAD_API_KEY, config

from {{ cookiecutter.package_name }} import plugin


def context():
    return SimpleNamespace(logger=logging.getLogger("test"), progress=lambda p: None,
                           cancelled=lambda: False, budget={})


def sync(cfg):
    return list(plugin.connector_sync(config=cfg, state=None, context=context()))


def test_connection_succeeds_and_lists_capabilities(fake_api):
    result = plugin.connector_test_connection(config=config())
    assert result["status"] == "succeeded"
    assert result["capabilities"] == [{"name": "users", "status": "succeeded", "message": "The user list is readable."}]


def test_connection_reports_a_bad_key(fake_api):
    result = plugin.connector_test_connection(config=config(key=BAD_API_KEY))
    assert (result["status"], result["failure_kind"]) == ("failed", "credentials")


def test_sync_reads_every_user_and_ends_succeeded(fake_api):
    messages = sync(config())
    users = [m["record"]["data"]["id"] for m in messages if m["type"] == "RECORD" and m["record"]["kind"] == "asset"]
    assert users == [u["id"] for u in fake_api.users]
    assert messages[-1]["sync_status"]["status"] == "succeeded"


def test_check_results_never_pass_without_data(fake_api):
    results = {m["record"]["data"]["resource"]["uid"]: m["record"]["data"]["status"]
               for m in sync(config()) if m["type"] == "RECORD" and m["record"]["kind"] == "check_result"}
    # usr_003 is suspended: not judged; usr_004's enrolment is not reported: unknown, not pass.
    assert results == {"usr_001": "pass", "usr_002": "fail", "usr_004": "unknown", "usr_005": "pass"}


def test_a_dropped_connection_keeps_what_was_read_and_ends_partial(fake_api):
    with fake_api.crashing():
        messages = sync(config())
    assets = [m for m in messages if m["type"] == "RECORD" and m["record"]["kind"] == "asset"]
    assert len(assets) == 2
    assert [m["error"]["kind"] for m in messages if m["type"] == "ERROR"] == ["network"]
    assert messages[-1]["sync_status"]["status"] == "partial"


def test_finding_ids_depend_only_on_tenant_check_and_resource(fake_api):
    def ids():
        return sorted(plugin.connector_normalize_finding(record=m["record"])["finding_info"]["uid"]
                      for m in sync(config()) if m["type"] == "RECORD" and m["record"]["kind"] == "check_result")
    assert ids() == ids()
    assert len(set(ids())) == 4


def test_normalised_records_validate_against_the_host_profiles(fake_api):
    import json
    from importlib import resources

    import jsonschema
    from connector_host import ocsf

    def schema(name):
        return json.loads((resources.files("connector_host") / "schemas" / name).read_text())

    for m in sync(config()):
        if m["type"] != "RECORD":
            continue
        if m["record"]["kind"] == "asset":
            out, name = plugin.connector_normalize_asset(record=m["record"]), "asset.schema.json"
        else:
            out, name = plugin.connector_normalize_finding(record=m["record"]), "finding.schema.json"
        jsonschema.validate(out, schema(name))
        assert ocsf.validation_errors(out) == []
