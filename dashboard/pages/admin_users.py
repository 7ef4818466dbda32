"""Admin: users and their roles. A row opens the user in an editor; "New user" opens a form."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.feedback import error_alert, icon, success_alert
from dashboard.components.frame import card, page_header
from dashboard.components.grid import GridSpec, data_grid, grid_ids, register_grid
from dashboard.components.second_factor import factor_state
from dashboard.components.status import status_legend
from dashboard.components.tokens import token_table
from dashboard.components.users_table import USER_COLUMNS, user_rows
from dashboard.components.view_state import GridView, Sort, merge_search, parse_int, query_of
from dashboard.services import accounts, second_factor
from dashboard.services.actor import ALL_ROLES, Role
from dashboard.services.errors import InputError
from dashboard.services.policy import MACHINE_ROLES

from ._token_actions import revoke_pressed

IDS = grid_ids("users")
GRID = IDS.grid
SPEC = GridSpec(IDS, USER_COLUMNS, default=GridView(sort=(Sort("username"),)), label="users")
register_grid(SPEC)

NEW_BUTTON = "users-new-button"
CREATE_MODAL = "users-create-modal"
NEW_USERNAME = "users-new-username"
NEW_DISPLAY = "users-new-display"
NEW_PASSWORD = "users-new-password"
NEW_ROLES = "users-new-roles"
CREATE = "users-create"
CREATE_ALERT = "users-create-alert"
EDIT_MODAL = "users-edit-modal"
EDIT_TITLE = "users-edit-title"
EDIT_USER = "users-edit-user"  # dcc.Store: the id of the user in the editor
REQUESTED = "users-requested"  # dcc.Store: the user a link asked to open (?user=<id>)
EDIT_DISPLAY = "users-edit-display"
EDIT_ROLES = "users-edit-roles"
EDIT_ACTIVE = "users-edit-active"
EDIT_SAVE = "users-edit-save"
EDIT_PASSWORD = "users-edit-password"
EDIT_SET_PASSWORD = "users-edit-set-password"
EDIT_ALERT = "users-edit-alert"
EDIT_TOKENS = "users-edit-tokens"
TOKEN_REVOKE = "users-token-revoke"
EDIT_2FA_STATE = "users-edit-2fa-state"
EDIT_2FA_RESET = "users-edit-2fa-reset"
SF_ROLES = "users-2fa-roles"
SF_ROLES_SAVE = "users-2fa-roles-save"
SF_ROLES_ALERT = "users-2fa-roles-alert"
USER_PARAM = "user"  # ?user=<id> opens that user's editor (the audit log links here)
USER_ID_MAX = 2**63 - 1

DEFAULT_ROLES = [Role.SCIENTIST.value]
ROLE_OPTIONS = [{"label": f" {r.value}", "value": r.value} for r in ALL_ROLES]
# Only people log in with a password; a metrics account uses its token alone.
PERSON_ROLE_OPTIONS = [o for o in ROLE_OPTIONS if o["value"] not in MACHINE_ROLES]
ROLES_TEXT = (
    "Roles: scientist explores and analyses, operator runs mission control, "
    "reviewer checks provenance, admin manages everything; metrics is for a Prometheus "
    "account that reads /metrics with a token and nothing else."
)


def _create_modal() -> dbc.Modal:
    body = [
        html.Div(id=CREATE_ALERT),
        dbc.Label("Username", html_for=NEW_USERNAME),
        dbc.Input(id=NEW_USERNAME, maxLength=32, placeholder="e.g. ada", className="mb-2"),
        dbc.Label("Display name", html_for=NEW_DISPLAY),
        dbc.Input(id=NEW_DISPLAY, maxLength=100, className="mb-2"),
        dbc.Label("Initial password", html_for=NEW_PASSWORD),
        dbc.Input(
            id=NEW_PASSWORD,
            type="password",
            maxLength=256,
            className="mb-1",
            autoComplete="new-password",
        ),
        html.Div(accounts.PASSWORD_RULE, className="form-text mb-2"),
        dbc.Label("Roles", html_for=NEW_ROLES),
        dbc.Checklist(id=NEW_ROLES, options=ROLE_OPTIONS, value=DEFAULT_ROLES, inline=True),
    ]
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle([icon("person-plus", "me-2"), "New user"])),
            dbc.ModalBody(body),
            dbc.ModalFooter(
                dbc.Button([icon("check-lg", "me-1"), "Create user"], id=CREATE, color="primary")
            ),
        ],
        id=CREATE_MODAL,
        is_open=False,
    )


def _edit_modal() -> dbc.Modal:
    body = [
        html.Div(id=EDIT_ALERT),
        dbc.Label("Display name", html_for=EDIT_DISPLAY),
        dbc.Input(id=EDIT_DISPLAY, maxLength=100, className="mb-2"),
        dbc.Label("Roles", html_for=EDIT_ROLES),
        dbc.Checklist(id=EDIT_ROLES, options=ROLE_OPTIONS, value=[], inline=True, className="mb-2"),
        dbc.Switch(id=EDIT_ACTIVE, label="Active (may log in)", value=True, className="mb-3"),
        dbc.Button(
            [icon("save", "me-1"), "Save roles and status"],
            id=EDIT_SAVE,
            color="primary",
            className="mb-4 d-block",
        ),
        html.H3("Password", className="h6"),
        dbc.Label("New password", html_for=EDIT_PASSWORD, className="visually-hidden"),
        dbc.InputGroup(
            [
                dbc.Input(
                    id=EDIT_PASSWORD,
                    type="password",
                    maxLength=256,
                    autoComplete="new-password",
                    placeholder="New password",
                ),
                dbc.Button("Set password", id=EDIT_SET_PASSWORD, color="secondary"),
            ]
        ),
        html.Div(accounts.PASSWORD_RULE, className="form-text mb-4"),
        html.H3("Second factor", className="h6"),
        html.Div(id=EDIT_2FA_STATE, className="mb-2"),
        dbc.Button(
            "Reset second factor",
            id=EDIT_2FA_RESET,
            color="danger",
            outline=True,
            size="sm",
            className="mb-1",
        ),
        html.Div(
            "For a lost phone: removes the user's authenticator and recovery codes. "
            "If a role requires one, they set it up again at their next login.",
            className="form-text mb-4",
        ),
        html.H3("API tokens", className="h6"),
        html.Div(id=EDIT_TOKENS),
    ]
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Edit user", id=EDIT_TITLE)),
            dbc.ModalBody(body),
        ],
        id=EDIT_MODAL,
        is_open=False,
        size="lg",
        scrollable=True,
    )


def _second_factor_policy(required: list[str]) -> dbc.Card:
    """Which roles must log in with a second factor (applies from each holder's next login)."""
    return card(
        [
            html.Div(id=SF_ROLES_ALERT),
            dbc.Label("Roles that must use a second factor", html_for=SF_ROLES),
            dbc.Checklist(
                id=SF_ROLES,
                options=PERSON_ROLE_OPTIONS,
                value=required,
                inline=True,
                className="mb-1",
            ),
            html.Div(
                "Holders without one are logged out, and set one up at their next login "
                "before anything else. API tokens are not affected.",
                className="form-text mb-2",
            ),
            dbc.Button([icon("save", "me-1"), "Save"], id=SF_ROLES_SAVE, color="primary"),
        ],
        header=[icon("phone", "me-2"), "Second factor"],
        class_name="mt-3",
    )


def layout(**query: Any) -> html.Div:
    """The users grid; a row opens its editor, "New user" the creation form."""
    users = accounts.list_users(current_db(), current_actor())
    required = second_factor.required_roles(current_db())
    requested = parse_int(query.get(USER_PARAM), minimum=1, maximum=USER_ID_MAX)
    new_button = dbc.Button(
        [icon("person-plus", "me-1"), "New user"], id=NEW_BUTTON, color="primary"
    )
    grid = data_grid(
        SPEC,
        user_rows(users),
        view=SPEC.view(query),
        csv_name="users.csv",
        legend=status_legend("account"),
        open_rows=True,
        no_match="No users match. Clear the search or the column filters to see all.",
    )
    return html.Div(
        [
            page_header(
                "Users",
                breadcrumb_items=[("Overview", "/"), ("Users", None)],
                actions=[new_button],
                subtitle=ROLES_TEXT + " Click a user to change them.",
            ),
            grid,
            _second_factor_policy(required),
            dcc.Store(id=EDIT_USER),
            dcc.Store(id=REQUESTED, data=requested),
            _create_modal(),
            _edit_modal(),
        ]
    )


@callback(
    Output(CREATE_MODAL, "is_open"),
    Input(NEW_BUTTON, "n_clicks"),
    prevent_initial_call=True,
)
def open_create(_clicks: int | None) -> bool:
    """Open the creation form."""
    return True


CREATE_OUTPUTS = {
    "alert": Output(CREATE_ALERT, "children"),
    "rows": Output(GRID, "rowData"),
    "username": Output(NEW_USERNAME, "value"),
    "password": Output(NEW_PASSWORD, "value"),
    "display_name": Output(NEW_DISPLAY, "value"),
    "roles": Output(NEW_ROLES, "value"),
}


@callback(
    output=CREATE_OUTPUTS,
    inputs={
        "_clicks": Input(CREATE, "n_clicks"),
        "username": State(NEW_USERNAME, "value"),
        "password": State(NEW_PASSWORD, "value"),
        "roles": State(NEW_ROLES, "value"),
        "display_name": State(NEW_DISPLAY, "value"),
    },
    prevent_initial_call=True,
)
def create_user(
    _clicks: int | None,
    username: str | None,
    password: str | None,
    roles: list[str] | None,
    display_name: str | None,
) -> dict[str, Any]:
    """Create a user; the service refuses anyone but an admin (403). The form stays open,
    cleared, for the next one."""
    db, actor = current_db(), current_actor()
    try:
        row = accounts.create_user(db, actor, username, password, roles, display_name or "")
    except InputError as exc:
        return dict.fromkeys(CREATE_OUTPUTS, no_update) | {"alert": error_alert(exc)}
    return {
        "alert": success_alert(
            f"Created {row.username} with roles {', '.join(row.roles) or 'none'}."
        ),
        "rows": user_rows(accounts.list_users(db, actor)),
        "username": "",
        "password": "",
        "display_name": "",
        "roles": DEFAULT_ROLES,
    }


OPEN_OUTPUTS = {
    "user_id": Output(EDIT_USER, "data"),
    "is_open": Output(EDIT_MODAL, "is_open"),
    "title": Output(EDIT_TITLE, "children"),
    "display_name": Output(EDIT_DISPLAY, "value"),
    "roles": Output(EDIT_ROLES, "value"),
    "is_active": Output(EDIT_ACTIVE, "value"),
    "tokens": Output(EDIT_TOKENS, "children"),
    "factor": Output(EDIT_2FA_STATE, "children"),
    "alert": Output(EDIT_ALERT, "children", allow_duplicate=True),
    "password": Output(EDIT_PASSWORD, "value", allow_duplicate=True),
}


@callback(
    output=OPEN_OUTPUTS,
    inputs={"event": Input(GRID, "eventData"), "requested": Input(REQUESTED, "data")},
    prevent_initial_call="initial_duplicate",
)
def open_user(event: dict[str, Any] | None, requested: int | None) -> dict[str, Any]:
    """Open the editor on the user whose row was clicked (or whom the URL names)."""
    opened = event.get("data") if isinstance(event, dict) else None
    raw = opened.get("id") if isinstance(opened, dict) else None
    if dash.ctx.triggered_id != GRID:
        raw = requested
    if not isinstance(raw, int) or isinstance(raw, bool):
        return dict.fromkeys(OPEN_OUTPUTS, no_update)
    db, actor = current_db(), current_actor()
    try:
        row = accounts.get_user(db, actor, raw)
    except InputError as exc:
        return dict.fromkeys(OPEN_OUTPUTS, no_update) | {
            "is_open": True,
            "title": "Edit user",
            "alert": error_alert(exc),
            "user_id": None,
        }
    return {
        "user_id": row.id,
        "is_open": True,
        "title": [icon("person-gear", "me-2"), f"Edit {row.username}"],
        "display_name": row.display_name,
        "roles": row.roles,
        "is_active": row.is_active,
        "tokens": token_table(accounts.list_tokens(db, actor, row.id), TOKEN_REVOKE),
        "factor": factor_state(second_factor.status(db, actor, row.id)),
        "alert": None,
        "password": "",
    }


@callback(
    Output(IDS.url, "search", allow_duplicate=True),
    Input(EDIT_MODAL, "is_open"),
    State(IDS.url, "search"),
    prevent_initial_call=True,
)
def forget_requested(is_open: bool, search: str | None) -> Any:
    """Once the editor a link opened is closed, the URL stops asking for it."""
    if is_open or USER_PARAM not in query_of(search):
        return no_update
    return merge_search(search, {USER_PARAM: None}, filters=False)


@callback(
    Output(EDIT_ALERT, "children", allow_duplicate=True),
    Output(EDIT_TOKENS, "children", allow_duplicate=True),
    Input({"type": TOKEN_REVOKE, "index": dash.ALL}, "n_clicks"),
    State(EDIT_USER, "data"),
    prevent_initial_call=True,
)
def revoke_token(clicks: list[int | None], user_id: int | None) -> tuple[Any, ...]:
    """Revoke one of the user's tokens (e.g. a leaked one)."""
    return revoke_pressed(clicks, None if user_id is None else int(user_id), TOKEN_REVOKE)


SAVE_OUTPUTS = {
    "alert": Output(EDIT_ALERT, "children"),
    "rows": Output(GRID, "rowData", allow_duplicate=True),
}


@callback(
    output=SAVE_OUTPUTS,
    inputs={
        "_clicks": Input(EDIT_SAVE, "n_clicks"),
        "user_id": State(EDIT_USER, "data"),
        "roles": State(EDIT_ROLES, "value"),
        "is_active": State(EDIT_ACTIVE, "value"),
        "display_name": State(EDIT_DISPLAY, "value"),
    },
    prevent_initial_call=True,
)
def save_user(
    _clicks: int | None,
    user_id: int | None,
    roles: list[str] | None,
    is_active: bool | None,
    display_name: str | None,
) -> dict[str, Any]:
    """Save roles, status and display name."""
    if user_id is None:
        return dict.fromkeys(SAVE_OUTPUTS, no_update)
    db, actor = current_db(), current_actor()
    try:
        row = accounts.update_user(
            db,
            actor,
            int(user_id),
            roles=roles or [],
            is_active=bool(is_active),
            display_name=display_name or "",
        )
    except InputError as exc:
        return dict.fromkeys(SAVE_OUTPUTS, no_update) | {"alert": error_alert(exc)}
    return {
        "alert": success_alert(
            f"Saved {row.username}: roles {', '.join(row.roles) or 'none'}, "
            f"{'active' if row.is_active else 'inactive'}."
        ),
        "rows": user_rows(accounts.list_users(db, actor)),
    }


@callback(
    output={
        "alert": Output(EDIT_ALERT, "children", allow_duplicate=True),
        "password": Output(EDIT_PASSWORD, "value"),
    },
    inputs={
        "_clicks": Input(EDIT_SET_PASSWORD, "n_clicks"),
        "user_id": State(EDIT_USER, "data"),
        "password": State(EDIT_PASSWORD, "value"),
    },
    prevent_initial_call=True,
)
def set_password(_clicks: int | None, user_id: int | None, password: str | None) -> dict[str, Any]:
    """Set another user's password (their open sessions end)."""
    if user_id is None:
        return {"alert": no_update, "password": no_update}
    try:
        accounts.set_password(current_db(), current_actor(), int(user_id), password)
    except InputError as exc:
        return {"alert": error_alert(exc), "password": no_update}
    return {
        "alert": success_alert("Password set; the user's open sessions have ended."),
        "password": "",
    }


@callback(
    output={
        "alert": Output(EDIT_ALERT, "children", allow_duplicate=True),
        "factor": Output(EDIT_2FA_STATE, "children", allow_duplicate=True),
    },
    inputs={"_clicks": Input(EDIT_2FA_RESET, "n_clicks"), "user_id": State(EDIT_USER, "data")},
    prevent_initial_call=True,
)
def reset_second_factor(_clicks: int | None, user_id: int | None) -> dict[str, Any]:
    """Remove the user's second factor (a lost phone); audited."""
    if user_id is None:
        return {"alert": no_update, "factor": no_update}
    db, actor = current_db(), current_actor()
    try:
        second_factor.reset(db, actor, int(user_id))
    except InputError as exc:
        return {"alert": error_alert(exc), "factor": no_update}
    return {
        "alert": success_alert("Second factor reset."),
        "factor": factor_state(second_factor.status(db, actor, int(user_id))),
    }


@callback(
    Output(SF_ROLES_ALERT, "children"),
    Output(SF_ROLES, "value"),
    Input(SF_ROLES_SAVE, "n_clicks"),
    State(SF_ROLES, "value"),
    prevent_initial_call=True,
)
def save_second_factor_roles(_clicks: int | None, roles: list[str] | None) -> tuple[Any, Any]:
    """Choose the roles that must use a second factor (the service checks the admin role)."""
    try:
        saved = second_factor.set_required_roles(current_db(), current_actor(), roles or [])
    except InputError as exc:
        return error_alert(exc), no_update
    named = ", ".join(saved) or "no role"
    return success_alert(
        f"Saved: {named} must use a second factor; holders without one log in again and set one up."
    ), saved


dash.register_page(
    __name__,
    path="/admin/users",
    name="Users",
    order=80,
    icon="people",
    title="Users · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
