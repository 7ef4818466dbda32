"""The experiment form of the create and edit views, built on the one form pattern (forms.py).

Every limit and vocabulary is the service's own constant. Arms are rows of fields (name,
spaceflight factor, gravity in g, notes) named ``arms[i].…`` like the service's errors, so
each error lands beside its input; an arm above 3 g asks for a confirmation step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, html, no_update

from dashboard.services.experiments import (
    ARM_DESCRIPTION_MAX,
    ARM_NAME_MAX,
    ARMS_MAX,
    CONFIRM_HYPERGRAVITY,
    DESCRIPTION_MAX,
    EARTH_GRAVITY_M_S2,
    HARDWARE_MAX,
    HYPERGRAVITY_ABOVE_G,
    MISSION_MAX,
    NAME_MAX,
    ORGANISM_MAX,
    OSDR_ACCESSION_MAX,
    SPACEFLIGHT_VALUES,
)

from .arm_rows import add_arm, remove_arm, remove_selected
from .feedback import icon
from .forms import (
    FormIds,
    field,
    field_error,
    field_states,
    field_values,
    form,
    form_actions,
    show_errors,
)

GRAVITY_HELP = (
    f"Gravity is in g, not m/s² ({EARTH_GRAVITY_M_S2:g} m/s² = 1 g): 0 is microgravity, "
    f"1 is Earth. Above {HYPERGRAVITY_ABOVE_G:g} g you will be asked to confirm hypergravity."
)
CONFIRM_LABEL = (
    f"Yes: hypergravity (above {HYPERGRAVITY_ABOVE_G:g} g, on a centrifuge) is intended."
)


@dataclass(frozen=True)
class EditorIds:
    """Ids of one experiment editor: its form's fields plus arms, confirmation, redirect."""

    form: FormIds

    @property
    def arms(self) -> str:
        """The container of arm rows."""
        return f"{self.form.name}-arms"

    @property
    def add_arm(self) -> str:
        """The "Add arm" button."""
        return f"{self.form.name}-add-arm"

    def remove_arm(self, index: int) -> dict[str, Any]:
        """The "Remove" button of arm ``index``."""
        return {"form": self.form.name, "arm": index, "part": "remove"}

    @property
    def remove_arms(self) -> dict[str, Any]:
        """Every "Remove" button (``ALL``)."""
        return {"form": self.form.name, "arm": ALL, "part": "remove"}

    @property
    def confirm(self) -> str:
        """The hypergravity confirmation checkbox."""
        return f"{self.form.name}-confirm-hypergravity"

    @property
    def confirm_box(self) -> str:
        """The block asking for it (hidden until the service asks)."""
        return f"{self.form.name}-confirm-box"

    @property
    def redirect(self) -> str:
        """Where a successful save navigates from."""
        return f"{self.form.name}-redirect"


def editor_ids(name: str) -> EditorIds:
    """The ids of the editor named ``name`` (a page prefix, e.g. ``"experiment-new"``)."""
    return EditorIds(FormIds(name))


def _gravity_text(value: object) -> object:
    return f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else value


def arm_row(ids: EditorIds, index: int, arm: Mapping[str, Any]) -> html.Fieldset:
    """One arm: name, spaceflight factor, gravity (g) and notes, and its Remove button."""
    f, where = ids.form, f"arms[{index}]"
    number = index + 1
    return html.Fieldset(
        [
            html.Legend(f"Arm {number}", className="msg-arm-legend"),
            field_error(f, where),
            dbc.Row(
                [
                    dbc.Col(
                        field(
                            f,
                            f"{where}.name",
                            "Name",
                            value=arm.get("name"),
                            required=True,
                            max_length=ARM_NAME_MAX,
                            placeholder="e.g. flight µg",
                        ),
                        md=6,
                        lg=3,
                    ),
                    dbc.Col(
                        field(
                            f,
                            f"{where}.spaceflight",
                            "Spaceflight factor",
                            value=arm.get("spaceflight"),
                            kind="select",
                            options=SPACEFLIGHT_VALUES,
                            required=True,
                        ),
                        md=6,
                        lg=2,
                    ),
                    dbc.Col(
                        field(
                            f,
                            f"{where}.gravity_g",
                            "Gravity",
                            value=_gravity_text(arm.get("gravity_g")),
                            required=True,
                            units="g",
                            input_mode="decimal",
                        ),
                        md=6,
                        lg=3,
                    ),
                    dbc.Col(
                        field(
                            f,
                            f"{where}.description",
                            "Notes",
                            value=arm.get("description"),
                            max_length=ARM_DESCRIPTION_MAX,
                        ),
                        md=6,
                        lg=3,
                    ),
                    dbc.Col(
                        html.Button(
                            [icon("trash"), html.Span("Remove arm", className="ms-1 d-lg-none")],
                            id=ids.remove_arm(index),
                            type="button",
                            title=f"Remove arm {number}",
                            className="btn btn-outline-danger msg-repeat-remove",
                            **{"aria-label": f"Remove arm {number}"},
                        ),
                        lg=1,
                        className="msg-arm-remove mb-3",
                    ),
                ],
                className="g-2",
            ),
        ],
        className="msg-repeat-item msg-arm",
    )


