from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dashboard.db import Database
from dashboard.models import AuditEvent, User
from dashboard.services import accounts, audit
from dashboard.services.actor import Actor, Role
from dashboard.services.errors import (
    AuthenticationFailed,
    Conflict,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from tests.conftest import PASSWORD, make_user


def _count(db: Database, model: type) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _events(db: Database, action: str, result: str) -> list[AuditEvent]:
    with db.read() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(AuditEvent.action == action, AuditEvent.result == result)
            )
        )


def test_create_user_hashes_password_and_audits(db: Database, admin: Actor) -> None:
    row = accounts.create_user(db, admin, "  Ada ", PASSWORD, ["scientist", "reviewer"], "Ada L.")
    assert row.username == "ada"
    assert row.roles == ["reviewer", "scientist"]
    with db.read() as s:
        stored = s.scalar(select(User).where(User.username == "ada"))
        assert stored is not None
        assert PASSWORD not in stored.password_hash
        assert stored.password_hash.startswith("scrypt:")
    (event,) = [e for e in _events(db, "user.create", "ok") if e.detail["username"] == "ada"]
    assert event.username == admin.username
    assert event.source_ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("username", "password", "roles", "field"),
    [
        ("", PASSWORD, [], "username"),
        ("a", PASSWORD, [], "username"),
        ("x" * 33, PASSWORD, [], "username"),
        ("bad name", PASSWORD, [], "username"),
        ("<script>", PASSWORD, [], "username"),
        ("ok-name", "short", [], "password"),
        ("ok-name", "y" * 257, [], "password"),
        ("ok-name", PASSWORD, ["pilot"], "roles"),
        ("ok-name", PASSWORD, [3], "roles"),
        (None, PASSWORD, [], "username"),
    ],
)
def test_create_user_rejects_bad_input_and_writes_nothing(
    db: Database, admin: Actor, username: object, password: object, roles: list[object], field: str
) -> None:
    before = _count(db, User)
    with pytest.raises(ValidationFailed) as info:
        accounts.create_user(db, admin, username, password, roles)
    assert info.value.field == field
    assert _count(db, User) == before


def test_duplicate_username_conflicts(db: Database, admin: Actor) -> None:
    accounts.create_user(db, admin, "bob", PASSWORD, [])
    with pytest.raises(Conflict, match="already exists"):
        accounts.create_user(db, admin, "BOB", PASSWORD, [])


def test_non_admin_is_refused_and_the_refusal_is_audited(db: Database, scientist: Actor) -> None:
    before = _count(db, User)
    with pytest.raises(PermissionDenied, match="admin"):
        accounts.create_user(db, scientist, "mallory", PASSWORD, ["admin"])
    assert _count(db, User) == before
    (event,) = _events(db, "user.create", "denied")
    assert event.username == "sci"
    with pytest.raises(PermissionDenied):
        accounts.update_user(db, scientist, scientist.user_id or 0, roles=["admin"])
    with pytest.raises(PermissionDenied):
        accounts.list_users(db, scientist)


def test_authenticate_and_session_invalidation(db: Database, admin: Actor) -> None:
    user = make_user(db, "carol", Role.OPERATOR)
    principal = accounts.authenticate(db, "Carol", PASSWORD, "10.0.0.1")
    assert principal.username == "carol"
    assert principal.roles == frozenset({"operator"})
    principal = accounts.start_session(db, principal, "10.0.0.1")
    assert principal.session
    uid, version = user.user_id or 0, principal.auth_version
    assert accounts.load_principal(db, uid, version, principal.session) is not None
    assert accounts.load_principal(db, uid, version, "another session") is None
    accounts.set_password(db, admin, user.user_id or 0, "a brand new password")
    # The old session cookie names the old auth version and a session that has ended.
    assert accounts.load_principal(db, uid, version, principal.session) is None
    assert accounts.load_principal(db, uid, version + 1, principal.session) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, "carol", PASSWORD, "10.0.0.1")
    assert accounts.authenticate(db, "carol", "a brand new password", "10.0.0.1")


def test_deactivated_user_cannot_log_in(db: Database, admin: Actor) -> None:
    user = make_user(db, "dave", Role.SCIENTIST)
    accounts.update_user(db, admin, user.user_id or 0, is_active=False)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, "dave", PASSWORD, "10.0.0.2")


def test_unknown_user_and_wrong_password_look_the_same(db: Database) -> None:
    make_user(db, "erin", Role.SCIENTIST)
    with pytest.raises(AuthenticationFailed) as unknown:
        accounts.authenticate(db, "nobody", PASSWORD, "10.0.0.3")
    with pytest.raises(AuthenticationFailed) as wrong:
        accounts.authenticate(db, "erin", "wrong password!", "10.0.0.3")
    assert unknown.value.message == wrong.value.message


def test_repeated_failures_are_throttled(db: Database) -> None:
    make_user(db, "frank", Role.SCIENTIST)
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_IP):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(db, "frank", "not the password", "10.0.0.4")
    # Now even the right password is refused from that address for a while...
    with pytest.raises(TooManyAttempts) as info:
        accounts.authenticate(db, "frank", PASSWORD, "10.0.0.4")
    assert 0 < info.value.retry_after_s <= 15 * 60
    # ...but the user is not locked out from elsewhere.
    assert accounts.authenticate(db, "frank", PASSWORD, "10.0.0.5").username == "frank"


