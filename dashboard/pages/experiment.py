"""One experiment: details, arms, change history and (for editors) the edit form."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.experiment_form import (
    TEXT_FIELDS,
    experiment_form,
    form_ids,
    register_arm_editing,
)
from dashboard.components.feedback import empty_state, error_alert, icon, success_alert
from dashboard.components.formatting import change_lines, gravity, when
from dashboard.services import experiments
from dashboard.services.errors import InputError, NotFound

PREFIX = "experiment-edit"
FORM = form_ids(PREFIX)
DETAILS = "experiment-details"
EDIT_BUTTON = "experiment-edit-button"
EDIT_COLLAPSE = "experiment-edit-collapse"
STORE = "experiment-store"
MESSAGE = "experiment-message"


def _context(view: experiments.ExperimentView) -> html.Div:
    parts = [
        (label, value)
        for label, value in (
            ("Mission", view.mission),
            ("Hardware", view.hardware),
            ("NASA OSDR", view.osdr_accession),
        )
        if value
    ]
    return html.Div(
        [
            dbc.Badge(
                f"{label}: {value}", color="light", text_color="dark", className="me-2 border"
            )
            for label, value in parts
        ],
        className="mb-2",
        id="experiment-context",
    )


def _details(view: experiments.ExperimentView) -> html.Div:
    arm_rows = [
        html.Tr(
            [
                html.Td(a.name),
                html.Td(
                    dbc.Badge(
                        a.spaceflight,
                        color="primary" if a.spaceflight == "Space Flight" else "secondary",
                    )
                ),
                html.Td(gravity(a.gravity_g)),
                html.Td(a.description),
            ]
        )
        for a in view.arms
    ]
    history = experiments.history(current_db(), view.id)
    return html.Div(
        [
            html.H1(view.name, className="h3 mb-1"),
            html.Div(
                [
                    html.I(view.organism),
                    f" · version {view.version} · created by ",
                    view.created_by or "—",
                    f" on {when(view.created_at)}",
                    f" · last change {when(view.updated_at)}",
                ],
                className="text-body-secondary mb-3",
            ),
            _context(view),
            html.P(view.description or "No description.", style={"whiteSpace": "pre-wrap"}),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(
                                    [icon("diagram-3", "me-2"), f"Arms ({len(view.arms)})"]
                                ),
                                dbc.CardBody(
                                    dbc.Table(
                                        [
                                            html.Thead(
                                                html.Tr(
                                                    [
                                                        html.Th(h)
                                                        for h in (
                                                            "Arm",
                                                            "Spaceflight factor",
                                                            "Gravity",
                                                            "Notes",
                                                        )
                                                    ]
                                                )
                                            ),
                                            html.Tbody(arm_rows),
                                        ],
                                        size="sm",
                                        className="mb-0 msg-table",
                                        id="experiment-arms",
                                    )
                                ),
                            ],
                            className="shadow-sm",
                        ),
                        lg=7,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader([icon("clock-history", "me-2"), "History"]),
                                dbc.ListGroup(
                                    [
                                        dbc.ListGroupItem(
                                            [
                                                html.Div(
                                                    [
                                                        html.B(r.username),
                                                        f" {r.action.split('.')[-1]}",
                                                    ]
                                                ),
                                                html.Div(
                                                    when(r.occurred_at),
                                                    className="small text-body-secondary",
                                                ),
                                                *[
                                                    html.Div(line, className="msg-detail")
                                                    for line in change_lines(r.detail)
                                                ],
                                            ]
                                        )
                                        for r in history
                                    ],
                                    flush=True,
                                ),
                            ],
                            className="shadow-sm",
                        ),
                        lg=5,
                        className="mb-3",
                    ),
                ]
            ),
        ]
    )


def layout(experiment_id: str = "", **_query: str) -> html.Div:
    """Show one experiment, or say clearly that it does not exist."""
    actor = current_actor()
    try:
        view = experiments.get_experiment(current_db(), int(experiment_id))
    except (ValueError, NotFound):
        return empty_state(
            "question-circle",
            f"No experiment {experiment_id!r}",
            "It may have been mistyped. See the list of experiments.",
            dcc.Link("All experiments", href="/experiments"),
        )
    body: list[Any] = [
        dcc.Store(id=STORE, data={"id": view.id, "version": view.version}),
        html.Div(id=MESSAGE),
    ]
    if experiments.can_edit(actor):
        body.append(
            html.Div(
                dbc.Button(
                    [icon("pencil", "me-1"), "Edit"], id=EDIT_BUTTON, color="primary", outline=True
                ),
                className="d-flex justify-content-end mb-2",
            )
        )
        body.append(
            dbc.Collapse(
                dbc.Card(
                    dbc.CardBody(
                        experiment_form(PREFIX, experiments.editable(view), "Save changes")
                    ),
                    className="shadow-sm mb-4",
                ),
                id=EDIT_COLLAPSE,
                is_open=False,
            )
        )
    body.append(html.Div(_details(view), id=DETAILS))
    return html.Div(
        [
            dcc.Link("← Experiments", href="/experiments", className="small"),
            html.Div(body, className="mt-2"),
        ]
    )


@callback(
    Output(EDIT_COLLAPSE, "is_open"),
    Input(EDIT_BUTTON, "n_clicks"),
    State(EDIT_COLLAPSE, "is_open"),
    prevent_initial_call=True,
)
def toggle_edit(_clicks: int | None, is_open: bool) -> bool:
    """Show or hide the edit form."""
    return not is_open


register_arm_editing(PREFIX)


SAVE_OUTPUTS = {
    "alert": Output(FORM["alert"], "children"),
    "message": Output(MESSAGE, "children"),
    "details": Output(DETAILS, "children"),
    "stored": Output(STORE, "data"),
    "is_open": Output(EDIT_COLLAPSE, "is_open", allow_duplicate=True),
}


@callback(
    output=SAVE_OUTPUTS,
    inputs={
        "_clicks": Input(FORM["save"], "n_clicks"),
        "stored": State(STORE, "data"),
        "texts": {k: State(FORM[k], "value") for k in TEXT_FIELDS},
        "arms": State(FORM["arms"], "rowData"),
    },
    prevent_initial_call=True,
)
def save(
    _clicks: int | None,
    stored: dict[str, Any],
    texts: dict[str, str | None],
    arms: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """Save the edit against the version it started from (a newer one is a conflict)."""
    data = {**texts, "arms": arms or []}
    try:
        view = experiments.update_experiment(
            current_db(), current_actor(), int(stored["id"]), data, stored.get("version")
        )
    except InputError as exc:
        return dict.fromkeys(SAVE_OUTPUTS, no_update) | {"alert": error_alert(exc)}
    return {
        "alert": None,
        "message": success_alert(f"Saved version {view.version}."),
        "details": _details(view),
        "stored": {"id": view.id, "version": view.version},
        "is_open": False,
    }


dash.register_page(
    __name__,
    path_template="/experiments/<experiment_id>",
    name="Experiment",
    in_nav=False,
    title="Experiment · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
