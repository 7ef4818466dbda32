"""Callbacks of the Mission control page: plan a run (then open it) and compare two runs'
growth. Each maps the form to one service call and its answer (or refusal) back."""

from __future__ import annotations

import re
from typing import Any

from dash import Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth import current_actor, current_catalog, current_db
from dashboard.components.feedback import error_alert
from dashboard.components.forms import (
    clear_errors,
    error_outputs,
    field_states,
    field_values,
    show_errors,
)
from dashboard.components.theme import current_scheme, themed
from dashboard.pages.mission_run.views import comparison_view
from dashboard.services import alarms, growth, runs
from dashboard.services.devices import Catalog
from dashboard.services.errors import InputError

from . import ids
from .layout import alarms_mark, alarms_summary, fingerprint, run_href, run_rows

EXPERIMENT_CHOICE = re.compile(r"^(\d+):(\d*)$")
PROFILE_PART = re.compile(r"^profile\[(\d+)\]\.(\w+)$")


def run_request(
    cat: Catalog, form: dict[str, Any], device_ids: list[str] | None
) -> tuple[int | None, dict[str, Any], list[int]]:
    """The experiment id, the service's ``data`` and, per profile step sent, the form row it
    came from (empty rows are left out)."""
    choice = EXPERIMENT_CHOICE.match(str(form.get("experiment") or ""))
    experiment_id = int(choice.group(1)) if choice else None
    arm_id = int(choice.group(2)) if choice and choice.group(2) else None
    steps, rows = [], []
    for row, step in enumerate(form.get("profile") or []):
        picked = str(step.get("parameter") or "")
        if not picked and not str(step.get("value") or "").strip():
            continue
        device, _, parameter = picked.partition("|")
        try:
            unit = cat.parameter(device, parameter).unit
        except KeyError:
            unit = None
        steps.append(
            {
                "device": device,
                "parameter": parameter,
                "value": step.get("value"),
                "unit": unit,
                "at_h": step.get("at_h") or 0,
            }
        )
        rows.append(row)
    data: dict[str, Any] = {
        "name": form.get("name"),
        "arm_id": arm_id,
        "devices": list(device_ids or []),
    }
    if steps:
        data["profile"] = steps
    return experiment_id, data, rows


def form_errors(errors: dict[str, str], rows: list[int]) -> dict[str, str]:
    """The service's field paths as the form's: ``arm_id`` → the experiment select,
    ``profile[i].unit`` → the parameter of the form row step ``i`` came from.

    >>> form_errors({"arm_id": "no", "profile[0].unit": "bad"}, [2])
    {'experiment': 'no', 'profile[2].parameter': 'bad'}
    """
    found = {}
    for path, message in errors.items():
        part = PROFILE_PART.match(path)
        if path == "arm_id":
            path = "experiment"
        elif part:
            index, name = int(part.group(1)), part.group(2)
            row = rows[index] if index < len(rows) else index
            name = "parameter" if name in ("device", "unit", "parameter") else name
            path = f"profile[{row}].{name}"
        found[path] = message
    return found


@callback(
    output={**error_outputs(ids.NEW_RUN), "redirect": Output(ids.REDIRECT, "href")},
    inputs={"_create": Input(ids.NEW_RUN.submit, "n_clicks")},
    state={**field_states(ids.NEW_RUN), "devices": State(ids.DEVICES, "value")},
    prevent_initial_call=True,
)
def create(
    _create: int | None,
    values: list[object],
    control_ids: list[dict[str, Any]],
    error_ids: list[dict[str, Any]],
    devices: list[str] | None,
) -> dict[str, Any]:
    """Plan the run and open its page; or mark every problem beside its field."""
    if not _create:
        raise PreventUpdate
    cat = current_catalog()
    experiment_id, data, rows = run_request(cat, field_values(control_ids, values), devices)
    if experiment_id is None:
        return show_errors(
            {"experiment": "Pick the experiment (and arm) the run belongs to."},
            control_ids,
            error_ids,
        ) | {"redirect": no_update}
    try:
        view = runs.create_run(current_db(), current_actor(), cat, experiment_id, data)
    except InputError as exc:
        found = form_errors(exc.errors, rows) if exc.errors else exc.message
        return show_errors(found, control_ids, error_ids) | {"redirect": no_update}
    return clear_errors(control_ids, error_ids) | {"redirect": run_href(view.id)}


@callback(
    Output(ids.COMPARE_RESULT, "children"),
    Input(ids.COMPARE, "n_clicks"),
    State(ids.COMPARE_A, "value"),
    State(ids.COMPARE_B, "value"),
    State(ids.COMPARE_MODEL, "value"),
    prevent_initial_call=True,
)
def compare(clicks: int | None, first: object, second: object, model: object) -> Any:
    """Fit both runs and show the differences of lag, µmax and capacity with CIs and p."""
    if not clicks:
        raise PreventUpdate
    db = current_db()
    try:
        result = growth.compare_runs(db, current_catalog(), [first, second], model)
    except InputError as exc:
        return error_alert(exc)
    gravity = (
        runs.get_run(db, result.a.run_id).arm_gravity_g,
        runs.get_run(db, result.b.run_id).arm_gravity_g,
    )
    return comparison_view(result, lambda figure: themed(figure, current_scheme()), gravity)


@callback(
    output={"alarms": Output(ids.ALARMS, "children"), "seen": Output(ids.SEEN_ALARMS, "data")},
    inputs={"_tick": Input(ids.REFRESH, "n_intervals")},
    state={"seen": State(ids.SEEN_ALARMS, "data")},
    prevent_initial_call=True,
)
def refresh_alarms(_tick: int, seen: object) -> dict[str, Any]:
    """Redraw the open alarms of every run when they changed (one read; the runs' names
    only when there is an alarm to name)."""
    db = current_db()
    found = alarms.list_alarms(db)
    mark = alarms_mark(found)
    if mark == seen:
        raise PreventUpdate
    names = {r.id: r.name for r in runs.list_runs(db)} if found else {}
    return {"alarms": alarms_summary(found, names), "seen": mark}


@callback(
    output={
        "rows": Output(ids.RUNS.grid, "rowData"),
        "seen": Output(ids.SEEN_ROWS, "data"),
    },
    inputs={"_tick": Input(ids.RUNS_REFRESH, "n_intervals")},
    state={"seen": State(ids.SEEN_ROWS, "data")},
    prevent_initial_call=True,
)
def refresh_runs(_tick: int, seen: object) -> dict[str, Any]:
    """New rows for the runs grid when a run's state, alarms or links changed. Rows keep
    their ids, so the grid keeps the user's sort, filters, search and page."""
    rows = run_rows(runs.list_runs(current_db()))
    mark = fingerprint(rows)
    if mark == seen:
        raise PreventUpdate
    return {"rows": rows, "seen": mark}
