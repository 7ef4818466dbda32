"""Role checks that every state-changing service makes before touching data."""

from __future__ import annotations

from dashboard.db import Database

from . import audit
from .actor import Actor, Role
from .errors import PermissionDenied


def require_role(
    db: Database, actor: Actor, action: str, *roles: Role, target: tuple[str, object] | None = None
) -> None:
    """Raise :class:`PermissionDenied` (and audit the refusal) unless ``actor`` holds a role."""
    if actor.has_any(*roles):
        return
    needed = ", ".join(sorted(r.value for r in roles)) or "admin"
    target_type, target_id = target if target else (None, None)
    audit.record(
        db,
        actor,
        action,
        "denied",
        target_type=target_type,
        target_id=target_id,
        detail={"needs_role": needed},
    )
    raise PermissionDenied(f"{action} needs the role {needed}; {actor.username} does not hold it")
