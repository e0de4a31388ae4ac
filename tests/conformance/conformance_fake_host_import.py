"""A variant of the fake connector whose plugin module imports the host (kept apart: importing it would make
every other variant's plugin module depend on connector_host too)."""

from __future__ import annotations

from conformance_fake_vendor import GoodConnector
from connector_host import hookspecs  # the defect: a connector never imports the host


class ImportsHost(GoodConnector):
    """Uses the host's marker instead of its own ``pluggy.HookimplMarker("connector_host")``."""

    expected_failures = frozenset({"test_plugin_imports_without_the_host"})
    project = hookspecs.PROJECT
