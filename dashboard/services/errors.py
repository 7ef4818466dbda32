"""Domain errors raised by services; the API and pages turn them into messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class ServiceError(Exception):
    """Base of every error a service raises on purpose.

    ``errors`` maps each offending field to its message (``arms[2].gravity_g`` for a field
    of the third arm), so a form can show every problem beside its field at once; ``field``
    and ``message`` are the first of them.
    """

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str, str] = {field: message} if field else {}
        # Facts a client may act on, e.g. {"dataset_id": 7} for bytes already imported.
        self.details: dict[str, object] = {}


class InputError(ServiceError):
    """A problem the user can fix by changing what they entered; pages show it in the form."""


class ValidationFailed(InputError):
    """Input is malformed; ``field`` names the (first) offending field, ``errors`` all of them."""

    code = "validation_failed"
    status = 422

    @classmethod
    def of(cls, errors: Mapping[str, str]) -> ValidationFailed:
        """One error for several fields; the first is also its ``message`` and ``field``."""
        if not errors:
            raise ValueError("ValidationFailed.of needs at least one error")
        field, message = next(iter(errors.items()))
        failed = cls(message, field=field)
        failed.errors = dict(errors)
        return failed


class FieldErrors:
    """Collects the problem of every field, so one answer names them all.

    >>> from dashboard.services.text import plain_text
    >>> found = FieldErrors()
    >>> found.check(lambda: plain_text("", "Name", 9, field="name", required=True), "?")
    '?'
    >>> found.add("arms", "At most 20 arms."); found.errors
    {'name': 'Name is required.', 'arms': 'At most 20 arms.'}
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        """Record a problem (the first one found for a field is kept)."""
        self.errors.setdefault(field, message)

    def has(self, field: str) -> bool:
        """Whether ``field`` already has a problem."""
        return field in self.errors

    def check(self, parse: Callable[[], T], default: T) -> T:
        """``parse()``, or ``default`` after recording the fields its ValidationFailed names.

        An error that names no field is about the whole input and propagates at once.
        """
        try:
            return parse()
        except ValidationFailed as exc:
            if not exc.errors:
                raise
            for field, message in exc.errors.items():
                self.add(field, message)
            return default

    def raise_if_any(self) -> None:
        """Raise one :class:`ValidationFailed` naming every field recorded so far."""
        if self.errors:
            raise ValidationFailed.of(self.errors)


class NotFound(InputError):
    """The named thing does not exist."""

    code = "not_found"
    status = 404


class Conflict(InputError):
    """The change clashes with the current state (duplicate name, stale version)."""

    code = "conflict"
    status = 409


class PermissionDenied(ServiceError):
    """The actor lacks the role the action needs."""

    code = "forbidden"
    status = 403


class AuthenticationFailed(ServiceError):
    """Credentials were missing or wrong."""

    code = "unauthorized"
    status = 401


class TooManyAttempts(ServiceError):
    """Too many failed logins; ``retry_after_s`` says when to try again."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
