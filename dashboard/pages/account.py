"""Your account: change your password and manage your API tokens."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.feedback import error_alert, icon, success_alert
from dashboard.components.tokens import token_table
from dashboard.services import accounts
from dashboard.services.errors import InputError, TooManyAttempts, ValidationFailed

from ._token_actions import revoke_pressed

CURRENT = "account-current-password"
NEW = "account-new-password"
CONFIRM = "account-confirm-password"
CHANGE = "account-change-password"
PASSWORD_ALERT = "account-password-alert"
TOKEN_NAME = "account-token-name"
TOKEN_CREATE = "account-token-create"
TOKEN_ALERT = "account-token-alert"
TOKEN_LIST = "account-token-list"
TOKEN_REVOKE = "account-token-revoke"


def _password(component_id: str, autocomplete: str, class_name: str) -> dbc.Input:
    return dbc.Input(
        id=component_id,
        type="password",
        className=class_name,
        autoComplete=autocomplete,
        maxLength=256,
    )


def layout(**_query: str) -> html.Div:
    """Password form and token list for the logged-in user."""
    actor = current_actor()
    tokens = accounts.list_tokens(current_db(), actor, actor.user_id or 0)
    return html.Div(
        [
            html.H1("Your account", className="h3"),
            html.P(
                f"Logged in as {actor.username}; "
                f"roles: {', '.join(sorted(actor.roles)) or 'none'}.",
                className="text-body-secondary",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader([icon("shield-lock", "me-2"), "Change password"]),
                                dbc.CardBody(
                                    [
                                        html.Div(id=PASSWORD_ALERT),
                                        dbc.Label("Current password", html_for=CURRENT),
                                        _password(CURRENT, "current-password", "mb-2"),
                                        dbc.Label("New password", html_for=NEW),
                                        _password(NEW, "new-password", "mb-1"),
                                        html.Div(
                                            accounts.PASSWORD_RULE, className="form-text mb-2"
                                        ),
                                        dbc.Label("New password again", html_for=CONFIRM),
                                        _password(CONFIRM, "new-password", "mb-3"),
                                        dbc.Button("Change password", id=CHANGE, color="primary"),
                                    ]
                                ),
                            ],
                            className="shadow-sm",
                        ),
                        lg=4,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader([icon("key", "me-2"), "API tokens"]),
                                dbc.CardBody(
                                    [
                                        html.P(
                                            [
                                                "Send a token as ",
                                                html.Code("Authorization: Bearer <token>"),
                                                " to the API under ",
                                                html.Code("/api/v1"),
                                                " (document at ",
                                                html.A(
                                                    "/api/v1/openapi.json",
                                                    href="/api/v1/openapi.json",
                                                    target="_blank",
                                                ),
                                                ").",
                                            ],
                                            className="small",
                                        ),
                                        html.Div(id=TOKEN_ALERT),
                                        dbc.InputGroup(
                                            [
                                                dbc.Input(
                                                    id=TOKEN_NAME,
                                                    placeholder="What is it for? e.g. notebook",
                                                    maxLength=100,
                                                ),
                                                dbc.Button(
                                                    "Create token", id=TOKEN_CREATE, color="primary"
                                                ),
                                            ],
                                            className="mb-3",
                                        ),
                                        html.Div(token_table(tokens, TOKEN_REVOKE), id=TOKEN_LIST),
                                    ]
                                ),
                            ],
                            className="shadow-sm",
                        ),
                        lg=8,
                        className="mb-3",
                    ),
                ]
            ),
        ]
    )


PASSWORD_OUTPUTS = {
    "alert": Output(PASSWORD_ALERT, "children"),
    "current": Output(CURRENT, "value"),
    "new": Output(NEW, "value"),
    "confirm": Output(CONFIRM, "value"),
}


@callback(
    output=PASSWORD_OUTPUTS,
    inputs={
        "_clicks": Input(CHANGE, "n_clicks"),
        "current": State(CURRENT, "value"),
        "new": State(NEW, "value"),
        "confirm": State(CONFIRM, "value"),
    },
    prevent_initial_call=True,
)
def change_password(
    _clicks: int | None, current: str | None, new: str | None, confirm: str | None
) -> dict[str, Any]:
    """Change your own password; your other sessions end."""
    actor = current_actor()
    try:
        if new != confirm:
            raise ValidationFailed("The two new passwords differ.", field="confirm")
        accounts.set_password(
            current_db(), actor, actor.user_id or 0, new, current_password=current
        )
    except (InputError, TooManyAttempts) as exc:  # wrong current passwords are throttled
        return dict.fromkeys(PASSWORD_OUTPUTS, no_update) | {
            "alert": error_alert(exc),
            "current": "",
        }
    return dict.fromkeys(PASSWORD_OUTPUTS, "") | {
        "alert": success_alert("Password changed. Log in again with the new password.")
    }


@callback(
    output={
        "alert": Output(TOKEN_ALERT, "children"),
        "tokens": Output(TOKEN_LIST, "children"),
        "name": Output(TOKEN_NAME, "value"),
    },
    inputs={"_clicks": Input(TOKEN_CREATE, "n_clicks"), "name": State(TOKEN_NAME, "value")},
    prevent_initial_call=True,
)
def create_token(_clicks: int | None, name: str | None) -> dict[str, Any]:
    """Create a token and show it once."""
    db, actor = current_db(), current_actor()
    try:
        row, secret = accounts.create_token(db, actor, actor.user_id or 0, name)
    except InputError as exc:
        return {"alert": error_alert(exc), "tokens": no_update, "name": no_update}
    shown = dbc.Alert(
        [
            html.Div(f"Token {row.name!r} created. Copy it now: it is not shown again."),
            html.Div(
                [
                    html.Code(secret, id="account-token-secret", className="me-2"),
                    dcc.Clipboard(target_id="account-token-secret", title="Copy"),
                ],
                className="d-flex align-items-center mt-1",
            ),
        ],
        color="success",
        className="py-2",
    )
    return {
        "alert": shown,
        "tokens": token_table(accounts.list_tokens(db, actor, actor.user_id or 0), TOKEN_REVOKE),
        "name": "",
    }


@callback(
    Output(TOKEN_ALERT, "children", allow_duplicate=True),
    Output(TOKEN_LIST, "children", allow_duplicate=True),
    Input({"type": TOKEN_REVOKE, "index": dash.ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def revoke(clicks: list[int | None]) -> tuple[Any, ...]:
    """Revoke the token whose button was pressed."""
    return revoke_pressed(clicks, current_actor().user_id, TOKEN_REVOKE)


dash.register_page(
    __name__,
    path="/account",
    name="Account",
    order=90,
    icon="person",
    in_nav=False,
    title="Account · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
