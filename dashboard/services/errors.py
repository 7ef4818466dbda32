"""Domain errors raised by services; the API and pages turn them into messages."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InputError(ServiceError):
    """A problem the user can fix by changing what they entered; pages show it in the form."""


class ValidationFailed(InputError):
    """Input is malformed; ``field`` names the offending field."""

    code = "validation_failed"
    status = 422


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
