"""Who is acting, and the roles that exist."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles a user may hold (several at once)."""

    ADMIN = "admin"
    SCIENTIST = "scientist"
    OPERATOR = "operator"
    REVIEWER = "reviewer"
    # A machine account (Prometheus): reads /metrics and nothing else (policy.py).
    METRICS = "metrics"


ALL_ROLES: tuple[Role, ...] = tuple(Role)


@dataclass(frozen=True)
class Actor:
    """The user behind a request, CLI call or background job, and where it came from."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    source_ip: str | None = None
    channel: str = "web"  # web, api or cli


def cli_actor(os_user: str) -> Actor:
    """The actor for commands typed at the server's console (trusted as admin)."""
    return Actor(None, f"cli:{os_user}", frozenset({Role.ADMIN}), None, "cli")


def anonymous(source_ip: str | None, channel: str = "web") -> Actor:
    """An actor that has not logged in (used for failed logins)."""
    return Actor(None, "anonymous", frozenset(), source_ip, channel)
