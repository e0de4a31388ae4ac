"""Fixtures of the client tests; they live in client_support.py so test modules can import its helpers by a unique name."""

from client_support import *  # noqa: F403
