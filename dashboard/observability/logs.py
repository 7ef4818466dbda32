"""Log lines: one JSON object per line for machines, or readable lines on a terminal.

Every line carries the time, level, logger and message (``event``), and, where known, the
request id, user, route and job id. Whatever a line says passes a redaction net first:
bearer tokens, ``Authorization`` headers, our API tokens, passwords and secrets written as
``name=value`` or ``"name": "value"``, and passwords in URLs are replaced by ``[redacted]``.
The net is a safety net: code must still never log a secret on purpose.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any, Literal, TextIO

from flask import g, has_request_context, request

from .request_id import current_job_id, current_request_id

LogFormat = Literal["json", "console"]
LOG_FORMATS: tuple[str, ...] = ("json", "console")
REDACTED = "[redacted]"

# Names of secrets (not secrets): a value written after one of them is redacted.
_SECRET_WORDS = "|".join(
    (
        "password",
        "passwd",
        "passphrase",
        "secret",
        "secret_key",
        "client_secret",
        "api_key",
        "apikey",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "totp",
        "otp",
        "recovery_code",
        "code_verifier",
        "cookie",
    )
)
_NAMED_VALUE = re.compile(
    rf"(?i)(?<![A-Za-z0-9_])([\"']?(?:{_SECRET_WORDS})[\"']?\s*[:=]\s*)"
    rf"(\"[^\"]*\"|'[^']*'|[^\s,;&}}\])]+)"
)


def _named_value(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    # Authorization: Bearer abc / Authorization: Basic abc
    (
        re.compile(r"(?i)\b(authorization|proxy-authorization)(\W{1,4})[^\r\n,;\"'}]+"),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # Our API tokens, wherever they stand (accounts.TOKEN_PREFIX).
    (re.compile(r"\bmsg_[A-Za-z0-9_-]{16,}"), f"msg_{REDACTED}"),
    # password=..., "password": "...", secret_key: ..., ?token=...
    (_NAMED_VALUE, _named_value),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"), rf"\1:{REDACTED}@"),
)

# LogRecord's own attributes; anything else on a record came through ``extra=``.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def redact(text: str) -> str:
    """``text`` with anything that looks like a secret replaced by ``[redacted]``.

    >>> redact("Authorization: Bearer msg_abcdefghijklmnopqrstuvwxyz0123")
    'Authorization: [redacted]'
    >>> redact('{"username": "ada", "password": "hunter2!"}')
    '{"username": "ada", "password": "[redacted]"}'
    >>> redact("postgresql+psycopg://app:s3cret@db:5432/msg")
    'postgresql+psycopg://app:[redacted]@db:5432/msg'
    >>> redact("job 7 done in 1.2 s")
    'job 7 done in 1.2 s'
    """
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _context(record: logging.LogRecord) -> dict[str, Any]:
    """The request id, user, route and job id of the line, where known."""
    fields: dict[str, Any] = {}
    request_id = current_request_id()
    if request_id:
        fields["request_id"] = request_id
    if has_request_context():
        rule = request.url_rule
        fields["route"] = rule.rule if rule is not None else None
        # Flask-Login keeps the loaded user here; asking for it would load it (a query).
        user = g.get("_login_user")
        principal = getattr(user, "principal", None)
        if principal is not None:
            fields["user"] = principal.username
    job_id = current_job_id()
    if job_id is not None:
        fields["job_id"] = job_id
    return fields


def _utc(created: float) -> str:
    seconds = int(created)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{int((created - seconds) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, the context, and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
            "pid": record.process,
        }
        entry.update(_context(record))
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in entry and not key.startswith("_"):
                entry[key] = (
                    value
                    if isinstance(value, int | float | bool) or value is None
                    else redact(str(value))
                )
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    """A readable line for a person at a terminal, redacted like the JSON."""

    def format(self, record: logging.LogRecord) -> str:
        context = _context(record)
        where = " ".join(
            f"{key}={context[key]}" for key in ("request_id", "user", "job_id") if key in context
        )
        line = (
            f"{time.strftime('%H:%M:%S', time.localtime(record.created))} "
            f"{record.levelname:<7} {record.name}: {record.getMessage()}"
            + (f"  [{where}]" if where else "")
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def resolve_format(choice: str | None, stream: TextIO | None = None) -> LogFormat:
    """``choice`` when given, else console on a terminal and JSON otherwise."""
    if choice == "json" or choice == "console":
        return choice
    stream = stream or sys.stderr
    return "console" if stream.isatty() else "json"


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written, not when it was made
    (as logging's own last-resort handler does): a stream swapped or closed since (by a test
    runner's capture, say) does not lose the lines or raise on them."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr


def configure_logging(choice: str | None = None, level: int = logging.INFO) -> LogFormat:
    """Send every log line to standard error in the chosen (or detected) format."""
    chosen = resolve_format(choice)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if chosen == "json" else ConsoleFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "msg_owned", False):
            root.removeHandler(old)
    handler.msg_owned = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(logging.WARNING)  # a line per task drowns the rest
    return chosen
