"""Where the shared reference material is: Okta's OpenAPI spec and the OCSF 1.6.0 source.

It is not part of the repository: it lies in `../shared/reference` beside the checkout (as in CI), or where the
environment variable OKTA_POSTURE_REFERENCE points. Tests that need it skip with the reason when it is absent
on a developer's machine, but fail under CI (CI=true), so CI never passes by skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _reference_dir() -> Path:
    env = os.environ.get("OKTA_POSTURE_REFERENCE")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "reference", Path("/work/shared/reference")]
    for candidate in candidates:
        if (candidate / "okta-management-openapi.yaml").exists():
            return candidate
    return candidates[0]


REFERENCE = _reference_dir()
OKTA_SPEC = REFERENCE / "okta-management-openapi.yaml"
OCSF_SOURCE = REFERENCE / "ocsf-1.6.0"


def require(path: Path, what: str) -> None:
    """Skip (locally) or fail (in CI) when `path` is missing."""
    if path.exists():
        return
    message = f"{what} is not at {path}; set OKTA_POSTURE_REFERENCE to the shared/reference folder"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)
