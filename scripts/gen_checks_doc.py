"""Regenerate docs/checks.md from the check catalog: ``python scripts/gen_checks_doc.py``."""

from __future__ import annotations

from pathlib import Path

from connector_okta.checks.docs import main

if __name__ == "__main__":
    raise SystemExit(main([str(Path(__file__).resolve().parents[1] / "docs" / "checks.md")]))
