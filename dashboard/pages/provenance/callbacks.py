"""The Provenance page's callbacks: open another dataset, verify it in a job, retract it,
and look up a file's SHA-256. Each unpacks its inputs, calls one service and maps the answer
to components (built in ``dashboard/components/provenance_views.py``)."""

from __future__ import annotations

import re
from typing import Any

from dash import Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth import current_actor, current_db, current_queue
from dashboard.components.feedback import error_alert
from dashboard.components.forms import (
    clear_errors,
    error_outputs,
    field_states,
    field_values,
    show_errors,
)
from dashboard.components.job_progress import job_id_store, job_state_store
from dashboard.components.provenance_badge import provenance_line
from dashboard.components.provenance_views import (
    HashedFile,
    checks_view,
    file_matches,
    hashed_note,
)
from dashboard.components.tabs import register_tabs
from dashboard.components.view_state import parse_int
from dashboard.pages import _job_progress  # noqa: F401 - registers the progress panels' callbacks
from dashboard.services import jobs, provenance, provenance_verify
from dashboard.services.errors import InputError
from dashboard.services.job_kinds import PROVENANCE_VERIFY

from . import ids
from .layout import DATASET_HREF, ID_MAX, dataset_href, required_confirmations

register_tabs(ids.TABS, ids.TAB_KEYS)
# A label from the picker's list (layout.option_label): "#12 reads.fastq.gz · BRIC-23".
PICKED = re.compile(r"^#(\d+) .+ · .+$")


def _refused(
    exc: InputError, control_ids: list[dict[str, Any]], error_ids: list[dict[str, Any]]
) -> dict[str, Any]:
    """The refusal beside its field; the summary only for what no field shows (a form of one
    field needs no list of its problems)."""
    shown = show_errors(exc.errors or exc.message, control_ids, error_ids)
    fields = {str(e["field"]) for e in error_ids}
    if exc.errors and set(exc.errors) <= fields:
        shown["summary"] = None
    return shown


@callback(
    Output(ids.NAVIGATE, "href"),
    Input(ids.DATASET, "value"),
    State(ids.DATASET_ID, "data"),
    prevent_initial_call=True,
)
def pick(value: object, shown: object) -> Any:
    """Open the dataset picked from the list (not on every key typed into the search)."""
    picked = PICKED.match(value) if isinstance(value, str) else None
    dataset_id = parse_int(picked.group(1), minimum=1, maximum=ID_MAX) if picked else None
    if dataset_id is None or dataset_id == shown:
        return no_update
    return dataset_href(dataset_id)


@callback(
    Output(ids.NAVIGATE, "href", allow_duplicate=True),
    Input(ids.GRAPH, "tapNodeData"),
    State(ids.DATASET_ID, "data"),
    prevent_initial_call=True,
)
def open_node(node: dict[str, Any] | None, shown: object) -> Any:
    """Open the dataset whose node was clicked in the lineage graph."""
    dataset_id = parse_int((node or {}).get("id"), minimum=1, maximum=ID_MAX)
    if dataset_id is None or dataset_id == shown:
        return no_update
    return dataset_href(dataset_id)


@callback(
    output={
        "alert": Output(ids.VERIFY_ALERT, "children"),
        "job": Output(job_id_store(ids.VERIFY_JOB), "data"),
        "checks": Output(ids.CHECKS, "children"),
    },
    inputs={"clicks": Input(ids.VERIFY, "n_clicks")},
    state={"dataset_id": State(ids.DATASET_ID, "data")},
    prevent_initial_call=True,
)
def verify(clicks: int | None, dataset_id: object) -> dict[str, Any]:
    """Start verifying the dataset and its lineage in a job (files may be gigabytes)."""
    if not clicks or not isinstance(dataset_id, int):
        return dict.fromkeys(("alert", "job", "checks"), no_update)
    try:
        job = jobs.start(
            current_db(),
            current_actor(),
            current_queue().enqueue,
            PROVENANCE_VERIFY.name,
            {"dataset_id": dataset_id},
        )
    except InputError as exc:
        return {"alert": error_alert(exc), "job": no_update, "checks": None}
    return {"alert": None, "job": job.id, "checks": None}