def arm_rows(ids: EditorIds, arms: Sequence[Mapping[str, Any]]) -> list[html.Fieldset]:
    """Every arm's row, in order."""
    return [arm_row(ids, i, arm) for i, arm in enumerate(arms)]


def _arms_section(ids: EditorIds, arms: Sequence[Mapping[str, Any]]) -> html.Fieldset:
    f = ids.form
    help_id = f"{f.name}-arms-help"
    return html.Fieldset(
        [
            html.Legend(
                [
                    "Arms (conditions) ",
                    html.Span("*", className="msg-required", **{"aria-hidden": "true"}),
                ],
                className="form-label fs-6 fw-semibold mb-1",
            ),
            html.Div(GRAVITY_HELP, id=help_id, className="form-text mt-0 mb-2"),
            html.Div(
                field_error(f, "arms"),
                id=f.wrapper("arms"),
                className="msg-field",
                **{"data-msg-field": "arms"},
            ),
            html.Div(arm_rows(ids, arms), id=ids.arms, className="msg-repeat-items"),
            html.Button(
                [icon("plus-lg", "me-1"), "Add arm"],
                id=ids.add_arm,
                type="button",
                disabled=len(arms) >= ARMS_MAX,
                className="btn btn-outline-secondary btn-sm msg-repeat-add",
            ),
        ],
        className="msg-repeat mb-3",
        **{"aria-describedby": help_id},
    )


def _confirm_box(ids: EditorIds) -> html.Div:
    f = ids.form
    return html.Div(
        html.Div(
            [
                html.Div(
                    [icon("exclamation-triangle", "me-2"), "Hypergravity needs a confirmation"],
                    className="fw-semibold mb-2",
                ),
                dbc.Checkbox(
                    id=ids.confirm,
                    value=False,
                    label=CONFIRM_LABEL,
                    input_class_name="msg-field-control",
                ),
                field_error(f, CONFIRM_HYPERGRAVITY),
            ],
            id=f.wrapper(CONFIRM_HYPERGRAVITY),
            className="msg-field alert alert-warning mb-0",
            **{"data-msg-field": CONFIRM_HYPERGRAVITY},
        ),
        id=ids.confirm_box,
        className=confirm_box_class(visible=False),
    )


def confirm_box_class(*, visible: bool) -> str:
    """The confirmation block's classes: hidden until the service asks for it."""
    return "mt-3" if visible else "mt-3 d-none"


def experiment_editor(
    ids: EditorIds,
    values: Mapping[str, Any],
    *,
    submit_label: str,
    cancel_href: str,
    title: str,
) -> html.Div:
    """The experiment form: context fields, description, arms and (if asked) confirmation."""
    f = ids.form
    arms: Sequence[Mapping[str, Any]] = values.get("arms") or []
    return html.Div(
        [
            dash.dcc.Location(id=ids.redirect, refresh="callback-nav"),
            form(
                f,
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                field(
                                    f,
                                    "name",
                                    "Name",
                                    value=values.get("name"),
                                    required=True,
                                    max_length=NAME_MAX,
                                    placeholder="e.g. BRIC-23 E. coli evolution",
                                ),
                                md=6,
                            ),
                            dbc.Col(
                                field(
                                    f,
                                    "organism",
                                    "Organism",
                                    value=values.get("organism"),
                                    required=True,
                                    max_length=ORGANISM_MAX,
                                    placeholder="e.g. Escherichia coli K-12 MG1655",
                                    help_text="Genus, species and strain.",
                                ),
                                md=6,
                            ),
                        ]
                    ),
                    dbc.Row(
                        [
                            dbc.Col(
                                field(
                                    f,
                                    "mission",
                                    "Mission",
                                    value=values.get("mission"),
                                    max_length=MISSION_MAX,
                                    placeholder="e.g. SpaceX CRS-25",
                                ),
                                md=4,
                            ),
                            dbc.Col(
                                field(
                                    f,
                                    "hardware",
                                    "Culture hardware",
                                    value=values.get("hardware"),
                                    max_length=HARDWARE_MAX,
                                    placeholder="e.g. BRIC-LED, Kubik, Biolab",
                                ),
                                md=4,
                            ),
                            dbc.Col(
                                field(
                                    f,
                                    "osdr_accession",
                                    "NASA OSDR study",
                                    value=values.get("osdr_accession"),
                                    max_length=OSDR_ACCESSION_MAX,
                                    placeholder="e.g. OSD-379",
                                    help_text="Its accession on osdr.nasa.gov, if published.",
                                ),
                                md=4,
                            ),
                        ]
                    ),
                    field(
                        f,
                        "description",
                        "Description",
                        value=values.get("description"),
                        kind="textarea",
                        max_length=DESCRIPTION_MAX,
                        placeholder="Aim, culture medium, duration, sampling…",
                    ),
                    _arms_section(ids, arms),
                    _confirm_box(ids),
                ],
                actions=form_actions(f, submit_label, cancel_href=cancel_href),
                title=title,
            ),
        ]
    )


