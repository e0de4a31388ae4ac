"""connector_host: the reference host for security posture connectors (contract, loader, store, CLI)."""

__version__ = "0.2.0"