@callback(
    output={
        "checks": Output(ids.CHECKS, "children", allow_duplicate=True),
        "status": Output(ids.STATUS, "children"),
    },
    inputs={"state": Input(job_state_store(ids.VERIFY_JOB), "data")},
    state={"dataset_id": State(ids.DATASET_ID, "data")},
    prevent_initial_call=True,
)
def verified(state: dict[str, Any] | None, dataset_id: object) -> dict[str, Any]:
    """Once the job has succeeded: each check ✓/✗ with the lineage's, and the fresh status."""
    result = (state or {}).get("result")
    if (state or {}).get("state") != "succeeded" or not isinstance(result, dict):
        return {"checks": no_update, "status": no_update}
    status = (
        provenance.status_map(current_db(), [dataset_id], required_confirmations())[dataset_id]
        if isinstance(dataset_id, int)
        else None
    )
    return {
        "checks": checks_view(result),
        "status": provenance_line(status).children if status else no_update,
    }


@callback(
    output={
        **error_outputs(ids.RETRACT_FORM),
        "navigate": Output(ids.NAVIGATE, "href", allow_duplicate=True),
    },
    inputs={"clicks": Input(ids.RETRACT_FORM.submit, "n_clicks")},
    state={"dataset_id": State(ids.DATASET_ID, "data"), **field_states(ids.RETRACT_FORM)},
    prevent_initial_call=True,
)
def retract(
    clicks: int | None,
    dataset_id: object,
    values: list[object],
    control_ids: list[dict[str, Any]],
    error_ids: list[dict[str, Any]],
) -> dict[str, Any]:
    """Retract with the reason given; a refusal shows beside the field (the role check and
    the limits are the service's)."""
    if not clicks or not isinstance(dataset_id, int):
        raise PreventUpdate
    reason = field_values(control_ids, values).get("reason")
    try:
        provenance.retract(current_db(), current_actor(), dataset_id, str(reason or ""))
    except InputError as exc:
        return _refused(exc, control_ids, error_ids) | {"navigate": no_update}
    return clear_errors(control_ids, error_ids) | {
        "navigate": f"{dataset_href(dataset_id)}&retracted=1"
    }


@callback(
    output={
        **error_outputs(ids.LOOKUP_FORM),
        "result": Output(ids.FILE_RESULT, "children"),
        "status": Output(ids.HASH_STATUS, "children"),
    },
    inputs={
        "hashed": Input(ids.HASH_STORE, "data"),
        "clicks": Input(ids.LOOKUP_FORM.submit, "n_clicks"),
    },
    state=field_states(ids.LOOKUP_FORM),
    prevent_initial_call=True,
)
def look_up(
    hashed: object,
    clicks: int | None,
    values: list[object],
    control_ids: list[dict[str, Any]],
    error_ids: list[dict[str, Any]],
) -> dict[str, Any]:
    """Which datasets recorded exactly these bytes: from the browser's hash of a dropped
    file, or from a SHA-256 typed in."""
    if ctx.triggered_id == ids.HASH_STORE:
        found = HashedFile.of(hashed)
        if found is None:  # a new file is being hashed: keep the answer until it is done
            raise PreventUpdate
    else:
        typed = field_values(control_ids, values).get("sha256")
        found = HashedFile(str(typed or "").strip().lower())
    try:
        matches = provenance_verify.find_file(
            current_db(), current_actor(), found.sha256, required_confirmations()
        )
    except InputError as exc:
        return _refused(exc, control_ids, error_ids) | {"result": no_update, "status": no_update}
    return clear_errors(control_ids, error_ids) | {
        "result": file_matches(found, matches, DATASET_HREF),
        "status": hashed_note(found) if ctx.triggered_id == ids.HASH_STORE else no_update,
    }
