"""The users list: its columns and rows (the admin page opens a row to edit it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dashboard.services.accounts import UserRow

from .grid import Column, badge_column, name_column, text_column, time_column
from .timestamp import iso_utc

USER_COLUMNS: list[Column] = [
    name_column("username", "Username", min_width=150),
    text_column("display_name", "Display name", min_width=150, flex=2),
    badge_column("roles", "Roles", width=None, flex=2, min_width=190),
    badge_column("active", "Status", family="account", width=120),
    time_column("created_at", "Created"),
    time_column("last_login_at", "Last login"),
]


def user_rows(users: Iterable[UserRow]) -> list[dict[str, Any]]:
    """One row per user: roles as a list (badges), active as an account state.

    >>> from datetime import UTC, datetime
    >>> row = UserRow(7, "ada", "Ada", ["scientist"], False, datetime(2026, 1, 2, tzinfo=UTC), None)
    >>> user_rows([row])[0]["active"], user_rows([row])[0]["last_login_at"]
    ('inactive', '')
    """
    return [
        {
            "id": u.id,
            "username": u.username,
            "display_name": u.display_name,
            "roles": sorted(u.roles),
            "active": "active" if u.is_active else "inactive",
            "created_at": iso_utc(u.created_at),
            "last_login_at": iso_utc(u.last_login_at),
        }
        for u in users
    ]