def test_last_admin_cannot_be_removed(db: Database, admin: Actor) -> None:
    with pytest.raises(Conflict, match="last active admin"):
        accounts.update_user(db, admin, admin.user_id or 0, roles=["scientist"])
    with pytest.raises(Conflict):
        accounts.update_user(db, admin, admin.user_id or 0, is_active=False)
    other = make_user(db, "second-admin", Role.ADMIN)
    accounts.update_user(db, admin, admin.user_id or 0, roles=["scientist"])
    assert accounts.get_user(db, other, admin.user_id or 0).roles == ["scientist"]


def test_self_password_change_needs_current_password(db: Database) -> None:
    user = make_user(db, "gina", Role.SCIENTIST)
    with pytest.raises(ValidationFailed, match="Current password"):
        accounts.set_password(
            db, user, user.user_id or 0, "another password 1", current_password="x"
        )
    accounts.set_password(
        db, user, user.user_id or 0, "another password 1", current_password=PASSWORD
    )
    assert accounts.authenticate(db, "gina", "another password 1", None)


def test_tokens_are_hashed_shown_once_and_revocable(db: Database, admin: Actor) -> None:
    user = make_user(db, "hank", Role.SCIENTIST)
    row, secret = accounts.create_token(db, user, user.user_id or 0, "notebook")
    assert secret.startswith("msg_")
    assert row.prefix == secret[:12]
    principal = accounts.principal_for_token(db, secret)
    assert principal is not None
    assert principal.username == "hank"
    assert accounts.principal_for_token(db, secret + "x") is None
    assert accounts.principal_for_token(db, "msg_" + "A" * 43) is None
    with pytest.raises(PermissionDenied):
        accounts.create_token(db, user, admin.user_id or 0, "steal")
    accounts.revoke_token(db, user, row.id)
    assert accounts.principal_for_token(db, secret) is None
    assert accounts.list_tokens(db, user, user.user_id or 0)[0].revoked_at is not None


def test_token_of_deactivated_user_stops_working(db: Database, admin: Actor) -> None:
    user = make_user(db, "ivy", Role.SCIENTIST)
    _, secret = accounts.create_token(db, admin, user.user_id or 0, "ci")
    accounts.update_user(db, admin, user.user_id or 0, is_active=False)
    assert accounts.principal_for_token(db, secret) is None


def test_initial_admin_created_once(sqlite_db: Database) -> None:
    first = accounts.ensure_initial_admin(sqlite_db, None)
    assert first.is_created
    generated = first.generated_password
    assert generated is not None
    assert len(generated) >= accounts.PASSWORD_MIN
    assert accounts.authenticate(sqlite_db, "admin", generated, None).roles == frozenset({"admin"})
    assert accounts.ensure_initial_admin(sqlite_db, None) == accounts.AdminBootstrap(
        False, None, ""
    )
    ignored = accounts.ensure_initial_admin(sqlite_db, "explicit password")
    assert not ignored.is_created
    assert "ignored" in ignored.note
    page = audit.search(
        sqlite_db,
        Actor(1, "admin", frozenset({"admin"})),
        audit.AuditFilter(action="user.create"),
    )
    assert page.total == 1


def test_users_added_before_first_start_do_not_block_the_admin(sqlite_db: Database) -> None:
    make_user(sqlite_db, "early-bird", Role.SCIENTIST)
    bootstrap = accounts.ensure_initial_admin(sqlite_db, "chosen admin password")
    assert bootstrap.is_created
    assert bootstrap.generated_password is None
    assert accounts.authenticate(sqlite_db, "admin", "chosen admin password", None)


def test_name_clash_is_reported(sqlite_db: Database) -> None:
    make_user(sqlite_db, "admin", Role.SCIENTIST)
    bootstrap = accounts.ensure_initial_admin(sqlite_db, None)
    assert not bootstrap.is_created
    assert "user add NAME --role admin" in bootstrap.note


def test_initial_admin_password_from_environment_is_checked(sqlite_db: Database) -> None:
    with pytest.raises(ValidationFailed, match="at least"):
        accounts.ensure_initial_admin(sqlite_db, "short")
    assert accounts.ensure_initial_admin(sqlite_db, "long enough password").is_created


def test_control_characters_never_reach_the_database(db: Database, admin: Actor) -> None:
    # PostgreSQL cannot store NUL; these must fail as validation, not as a server error.
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, "root-admin\x00", PASSWORD, "10.1.1.1")
    with pytest.raises(ValidationFailed, match="control characters"):
        accounts.create_token(db, admin, admin.user_id or 0, "tab\x00")
    with pytest.raises(ValidationFailed, match="control characters"):
        accounts.create_user(db, admin, "nul-user", PASSWORD, [], "evil\x00name")
    failures = audit.search(db, admin, audit.AuditFilter(action="auth.login", result="failed"))
    assert failures.rows[0].detail["username"] == "root-admin\\x00"


def test_a_session_ends_its_maximum_age_after_the_login_however_busy(db: Database) -> None:
    from datetime import timedelta

    from dashboard.models import UserSession, utcnow

    user = make_user(db, "busy-bea", Role.SCIENTIST)
    principal = accounts.start_session(
        db, accounts.authenticate(db, "busy-bea", PASSWORD, "10.0.0.9"), "10.0.0.9"
    )
    uid, version, session = user.user_id or 0, principal.auth_version, principal.session or ""
    twelve_hours = timedelta(hours=12)
    assert accounts.load_principal(db, uid, version, session, max_age=twelve_hours)
    with db.begin() as s:  # the login was 12 h and a minute ago
        row = s.scalars(select(UserSession).where(UserSession.user_id == uid)).one()
        row.created_at = utcnow() - twelve_hours - timedelta(minutes=1)
    assert accounts.load_principal(db, uid, version, session, max_age=twelve_hours) is None
