"""Each user's display preferences: colour theme and how times are shown.

Everyone may read and change their own (no role needed), and nobody anyone else's; a change
is audited like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.db import Database
from dashboard.models import User

from . import audit
from .actor import Actor
from .errors import AuthenticationFailed, NotFound, ValidationFailed

# "system" follows the operating system's light or dark setting (prefers-color-scheme).
THEMES = ("system", "light", "dark")
TIME_DISPLAYS = ("utc", "local")


@dataclass(frozen=True)
class Preferences:
    """How the app looks for one user."""

    theme: str = "system"
    time_display: str = "utc"


def _choice(raw: object, allowed: tuple[str, ...], field: str) -> str:
    if not isinstance(raw, str) or raw not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}.", field=field)
    return raw


def _own_user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise AuthenticationFailed("Preferences belong to a logged-in user.")
    return actor.user_id


def get_preferences(db: Database, actor: Actor) -> Preferences:
    """The actor's own preferences."""
    with db.read() as s:
        user = s.get(User, _own_user_id(actor))
        if user is None:
            raise NotFound("This user no longer exists.")
        return Preferences(user.theme, user.time_display)


def set_preferences(
    db: Database, actor: Actor, *, theme: object = None, time_display: object = None
) -> Preferences:
    """Change the actor's own theme and/or time display; unchanged values write nothing."""
    wanted = {}
    if theme is not None:
        wanted["theme"] = _choice(theme, THEMES, "theme")
    if time_display is not None:
        wanted["time_display"] = _choice(time_display, TIME_DISPLAYS, "time_display")
    with db.begin() as s:
        user = s.get(User, _own_user_id(actor))
        if user is None:
            raise NotFound("This user no longer exists.")
        before = {key: getattr(user, key) for key in wanted}
        if any(before[key] != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(user, key, value)
            audit.add(
                s,
                actor,
                "user.preferences",
                target_type="user",
                target_id=user.id,
                detail={"username": user.username, "before": before, "after": wanted},
            )
        return Preferences(user.theme, user.time_display)
