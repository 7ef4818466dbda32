"""Your account: change your password, set up a second factor, manage your API tokens."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db, current_principal
from dashboard.auth.second_step import sealing_key
from dashboard.components.feedback import error_alert, icon, success_alert
from dashboard.components.frame import card, page_header
from dashboard.components.qr_code import qr_data_uri, qr_size_px
from dashboard.components.second_factor import factor_state, group_secret, recovery_codes
from dashboard.components.tokens import token_table
from dashboard.services import accounts, second_factor
from dashboard.services.errors import InputError, ServiceError, TooManyAttempts, ValidationFailed

from ._token_actions import revoke_pressed

CURRENT = "account-current-password"
NEW = "account-new-password"
CONFIRM = "account-confirm-password"
PASSWORD_RULE = "account-password-rule"
CHANGE = "account-change-password"
PASSWORD_ALERT = "account-password-alert"
TOKEN_NAME = "account-token-name"
TOKEN_CREATE = "account-token-create"
TOKEN_ALERT = "account-token-alert"
TOKEN_LIST = "account-token-list"
TOKEN_SECRET = "account-token-secret"
TOKEN_REVOKE = "account-token-revoke"
SF_STATE = "account-2fa-state"
SF_ALERT = "account-2fa-alert"
SF_START = "account-2fa-start"
SF_ENROL = "account-2fa-enrol"
SF_QR = "account-2fa-qr"
SF_SECRET = "account-2fa-secret"
SF_CODE = "account-2fa-code"
SF_CONFIRM = "account-2fa-confirm"
SF_CODES = "account-2fa-codes"
SF_CODE_LIST = "account-2fa-code-list"
SF_MANAGE = "account-2fa-manage"
SF_PROOF = "account-2fa-proof"
SF_REGENERATE = "account-2fa-regenerate"
SF_DISABLE = "account-2fa-disable"
# The fields whose errors the services name (ServiceError.field), shown beside each field.
PASSWORD_FIELDS = {"current_password": CURRENT, "new_password": NEW, "confirm": CONFIRM}
TOKEN_FIELDS = {"name": TOKEN_NAME}
SF_FIELDS = {"code": SF_CODE, "proof": SF_PROOF}


def feedback_id(field_id: str) -> str:
    """Id of the message shown under a field when its value is refused."""
    return f"{field_id}-feedback"


# The form pattern's classes (assets/forms.js): each control gets aria-invalid while it is
# refused and aria-describedby naming its hint and its refusal; Enter submits; the browser
# never submits the form itself (the button's n_clicks drives the callback).
FORM_CLASS = "msg-form"
FIELD_CLASS = "msg-field"
CONTROL_CLASS = "msg-field-control"
HELP_CLASS = "form-text msg-field-help"
ERROR_CLASS = "msg-field-error"
SUBMIT_CLASS = "msg-form-submit"


def _password_field(
    label: str, field_id: str, autocomplete: str, *, is_new: bool, hint: object = None
) -> html.Div:
    """Label, input, the refusal beside it (hidden until one comes) and an optional hint."""
    return html.Div(
        [
            dbc.Label(label, html_for=field_id),
            dbc.Input(
                id=field_id,
                type="password",
                autoComplete=autocomplete,
                maxLength=accounts.PASSWORD_MAX,
                minLength=accounts.PASSWORD_MIN if is_new else None,
                className=CONTROL_CLASS,
            ),
            dbc.FormFeedback(id=feedback_id(field_id), type="invalid", className=ERROR_CLASS),
            hint,
        ],
        className=f"{FIELD_CLASS} mb-2",
    )


def _password_rule() -> html.Div:
    """The rule a new password must follow, as the service states and checks it."""
    return html.Div(
        [icon("info-circle", "me-1"), accounts.PASSWORD_RULE],
        id=PASSWORD_RULE,
        className=HELP_CLASS,
    )


def _password_card() -> dbc.Card:
    return card(
        html.Form(
            [
                html.Div(id=PASSWORD_ALERT),
                _password_field("Current password", CURRENT, "current-password", is_new=False),
                _password_field(
                    "New password", NEW, "new-password", is_new=True, hint=_password_rule()
                ),
                _password_field("New password again", CONFIRM, "new-password", is_new=True),
                dbc.Button(
                    "Change password",
                    id=CHANGE,
                    type="submit",
                    color="primary",
                    className=f"mt-2 {SUBMIT_CLASS}",
                ),
            ],
            className=FORM_CLASS,
            noValidate=True,
            **{"aria-label": "Change password"},
        ),
        header=[icon("shield-lock", "me-2"), "Change password"],
    )


def _tokens_intro() -> html.P:
    return html.P(
        [
            "Send a token as ",
            html.Code("Authorization: Bearer <token>"),
            " to the API under ",
            html.Code("/api/v1"),
            ". The ",
            dcc.Link("API reference", href="/api-docs"),
            " lists every route and lets you try them.",
        ],
        className="small",
    )


def _tokens_card(tokens: list[accounts.TokenRow]) -> dbc.Card:
    return card(
        [
            _tokens_intro(),
            html.Div(id=TOKEN_ALERT),
            html.Form(
                html.Div(
                    [
                        dbc.Label("Token name", html_for=TOKEN_NAME, className="visually-hidden"),
                        dbc.InputGroup(
                            [
                                dbc.Input(
                                    id=TOKEN_NAME,
                                    placeholder="What is it for? e.g. notebook",
                                    maxLength=accounts.TOKEN_NAME_MAX,
                                    className=CONTROL_CLASS,
                                ),
                                dbc.Button(
                                    "Create token",
                                    id=TOKEN_CREATE,
                                    type="submit",
                                    color="primary",
                                    className=SUBMIT_CLASS,
                                ),
                                dbc.FormFeedback(
                                    id=feedback_id(TOKEN_NAME),
                                    type="invalid",
                                    className=ERROR_CLASS,
                                ),
                            ],
                            className="has-validation",
                        ),
                    ],
                    className=f"{FIELD_CLASS} mb-3",
                ),
                className=FORM_CLASS,
                noValidate=True,
                **{"aria-label": "Create an API token"},
            ),
            html.Div(token_table(tokens, TOKEN_REVOKE), id=TOKEN_LIST),
        ],
        header=[icon("key", "me-2"), "API tokens"],
    )


def _code_field(field_id: str, label: str, hint: str, *, is_code: bool) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=field_id),
            dbc.Input(
                id=field_id,
                type="text" if is_code else "password",
                inputMode="numeric" if is_code else None,
                autoComplete="one-time-code" if is_code else "current-password",
                maxLength=second_factor.CODE_INPUT_MAX if is_code else accounts.PASSWORD_MAX,
                className=f"{CONTROL_CLASS} font-monospace" if is_code else CONTROL_CLASS,
            ),
            dbc.FormFeedback(id=feedback_id(field_id), type="invalid", className=ERROR_CLASS),
            html.Div(hint, id=f"{field_id}-help", className=HELP_CLASS),
        ],
        className=f"{FIELD_CLASS} mb-2",
    )


def _enrol_panel() -> html.Form:
    """The QR code, the key for typing and the first code (hidden until "Set up")."""
    return html.Form(
        [
            html.P(
                "Scan the code with an authenticator app (FreeOTP, Aegis, Google or Microsoft "
                "Authenticator…), then enter the 6-digit code it shows.",
                className="small",
            ),
            html.Div(
                [
                    html.Img(id=SF_QR, alt="QR code of your authenticator secret"),
                    html.Div(
                        [
                            html.Div("Or enter this key by hand:", className="small"),
                            html.Code(id=SF_SECRET, className="fs-6 text-break"),
                        ],
                        className="msg-2fa-key",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-3 mb-3",
            ),
            _code_field(
                SF_CODE,
                "Code from your app",
                "Six digits; a new one every 30 seconds.",
                is_code=True,
            ),
            dbc.Button(
                "Turn on",
                id=SF_CONFIRM,
                type="submit",
                color="primary",
                className=f"mt-1 {SUBMIT_CLASS}",
            ),
        ],
        id=SF_ENROL,
        hidden=True,
        className=FORM_CLASS,
        noValidate=True,
        **{"aria-label": "Set up a second factor"},
    )


def _manage_panel(is_enabled: bool) -> html.Form:
    """New recovery codes or turning off, each proved with the password or a code."""
    return html.Form(
        [
            _code_field(
                SF_PROOF,
                "Password or current code",
                "Your password, or the 6-digit code your app shows now.",
                is_code=False,
            ),
            html.Div(
                [
                    dbc.Button(
                        [icon("arrow-repeat", "me-1"), "New recovery codes"],
                        id=SF_REGENERATE,
                        type="submit",
                        color="primary",
                        outline=True,
                        className=SUBMIT_CLASS,
                    ),
                    dbc.Button(
                        "Turn off", id=SF_DISABLE, type="button", color="danger", outline=True
                    ),
                ],
                className="d-flex flex-wrap gap-2 mt-1",
            ),
        ],
        id=SF_MANAGE,
        hidden=not is_enabled,
        className=f"{FORM_CLASS} mt-3",
        noValidate=True,
        **{"aria-label": "Manage your second factor"},
    )


def _second_factor_card(status: second_factor.FactorStatus) -> dbc.Card:
    return card(
        [
            html.P(
                "A code from an app on your phone, asked for after your password when you "
                "log in. API tokens are not affected.",
                className="small",
            ),
            html.Div(factor_state(status), id=SF_STATE, className="mb-3"),
            html.Div(id=SF_ALERT),
            html.Div(id=SF_CODES),
            dbc.Button(
                [icon("qr-code", "me-1"), "Set up"],
                id=SF_START,
                color="primary",
                className=_start_class(is_shown=not status.is_enabled),
            ),
            _enrol_panel(),
            _manage_panel(status.is_enabled),
        ],
        header=[icon("phone", "me-2"), "Second factor"],
    )


def layout(**_query: str) -> html.Div:
    """Password form, second factor and token list for the logged-in user."""
    actor = current_actor()
    tokens = accounts.list_tokens(current_db(), actor, actor.user_id or 0)
    factor = second_factor.status(current_db(), actor, actor.user_id or 0)
    roles = ", ".join(sorted(actor.roles)) or "none"
    return html.Div(
        [
            page_header(
                "Your account",
                breadcrumb_items=[("Overview", "/"), ("Account", None)],
                subtitle=f"Logged in as {actor.username}; roles: {roles}.",
            ),
            dbc.Row(
                [
                    dbc.Col(_password_card(), lg=4, className="mb-3"),
                    dbc.Col(_tokens_card(tokens), lg=8, className="mb-3"),
                ]
            ),
            dbc.Row(dbc.Col(_second_factor_card(factor), lg=8, xl=6, className="mb-3")),
        ]
    )


def _field_outputs(fields: dict[str, str]) -> dict[str, Output]:
    outputs = {}
    for field_id in fields.values():
        outputs[f"{field_id}.invalid"] = Output(field_id, "invalid")
        outputs[f"{field_id}.feedback"] = Output(feedback_id(field_id), "children")
    return outputs


def _field_errors(fields: dict[str, str], exc: ServiceError | None) -> dict[str, Any]:
    """Mark the field ``exc`` names (if it is one of ``fields``) and clear the others."""
    named = fields.get(exc.field or "") if exc is not None else None
    shown: dict[str, Any] = {}
    for field_id in fields.values():
        is_named = field_id == named
        shown[f"{field_id}.invalid"] = is_named
        shown[f"{field_id}.feedback"] = exc.message if is_named and exc is not None else None
    return shown


PASSWORD_OUTPUTS = {
    "alert": Output(PASSWORD_ALERT, "children"),
    "current": Output(CURRENT, "value"),
    "new": Output(NEW, "value"),
    "confirm": Output(CONFIRM, "value"),
    **_field_outputs(PASSWORD_FIELDS),
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
        is_beside_field = exc.field in PASSWORD_FIELDS
        return {
            "alert": None if is_beside_field else error_alert(exc),
            "current": "",
            "new": no_update,
            "confirm": no_update,
            **_field_errors(PASSWORD_FIELDS, exc),
        }
    return {
        "alert": success_alert("Password changed. Log in again with the new password."),
        "current": "",
        "new": "",
        "confirm": "",
        **_field_errors(PASSWORD_FIELDS, None),
    }


@callback(
    output={
        "alert": Output(TOKEN_ALERT, "children"),
        "tokens": Output(TOKEN_LIST, "children"),
        "name": Output(TOKEN_NAME, "value"),
        **_field_outputs(TOKEN_FIELDS),
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
        return {
            "alert": None if exc.field in TOKEN_FIELDS else error_alert(exc),
            "tokens": no_update,
            "name": no_update,
            **_field_errors(TOKEN_FIELDS, exc),
        }
    shown = dbc.Alert(
        [
            html.Div(f"Token {row.name!r} created. Copy it now: it is not shown again."),
            html.Div(
                [
                    # A secret has no spaces: it must break anywhere to fit a phone.
                    html.Code(
                        secret, id=TOKEN_SECRET, className="text-break", style={"minWidth": 0}
                    ),
                    dcc.Clipboard(target_id=TOKEN_SECRET, title="Copy"),
                ],
                className="d-flex align-items-start gap-2 mt-1",
            ),
        ],
        color="success",
        className="py-2",
    )
    return {
        "alert": shown,
        "tokens": token_table(accounts.list_tokens(db, actor, actor.user_id or 0), TOKEN_REVOKE),
        "name": "",
        **_field_errors(TOKEN_FIELDS, None),
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


SF_OUTPUTS = {
    "state": Output(SF_STATE, "children"),
    "alert": Output(SF_ALERT, "children"),
    "codes": Output(SF_CODES, "children"),
    "start_class": Output(SF_START, "className"),
    "enrol_hidden": Output(SF_ENROL, "hidden"),
    "qr": Output(SF_QR, "src"),
    "qr_px": Output(SF_QR, "width"),
    "secret": Output(SF_SECRET, "children"),
    "manage_hidden": Output(SF_MANAGE, "hidden"),
    "code": Output(SF_CODE, "value"),
    "proof": Output(SF_PROOF, "value"),
    **_field_outputs(SF_FIELDS),
}


def _second_factor_step(trigger: object, code: str | None, proof: str | None) -> dict[str, Any]:
    """Call the service the pressed button stands for; what changes besides the state."""
    db, actor, key = current_db(), current_actor(), sealing_key()
    if trigger == SF_START:
        started = second_factor.begin_enrolment(db, actor, key)
        return {
            "enrol_hidden": False,
            "qr": qr_data_uri(started.uri),
            "qr_px": qr_size_px(started.uri),
            "secret": group_secret(started.secret),
            "start_class": _start_class(is_shown=False),
            "codes": None,
            "code": "",
        }
    if trigger == SF_CONFIRM:
        principal = current_principal()
        codes = second_factor.confirm_enrolment(
            db, actor, key, code, keep_session=principal.session if principal else None
        )
        return {
            "enrol_hidden": True,
            "qr": None,
            "secret": "",
            "code": "",
            "codes": recovery_codes(codes, SF_CODE_LIST),
            "alert": success_alert(
                "Second factor on: your next login asks for a code. Your other sessions "
                "were logged out."
            ),
        }
    if trigger == SF_REGENERATE:
        codes = second_factor.regenerate_recovery_codes(db, actor, key, proof)
        return {"codes": recovery_codes(codes, SF_CODE_LIST), "proof": ""}
    if trigger == SF_DISABLE:
        second_factor.disable(db, actor, key, proof)
        return {
            "codes": None,
            "proof": "",
            "alert": success_alert("Second factor off: logging in needs your password only."),
        }
    return {}


@callback(
    output=SF_OUTPUTS,
    inputs={
        "_start": Input(SF_START, "n_clicks"),
        "_confirm": Input(SF_CONFIRM, "n_clicks"),
        "_regenerate": Input(SF_REGENERATE, "n_clicks"),
        "_disable": Input(SF_DISABLE, "n_clicks"),
        "code": State(SF_CODE, "value"),
        "proof": State(SF_PROOF, "value"),
    },
    prevent_initial_call=True,
)
def second_factor_action(
    _start: int | None,
    _confirm: int | None,
    _regenerate: int | None,
    _disable: int | None,
    code: str | None,
    proof: str | None,
) -> dict[str, Any]:
    """Set up, switch on, renew the recovery codes of, or turn off your second factor."""
    shown = dict.fromkeys(SF_OUTPUTS, no_update)
    try:
        changed = _second_factor_step(dash.ctx.triggered_id, code, proof)
    except (InputError, TooManyAttempts) as exc:  # wrong codes and passwords are throttled
        is_beside_field = exc.field in SF_FIELDS
        return shown | {
            "alert": None if is_beside_field else error_alert(exc),
            "code": "" if exc.field == "code" else no_update,
            "proof": "",
            **_field_errors(SF_FIELDS, exc),
        }
    status = second_factor.status(current_db(), current_actor(), current_actor().user_id or 0)
    return (
        shown
        | {
            "alert": None,
            "state": factor_state(status),
            "start_class": _start_class(is_shown=not status.is_enabled),
            "manage_hidden": not status.is_enabled,
            **_field_errors(SF_FIELDS, None),
        }
        | changed
    )


def _start_class(*, is_shown: bool) -> str:
    return "d-block mb-3" if is_shown else "d-none"


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
