"""The check implementations: one module per area, imported so their ``@check`` / ``@stream_check`` decorators
fill :mod:`.registry`.

It sits above the check modules and the registry they import (the engine calls :func:`load_all`), so the
registry never imports back the modules that register with it.
"""

from __future__ import annotations


def load_all() -> None:
    """Import every check module so the decorators run."""
    from . import (  # noqa: F401
        access,
        admins,
        apps,
        authenticators,
        idps,
        network,
        orgwide,
        password,
        session,
        tokens,
        users,
    )
