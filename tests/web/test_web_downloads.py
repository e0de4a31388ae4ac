"""Downloads of findings and reports: any integration name gives a download the server can send (RFC 6266
``filename*``), the report runs nothing even when opened from disk, and ``export -o`` writes a private file through
an unpredictable temporary name (reviewer's findings after issue 15)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from connector_host.cli import main
from connector_host.loader import load_connectors
from connector_host.store import Store


@pytest.mark.parametrize("path", ["/report?integration={id}", "/export/findings.csv?integration={id}"])
def test_a_unicode_integration_name_downloads(client: Any, store: Any, path: str) -> None:
    name = 'Zürich "prod" ☃'
    integ = store.add_integration(name, "okta", {"org_url": "https://acme.okta.com"})
    resp = client.get(path.format(id=integ.id))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    disposition = resp.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what a WSGI server must be able to send
    assert disposition.startswith('attachment; filename="') and '"prod"' not in disposition
    assert "Zürich" in unquote(disposition.split("filename*=UTF-8''", 1)[1])


def test_the_report_declares_a_policy_that_runs_and_loads_nothing(client: Any, store: Any) -> None:
    integ = store.add_integration("acme", "okta", {"org_url": "https://acme.okta.com"})
    html = client.get(f"/report?integration={integ.id}").get_data(as_text=True)
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'' in html


def test_export_to_a_file_is_private_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = Store(db)
    store.add_integration("acme", "okta", {"org_url": "https://acme.okta.com"})
    store.close()
    out = tmp_path / "findings.csv"
    planted = tmp_path / "findings.csv.part"
    victim = tmp_path / "victim"
    victim.write_text("keep")
    planted.symlink_to(victim)  # the old predictable temporary name would have written through this link
    old = os.umask(0o022)
    try:
        code = main(["--store", str(db), "export", "--format", "csv", "-o", str(out)],
                    registry=load_connectors(allow="okta"))
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert victim.read_text() == "keep"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".export-")]  # the temporary file is gone
