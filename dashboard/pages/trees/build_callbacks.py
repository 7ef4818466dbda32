"""The Trees page's callbacks for building: from chosen datasets, or from an uploaded tree,
alignment or distance matrix. A build the service runs now opens the new tree; one it runs
as a job (bootstrap, large inputs) shows its progress with Cancel and opens the tree when it
succeeds. Problems land beside their fields, in the service's words.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from dash import Input, Output, State, callback, no_update

from dashboard.auth import current_actor, current_db, current_files, current_queue
from dashboard.components.feedback import error_alert
from dashboard.components.forms import (
    clear_errors,
    error_outputs,
    field_states,
    field_values,
    show_errors,
)
from dashboard.components.job_progress import job_id_store, job_state_store
from dashboard.components.sequence_tables import register_local_grid
from dashboard.components.tabs import register_tabs
from dashboard.components.tree_views import ALIGNMENT_DISTANCES, DEFAULT_BOOTSTRAP, picked_ids
from dashboard.pages import _job_progress  # noqa: F401 - registers the progress panels' callbacks
from dashboard.services import trees
from dashboard.services.errors import InputError, ServiceError

from . import ids
from .layout import PAGE_UPLOAD_MAX, PICK_SPEC, href

register_tabs(ids.NEW_TABS, ids.NEW_TAB_KEYS)
register_local_grid(PICK_SPEC)


@callback(
    Output(ids.PICKED, "children"),
    Input(ids.PICK_IDS.grid, "selectedRows"),
    prevent_initial_call=True,
)
def count_picked(rows: object) -> str:
    """How many datasets are ticked."""
    count = len(picked_ids(rows))
    if not count:
        return "No dataset chosen."
    return f"{count:,} dataset{'s' if count != 1 else ''} chosen."


@callback(
    Output(ids.BUILD_FORM.control("bootstrap"), "value"),
    Input(ids.BUILD_DISTANCE, "value"),
    prevent_initial_call=True,
)
def bootstrap_default(distance: object) -> str:
    """Bootstrap resamples alignment columns: 100 replicates for aligned distances, none for
    MinHash (which has no columns)."""
    return str(DEFAULT_BOOTSTRAP) if distance in ALIGNMENT_DISTANCES else "0"


def _started(result: Any, job_name: str) -> dict[str, Any]:
    """Outputs once the service answered: open a built tree, or follow its job."""
    if isinstance(result, trees.TreeView):
        return {"navigate": href(result.id), "job": no_update}
    return {"navigate": no_update, "job": result.id}


def _refused(exc: ServiceError, control_ids: list[Any], error_ids: list[Any]) -> dict[str, Any]:
    if isinstance(exc, InputError) and exc.errors:
        return show_errors(exc.errors, control_ids, error_ids)
    return show_errors(exc.message, control_ids, error_ids)


@callback(
    output={
        **error_outputs(ids.BUILD_FORM),
        "navigate": Output(ids.NAVIGATE, "href", allow_duplicate=True),
        "job": Output(job_id_store(ids.BUILD_JOB), "data"),
    },
    inputs={"clicks": Input(ids.BUILD_FORM.submit, "n_clicks")},
    state={
        "rows": State(ids.PICK_IDS.grid, "selectedRows"),
        "distance": State(ids.BUILD_DISTANCE, "value"),
        "method": State(ids.BUILD_METHOD, "value"),
        **field_states(ids.BUILD_FORM),
    },
    prevent_initial_call=True,
)
def build(
    clicks: int | None,
    rows: object,
    distance: object,
    method: object,
    values: list[object],
    control_ids: list[Any],
    error_ids: list[Any],
) -> dict[str, Any]:
    """Build a tree from the ticked datasets."""
    if not clicks:
        return dict.fromkeys(("navigate", "job"), no_update) | clear_errors(control_ids, error_ids)
    fields = field_values(control_ids, values)
    data = {
        "datasets": picked_ids(rows),
        "distance": distance,
        "method": method,
        "bootstrap": fields.get("bootstrap") or "0",
        "seed": fields.get("seed") or "1",
        "name": fields.get("name") or "",
    }
    try:
        result = trees.build(
            current_db(), current_actor(), current_files(), data, current_queue().enqueue
        )
    except ServiceError as exc:
        return {"navigate": no_update, "job": no_update} | _refused(exc, control_ids, error_ids)
    return _started(result, ids.BUILD_JOB) | clear_errors(control_ids, error_ids)


def decode_file(stored: object) -> tuple[str, bytes] | str:
    """The file ``assets/trees.js`` read in the browser: (name, bytes), or what is wrong.

    >>> decode_file({"name": "t.nwk", "data": "data:text/plain;base64,KEEsQik7"})
    ('t.nwk', b'(A,B);')
    >>> decode_file(None)
    'Choose a file first.'
    """
    if not isinstance(stored, dict) or not isinstance(stored.get("data"), str):
        return "Choose a file first."
    if stored.get("error"):
        return str(stored["error"])[:300]
    name = str(stored.get("name") or "upload")[:255]
    data = str(stored["data"])
    payload = data.split(",", 1)[1] if data.startswith("data:") and "," in data else data
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return f"{name} could not be read; choose it again."
    if len(content) > PAGE_UPLOAD_MAX:
        return f"{name} is over {PAGE_UPLOAD_MAX // 2**20} MiB: upload it through the API."
    return name, content


@callback(
    output={
        **error_outputs(ids.UPLOAD_FORM),
        "navigate": Output(ids.NAVIGATE, "href", allow_duplicate=True),
        "job": Output(job_id_store(ids.UPLOAD_JOB), "data"),
    },
    inputs={"clicks": Input(ids.UPLOAD_FORM.submit, "n_clicks")},
    state={
        "stored": State(ids.UPLOAD_FILE, "data"),
        "kind": State(ids.UPLOAD_KIND, "value"),
        "distance": State(ids.UPLOAD_DISTANCE, "value"),
        "method": State(ids.UPLOAD_METHOD, "value"),
        **field_states(ids.UPLOAD_FORM),
    },
    prevent_initial_call=True,
)
def upload(
    clicks: int | None,
    stored: object,
    kind: object,
    distance: object,
    method: object,
    values: list[object],
    control_ids: list[Any],
    error_ids: list[Any],
) -> dict[str, Any]:
    """Save an uploaded tree, or build one from an uploaded alignment or matrix."""
    if not clicks:
        return dict.fromkeys(("navigate", "job"), no_update) | clear_errors(control_ids, error_ids)
    fields = field_values(control_ids, values)
    read = decode_file(stored)
    if isinstance(read, str):
        return {"navigate": no_update, "job": no_update} | show_errors(
            {"file": read}, control_ids, error_ids
        )
    filename, content = read
    data = {
        "kind": kind or "auto",
        "distance": distance,
        "method": method,
        "bootstrap": fields.get("bootstrap") or "0",
        "seed": fields.get("seed") or "1",
        "name": fields.get("name") or "",
        "experiment_id": fields.get("experiment_id") or None,
    }
    try:
        result = trees.upload(
            current_db(),
            current_actor(),
            current_files(),
            filename,
            content,
            data,
            current_queue().enqueue,
        )
    except ServiceError as exc:
        return {"navigate": no_update, "job": no_update} | _refused(exc, control_ids, error_ids)
    return _started(result, ids.UPLOAD_JOB) | clear_errors(control_ids, error_ids)


def _finished(state: object) -> Any:
    """Open the tree a succeeded build job saved."""
    if not isinstance(state, dict) or state.get("state") != "succeeded":
        return no_update
    result = state.get("result")
    tree_id = result.get("tree_id") if isinstance(result, dict) else None
    return href(tree_id) if isinstance(tree_id, int) else no_update


@callback(
    Output(ids.NAVIGATE, "href", allow_duplicate=True),
    Input(job_state_store(ids.BUILD_JOB), "data"),
    prevent_initial_call=True,
)
def built(state: object) -> Any:
    """The dataset build's job succeeded: open its tree."""
    return _finished(state)


@callback(
    Output(ids.NAVIGATE, "href", allow_duplicate=True),
    Input(job_state_store(ids.UPLOAD_JOB), "data"),
    prevent_initial_call=True,
)
def uploaded(state: object) -> Any:
    """The upload's build job succeeded: open its tree."""
    return _finished(state)


@callback(
    Output(ids.BUILD_ALERT, "children"),
    Input(job_state_store(ids.BUILD_JOB), "data"),
    prevent_initial_call=True,
)
def build_failed(state: object) -> Any:
    """Say why a build job failed (the panel shows it too; this stays)."""
    if isinstance(state, dict) and state.get("state") == "failed" and state.get("error"):
        return error_alert(InputError(str(state["error"])))
    return no_update
