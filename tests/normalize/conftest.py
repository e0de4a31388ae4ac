"""Fixtures of the normalize tests; they live in normalize_support.py so test modules can import its helpers by a unique name."""

from normalize_support import *  # noqa: F403
