"""The access policy: every page and action has a rule, admins may everything, refusals audited."""

from __future__ import annotations

from pathlib import Path

import dash
import pytest
from sqlalchemy import select

from dashboard.db import Database
from dashboard.models import AuditEvent
from dashboard.services import policy
from dashboard.services.actor import ALL_ROLES, Actor, Role
from dashboard.services.errors import PermissionDenied
from dashboard.services.policy import Action


@pytest.fixture(scope="module")
def page_modules(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The modules of every page the app registers, read from the app itself."""
    from app import create_app
    from dashboard.config import load_settings

    create_app(load_settings(data_dir=str(tmp_path_factory.mktemp("policy-app"))))
    return list(dash.page_registry)


def test_every_registered_page_has_a_rule(page_modules: list[str]) -> None:
    assert page_modules, "the app registered no pages"
    missing = [module for module in page_modules if module not in policy.PAGES]
    assert missing == []


def test_every_action_has_a_rule() -> None:
    assert set(policy.ACTIONS) == set(Action)


def test_admins_may_everything(page_modules: list[str]) -> None:
    admin = frozenset({Role.ADMIN})
    assert all(policy.may(admin, action) for action in Action)
    assert all(policy.may_open(admin, module) for module in page_modules)


def test_admin_pages_and_actions_are_refused_to_every_other_role() -> None:
    for role in set(ALL_ROLES) - {Role.ADMIN}:
        held = frozenset({role})
        assert not policy.may_open(held, "dashboard.pages.admin_users")
        assert not policy.may_open(held, "dashboard.pages.admin_audit")
        assert not policy.may(held, Action.USER_CREATE)
        assert not policy.may(held, Action.AUDIT_VERIFY)


def test_scientists_edit_experiments_and_others_do_not() -> None:
    assert policy.may({Role.SCIENTIST}, Action.EXPERIMENT_CREATE)
    assert policy.may({Role.SCIENTIST}, Action.EXPERIMENT_UPDATE)
    assert not policy.may({Role.OPERATOR, Role.REVIEWER}, Action.EXPERIMENT_CREATE)
    assert not policy.may(frozenset(), Action.EXPERIMENT_UPDATE)


def test_open_pages_need_only_a_login_and_unknown_pages_only_admins() -> None:
    assert policy.may_open(frozenset(), "dashboard.pages.home")
    assert policy.may_open(frozenset(), "dashboard.pages.account")
    assert not policy.may_open({Role.SCIENTIST}, "dashboard.pages.not_in_the_policy")
    assert policy.may_open({Role.ADMIN}, "dashboard.pages.not_in_the_policy")


def test_refusals_name_the_roles_needed() -> None:
    assert policy.grant(Action.USER_CREATE).describe() == "admin"
    assert policy.grant(Action.EXPERIMENT_CREATE).describe() == "scientist"
    assert policy.page_grant("dashboard.pages.home").describe() == "any logged-in user"


def test_authorize_audits_the_refusal_and_lets_holders_through(
    db: Database, scientist: Actor, admin: Actor, tmp_path: Path
) -> None:
    policy.authorize(db, scientist, Action.EXPERIMENT_CREATE)
    policy.authorize(db, admin, Action.USER_CREATE)
    with pytest.raises(PermissionDenied, match="needs the role admin"):
        policy.authorize(db, scientist, Action.USER_UPDATE, target=("user", 7))
    with pytest.raises(PermissionDenied):
        policy.authorize(db, scientist, Action.AUDIT_VERIFY, audit_as="audit.verify.start")
    with db.read() as s:
        rows = s.execute(
            select(
                AuditEvent.username,
                AuditEvent.action,
                AuditEvent.result,
                AuditEvent.target_type,
                AuditEvent.target_id,
                AuditEvent.detail,
            ).order_by(AuditEvent.id)
        ).all()
    assert [tuple(r) for r in rows if r.result == "denied"] == [
        ("sci", "user.update", "denied", "user", "7", {"needs_role": "admin"}),
        ("sci", "audit.verify.start", "denied", None, None, {"needs_role": "admin"}),
    ]
