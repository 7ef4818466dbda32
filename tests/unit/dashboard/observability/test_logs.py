"""Log lines: JSON fields, the request and job context, redaction, and the format chosen."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import Flask, g

from dashboard.observability import logs, request_id


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "microspacegen.test", logging.WARNING, __file__, 1, message, args, None
    )
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_the_fields_and_nothing_unreadable() -> None:
    line = logs.JsonFormatter().format(_record("job %d done", 7, duration_ms=12.5))
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "warning"
    assert entry["logger"] == "microspacegen.test"
    assert entry["event"] == "job 7 done"
    assert entry["duration_ms"] == 12.5
    assert entry["time"].endswith("Z")
    assert entry["time"][10] == "T"
    assert "request_id" not in entry
    assert "job_id" not in entry


def test_a_line_inside_a_request_names_its_id_route_and_user() -> None:
    app = Flask("t")
    app.add_url_rule("/things/<int:n>", "things", lambda n: "")

    class _User:
        class principal:
            username = "ada"

    with app.test_request_context("/things/3"):
        from flask import request

        request.url_rule = app.url_map.bind("x").match("/things/3", return_rule=True)[0]
        request_id.bind_request("req-12345678")
        g._login_user = _User()
        entry = json.loads(logs.JsonFormatter().format(_record("hello")))
    assert entry["request_id"] == "req-12345678"
    assert entry["route"] == "/things/<int:n>"
    assert entry["user"] == "ada"


def test_a_job_line_carries_the_job_and_the_request_that_started_it() -> None:
    with request_id.job_context(42, "abcdef0123456789"):
        entry = json.loads(logs.JsonFormatter().format(_record("working")))
    assert (entry["job_id"], entry["request_id"]) == (42, "abcdef0123456789")
    after = json.loads(logs.JsonFormatter().format(_record("later")))
    assert "job_id" not in after
    assert "request_id" not in after


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer msg_0123456789abcdefghijKLMNOPqrstuv", "msg_0123456789"),
        ("headers={'Authorization': 'Basic YWRhOmh1bnRlcjI='}", "YWRhOmh1bnRlcjI"),
        ("token msg_AbCdEfGhIjKlMnOpQrStUvWxYz012345 created", "AbCdEfGhIjKlMnOp"),
        ('body {"username": "ada", "password": "correct horse battery"}', "correct horse"),
        ("login password=hunter2-hunter2 user=ada", "hunter2"),
        ("url postgresql+psycopg://app:pg-s3cret@db:5432/msg", "pg-s3cret"),
        ("client_secret: abc123xyz789", "abc123xyz789"),
        ("?code=1&id_token=eyJhbGciOi.eyJzdWIi.sig&state=2", "eyJhbGciOi"),
    ],
)
def test_secrets_are_redacted_in_json_and_console(text: str, secret: str) -> None:
    for formatter in (logs.JsonFormatter(), logs.ConsoleFormatter()):
        line = formatter.format(_record("%s", text))
        assert secret not in line, line
        assert logs.REDACTED in line


def test_secrets_in_exceptions_and_extras_are_redacted() -> None:
    try:
        raise ValueError("bad login password='opensesame-123'")
    except ValueError:
        import sys

        record = _record("failed", header="Bearer abcdefghijklmnop")
        record.exc_info = sys.exc_info()
    line = logs.JsonFormatter().format(record)
    assert "opensesame-123" not in line
    assert "abcdefghijklmnop" not in line
    assert json.loads(line)["exception"].startswith("Traceback")


def test_ordinary_words_are_left_alone() -> None:
    text = "GET /api/v1/tokens 200 3.1 ms; 2 tokens listed; passwords must be 12 characters"
    assert logs.redact(text) == text


@pytest.mark.parametrize(
    "hostile",
    [
        'abc" level="critical',
        "abcdefgh\nINFO forged line",
        "x" * 65,
        "short",
        "ünïcödé-id-123",
        "",
    ],
)
def test_a_hostile_request_id_is_replaced(hostile: str) -> None:
    value = request_id.accept(hostile)
    assert value != hostile
    assert len(value) == 32
    assert all(c in "0123456789abcdef" for c in value)


def test_a_well_formed_request_id_is_kept() -> None:
    for good in ("0f3c9a1e-77aa-4d11-9b1e-2a6c0d9e8f10", "req_1-67891233.abcdef", "a" * 64):
        assert request_id.accept(good) == good


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_console_on_a_terminal_json_otherwise_and_the_setting_wins() -> None:
    assert logs.resolve_format(None, _Stream(True)) == "console"
    assert logs.resolve_format(None, _Stream(False)) == "json"
    assert logs.resolve_format("json", _Stream(True)) == "json"
    assert logs.resolve_format("console", _Stream(False)) == "console"


def test_configure_logging_replaces_its_own_handler_only() -> None:
    root = logging.getLogger()
    original = list(root.handlers)  # may hold one of ours, left by an earlier test's main()
    others = [h for h in original if not getattr(h, "msg_owned", False)]
    level = root.level
    try:
        logs.configure_logging("json")
        logs.configure_logging("console")
        ours = [h for h in root.handlers if getattr(h, "msg_owned", False)]
        assert len(ours) == 1
        assert isinstance(ours[0].formatter, logs.ConsoleFormatter)
        assert [h for h in root.handlers if h not in ours] == others
    finally:
        root.handlers[:] = original
        root.setLevel(level)


def test_lines_go_to_the_standard_error_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    original, level = list(root.handlers), root.level
    first, second = io.StringIO(), io.StringIO()
    try:
        monkeypatch.setattr("sys.stderr", first)
        logs.configure_logging("json")
        first.close()  # a test runner's capture, ended
        monkeypatch.setattr("sys.stderr", second)
        logging.getLogger("microspacegen.test").info("after the swap")
        assert json.loads(second.getvalue())["event"] == "after the swap"
    finally:
        root.handlers[:] = original
        root.setLevel(level)
