"""The CLI's view commands, one module per command (tox-style): each owns its parser (``register``) and its
handler (``run``, handed a :class:`connector_host.console.CommandContext`). ``connector_host.cli`` only
registers them: ``for command in VIEW_COMMANDS: command.register(cmd)``.
"""

from __future__ import annotations

from . import asset, assets, exceptions, export, finding, findings, standards, trends

VIEW_COMMANDS = (findings, finding, standards, trends, exceptions, export, assets, asset)
