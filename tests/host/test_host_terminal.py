"""Terminal output (issue 16 h, issue 15 item 10): control characters from server text (ESC, BEL, CSI, bidi
overrides) never reach the terminal from any text view; tables fit the terminal's width; filters refuse unknown
values and list the valid ones."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from connector_host import cli
from connector_host.console import Output
from connector_host.terminal import cell, fit, printable, render_table
from posture_data import ASSETS, make_store, registry, resource, result, results

EVIL = "evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202egnp.exe\x7f"


def run(path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--store", str(path), *argv], registry=cli.Registry(connectors={}), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_printable_escapes_controls_and_keeps_newlines() -> None:
    assert printable(EVIL) == "evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe\\x7f"
    assert printable("a\nb\tc") == "a\nb\tc"
    assert cell("a\nb\tc\x1b") == "a b c\\x1b" and cell(None) == "-"


@pytest.mark.parametrize("argv", [
    ("findings", "--view", "all"), ("findings", "--by-check", "--view", "all"), ("finding", "evil:app9"),
    ("assets",), ("asset", "app9"), ("standards",), ("exceptions", "list"), ("trends", "acme"), ("history",),
    ("list",),
])
def test_no_text_view_lets_a_control_character_through(tmp_path: Path, argv: tuple[str, ...]) -> None:
    store = make_store(tmp_path / "evil.db", second=False)
    acme = store.get_integration("acme").id
    sid = store.start_sync(acme)
    store.stage(sid, [*ASSETS, resource("app", "app9", EVIL)],
                [*results(), result("evil", "fail", "app", "app9", EVIL, title=EVIL, message=EVIL,
                                    evidence={"name": EVIL})], [])
    store.finish_sync(sid, "succeeded", message=EVIL)
    store.add_exception(acme, "evil", kind="suppressed", reason=EVIL, author=EVIL, resource_uid="app9",
                        resource_name=EVIL)
    store.close()
    code, out, err = run(tmp_path / "evil.db", *argv)
    assert code == 0, err
    text = out + err
    assert not any(c in text for c in "\x1b\x07\x9b\u202e\x7f"), argv
    if argv[0] in ("findings", "finding", "assets", "asset", "exceptions"):
        assert "\\x1b" in text  # shown, escaped


def test_tables_fit_the_width() -> None:
    rows = [(1, "critical", "a" * 80, "b" * 60, "2026-01-01 00:00:00Z")]
    lines = render_table(rows, ["ID", "SEVERITY", "TITLE", "OBJECT", "LAST SEEN"], 80)
    assert all(len(line) <= 80 for line in lines) and "…" in lines[1]
    assert "critical" in lines[1] and "2026-01-01 00:00:00Z" in lines[1]  # short columns are kept whole
    assert "a" * 80 in render_table(rows, ["ID", "SEVERITY", "TITLE", "OBJECT", "LAST SEEN"], None)[1]
    assert fit([3, 80, 20], [2, 5, 9], 50) == [3, 23, 20]
    out = io.StringIO()
    o = Output(out, io.StringIO(), False, width=60)
    o.table([("x" * 100, "[bold]not markup[/bold]")], ["A", "B"])
    assert max(len(x) for x in out.getvalue().splitlines()) <= 60 and "[bold]" in out.getvalue()


def test_unknown_filter_values_are_refused_with_the_valid_ones(tmp_path: Path, capsys) -> None:
    store = make_store(tmp_path / "v.db")
    store.close()
    path = tmp_path / "v.db"
    code, _, err = run(path, "findings", "--check", "nope")
    assert code == 2 and "admin-mfa" in err and "password-length" in err
    code, _, err = run(path, "findings", "--severity", "huge")
    assert code == 2 and "critical" in err
    code, _, err = run(path, "findings", "--status", "maybe")
    assert code == 2 and "not_evaluated" in err
    code, _, _ = run(path, "findings", "--view", "someday")
    assert code == 2 and "not-evaluated" in capsys.readouterr().err  # argparse's own message
    code, _, err = run(path, "assets", "--type", "robot")
    assert code == 2 and "user" in err
    err = io.StringIO()
    code = cli.main(["--store", str(path), "standards", "--benchmark", "iso"], registry=registry(),
                    stdout=io.StringIO(), stderr=err)
    assert code == 2 and "healthinsight" in err.getvalue()
    code, _, err2 = run(path, "standards", "--benchmark", "iso")  # no connector publishes a standard
    assert code == 2 and "none published" in err2


def test_log_lines_escape_server_text_controls() -> None:
    """The CLI's log handler (cli._configure_logging): a message built from server text is one line with its C0
    and C1 controls escaped (no terminal escape, no forged line); a traceback keeps its lines, escaped within."""
    import logging

    err = io.StringIO()
    restore = cli._configure_logging(1, err)
    try:
        log = logging.getLogger("connector_okta.test")
        log.warning("okta said %s", EVIL + "\nINFO connector_host: sync succeeded\r")
        try:
            raise ValueError("bad \x1b[31mbody\x9b")
        except ValueError:
            log.exception("read failed:\tretrying")
    finally:
        restore()
    text = err.getvalue()
    assert not any(c in text for c in "\x1b\x07\x9b\x7f\r\u202e"), repr(text)
    lines = text.splitlines()
    assert lines[0] == ("WARNING connector_okta.test: okta said evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe"
                        "\\x7f\\x0aINFO connector_host: sync succeeded\\x0d")
    assert lines[1] == "ERROR connector_okta.test: read failed:\tretrying"
    assert lines[2].startswith("Traceback") and lines[-1] == "ValueError: bad \\x1b[31mbody\\x9b"
