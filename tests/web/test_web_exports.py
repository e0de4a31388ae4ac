"""Exports from the page (issue 16) against a synced sandbox org: the OCSF lines validate against OCSF 1.6.0 and
our profile, the CSV has a row per result of the view, the report downloads as one self-contained file."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import jsonschema
from connector_host.ocsf import validation_errors


def test_exports_of_a_synced_org(client: Any, synced: dict[str, Any]) -> None:
    iid = synced["id"]
    resp = client.get(f"/export/findings.jsonl?integration={iid}&view=all")
    assert resp.status_code == 200 and resp.mimetype == "application/x-ndjson"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="findings-acme-all-')
    lines = resp.get_data(as_text=True).splitlines()
    total = client.get(f"/api/findings?integration={iid}&status=all&limit=1").get_json()["total"]
    assert len(lines) == total > 0
    from importlib import resources

    schema = json.loads(resources.files("connector_host").joinpath("schemas/finding.schema.json").read_text())
    for line in lines:
        rec = json.loads(line)
        assert validation_errors(rec) == [], rec["finding_info"]["uid"]
        jsonschema.validate(rec, schema)
        assert rec["unmapped"]["host"]["integration"] == "acme"
    rows = list(csv.DictReader(io.StringIO(client.get(f"/export/findings.csv?integration={iid}&severity=high")
                                           .get_data(as_text=True))))
    assert rows and {r["severity"] for r in rows} == {"high"} and "pass" not in {r["result"] for r in rows}
    report = client.get(f"/report?integration={iid}")
    assert report.status_code == 200 and "attachment" in report.headers["Content-Disposition"]
    html = report.get_data(as_text=True)
    assert "Posture report: acme" in html and "<script" not in html
    assert client.get("/export/findings.pdf").status_code == 404
    page = client.get(f"/findings?integration={iid}").get_data(as_text=True)
    assert 'id="export-csv"' in page and 'id="report-link"' in page
