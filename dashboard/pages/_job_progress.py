"""Callbacks behind every job progress panel (``dashboard/components/job_progress.py``).

Not a page: imported by the pages that show a panel, registered once for all of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import MATCH, Input, Output, State, callback, no_update

from dashboard.auth import current_actor, current_db
from dashboard.components import job_progress as jp
from dashboard.components.feedback import error_alert
from dashboard.services import jobs
from dashboard.services.errors import InputError


def _part(kind: str) -> dict[str, Any]:
    return {"type": kind, "name": MATCH}


FOLLOW_OUTPUTS = {
    "panel": Output(_part(jp.PANEL), "style"),
    "value": Output(_part(jp.BAR), "value"),
    "label": Output(_part(jp.BAR), "label"),
    "color": Output(_part(jp.BAR), "color"),
    "animated": Output(_part(jp.BAR), "animated"),
    "striped": Output(_part(jp.BAR), "striped"),
    "message": Output(_part(jp.MESSAGE), "children"),
    "elapsed": Output(_part(jp.ELAPSED), "children"),
    "cancel": Output(_part(jp.CANCEL), "disabled"),
    "tick": Output(_part(jp.TICK), "disabled"),
    "result": Output(_part(jp.RESULT), "children"),
    "state": Output(_part(jp.JOB_STATE), "data"),
}


@callback(
    output=FOLLOW_OUTPUTS,
    inputs={
        "job_id": Input(_part(jp.JOB_ID), "data"),
        "_tick": Input(_part(jp.TICK), "n_intervals"),
    },
)
def follow(job_id: int | None, _tick: int | None) -> dict[str, Any]:
    """Show the followed job as it is now; stop ticking once it has finished."""
    if not job_id:  # no job started yet: stay hidden and quiet
        return dict.fromkeys(FOLLOW_OUTPUTS, no_update) | {"tick": True}
    try:
        job = jobs.get(current_db(), current_actor(), int(job_id))
    except InputError as exc:
        return dict.fromkeys(FOLLOW_OUTPUTS, no_update) | {
            "panel": {},
            "message": exc.message,
            "tick": True,
            "cancel": True,
        }
    props = jp.progress_props(job, datetime.now(UTC))
    return {
        "panel": {},
        "value": props.percent,
        "label": props.label,
        "color": props.color,
        "animated": props.is_animated,
        "striped": props.is_animated,
        "message": props.message,
        "elapsed": props.elapsed,
        "cancel": not props.may_cancel,
        "tick": props.is_finished,
        "result": jp.file_links(job) if props.is_finished else None,
        "state": jp.job_state(job),
    }


@callback(
    Output(_part(jp.MESSAGE), "children", allow_duplicate=True),
    Output(_part(jp.CANCEL), "disabled", allow_duplicate=True),
    Input(_part(jp.CANCEL), "n_clicks"),
    State(_part(jp.JOB_ID), "data"),
    prevent_initial_call=True,
)
def cancel(clicks: int | None, job_id: int | None) -> tuple[Any, bool]:
    """Ask for the job to stop; the next tick shows when it has."""
    if not clicks or not job_id:
        return no_update, no_update
    try:
        jobs.cancel(current_db(), current_actor(), int(job_id))
    except InputError as exc:
        return error_alert(exc), True
    return "Cancelling…", True
