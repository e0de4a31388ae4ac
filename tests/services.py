"""The real services some tests use (PostgreSQL, Redis, RabbitMQ): where they are and a fresh place in each.

On this project's machines they run before the tests start, on 127.0.0.1 (PostgreSQL 5432 with trust auth and
the database ``test``, Redis 6379, RabbitMQ 5672 guest/guest). Other places are given by environment variables:

| variable | default |
|---|---|
| ``CONNECTOR_HOST_TEST_PG`` | ``postgresql://postgres@127.0.0.1:5432/test`` |
| ``CONNECTOR_HOST_TEST_REDIS`` | ``redis://127.0.0.1:6379/0`` |
| ``CONNECTOR_HOST_TEST_AMQP`` | ``amqp://guest:guest@127.0.0.1:5672//`` |

A test that needs a service which is not there skips with the reason; under ``CI=true`` it fails instead, so
CI never passes by skipping them (the same rule as ``reference_paths.require``).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from urllib.parse import urlsplit

import pytest

PG_URL = os.environ.get("CONNECTOR_HOST_TEST_PG") or "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("CONNECTOR_HOST_TEST_REDIS") or "redis://127.0.0.1:6379/0"
AMQP_URL = os.environ.get("CONNECTOR_HOST_TEST_AMQP") or "amqp://guest:guest@127.0.0.1:5672//"
URLS = {"postgresql": PG_URL, "redis": REDIS_URL, "rabbitmq": AMQP_URL}
PORTS = {"postgresql": 5432, "redis": 6379, "rabbitmq": 5672}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@cache
def _problem(service: str) -> str | None:
    """Why ``service`` cannot be used (None: it answers)."""
    url = URLS[service]
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or PORTS[service]
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as e:
        return f"{service} is not reachable at {host}:{port} ({e})"
    if service == "postgresql":
        try:
            import psycopg
        except ImportError:
            return "psycopg is not installed (pip install 'connector-host[postgres]')"
        try:
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.Error as e:
            return f"PostgreSQL at {host}:{port} refused the connection: {e}"
    elif service in ("redis", "rabbitmq"):
        try:
            import celery  # noqa: F401
        except ImportError:
            return "celery is not installed (pip install 'connector-host[queue]')"
    return None


def require(service: str) -> str:
    """The service's URL; skips the test (locally) or fails it (CI=true) when the service is absent."""
    problem = _problem(service)
    if problem:
        message = (f"{problem}; set CONNECTOR_HOST_TEST_{'PG' if service == 'postgresql' else service.upper()}"
                   " to where it runs")
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return URLS[service]


@contextmanager
def pg_store_url(prefix: str = "t") -> Iterator[str]:
    """A store URL on a fresh PostgreSQL schema, dropped afterwards."""
    import psycopg

    base = require("postgresql")
    schema = f"ch_{prefix}_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
