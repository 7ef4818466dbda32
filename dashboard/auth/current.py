"""The database, user and actor of the current request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_request_context, request
from flask_login import UserMixin, current_user

from dashboard.config import Settings
from dashboard.db import Database
from dashboard.services.accounts import Principal
from dashboard.services.actor import Actor
from dashboard.services.errors import AuthenticationFailed

if TYPE_CHECKING:  # the job queue, explorer and devices pull in the science stack: not at import,
    # so the command line's user and token commands start in a second, not in seven
    from dashboard.job_queue import JobQueue
    from dashboard.services.devices import Catalog
    from dashboard.services.explorer import DataFiles

EXTENSION = "microspacegen"


@dataclass(frozen=True)
class AppState:
    """What the app keeps on the Flask object: settings, the database, the job queue and
    the datasets' files."""

    settings: Settings
    db: Database
    queue: JobQueue
    files: DataFiles


class WebUser(UserMixin):
    """Flask-Login's view of a :class:`Principal`."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def get_id(self) -> str:
        # The version makes old cookies invalid after a password change or deactivation;
        # the session secret names the server-side session that logout ends.
        return f"{self.principal.id}.{self.principal.auth_version}.{self.principal.session}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.principal.is_active


def app_state(server: Flask | None = None) -> AppState:
    """Settings and database of ``server`` (default: the app of the current request)."""
    state: AppState = (server or current_app).extensions[EXTENSION]
    return state


def current_db() -> Database:
    """The database of the running app."""
    return app_state().db


def current_queue() -> JobQueue:
    """The job queue of the running app."""
    return app_state().queue


def current_catalog() -> Catalog:
    """The configured culture hardware and what each device offers."""
    from dashboard.services.devices import catalog

    return catalog(app_state().settings.devices)


def current_files() -> DataFiles:
    """The datasets' store and the cache of results computed from them."""
    return app_state().files


def client_ip() -> str | None:
    """Address of the client of the current request."""
    return request.remote_addr if has_request_context() else None


def current_principal() -> Principal | None:
    """The logged-in user, or None."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    principal: Principal = current_user.principal
    return principal


def current_actor() -> Actor:
    """The logged-in user acting through this request (raises when nobody is logged in)."""
    principal = current_principal()
    if principal is None:
        raise AuthenticationFailed("Log in first.")
    channel = "api" if request.path.startswith("/api/") else "web"
    return principal.actor(client_ip(), channel)
