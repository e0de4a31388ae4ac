"""Fixtures of the client tests: a fake clock, fake DNS, a mocked org and a client factory."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests_mock as rm

from connector_okta.client import OktaClient
from connector_okta.config import load_config

ORG = "https://acme.okta.com"
TOKEN = "00TESTtoken-abcdefghijklmnopqrstuvwxyz0123456789"
START_EPOCH = float(int(time.time()))  # real "now", so JWT libraries agree with the fake clock


class FakeClock:
    """Wall clock and monotonic clock that only move when ``sleep`` is called (or ``advance``)."""

    def __init__(self, epoch: float = START_EPOCH) -> None:
        self.epoch = epoch
        self.mono = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.epoch

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.epoch += seconds
        self.mono += seconds


class FakeDNS:
    """A ``getaddrinfo`` replacement: every name resolves to a public address unless told otherwise."""

    def __init__(self) -> None:
        self.table: dict[str, list[str]] = {}
        self.calls: list[str] = []

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list:
        self.calls.append(host)
        addresses = self.table.get(host, ["52.84.1.10"])
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for addr in addresses:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, 6, "", (addr, port)))
        return out


def http_date(epoch: float) -> str:
    from email.utils import formatdate

    return formatdate(epoch, usegmt=True)


def well_known_body(url: str = ORG, pipeline: str = "idx", alternate: str | None = None) -> dict[str, Any]:
    links: dict[str, Any] = {"organization": {"href": url}}
    if alternate:
        links["alternate"] = {"href": alternate}
    return {"id": "00o1abcdEFGH2345ijkl", "pipeline": pipeline, "_links": links}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dns() -> FakeDNS:
    return FakeDNS()


@pytest.fixture
def okta() -> Any:
    """A requests-mock ``Mocker`` with the org's well-known document registered."""
    with rm.Mocker() as m:
        m.get(f"{ORG}/.well-known/okta-organization", json=well_known_body())
        yield m


def base_config(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"org_url": ORG, "auth": {"method": "api_token", "token": TOKEN}}
    raw.update(overrides)
    return raw


@pytest.fixture
def make_client(clock: FakeClock, dns: FakeDNS) -> Callable[..., OktaClient]:
    made: list[OktaClient] = []

    def factory(raw: dict[str, Any] | None = None, **kwargs: Any) -> OktaClient:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("resolver", dns)
        kwargs.setdefault("rng", random.Random(7))
        client = OktaClient(load_config(raw or base_config()), **kwargs)
        made.append(client)
        return client

    yield factory
    for c in made:
        c.close()
