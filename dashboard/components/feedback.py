"""Alerts, empty states and refusals."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.services.errors import ServiceError


def icon(name: str, extra: str = "") -> html.I:
    """A Bootstrap icon (served from assets/, no CDN)."""
    return html.I(className=f"bi bi-{name} {extra}".strip(), **{"aria-hidden": "true"})


def error_alert(exc: ServiceError) -> dbc.Alert:
    """Show why an action was refused (service messages name the field in words)."""
    return dbc.Alert(
        [icon("exclamation-triangle", "me-2"), exc.message],
        color="danger",
        className="py-2 mb-2",
        dismissable=True,
    )


def success_alert(text: str) -> dbc.Alert:
    """Confirm that an action worked."""
    return dbc.Alert(
        [icon("check-circle", "me-2"), text],
        color="success",
        className="py-2 mb-2",
        dismissable=True,
        duration=8000,
    )


def empty_state(icon_name: str, title: str, hint: str, action: object = None) -> html.Div:
    """What a list shows when there is nothing in it yet."""
    children: list[object] = [
        icon(icon_name),
        html.Div(title, className="fw-semibold"),
        html.Div(hint, className="small"),
    ]
    if action is not None:
        children.append(html.Div(action, className="mt-3"))
    return html.Div(children, className="msg-empty")


def forbidden(page_name: str, needed: str) -> html.Div:
    """Shown, inside the frame, instead of a page the user's roles do not open."""
    return html.Div(
        [
            html.H1([icon("shield-lock", "me-2"), "Not allowed"], className="h3"),
            html.P(
                f"The page {page_name} needs the role {needed}. "
                "Ask an administrator if you need it."
            ),
            html.A("Back to the overview", href="/", className="btn btn-outline-primary"),
        ],
        className="py-5 text-center",
    )


def delete_dialog(
    ids: tuple[str, str, str, str], title: str, body: object, confirm_text: str
) -> dbc.Modal:
    """A closed confirmation before something goes for good. ``ids``: the dialog, its
    "Keep it" and confirm buttons, and the place a refusal shows in (dialog, cancel,
    confirm, problem)."""
    dialog, cancel, confirm, problem = ids
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(title)),
            dbc.ModalBody([html.P(body), html.Div(id=problem)]),
            dbc.ModalFooter(
                [
                    dbc.Button(
                        "Keep it",
                        id=cancel,
                        color="secondary",
                        outline=True,
                        className="msg-outline-quiet",
                    ),
                    dbc.Button([icon("trash", "me-1"), confirm_text], id=confirm, color="danger"),
                ]
            ),
        ],
        id=dialog,
        is_open=False,
    )
