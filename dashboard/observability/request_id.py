"""The request id and job id that every log line and every job started by a request carry.

A request's id is taken from a well-formed incoming ``X-Request-ID`` (a proxy's or a
client's) or made here; anything else in that header is ignored, so a hostile header can
never put its bytes into a log line. Outside a request (a job in a worker, the
controller) the ids live in context variables set around the work.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context

HEADER = "X-Request-ID"
# Letters, digits and . _ - only (UUIDs, hex, AWS/Heroku-style ids), at most 64 characters.
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")
_G_KEY = "msg_request_id"

_request_id: ContextVar[str | None] = ContextVar("msg_request_id", default=None)
_job_id: ContextVar[int | None] = ContextVar("msg_job_id", default=None)


def new_id() -> str:
    """A fresh request id: 32 hex digits, like a UUID without dashes."""
    return secrets.token_hex(16)


def accept(raw: str | None) -> str:
    """The incoming header's value when it is well formed, else a fresh id.

    >>> accept("0f3c9a1e-77aa-4d11-9b1e-2a6c0d9e8f10")
    '0f3c9a1e-77aa-4d11-9b1e-2a6c0d9e8f10'
    >>> len(accept('x" level="critical'))
    32
    """
    if raw is not None and WELL_FORMED.fullmatch(raw):
        return raw
    return new_id()


def bind_request(value: str) -> None:
    """Remember ``value`` as the current Flask request's id."""
    setattr(g, _G_KEY, value)


def current_request_id() -> str | None:
    """The id of the request (or of the request that started the job) being served."""
    value = _request_id.get()
    if value is None and has_request_context():
        value = g.get(_G_KEY)
    return value


def current_job_id() -> int | None:
    """The id of the job this thread runs, if any."""
    return _job_id.get()


@contextmanager
def job_context(job_id: int, request_id: str | None) -> Iterator[None]:
    """Log everything inside under ``job_id`` and the id of the request that started it."""
    rid = _request_id.set(request_id if request_id and WELL_FORMED.fullmatch(request_id) else None)
    jid = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(jid)
        _request_id.reset(rid)
