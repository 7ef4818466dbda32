from __future__ import annotations

import pytest

from dashboard.db import Database
from dashboard.services import audit, preferences
from dashboard.services.actor import Actor
from dashboard.services.audit import AuditFilter
from dashboard.services.errors import AuthenticationFailed, ValidationFailed


def _events(db: Database, admin: Actor) -> list[audit.AuditRow]:
    page = audit.search(db, admin, AuditFilter(action="user.preferences"), offset=0, limit=50)
    return page.rows


def test_defaults_follow_the_system_and_show_utc(db: Database, scientist: Actor) -> None:
    assert preferences.get_preferences(db, scientist) == preferences.Preferences("system", "utc")


def test_a_change_is_kept_and_audited_with_before_and_after(
    db: Database, scientist: Actor, admin: Actor
) -> None:
    saved = preferences.set_preferences(db, scientist, theme="dark", time_display="local")

    assert saved == preferences.Preferences("dark", "local")
    assert preferences.get_preferences(db, scientist) == saved
    (event,) = _events(db, admin)
    assert event.username == "sci"
    assert event.detail["before"] == {"theme": "system", "time_display": "utc"}
    assert event.detail["after"] == {"theme": "dark", "time_display": "local"}


def test_users_change_only_their_own(db: Database, scientist: Actor, admin: Actor) -> None:
    preferences.set_preferences(db, admin, theme="light")
    assert preferences.get_preferences(db, scientist).theme == "system"
    assert preferences.get_preferences(db, admin).theme == "light"


def test_setting_the_same_value_writes_no_event(
    db: Database, scientist: Actor, admin: Actor
) -> None:
    preferences.set_preferences(db, scientist, theme="system")
    preferences.set_preferences(db, scientist, time_display=None)
    assert _events(db, admin) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"theme": "solarized"}, "theme"),
        ({"theme": 1}, "theme"),
        ({"theme": "<script>"}, "theme"),
        ({"time_display": "Europe/Paris"}, "time_display"),
        ({"theme": "dark", "time_display": ""}, "time_display"),
    ],
)
def test_unknown_values_are_refused_and_nothing_changes(
    db: Database, scientist: Actor, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        preferences.set_preferences(db, scientist, **changes)
    assert refused.value.field == field
    assert preferences.get_preferences(db, scientist) == preferences.Preferences()


def test_a_script_or_job_actor_without_a_user_has_no_preferences(db: Database) -> None:
    nobody = Actor(None, "cli", frozenset(), None, "cli")
    with pytest.raises(AuthenticationFailed):
        preferences.set_preferences(db, nobody, theme="dark")
