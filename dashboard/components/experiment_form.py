"""The experiment form, shared by the create and edit views."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html

from dashboard.services.experiments import (
    ARM_NAME_MAX,
    DESCRIPTION_MAX,
    GRAVITY_MAX_G,
    HARDWARE_MAX,
    MISSION_MAX,
    NAME_MAX,
    ORGANISM_MAX,
    SPACEFLIGHT_VALUES,
)

from .arm_rows import add_arm, remove_selected
from .feedback import icon

# Text fields of the form, in the order callbacks read them.
TEXT_FIELDS = ("name", "organism", "mission", "hardware", "osdr_accession", "description")
# key -> (label, max length, placeholder, column width)
_INPUTS = {
    "name": ("Name", NAME_MAX, "e.g. BRIC-23 E. coli evolution", 6),
    "organism": ("Organism", ORGANISM_MAX, "e.g. Escherichia coli K-12 MG1655", 6),
    "mission": ("Mission", MISSION_MAX, "e.g. SpaceX CRS-25", 4),
    "hardware": ("Culture hardware", HARDWARE_MAX, "e.g. BRIC-LED, Kubik, Biolab", 4),
    "osdr_accession": ("NASA OSDR study", 16, "e.g. OSD-379", 4),
}


def form_ids(prefix: str) -> dict[str, str]:
    """Component ids of one form instance."""
    keys = (*TEXT_FIELDS, "arms", "add-arm", "remove-arm", "save", "alert")
    return {k: f"{prefix}-{k}" for k in keys}


def _input(ids: dict[str, str], key: str, values: dict[str, object]) -> dbc.Col:
    label, max_length, placeholder, width = _INPUTS[key]
    return dbc.Col(
        [
            dbc.Label(label, html_for=ids[key]),
            dbc.Input(
                id=ids[key],
                value=values.get(key, ""),
                maxLength=max_length,
                placeholder=placeholder,
            ),
        ],
        md=width,
    )


def arms_grid(grid_id: str, arms: list[dict[str, object]]) -> dag.AgGrid:
    """An editable grid of arms: name, GeneLab spaceflight factor, gravity, notes."""
    columns = [
        {
            "field": "name",
            "headerName": "Arm",
            "editable": True,
            "cellEditorParams": {"maxLength": ARM_NAME_MAX},
        },
        {
            "field": "spaceflight",
            "headerName": "Spaceflight factor",
            "editable": True,
            "cellEditor": "agSelectCellEditor",
            "cellEditorParams": {"values": list(SPACEFLIGHT_VALUES)},
        },
        {
            "field": "gravity_g",
            "headerName": "Gravity (g)",
            "editable": True,
            "cellEditor": "agNumberCellEditor",
            "cellEditorParams": {"min": 0, "max": GRAVITY_MAX_G, "precision": 4},
        },
        {"field": "description", "headerName": "Notes", "editable": True, "flex": 2},
    ]
    return dag.AgGrid(
        id=grid_id,
        rowData=arms,
        columnDefs=columns,
        defaultColDef={"flex": 1, "resizable": True, "singleClickEdit": True},
        dashGridOptions={
            "rowSelection": {"mode": "singleRow"},
            "stopEditingWhenCellsLoseFocus": True,
            "domLayout": "autoHeight",
        },
        style={"height": None},
    )


def experiment_form(prefix: str, values: dict[str, object], submit_label: str) -> html.Div:
    """Fields for name, organism, context, description and arms, with a submit button."""
    ids = form_ids(prefix)
    arms = values.get("arms") or []
    return html.Div(
        [
            html.Div(id=ids["alert"]),
            dbc.Row([_input(ids, k, values) for k in ("name", "organism")], className="mb-3"),
            dbc.Row(
                [_input(ids, k, values) for k in ("mission", "hardware", "osdr_accession")],
                className="mb-3",
            ),
            html.Div(
                [
                    dbc.Label("Description", html_for=ids["description"]),
                    dbc.Textarea(
                        id=ids["description"],
                        value=values.get("description", ""),
                        maxLength=DESCRIPTION_MAX,
                        rows=3,
                        placeholder="Aim, culture medium, duration, sampling…",
                    ),
                ],
                className="mb-3",
            ),
            dbc.Label("Arms (conditions)"),
            html.Div(
                "Click a cell to edit. Gravity 0 means microgravity, 1 means Earth.",
                className="form-text mb-1",
            ),
            arms_grid(ids["arms"], list(arms)),  # type: ignore[arg-type]
            html.Div(
                [
                    dbc.Button(
                        [icon("plus-lg", "me-1"), "Add arm"],
                        id=ids["add-arm"],
                        color="secondary",
                        outline=True,
                        size="sm",
                        className="me-2",
                    ),
                    dbc.Button(
                        [icon("trash", "me-1"), "Remove selected arm"],
                        id=ids["remove-arm"],
                        color="secondary",
                        outline=True,
                        size="sm",
                    ),
                ],
                className="mt-2 mb-3",
            ),
            dbc.Button([icon("check-lg", "me-1"), submit_label], id=ids["save"], color="primary"),
        ]
    )


def register_arm_editing(prefix: str) -> None:
    """Register the callback behind the form's "Add arm" and "Remove selected arm" buttons.

    Called once per form instance at page import; it only reshapes rows in the browser's
    grid, so it needs no role check (saving goes through the service).
    """
    ids = form_ids(prefix)

    @dash.callback(
        Output(ids["arms"], "rowData"),
        Input(ids["add-arm"], "n_clicks"),
        Input(ids["remove-arm"], "n_clicks"),
        State(ids["arms"], "rowData"),
        State(ids["arms"], "selectedRows"),
        prevent_initial_call=True,
    )
    def edit_arms(
        _add: int | None,
        _remove: int | None,
        rows: list[dict[str, Any]] | None,
        selected: list[dict[str, Any]] | None,
    ) -> list[dict[str, Any]]:
        if dash.ctx.triggered_id == ids["add-arm"]:
            return add_arm(rows)
        return remove_selected(rows, selected)
