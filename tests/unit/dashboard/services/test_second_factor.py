"""Second factors: codes once each and only near their time, recovery codes once, guesses
throttled, roles that require one, and every step audited. Time is passed in, never slept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from dashboard.db import Database
from dashboard.models import AuditEvent, RecoveryCode, SecondFactor
from dashboard.services import accounts
from dashboard.services import second_factor as sf
from dashboard.services.actor import Actor, Role
from dashboard.services.errors import (
    AuthenticationFailed,
    Conflict,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from tests.conftest import PASSWORD, make_user

KEY = sf.SealingKey("test-secret-key-" + "k" * 40)
# The middle of a 30-second step, so ±1 step is exactly ±30 s.
T0 = datetime(2026, 11, 27, 12, 0, 15, tzinfo=UTC)
STEP = timedelta(seconds=sf.STEP_S)


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def _enrol(db: Database, user: Actor, at: datetime = T0) -> tuple[str, list[str]]:
    started = sf.begin_enrolment(db, user, KEY)
    codes = sf.confirm_enrolment(db, user, KEY, _code(started.secret, at), now=at)
    return started.secret, codes


def _events(db: Database, action: str) -> list[tuple[str, dict[str, object]]]:
    with db.read() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by("id"))
        return [(e.result, dict(e.detail)) for e in rows]


def test_the_secret_is_sealed_to_its_user_and_the_app_key() -> None:
    sealed = KEY.seal(7, "JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert KEY.open(7, sealed) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(sf.SecretUnreadable):
        KEY.open(8, sealed)  # copied onto another user's row
    with pytest.raises(sf.SecretUnreadable):
        sf.SealingKey("another-app-secret" + "x" * 40).open(7, sealed)
    with pytest.raises(sf.SecretUnreadable):
        KEY.open(7, sealed[:-4] + "AAAA")


def test_enrolment_needs_a_current_code_and_gives_recovery_codes(sqlite_db: Database) -> None:
    db = sqlite_db
    ada = make_user(db, "ada", Role.SCIENTIST)
    started = sf.begin_enrolment(db, ada, KEY)
    assert started.uri.startswith("otpauth://totp/MicroSpaceGen:ada?secret=")
    assert "issuer=MicroSpaceGen" in started.uri
    # Not on until confirmed: the login still needs the password only.
    assert sf.login_step(db, ada.user_id or 0) == "none"
    with db.read() as s:
        stored = s.get(SecondFactor, ada.user_id)
        assert stored is not None
        assert started.secret not in stored.secret_sealed
    with pytest.raises(ValidationFailed, match="6-digit"):
        sf.confirm_enrolment(db, ada, KEY, "12345", now=T0)
    with pytest.raises(ValidationFailed, match="Wrong code"):
        sf.confirm_enrolment(db, ada, KEY, _code(started.secret, T0 + 3 * STEP), now=T0)
    codes = sf.confirm_enrolment(db, ada, KEY, _code(started.secret, T0), now=T0)
    assert len(codes) == len(set(codes)) == sf.RECOVERY_CODE_COUNT
    with db.read() as s:
        hashes = list(s.scalars(select(RecoveryCode.code_sha256)))
    assert len(hashes) == 10
    assert not set(codes) & set(hashes)
    assert sf.login_step(db, ada.user_id or 0) == "code"
    status = sf.status(db, ada, ada.user_id or 0)
    assert (status.is_enabled, status.recovery_codes_left) == (True, 10)
    with pytest.raises(Conflict, match="already on"):
        sf.begin_enrolment(db, ada, KEY)
    assert [r for r, _ in _events(db, "second_factor.enrol")] == ["failed", "ok"]
    assert [r for r, _ in _events(db, "second_factor.enrol_start")] == ["ok"]


def test_wrong_reused_and_expired_codes_are_refused(sqlite_db: Database) -> None:
    db = sqlite_db
    bo = make_user(db, "bob", Role.OPERATOR)
    secret, _ = _enrol(db, bo, T0)  # uses T0's step
    at = T0 + 10 * STEP
    # Wrong.
    with pytest.raises(AuthenticationFailed, match="Wrong code"):
        sf.verify_login(
            db, bo, KEY, "000000" if _code(secret, at) != "000000" else "111111", now=at
        )
    # Expired: two steps old (only one step either side is accepted).
    with pytest.raises(AuthenticationFailed, match="Wrong code"):
        sf.verify_login(db, bo, KEY, _code(secret, at - 2 * STEP), now=at)
    with pytest.raises(AuthenticationFailed):
        sf.verify_login(db, bo, KEY, _code(secret, at + 2 * STEP), now=at)
    # One step old is still fine (a code typed as it changes)...
    assert sf.verify_login(db, bo, KEY, _code(secret, at - STEP), now=at) == "totp"
    # ...but never twice, and no older step after a newer one was used.
    with pytest.raises(AuthenticationFailed, match="used already"):
        sf.verify_login(db, bo, KEY, _code(secret, at - STEP), now=at)
    # (From another address: five failures from one would be throttled.)
    bo = Actor(bo.user_id, bo.username, bo.roles, "10.0.0.2", "web")
    assert sf.verify_login(db, bo, KEY, _code(secret, at + STEP), now=at) == "totp"
    with pytest.raises(AuthenticationFailed, match="used already"):
        sf.verify_login(db, bo, KEY, _code(secret, at), now=at)
    # The enrolment's own code cannot log in either.
    with pytest.raises(AuthenticationFailed, match="used already"):
        sf.verify_login(db, bo, KEY, _code(secret, T0), now=T0)
    reasons = [d["reason"] for r, d in _events(db, "auth.second_factor") if r == "failed"]
    assert reasons == [
        "wrong or expired code",
        "wrong or expired code",
        "wrong or expired code",
        "code already used",
        "code already used",
        "code already used",
    ]


def test_a_recovery_code_works_once(db: Database) -> None:
    cy = make_user(db, "cyd", Role.SCIENTIST)
    _secret, codes = _enrol(db, cy)
    typed = "  " + codes[3].upper().replace("-", " ") + " "  # as someone might type it
    assert sf.verify_login(db, cy, KEY, typed, now=T0) == "recovery_code"
    with pytest.raises(AuthenticationFailed, match="recovery code"):
        sf.verify_login(db, cy, KEY, codes[3], now=T0)
    assert sf.status(db, cy, cy.user_id or 0).recovery_codes_left == 9
    ok = [d for r, d in _events(db, "auth.second_factor") if r == "ok"]
    assert ok == [{"username": "cyd", "method": "recovery_code", "recovery_codes_left": 9}]
    # New codes replace the old ones (password or a current code needed).
    with pytest.raises(ValidationFailed, match="Wrong password"):
        sf.regenerate_recovery_codes(db, cy, KEY, "not my password", now=T0)
    fresh = sf.regenerate_recovery_codes(db, cy, KEY, PASSWORD, now=T0)
    with pytest.raises(AuthenticationFailed):
        sf.verify_login(db, cy, KEY, codes[0], now=T0)
    assert sf.verify_login(db, cy, KEY, fresh[0], now=T0) == "recovery_code"
    assert [r for r, _ in _events(db, "second_factor.recovery_codes")] == ["failed", "ok"]


def test_code_guesses_are_throttled_like_passwords(sqlite_db: Database) -> None:
    db = sqlite_db
    di = make_user(db, "dia", Role.SCIENTIST)
    at = T0 + 5 * STEP
    secret, _ = _enrol(db, di, T0)
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_IP):
        with pytest.raises(AuthenticationFailed):
            sf.verify_login(db, di, KEY, "not-a-code", now=at)
    # Now even the right code is refused from that address for a while...
    with pytest.raises(TooManyAttempts) as refused:
        sf.verify_login(db, di, KEY, _code(secret, at), now=at)
    assert 0 < refused.value.retry_after_s <= 15 * 60
    assert _events(db, "auth.second_factor")[-1] == (
        "denied",
        {"username": "dia", "reason": "throttled"},
    )
    # ...from elsewhere it works (per name and address), until the per-user limit.
    elsewhere = Actor(di.user_id, "dia", di.roles, "10.9.9.9", "web")
    assert sf.verify_login(db, elsewhere, KEY, _code(secret, at), now=at) == "totp"
    for _ in range(sf.MAX_CODE_FAILURES_PER_USER - accounts.MAX_FAILURES_PER_NAME_AND_IP):
        with pytest.raises(AuthenticationFailed):
            sf.verify_login(db, elsewhere, KEY, "wrong", now=at)
    third = Actor(di.user_id, "dia", di.roles, "10.7.7.7", "web")
    with pytest.raises(TooManyAttempts):
        sf.verify_login(db, third, KEY, _code(secret, at + STEP), now=at)


def test_roles_can_require_a_second_factor(db: Database, admin: Actor) -> None:
    oper = make_user(db, "eve-operator", Role.OPERATOR)
    sci = make_user(db, "sam", Role.SCIENTIST)
    assert sf.login_step(db, oper.user_id or 0) == "none"
    with pytest.raises(PermissionDenied):
        sf.set_required_roles(db, sci, ["scientist"])
    assert sf.required_roles(db) == []
    with pytest.raises(ValidationFailed, match="Unknown role"):
        sf.set_required_roles(db, admin, ["operator", "pilot"])
    assert sf.set_required_roles(db, admin, ["operator", "admin"]) == ["admin", "operator"]
    assert sf.login_step(db, oper.user_id or 0) == "enrol"
    assert sf.login_step(db, sci.user_id or 0) == "none"
    assert sf.status(db, oper, oper.user_id or 0).required_by == ["operator"]
    _enrol(db, oper)
    assert sf.login_step(db, oper.user_id or 0) == "code"
    # Required: it cannot be switched off by its holder, only reset by an admin.
    with pytest.raises(Conflict, match="stays on"):
        sf.disable(db, oper, KEY, PASSWORD, now=T0)
    with pytest.raises(PermissionDenied):
        sf.reset(db, sci, oper.user_id or 0)
    sf.reset(db, admin, oper.user_id or 0)
    assert sf.login_step(db, oper.user_id or 0) == "enrol"
    assert sf.set_required_roles(db, admin, []) == []
    assert sf.login_step(db, oper.user_id or 0) == "none"
    policy = _events(db, "second_factor.policy")
    assert [r for r, _ in policy] == ["denied", "ok", "ok"]
    assert policy[1][1] == {"before": [], "after": ["admin", "operator"], "sessions_ended": 0}
    assert [r for r, _ in _events(db, "second_factor.reset")] == ["denied", "ok"]
    assert [r for r, _ in _events(db, "second_factor.disable")] == ["denied"]


def test_turning_off_needs_the_password_or_a_current_code(sqlite_db: Database) -> None:
    db = sqlite_db
    fay = make_user(db, "fay", Role.REVIEWER)
    secret, _ = _enrol(db, fay)
    at = T0 + 4 * STEP
    with pytest.raises(ValidationFailed) as wrong:
        sf.disable(db, fay, KEY, "wrong password here", now=at)
    assert wrong.value.field == "proof"
    with pytest.raises(ValidationFailed):
        sf.disable(db, fay, KEY, _code(secret, at - 3 * STEP), now=at)
    sf.disable(db, fay, KEY, _code(secret, at), now=at)
    assert sf.login_step(db, fay.user_id or 0) == "none"
    with db.read() as s:
        assert s.scalars(select(RecoveryCode)).first() is None
    with pytest.raises(Conflict, match="off"):
        sf.disable(db, fay, KEY, PASSWORD, now=at)
    assert _events(db, "second_factor.disable")[-1] == (
        "ok",
        {"username": "fay", "proof": "totp"},
    )


def test_a_secret_the_key_cannot_open_is_refused_and_audited(sqlite_db: Database) -> None:
    db = sqlite_db
    gus = make_user(db, "gust", Role.SCIENTIST)
    secret, _ = _enrol(db, gus)
    other_key = sf.SealingKey("a-new-secret-key-after-restore" + "z" * 30)
    with pytest.raises(sf.SecretUnreadable, match="admin must reset"):
        sf.verify_login(db, gus, other_key, _code(secret, T0 + STEP), now=T0 + STEP)
    assert _events(db, "auth.second_factor")[-1] == (
        "error",
        {"username": "gust", "reason": "secret unreadable"},
    )


def _open_session(db: Database, name: str) -> tuple[int, int, str]:
    principal = accounts.start_session(
        db, accounts.authenticate(db, name, PASSWORD, "10.1.1.1"), "10.1.1.1"
    )
    return principal.id, principal.auth_version, principal.session or ""


def test_a_new_rule_and_a_reset_end_the_sessions_opened_without_a_factor(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    admin = make_user(db, "rule-admin", Role.ADMIN)
    make_user(db, "lax-operator", Role.OPERATOR)
    careful = make_user(db, "careful-operator", Role.OPERATOR)
    make_user(db, "other-scientist", Role.SCIENTIST)
    _enrol(db, careful)
    lax_session = _open_session(db, "lax-operator")
    careful_session = _open_session(db, "careful-operator")
    other_session = _open_session(db, "other-scientist")

    sf.set_required_roles(db, admin, ["operator"])
    # The operator without a factor must log in again (and enrol); the others carry on.
    assert accounts.load_principal(db, *lax_session) is None
    assert accounts.load_principal(db, *careful_session) is not None
    assert accounts.load_principal(db, *other_session) is not None
    assert _events(db, "second_factor.policy")[-1][1]["sessions_ended"] == 1

    # A reset (a lost phone) ends every session of that user.
    sf.reset(db, admin, careful.user_id or 0)
    assert accounts.load_principal(db, *careful_session) is None
    assert _events(db, "second_factor.reset")[-1][1]["sessions_ended"] == 1
