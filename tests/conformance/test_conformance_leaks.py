"""A connector that leaks its key through every channel pytest shows: the kit fails it, and the key appears
nowhere in pytest's output (terminal, live log, captured output and logs, warnings summary, thread and
unraisable exception warnings, JUnit XML), under pytest 9 (this environment) and pytest 8 (installed aside).

Issue 19: the kit itself printed a leaked secret in clear twice, through pytest's warning for an exception
raised in a thread, and (pytest 9) through log capture of a logger that does not propagate to the root.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import conformance_fake_vendor as fake
import pytest
from connector_host.conformance.secrets import SecretHunter

HERE = Path(__file__).parent

LEAKY = '''
import gc, logging, os, sys, threading, time, warnings
import pytest
from connector_host.conformance import ConformanceSuite
import conformance_fake_vendor as fake

log = logging.getLogger("leaky")
audit = logging.getLogger("leaky.audit")
audit.propagate = False  # pytest 9 attaches its log capture to loggers that do not propagate
audit.addHandler(logging.StreamHandler(sys.__stderr__))


class Dropped:
    def __init__(self, key):
        self.key = key

    def __del__(self):
        raise RuntimeError(f"closing session {self.key}")

    def __repr__(self):
        return f"Dropped({self.key})"


def fail_in_thread(key):
    raise RuntimeError(f"token refresh failed for {key}")


GO, DONE = threading.Event(), threading.Event()
STARTED = []


def late(key):  # after the hook returned and the kit stopped watching: in test_after_the_kit
    try:
        GO.wait(30)
        log.error("late refresh with %s", key)
        print("late", key)
        raise RuntimeError(f"late failure with {key}")
    finally:
        DONE.set()


class Leaky(fake.GoodConnector):
    @fake.hookimpl
    def connector_test_connection(self, config):
        key = fake._key(config)
        if key:
            audit.warning("audit: key %s", key)
            log.warning("key=%s", key, extra={"key": key})
            log.debug("header", extra={"Authorization": "Bearer " + key})
            warnings.warn(f"sending key {key}", stacklevel=1)
            print("key", key)
            print("key", key, file=sys.__stderr__)
            os.write(2, f"fd key {key}\\n".encode())
            worker = threading.Thread(target=fail_in_thread, args=(key,))
            worker.start()
            worker.join()
            Dropped(key)
            gc.collect()
            if config.get("url") == fake.GOOD_URL and key == fake.API_KEY and not STARTED:
                STARTED.append(threading.Thread(target=late, args=(key,), daemon=True))
                STARTED[0].start()
            if key == fake.BAD_KEY:
                raise PermissionError(f"key {key} refused")
        return super().connector_test_connection(config)


class TestLeaky(ConformanceSuite):
    connector_name = "fakevendor"
    connector_plugin = Leaky()
    thread_grace_seconds = 0.1

    @pytest.fixture(scope="class")
    def conformance_target(self):
        return fake.FakeTarget()


def test_after_the_kit():
    GO.set()  # the connector's left-over thread logs, prints and raises while this test runs
    assert DONE.wait(30)
    time.sleep(0.1)
'''


def _pytest8_path() -> Path | None:
    """A folder holding pytest 8 (installed once from the package index), or None when it cannot be had."""
    folder = Path(os.environ.get("CONFORMANCE_PYTEST8_PATH") or Path(tempfile.gettempdir()) / "conformance-pytest8")
    marker = folder / ".installed"
    if not marker.exists():
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder),
                               "pytest>=8,<9"], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            return None
        marker.write_text("pytest>=8,<9\n")
    return folder


@pytest.mark.parametrize("major", ["9", "8"])
def test_a_leaking_connectors_key_appears_nowhere_in_pytest_output(tmp_path: Path, major: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    paths = [str(HERE)]
    if major == "8":
        folder = _pytest8_path()
        if folder is None:
            pytest.skip("pytest 8 could not be installed from the package index")
        paths.insert(0, str(folder))
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    version = subprocess.run([sys.executable, "-c", "import pytest; print(pytest.__version__)"], env=env,
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version.split(".")[0] == major, version

    (tmp_path / "test_leaky.py").write_text(LEAKY)
    report = tmp_path / "report.xml"
    # Everything pytest can show: every outcome's sections, live logs at DEBUG, long tracebacks with locals,
    # every warning.
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-rA", "-vv", "-l",
         "--tb=long", "-W", "always", "--log-level=DEBUG", "-o", "log_cli=true", "--log-cli-level=DEBUG",
         "-o", "junit_logging=all", f"--junitxml={report}", "test_leaky.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr + (report.read_text() if report.exists() else "")

    hunter = SecretHunter([fake.API_KEY, fake.BAD_KEY])
    leaks = hunter.leaks_in_text(output)
    assert not leaks, f"pytest {version} printed {leaks}:\n" + hunter.redact(output)[-4000:]
    # ...and the kit did catch the leaks it masked
    for check in ("test_secrets_absent_from_logs", "test_secrets_absent_from_exceptions",
                  "test_no_connector_thread_outlives_a_hook"):
        assert f"FAILED test_leaky.py::TestLeaky::{check}" in done.stdout, done.stdout[-3000:]
    assert "PASSED test_leaky.py::test_after_the_kit" in done.stdout, done.stdout[-3000:]
