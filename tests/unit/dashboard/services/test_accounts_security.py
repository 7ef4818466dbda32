"""Throttling under concurrency, password rules, and one transaction per user change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.db import Database
from dashboard.services import accounts, audit
from dashboard.services.actor import Actor, Role, cli_actor
from dashboard.services.errors import (
    AuthenticationFailed,
    Conflict,
    ServiceError,
    TooManyAttempts,
    ValidationFailed,
)
from tests.conftest import PASSWORD, make_user


def _outcome(db: Database, name: str, password: str, ip: str) -> int:
    try:
        accounts.authenticate(db, name, password, ip)
    except ServiceError as exc:
        return exc.status
    return 200


def test_concurrent_wrong_passwords_get_at_most_five_401s(db: Database) -> None:
    make_user(db, "target", Role.SCIENTIST)
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(
            pool.map(lambda i: _outcome(db, "target", f"guess number {i}", "10.1.1.1"), range(40))
        )
    assert statuses.count(401) <= accounts.MAX_FAILURES_PER_NAME_AND_IP, statuses
    assert statuses.count(401) + statuses.count(429) == 40, statuses


def test_current_password_guesses_are_throttled_and_audited(db: Database) -> None:
    user = make_user(db, "guesser", Role.SCIENTIST)
    uid = user.user_id or 0
    for i in range(accounts.MAX_FAILURES_PER_USER_PASSWORD):
        with pytest.raises(ValidationFailed, match="Current password"):
            accounts.set_password(
                db, user, uid, "a new password here", current_password=f"guess {i}"
            )
    # The right one is refused too for a while: the guesses were throttled, not the user.
    with pytest.raises(TooManyAttempts):
        accounts.set_password(db, user, uid, "a new password here", current_password=PASSWORD)
    events = audit.search(db, cli_actor("t"), audit.AuditFilter(action="user.password"))
    results = sorted(e.result for e in events.rows)
    assert results == ["denied"] + ["failed"] * accounts.MAX_FAILURES_PER_USER_PASSWORD
    assert accounts.authenticate(db, "guesser", PASSWORD, "10.2.2.2").username == "guesser"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short pass", "at least 12"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop12", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("nul inside \x00 the password", "control characters"),
        ("newline inside\nthe password", "control characters"),
    ],
)
def test_password_rules(password: str, why: str) -> None:
    with pytest.raises(ValidationFailed, match=why):
        accounts.check_password_rules(password)


def test_the_test_password_and_generated_ones_follow_the_rules() -> None:
    assert accounts.check_password_rules(PASSWORD) == PASSWORD
    assert accounts.check_password_rules(accounts.generate_password())


def test_refused_role_change_leaves_the_password_unchanged(db: Database, admin: Actor) -> None:
    # The last admin may not lose the role; the password sent along must not stick either.
    with pytest.raises(Conflict, match="last active admin"):
        accounts.change_user(
            db,
            admin,
            admin.user_id or 0,
            roles=["scientist"],
            password="an entirely new password",
            current_password=PASSWORD,
        )
    assert accounts.authenticate(db, "root-admin", PASSWORD, None).username == "root-admin"
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, "root-admin", "an entirely new password", None)
