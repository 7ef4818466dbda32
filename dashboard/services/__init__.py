"""What pages, API routes and the CLI call: each function opens its own session.

Services check roles themselves and audit every state change, so the web layer's
hiding of buttons is never the protection.
"""

from .actor import Actor, Role
from .errors import (
    AuthenticationFailed,
    Conflict,
    InputError,
    NotFound,
    PermissionDenied,
    ServiceError,
    TooManyAttempts,
    ValidationFailed,
)

__all__ = [
    "Actor",
    "AuthenticationFailed",
    "Conflict",
    "InputError",
    "NotFound",
    "PermissionDenied",
    "Role",
    "ServiceError",
    "TooManyAttempts",
    "ValidationFailed",
]
