"""Admin: users and their roles."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.feedback import error_alert, icon, success_alert
from dashboard.components.formatting import when_utc
from dashboard.components.tokens import token_table
from dashboard.services import accounts
from dashboard.services.actor import ALL_ROLES, Role
from dashboard.services.errors import InputError

from ._token_actions import revoke_pressed

GRID = "users-grid"
NEW_USERNAME = "users-new-username"
NEW_DISPLAY = "users-new-display"
NEW_PASSWORD = "users-new-password"
NEW_ROLES = "users-new-roles"
CREATE = "users-create"
CREATE_ALERT = "users-create-alert"
EDIT_SELECT = "users-edit-select"
EDIT_DISPLAY = "users-edit-display"
EDIT_ROLES = "users-edit-roles"
EDIT_ACTIVE = "users-edit-active"
EDIT_SAVE = "users-edit-save"
EDIT_PASSWORD = "users-edit-password"
EDIT_SET_PASSWORD = "users-edit-set-password"
EDIT_ALERT = "users-edit-alert"
EDIT_TOKENS = "users-edit-tokens"
TOKEN_REVOKE = "users-token-revoke"

DEFAULT_ROLES = [Role.SCIENTIST.value]
ROLE_OPTIONS = [{"label": f" {r.value}", "value": r.value} for r in ALL_ROLES]


def _rows(users: list[accounts.UserRow]) -> list[dict[str, Any]]:
    return [
        {
            "id": u.id,
            "username": u.username,
            "display_name": u.display_name,
            "roles": ", ".join(u.roles),
            "active": "yes" if u.is_active else "no",
            "created_at": when_utc(u.created_at),
            "last_login_at": when_utc(u.last_login_at),
        }
        for u in users
    ]


def _options(users: list[accounts.UserRow]) -> list[dict[str, Any]]:
    return [
        {"label": u.username + ("" if u.is_active else " (inactive)"), "value": u.id} for u in users
    ]


def layout(**_query: str) -> html.Div:
    """Users table, a creation form and an edit form."""
    users = accounts.list_users(current_db(), current_actor())
    grid = dag.AgGrid(
        id=GRID,
        rowData=_rows(users),
        columnDefs=[
            {"field": "username", "filter": True},
            {"field": "display_name", "headerName": "Display name"},
            {"field": "roles", "filter": True},
            {"field": "active", "maxWidth": 90},
            {"field": "created_at", "headerName": "Created (UTC)", "minWidth": 160},
            {"field": "last_login_at", "headerName": "Last login (UTC)", "minWidth": 160},
        ],
        defaultColDef={"sortable": True, "resizable": True, "flex": 1},
        dashGridOptions={"domLayout": "autoHeight"},
        style={"height": None},
    )
    create = dbc.Card(
        [
            dbc.CardHeader([icon("person-plus", "me-2"), "New user"]),
            dbc.CardBody(
                [
                    html.Div(id=CREATE_ALERT),
                    dbc.Label("Username", html_for=NEW_USERNAME),
                    dbc.Input(
                        id=NEW_USERNAME, maxLength=32, placeholder="e.g. ada", className="mb-2"
                    ),
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
                    dbc.Label("Roles"),
                    dbc.Checklist(
                        id=NEW_ROLES,
                        options=ROLE_OPTIONS,
                        value=DEFAULT_ROLES,
                        inline=True,
                        className="mb-3",
                    ),
                    dbc.Button(
                        [icon("check-lg", "me-1"), "Create user"], id=CREATE, color="primary"
                    ),
                ]
            ),
        ],
        className="shadow-sm mb-3",
    )
    edit = dbc.Card(
        [
            dbc.CardHeader([icon("person-gear", "me-2"), "Change a user"]),
            dbc.CardBody(
                [
                    html.Div(id=EDIT_ALERT),
                    dbc.Label("User", html_for=EDIT_SELECT),
                    dcc.Dropdown(
                        id=EDIT_SELECT,
                        options=_options(users),
                        placeholder="Choose a user",
                        className="mb-2",
                    ),
                    dbc.Label("Display name", html_for=EDIT_DISPLAY),
                    dbc.Input(id=EDIT_DISPLAY, maxLength=100, className="mb-2"),
                    dbc.Label("Roles"),
                    dbc.Checklist(
                        id=EDIT_ROLES, options=ROLE_OPTIONS, value=[], inline=True, className="mb-2"
                    ),
                    dbc.Switch(
                        id=EDIT_ACTIVE, label="Active (may log in)", value=True, className="mb-3"
                    ),
                    dbc.Button(
                        [icon("save", "me-1"), "Save roles and status"],
                        id=EDIT_SAVE,
                        color="primary",
                        className="mb-3 d-block",
                    ),
                    dbc.Label("New password", html_for=EDIT_PASSWORD, className="d-block"),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id=EDIT_PASSWORD,
                                type="password",
                                maxLength=256,
                                autoComplete="new-password",
                            ),
                            dbc.Button("Set password", id=EDIT_SET_PASSWORD, color="secondary"),
                        ]
                    ),
                    html.Div(accounts.PASSWORD_RULE, className="form-text"),
                    dbc.Label("API tokens", className="d-block mt-3"),
                    html.Div(
                        html.Div("Choose a user to see their tokens.", className="form-text"),
                        id=EDIT_TOKENS,
                    ),
                ]
            ),
        ],
        className="shadow-sm",
    )
    return html.Div(
        [
            html.H1("Users", className="h3"),
            html.P(
                "Roles: scientist explores and analyses, operator runs mission control, "
                "reviewer checks provenance, admin manages everything.",
                className="text-body-secondary",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(dbc.CardBody(grid), className="shadow-sm"), lg=8, className="mb-3"
                    ),
                    dbc.Col([create, edit], lg=4),
                ]
            ),
        ]
    )


CREATE_OUTPUTS = {
    "alert": Output(CREATE_ALERT, "children"),
    "rows": Output(GRID, "rowData"),
    "options": Output(EDIT_SELECT, "options"),
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
    """Create a user; the service refuses anyone but an admin (403)."""
    db, actor = current_db(), current_actor()
    try:
        row = accounts.create_user(db, actor, username, password, roles, display_name or "")
    except InputError as exc:
        return dict.fromkeys(CREATE_OUTPUTS, no_update) | {"alert": error_alert(exc)}
    users = accounts.list_users(db, actor)
    return {
        "alert": success_alert(
            f"Created {row.username} with roles {', '.join(row.roles) or 'none'}."
        ),
        "rows": _rows(users),
        "options": _options(users),
        "username": "",
        "password": "",
        "display_name": "",
        "roles": DEFAULT_ROLES,
    }


@callback(
    output={
        "display_name": Output(EDIT_DISPLAY, "value"),
        "roles": Output(EDIT_ROLES, "value"),
        "is_active": Output(EDIT_ACTIVE, "value"),
        "tokens": Output(EDIT_TOKENS, "children"),
    },
    inputs={"user_id": Input(EDIT_SELECT, "value")},
    prevent_initial_call=True,
)
def load_user(user_id: int | None) -> dict[str, Any]:
    """Fill the edit form with the chosen user's current state and tokens."""
    if user_id is None:
        return {"display_name": "", "roles": [], "is_active": True, "tokens": None}
    db, actor = current_db(), current_actor()
    row = accounts.get_user(db, actor, int(user_id))
    return {
        "display_name": row.display_name,
        "roles": row.roles,
        "is_active": row.is_active,
        "tokens": token_table(accounts.list_tokens(db, actor, row.id), TOKEN_REVOKE),
    }


