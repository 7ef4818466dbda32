"""Single sign-on's users and roles, on SQLite and PostgreSQL (the protocol itself is tested
against a real provider in tests/integration/test_single_sign_on.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dashboard.db import Database
from dashboard.models import AuditEvent, User, UserIdentity
from dashboard.services import accounts
from dashboard.services.accounts import USERNAME_RE
from dashboard.services.actor import Role
from dashboard.services.errors import AuthenticationFailed
from dashboard.services.single_sign_on import (
    NoRole,
    SignOnRefused,
    VerifiedIdentity,
    identity_from_claims,
    sign_in,
    username_base,
)
from tests.conftest import PASSWORD, make_user

ISSUER = "https://login.example.org/realms/lab"
ROLE_MAP = (("lab-admins", "admin"), ("lab-ops", "operator"), ("lab-staff", "scientist"))


def person(
    subject: str = "s-1",
    name: str | None = "ada",
    groups: tuple[str, ...] = ("lab-ops",),
    issuer: str = ISSUER,
) -> VerifiedIdentity:
    return VerifiedIdentity(issuer, subject, name, None, "Ada Lovelace", groups)


def count(db: Database, model: type[User] | type[UserIdentity]) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("preferred", "email", "expected"),
    [
        ("Ada.Lovelace", None, "ada.lovelace"),
        ("  Zoë Müller ", None, "zoe-muller"),
        (None, "j.doe+lab@example.org", "j.doe-lab"),
        ("42", None, "user-42"),
        ("_x", None, "x-sso"),
        ("李小龍", None, "user"),
        ("a" * 80, None, "a" * 32),
        (None, None, "user"),
    ],
)
def test_usernames_follow_the_local_rules(
    preferred: str | None, email: str | None, expected: str
) -> None:
    name = username_base(VerifiedIdentity(ISSUER, "s", preferred, email, None, ()))
    assert name == expected
    assert USERNAME_RE.fullmatch(name)


def test_claims_are_read_and_checked() -> None:
    claims = {
        "iss": ISSUER,
        "sub": "abc",
        "preferred_username": "ada",
        "name": "Ada",
        "groups": ["lab-ops", 7, None, "lab-staff"],
        "amr": ["pwd", "otp"],
    }
    identity = identity_from_claims(claims, "groups")
    assert identity.claim_values == ("lab-ops", "lab-staff")
    assert identity.auth_methods == ("pwd", "otp")
    assert identity_from_claims({**claims, "groups": "lab-ops"}, "groups").claim_values == (
        "lab-ops",
    )
    assert identity_from_claims(claims, "roles").claim_values == ()
    with pytest.raises(SignOnRefused, match="names nobody"):
        identity_from_claims({"iss": ISSUER, "sub": ""}, "groups")
    with pytest.raises(SignOnRefused, match="longer than 255"):
        identity_from_claims({"iss": ISSUER, "sub": "x" * 256}, "groups")


def test_first_login_creates_a_user_and_the_second_finds_it(db: Database) -> None:
    # On both databases (the others on SQLite only: each PostgreSQL database costs seconds).
    first = sign_in(db, person(), ROLE_MAP, "10.0.0.1")
    again = sign_in(db, person(name="someone-else"), ROLE_MAP, "10.0.0.1")

    assert first.id == again.id
    assert (first.username, first.display_name, first.roles) == (
        "ada",
        "Ada Lovelace",
        frozenset({"operator"}),
    )
    assert (count(db, User), count(db, UserIdentity)) == (1, 1)
    # The placeholder password is a real hash nobody knows: a password login fails.
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, "ada", "", "10.0.0.1")


def test_the_same_subject_at_another_issuer_is_another_person(sqlite_db: Database) -> None:
    db = sqlite_db
    one = sign_in(db, person(), ROLE_MAP, None)
    other = sign_in(db, person(issuer="https://other.example.org"), ROLE_MAP, None)
    assert one.id != other.id
    assert other.username == "ada-2"


def test_an_existing_local_name_gets_a_new_name_not_the_account(sqlite_db: Database) -> None:
    db = sqlite_db
    local = make_user(db, "admin", Role.ADMIN)
    make_user(db, "admin-2", Role.REVIEWER)

    principal = sign_in(db, person(name="admin", groups=("lab-ops",)), ROLE_MAP, None)

    assert principal.id != local.user_id
    assert principal.username == "admin-3"
    assert principal.roles == frozenset({"operator"})
    with db.read() as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        assert admin.role_names == {"admin"}


def test_roles_are_added_and_removed_to_match_the_claim(sqlite_db: Database) -> None:
    db = sqlite_db
    sign_in(db, person(groups=("lab-ops", "lab-staff")), ROLE_MAP, None)
    principal = sign_in(db, person(groups=("lab-admins",)), ROLE_MAP, None)
    assert principal.roles == frozenset({"admin"})
    with db.read() as s:
        change = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "user.update")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert change is not None
    assert change.detail["before"] == {"roles": ["operator", "scientist"]}
    assert change.detail["after"] == {"roles": ["admin"]}


def test_no_mapped_role_is_refused_and_leaves_nothing(sqlite_db: Database) -> None:
    db = sqlite_db
    with pytest.raises(NoRole, match="no MicroSpaceGen role; ask your administrator"):
        sign_in(db, person(groups=("visitors",)), ROLE_MAP, None)
    assert (count(db, User), count(db, UserIdentity)) == (0, 0)
    with db.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert (event.action, event.result, event.detail["reason"]) == (
        "auth.login",
        "failed",
        "no mapped role",
    )


def test_a_deactivated_user_is_refused_and_keeps_its_roles(sqlite_db: Database) -> None:
    db = sqlite_db
    admin = make_user(db, "root-admin", Role.ADMIN)
    principal = sign_in(db, person(), ROLE_MAP, None)
    accounts.update_user(db, admin, principal.id, is_active=False)
    with pytest.raises(SignOnRefused, match="deactivated") as refused:
        sign_in(db, person(groups=("lab-admins",)), ROLE_MAP, None)
    assert refused.value.status == 403
    with db.read() as s:
        user = s.get(User, principal.id)
        assert user is not None
        assert user.role_names == {"operator"}
    # Deactivated: a password an admin may have given it does not work either.
    accounts.set_password(db, admin, principal.id, PASSWORD + " again")
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, principal.username, PASSWORD + " again", None)
