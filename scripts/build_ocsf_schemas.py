"""Compile the OCSF 1.6.0 class schemas we validate against into the repository's schemas/.

Usage: python scripts/build_ocsf_schemas.py [OCSF_SOURCE_DIR]
(default: ../shared/reference/ocsf-1.6.0 next to the repository). Re-run after changing
connector_host/ocsf.py; the output is committed so installed wheels need no OCSF checkout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connector_host.ocsf import SCHEMA_DIR, build_class_schemas

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "reference" / "ocsf-1.6.0"
OUT = REPO / "schemas" / SCHEMA_DIR


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    OUT.mkdir(parents=True, exist_ok=True)
    for class_uid, schema in build_class_schemas(source).items():
        path = OUT / f"{class_uid}.json"
        path.write_text(json.dumps(schema, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(f"{path.relative_to(REPO)}: {len(schema['$defs'])} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
