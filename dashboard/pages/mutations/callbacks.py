"""The Mutations page's callbacks for one result and for calling: open another result, find
a clicked call in the table, start a calling job and open its result when it is done. Each
unpacks its inputs, calls one service function and maps the answer to outputs.
"""

from __future__ import annotations

from typing import Any

from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    no_update,
)

from dashboard.auth import current_actor, current_db, current_files, current_queue
from dashboard.components.feedback import error_alert
from dashboard.components.grid import register_grid
from dashboard.components.job_progress import job_id_store, job_state_store
from dashboard.components.mutation_state import ids_text, parse_id
from dashboard.components.sequence_tables import register_local_grid
from dashboard.components.tabs import register_tabs
from dashboard.components.tree_views import picked_ids
from dashboard.pages import _job_progress  # noqa: F401 - registers the progress panels' callbacks
from dashboard.services import mutations
from dashboard.services.errors import InputError, ServiceError

from . import ids
from .layout import CALLS_SPEC, READS_SPEC, href

register_tabs(ids.TABS, ids.TAB_KEYS)
register_grid(CALLS_SPEC)
register_local_grid(READS_SPEC)


@callback(
    Output(ids.NAVIGATE, "href"),
    Input(ids.PICK_RESULT, "value"),
    State(ids.RESULT, "data"),
    prevent_initial_call=True,
)
def open_result(chosen: object, shown: object) -> Any:
    """Open the result picked in the select."""
    found = parse_id(chosen)
    return href(found) if found is not None and found != shown else no_update


@callback(
    Output(ids.DELETE_DIALOG, "is_open"),
    Input(ids.DELETE, "n_clicks"),
    Input(ids.DELETE_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def toggle_delete(_open: int | None, _cancel: int | None) -> bool:
    """Open the confirmation; "Keep it" closes it."""
    return ctx.triggered_id == ids.DELETE


@callback(
    Output(ids.NAVIGATE, "href", allow_duplicate=True),
    Output(ids.DELETE_PROBLEM, "children"),
    Input(ids.DELETE_CONFIRM, "n_clicks"),
    State(ids.RESULT, "data"),
    prevent_initial_call=True,
)
def delete(clicks: int | None, shown: object) -> tuple[Any, Any]:
    """Delete the shown result and show the newest; or say why not. A refused role raises
    (the server answers 403)."""
    result_id = parse_id(shown)
    if not clicks or result_id is None:
        return no_update, no_update
    try:
        mutations.delete_result(current_db(), current_actor(), current_files(), result_id)
    except InputError as exc:
        return no_update, error_alert(exc)
    return f"{ids.PATH}?tab={ids.TAB_RESULT}&deleted={result_id}", None


# A click on a marker of the map finds its call in the table (assets/mutations.js).
clientside_callback(
    ClientsideFunction("msgMutations", "showCall"),
    Output(ids.CALL_SHOWN, "data"),
    Input(ids.MAP, "clickData"),
    State(ids.CALL_IDS.grid, "id"),
    prevent_initial_call=True,
)


# --- calling ------------------------------------------------------------------------------------


@callback(
    Output(ids.PICKED, "children"),
    Input(ids.READ_IDS.grid, "selectedRows"),
    prevent_initial_call=True,
)
def count_picked(rows: object) -> str:
    """How many read datasets are ticked."""
    count = len(picked_ids(rows))
    if not count:
        return "No read dataset chosen."
    return f"{count:,} read dataset{'s' if count != 1 else ''} chosen."


@callback(
    output={
        "job": Output(job_id_store(ids.CALL_JOB), "data"),
        "alert": Output(ids.CALL_ALERT, "children"),
    },
    inputs={
        "clicks": Input(ids.START, "n_clicks"),
        "reference": State(ids.REFERENCE, "value"),
        "rows": State(ids.READ_IDS.grid, "selectedRows"),
        "mode": State(ids.MODE, "value"),
    },
    prevent_initial_call=True,
)
def start(clicks: object, reference: object, rows: object, mode: object) -> dict[str, Any]:
    """Start calling the ticked reads against the chosen reference (a background job)."""
    if not clicks:
        return {"job": no_update, "alert": no_update}
    samples = picked_ids(rows)
    if not samples:
        return {"job": no_update, "alert": error_alert(InputError("Tick the reads to call."))}
    data = {"reference": parse_id(reference) or 0, "samples": samples, "mode": mode}
    if not data["reference"]:
        return {"job": no_update, "alert": error_alert(InputError("Choose a reference genome."))}
    try:
        job = mutations.start(
            current_db(), current_actor(), current_files(), current_queue().enqueue, data
        )
    except ServiceError as exc:
        return {"job": no_update, "alert": error_alert(exc)}
    return {"job": job.id, "alert": None}


def finished_href(state: object) -> str | None:
    """Where a succeeded calling leads: its first result (with every result it saved ready to
    compare when there are several).

    >>> finished_href({"state": "succeeded", "result": {"result_ids": [4, 5]}})
    '/mutations?result=4&tab=result&compare=4,5'
    >>> finished_href({"state": "running"}) is None
    True
    """
    if not isinstance(state, dict) or state.get("state") != "succeeded":
        return None
    result = state.get("result")
    found = result.get("result_ids") if isinstance(result, dict) else None
    if not isinstance(found, list) or not found or not isinstance(found[0], int):
        return None
    extra = {"compare": ids_text(found) or ""} if len(found) > 1 else {}
    return href(found[0], **extra)


@callback(
    output={
        "navigate": Output(ids.NAVIGATE, "href", allow_duplicate=True),
        "alert": Output(ids.CALL_ALERT, "children", allow_duplicate=True),
    },
    inputs={"state": Input(job_state_store(ids.CALL_JOB), "data")},
    prevent_initial_call=True,
)
def called(state: object) -> dict[str, Any]:
    """The calling job finished: open its result, or say why it failed."""
    target = finished_href(state)
    if target is not None:
        return {"navigate": target, "alert": no_update}
    if isinstance(state, dict) and state.get("state") == "failed" and state.get("error"):
        return {"navigate": no_update, "alert": error_alert(InputError(str(state["error"])))}
    return {"navigate": no_update, "alert": no_update}
