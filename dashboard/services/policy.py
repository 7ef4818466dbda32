"""Who may do what: the one place that maps roles to pages and actions.

The Flask gate, the navbar, the pages and the services all ask this module; nothing else
names a role to decide access. Admins may open every page and do every action. A machine
account (the metrics role alone) may do nothing here: it reads ``/metrics`` only.

>>> may(frozenset({Role.SCIENTIST}), Action.EXPERIMENT_CREATE)
True
>>> may(frozenset({Role.OPERATOR}), Action.USER_CREATE)
False
>>> may_open(frozenset(), "dashboard.pages.home")
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from dashboard.db import Database

from . import audit
from .actor import Actor, Role
from .errors import PermissionDenied


class Action(StrEnum):
    """Everything a service checks before doing it (the value is the audited action name)."""

    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_PASSWORD = "user.password"  # noqa: S105 - set another user's password
    USER_LIST = "user.list"
    USER_READ = "user.read"
    TOKEN_CREATE = "token.create"  # noqa: S105 - for another user (everyone may make their own)
    TOKEN_LIST = "token.list"  # noqa: S105 - an action name
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 - an action name
    SECOND_FACTOR_POLICY = "second_factor.policy"  # choose the roles that must use one
    SECOND_FACTOR_RESET = "second_factor.reset"  # remove another user's (a lost phone)
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    AUDIT_VERIFY = "audit.verify"
    EXPERIMENT_CREATE = "experiment.create"
    EXPERIMENT_UPDATE = "experiment.update"
    DATASET_IMPORT = "dataset.import"
    DATASET_DELETE = "dataset.delete"
    SAMPLE_SHEET_IMPORT = "sample.sheet_import"  # create or change samples from a sheet
    JOB_LIST_ALL = "job.list_all"  # see everyone's jobs, not only one's own
    JOB_CANCEL_ANY = "job.cancel_any"
    SYSTEM_SELFTEST = "system.selftest"  # start the job system's self-test
    SYSTEM_BACKUP = "system.backup"  # write a backup archive (it holds every secret and datum)
    PROVENANCE_VERIFY = "provenance.verify"  # re-check a dataset or a file against the ledger
    PROVENANCE_RETRACT = "provenance.retract"
    PROVENANCE_SWEEP = "provenance.sweep"  # re-hash every stored file against its record
    LEDGER_REANCHOR = "ledger.reanchor"  # anchor again a batch anchored in another registry
    RUN_CREATE = "run.create"  # plan a run on culture hardware, edit its profile
    RUN_COMMAND = "run.command"  # start, pause, resume, stop, abort, setpoints
    COMMAND_APPROVE = "command.approve"  # the second operator of an irreversible command
    LIMITS_SET = "run.limits"  # change a parameter's alarm limits
    ALARM_ACK = "alarm.ack"  # acknowledge or shelve an alarm
    TREE_BUILD = "tree.build"  # build, upload or re-root a phylogenetic tree
    MUTATION_CALL = "mutation.call"  # call mutations of samples' reads against a reference
    MUTATION_DELETE = "mutation.delete"  # delete a result with its GenomeDiff and files


@dataclass(frozen=True)
class Grant:
    """Who may: any logged-in user, or holders of one of ``roles``; admins always may."""

    roles: frozenset[Role] = frozenset({Role.ADMIN})
    any_user: bool = False

    def allows(self, held: Iterable[str]) -> bool:
        """Whether a user holding the roles ``held`` may (a machine account never may)."""
        held = frozenset(held)
        if is_machine_only(held):
            return False
        return self.any_user or Role.ADMIN in held or bool(held & self.roles)

    def describe(self) -> str:
        """The roles needed, in words, for refusals."""
        if self.any_user:
            return "any logged-in user"
        others = sorted(role.value for role in self.roles - {Role.ADMIN})
        return ", ".join(others) or Role.ADMIN.value


ANY_USER = Grant(frozenset(), any_user=True)
ADMINS = Grant()


def _holders(*roles: Role) -> Grant:
    return Grant(frozenset({Role.ADMIN, *roles}))


# Which roles may do each action.
ACTIONS: Mapping[Action, Grant] = {
    Action.USER_CREATE: ADMINS,
    Action.USER_UPDATE: ADMINS,
    Action.USER_PASSWORD: ADMINS,
    Action.USER_LIST: ADMINS,
    Action.USER_READ: ADMINS,
    Action.TOKEN_CREATE: ADMINS,
    Action.TOKEN_LIST: ADMINS,
    Action.TOKEN_REVOKE: ADMINS,
    Action.SECOND_FACTOR_POLICY: ADMINS,
    Action.SECOND_FACTOR_RESET: ADMINS,
    Action.AUDIT_READ: ADMINS,
    Action.AUDIT_EXPORT: ADMINS,
    Action.AUDIT_VERIFY: ADMINS,
    Action.EXPERIMENT_CREATE: _holders(Role.SCIENTIST),
    Action.EXPERIMENT_UPDATE: _holders(Role.SCIENTIST),
    Action.DATASET_IMPORT: _holders(Role.SCIENTIST),
    Action.DATASET_DELETE: ADMINS,
    Action.SAMPLE_SHEET_IMPORT: _holders(Role.SCIENTIST),
    Action.JOB_LIST_ALL: ADMINS,
    Action.JOB_CANCEL_ANY: ADMINS,
    Action.SYSTEM_SELFTEST: ADMINS,
    Action.SYSTEM_BACKUP: ADMINS,
    Action.PROVENANCE_VERIFY: _holders(Role.REVIEWER),
    Action.PROVENANCE_RETRACT: _holders(Role.REVIEWER),
    Action.PROVENANCE_SWEEP: _holders(Role.REVIEWER),
    Action.LEDGER_REANCHOR: ADMINS,
    Action.RUN_CREATE: _holders(Role.OPERATOR),
    Action.RUN_COMMAND: _holders(Role.OPERATOR),
    Action.COMMAND_APPROVE: _holders(Role.OPERATOR),
    Action.LIMITS_SET: _holders(Role.OPERATOR),
    Action.ALARM_ACK: _holders(Role.OPERATOR),
    Action.TREE_BUILD: _holders(Role.SCIENTIST),
    Action.MUTATION_CALL: _holders(Role.SCIENTIST),
    Action.MUTATION_DELETE: ADMINS,
}

# Which roles may open each page, by the module that registers it. A page missing here is
# for admins only (the policy tests insist that every page is listed).
PAGES: Mapping[str, Grant] = {
    "dashboard.pages.home": ANY_USER,
    "dashboard.pages.experiments": ANY_USER,
    "dashboard.pages.experiment": ANY_USER,
    # Creating and editing have their own views; only those who may save may open them.
    "dashboard.pages.experiment_new": ACTIONS[Action.EXPERIMENT_CREATE],
    "dashboard.pages.experiment_edit": ACTIONS[Action.EXPERIMENT_UPDATE],
    "dashboard.pages.datasets": ANY_USER,
    "dashboard.pages.dataset": ANY_USER,
    "dashboard.pages.dataset_import": ACTIONS[Action.DATASET_IMPORT],
    "dashboard.pages.explorer": ANY_USER,
    "dashboard.pages.trees": ANY_USER,
    "dashboard.pages.mutations": ANY_USER,
    "dashboard.pages.api_docs": ANY_USER,
    "dashboard.pages.jobs": ANY_USER,
    "dashboard.pages.account": ANY_USER,
    "not_found_404": ANY_USER,
    "dashboard.pages.admin_users": ADMINS,
    "dashboard.pages.admin_audit": ADMINS,
    "dashboard.pages.provenance": ACTIONS[Action.PROVENANCE_VERIFY],
    # Everyone sees runs, telemetry and alarms; the buttons are for operators.
    "dashboard.pages.mission": ANY_USER,
    "dashboard.pages.mission_run": ANY_USER,
}

# Audited names of refusals that are not service actions.
PAGE_OPEN = "page.open"
CROSS_SITE = "request.cross_site"
MACHINE_ONLY = "request.machine_only"  # a metrics-only account tried to change something

# Roles of machine accounts: a user holding only these opens no page and calls no API.
MACHINE_ROLES: frozenset[str] = frozenset({Role.METRICS})
METRICS_ROLE = Role.METRICS.value


def is_machine_only(roles: Iterable[str]) -> bool:
    """Whether ``roles`` are a machine account's alone (none of a person's).

    >>> is_machine_only({"metrics"}), is_machine_only({"metrics", "admin"}), is_machine_only(())
    (True, False, False)
    """
    held = frozenset(roles)
    return bool(held) and held <= MACHINE_ROLES


def may_read_metrics(roles: Iterable[str]) -> bool:
    """Whether a bearer token of a user holding ``roles`` may read ``/metrics``.

    Only the metrics role may, admins included: a scraper's token is a machine account's,
    and an admin's token in a scraper's configuration would open everything else too.

    >>> may_read_metrics({"metrics"}), may_read_metrics({"admin"})
    (True, False)
    """
    return Role.METRICS in frozenset(roles)


def grant(action: Action) -> Grant:
    """Who may do ``action``."""
    return ACTIONS[action]


def page_grant(module: str) -> Grant:
    """Who may open the page registered by ``module`` (admins only when it is not listed)."""
    return PAGES.get(module, ADMINS)


def may(roles: Iterable[str], action: Action) -> bool:
    """Whether a user holding ``roles`` may do ``action``."""
    return ACTIONS[action].allows(roles)


def allows(actor: Actor, action: Action) -> bool:
    """Whether ``actor`` may do ``action`` (for showing or hiding buttons)."""
    return may(actor.roles, action)


def may_open(roles: Iterable[str], module: str) -> bool:
    """Whether a user holding ``roles`` may open the page registered by ``module``."""
    return page_grant(module).allows(roles)


def authorize(
    db: Database,
    actor: Actor,
    action: Action,
    *,
    target: tuple[str, object] | None = None,
    audit_as: str | None = None,
) -> None:
    """Raise :class:`PermissionDenied` (and audit the refusal) unless ``actor`` may ``action``.

    ``audit_as`` names the refused event when it differs from the action (a job start is
    audited as ``<kind>.start``).
    """
    rule = ACTIONS[action]
    if rule.allows(actor.roles):
        return
    needed = rule.describe()
    name = audit_as or action.value
    target_type, target_id = target if target else (None, None)
    audit.record(
        db,
        actor,
        name,
        "denied",
        target_type=target_type,
        target_id=target_id,
        detail={"needs_role": needed},
    )
    raise PermissionDenied(f"{name} needs the role {needed}; {actor.username} does not hold it")