@callback(
    Output(EDIT_ALERT, "children", allow_duplicate=True),
    Output(EDIT_TOKENS, "children", allow_duplicate=True),
    Input({"type": TOKEN_REVOKE, "index": dash.ALL}, "n_clicks"),
    State(EDIT_SELECT, "value"),
    prevent_initial_call=True,
)
def revoke_token(clicks: list[int | None], user_id: int | None) -> tuple[Any, ...]:
    """Revoke one of the chosen user's tokens (e.g. a leaked one)."""
    return revoke_pressed(clicks, None if user_id is None else int(user_id), TOKEN_REVOKE)


SAVE_OUTPUTS = {
    "alert": Output(EDIT_ALERT, "children"),
    "rows": Output(GRID, "rowData", allow_duplicate=True),
    "options": Output(EDIT_SELECT, "options", allow_duplicate=True),
}


@callback(
    output=SAVE_OUTPUTS,
    inputs={
        "_clicks": Input(EDIT_SAVE, "n_clicks"),
        "user_id": State(EDIT_SELECT, "value"),
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
        return dict.fromkeys(SAVE_OUTPUTS, no_update) | {
            "alert": dbc.Alert("Choose a user first.", color="warning", className="py-2")
        }
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
    users = accounts.list_users(db, actor)
    return {
        "alert": success_alert(
            f"Saved {row.username}: roles {', '.join(row.roles) or 'none'}, "
            f"{'active' if row.is_active else 'inactive'}."
        ),
        "rows": _rows(users),
        "options": _options(users),
    }


@callback(
    Output(EDIT_ALERT, "children", allow_duplicate=True),
    Output(EDIT_PASSWORD, "value"),
    Input(EDIT_SET_PASSWORD, "n_clicks"),
    State(EDIT_SELECT, "value"),
    State(EDIT_PASSWORD, "value"),
    prevent_initial_call=True,
)
def set_password(_clicks: int | None, user_id: int | None, password: str | None) -> tuple[Any, ...]:
    """Set another user's password (their open sessions end)."""
    if user_id is None:
        return dbc.Alert("Choose a user first.", color="warning", className="py-2"), no_update
    try:
        accounts.set_password(current_db(), current_actor(), int(user_id), password)
    except InputError as exc:
        return error_alert(exc), no_update
    return success_alert("Password set; the user's open sessions have ended."), ""


dash.register_page(
    __name__,
    path="/admin/users",
    name="Users",
    order=80,
    icon="people",
    title="Users · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