def editor_states(ids: EditorIds) -> dict[str, State]:
    """``State``s a save callback reads: every field, the ids to read them by, confirmation."""
    return {**field_states(ids.form), "confirmed": State(ids.confirm, "value")}


def editor_outputs(ids: EditorIds) -> dict[str, Output]:
    """``Output``s of a save callback besides the form's errors: confirmation and redirect."""
    return {
        "confirm_box": Output(ids.confirm_box, "className"),
        "confirm_input": Output(ids.confirm, "input_class_name"),
        "redirect": Output(ids.redirect, "href"),
    }


def editor_data(
    control_ids: Sequence[Mapping[str, Any]], values: Sequence[object], confirmed: object
) -> dict[str, Any]:
    """What the form holds, in the shape the experiments service takes (all arms included).

    >>> editor_data([{"field": "name"}, {"field": "arms[0].gravity_g"}], ["x", "5"], True)
    {'name': 'x', 'arms': [{'gravity_g': '5'}], 'confirm_hypergravity': True}
    """
    data = field_values(control_ids, values)
    data.setdefault("arms", [])  # every arm removed: say so, never "keep the stored arms"
    data[CONFIRM_HYPERGRAVITY] = confirmed is True
    return data


def editor_errors(
    found: Mapping[str, str] | str,
    control_ids: Sequence[Mapping[str, Any]],
    error_ids: Sequence[Mapping[str, Any]],
    confirmed: object,
    *,
    note: Any = None,
) -> dict[str, Any]:
    """Outputs for a refused save: every error beside its field, and the confirmation step
    shown when the service asks for it (or was already ticked)."""
    asks = not isinstance(found, str) and CONFIRM_HYPERGRAVITY in found
    return show_errors(found, control_ids, error_ids, note=note) | {
        "confirm_box": confirm_box_class(visible=asks or confirmed is True),
        "confirm_input": "msg-field-control" + (" is-invalid" if asks else ""),
        "redirect": no_update,
    }


def register_arm_buttons(ids: EditorIds) -> None:
    """Register the callback behind "Add arm" and each arm's "Remove" (once per editor).

    It only reshapes rows in the browser, from the values typed so far, so it needs no role
    check (saving goes through the service).
    """
    f = ids.form

    @dash.callback(
        output={"rows": Output(ids.arms, "children"), "full": Output(ids.add_arm, "disabled")},
        inputs={
            "_add": Input(ids.add_arm, "n_clicks"),
            "_remove": Input(ids.remove_arms, "n_clicks"),
            "values": State(f.controls, "value"),
            "control_ids": State(f.controls, "id"),
        },
        prevent_initial_call=True,
    )
    def edit_arms(
        _add: int | None,
        _remove: list[int | None],
        values: list[object],
        control_ids: list[dict[str, Any]],
    ) -> dict[str, Any]:
        trigger = dash.ctx.triggered_id
        # A new row's Remove button appearing triggers this too, without a click.
        if trigger is None or not dash.ctx.triggered[0]["value"]:
            return {"rows": no_update, "full": no_update}
        typed = list(field_values(control_ids, values).get("arms", []))
        is_add = trigger == ids.add_arm
        arms = add_arm(typed) if is_add else remove_arm(typed, int(trigger["arm"]))
        return {"rows": arm_rows(ids, arms), "full": len(arms) >= ARMS_MAX}


# --- the list page's inline form (an AG Grid of arms) -------------------------------------
# Kept only while dashboard/pages/experiments.py still embeds it; the create view
# (/experiments/new) uses experiment_editor above. Remove once nothing imports these.

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
    """Component ids of one inline form instance."""
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
    """An editable grid of arms: name, GeneLab spaceflight factor, gravity, notes.

    Gravity is not clamped in the browser: the service refuses what is out of range and says
    why (negative, above the maximum, or hypergravity not confirmed).
    """
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
            "cellEditorParams": {"precision": 4},
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
    """The inline form: name, organism, context, description and an arms grid, with submit."""
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
                "Click a cell to edit. " + GRAVITY_HELP,
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
    """Register the callback behind the inline form's "Add arm" and "Remove selected arm"."""
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
