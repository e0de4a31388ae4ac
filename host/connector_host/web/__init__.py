"""The host's web page: Integrations, Configure, History, Findings and Assets, and a small JSON API.

Built with Flask and Jinja2 templates (server-rendered, a little vanilla JavaScript, no front-end build).
Start it with ``connector-host serve``; build it in code with :func:`create_app`.
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`connector_host.web.app.create_app` (imported lazily: Flask loads only when the page is used)."""
    from .app import create_app as _create

    return _create(*args, **kwargs)
