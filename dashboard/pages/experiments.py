"""Experiments: the list, and a form to create one (scientists and admins)."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.experiment_form import (
    TEXT_FIELDS,
    experiment_form,
    form_ids,
    register_arm_editing,
)
from dashboard.components.feedback import empty_state, error_alert, icon, success_alert
from dashboard.components.formatting import markdown_link, when_utc
from dashboard.services import experiments
from dashboard.services.errors import InputError

PREFIX = "experiments-new"
FORM = form_ids(PREFIX)
NEW_BUTTON = "experiments-new-button"
FORM_COLLAPSE = "experiments-form-collapse"
LIST = "experiments-list"
CREATED = "experiments-new-alert-outer"
GRID = "experiments-grid"


def _grid(views: list[experiments.ExperimentView]) -> html.Div | dag.AgGrid:
    if not views:
        return empty_state(
            "flask",
            "No experiments yet",
            "Create one to group the flight and ground arms of a study.",
        )
    rows = [
        {
            "name": markdown_link(v.name, f"/experiments/{v.id}"),
            "organism": v.organism,
            "arms": ", ".join(a.name for a in v.arms),
            "flight": sum(a.spaceflight == "Space Flight" for a in v.arms),
            "ground": sum(a.spaceflight == "Ground Control" for a in v.arms),
            "created_by": v.created_by or "",
            "created_at": when_utc(v.created_at),
            "version": v.version,
        }
        for v in views
    ]
    columns = [
        {
            "field": "name",
            "headerName": "Experiment",
            "cellRenderer": "markdown",
            "filter": True,
            "flex": 2,
        },
        {"field": "organism", "filter": True, "flex": 2},
        {"field": "arms", "flex": 3},
        {"field": "flight", "headerName": "Flight arms", "minWidth": 110},
        {"field": "ground", "headerName": "Ground arms", "minWidth": 120},
        {"field": "created_by", "headerName": "Created by", "filter": True, "minWidth": 135},
        {"field": "created_at", "headerName": "Created (UTC)", "sort": "desc", "minWidth": 160},
        {"field": "version", "width": 100},
    ]
    return dag.AgGrid(
        id=GRID,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "flex": 1},
        dashGridOptions={"domLayout": "autoHeight", "pagination": True, "paginationPageSize": 20},
        style={"height": None},
        csvExportParams={"fileName": "experiments.csv"},
    )


def layout(new: str | None = None, **_query: str) -> html.Div:
    """List experiments; editors also get the creation form."""
    actor = current_actor()
    can_edit = experiments.can_edit(actor)
    header = [html.H1("Experiments", className="h3 mb-0")]
    if can_edit:
        header.append(
            dbc.Button([icon("plus-lg", "me-1"), "New experiment"], id=NEW_BUTTON, color="primary")
        )
    body: list[Any] = [
        html.Div(header, className="d-flex justify-content-between align-items-center mb-3")
    ]
    if can_edit:
        form = experiment_form(PREFIX, {"arms": experiments.default_arms()}, "Create experiment")
        body.append(
            dbc.Collapse(
                dbc.Card(dbc.CardBody(form), className="shadow-sm mb-4"),
                id=FORM_COLLAPSE,
                is_open=bool(new),
            )
        )
    body.append(html.Div(id=CREATED))
    body.append(
        dbc.Card(
            dbc.CardBody(html.Div(_grid(experiments.list_experiments(current_db())), id=LIST)),
            className="shadow-sm",
        )
    )
    return html.Div(body)


@callback(
    Output(FORM_COLLAPSE, "is_open"),
    Input(NEW_BUTTON, "n_clicks"),
    State(FORM_COLLAPSE, "is_open"),
    prevent_initial_call=True,
)
def toggle_form(_clicks: int | None, is_open: bool) -> bool:
    """Show or hide the creation form."""
    return not is_open


register_arm_editing(PREFIX)


# One output per text field, keyed by its name (no TEXT_FIELDS name clashes with the other keys).
CREATE_OUTPUTS = {
    "created": Output(CREATED, "children"),
    "alert": Output(FORM["alert"], "children"),
    "list": Output(LIST, "children"),
    "is_open": Output(FORM_COLLAPSE, "is_open", allow_duplicate=True),
    **{k: Output(FORM[k], "value") for k in TEXT_FIELDS},
    "arms": Output(FORM["arms"], "rowData", allow_duplicate=True),
}


@callback(
    output=CREATE_OUTPUTS,
    inputs={
        "_clicks": Input(FORM["save"], "n_clicks"),
        "texts": {k: State(FORM[k], "value") for k in TEXT_FIELDS},
        "arms": State(FORM["arms"], "rowData"),
    },
    prevent_initial_call=True,
)
def create(
    _clicks: int | None, texts: dict[str, str | None], arms: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Create the experiment; a refused role raises and the server answers 403."""
    data = {**texts, "arms": arms or []}
    db = current_db()
    try:
        view = experiments.create_experiment(db, current_actor(), data)
    except InputError as exc:
        return dict.fromkeys(CREATE_OUTPUTS, no_update) | {"alert": error_alert(exc)}
    return {
        "created": success_alert(f"Created experiment {view.name!r} with {len(view.arms)} arms."),
        "alert": None,
        "list": _grid(experiments.list_experiments(db)),
        "is_open": False,
        **dict.fromkeys(TEXT_FIELDS, ""),  # a clean form for the next experiment
        "arms": experiments.default_arms(),
    }


dash.register_page(
    __name__,
    path="/experiments",
    name="Experiments",
    order=1,
    icon="flask",
    title="Experiments · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
