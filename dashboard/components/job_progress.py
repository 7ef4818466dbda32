"""A progress panel for one background job: bar, message, elapsed time, cancel, result.

Drop ``job_progress("some-name")`` into a page and write the id of a job you started into
``Output(job_id_store("some-name"), "data")``; the shared callbacks in
``dashboard/pages/_job_progress.py`` then follow it once a second until it finishes. A page
that wants to react to the outcome listens to ``Input(job_state_store("some-name"), "data")``,
which holds :func:`job_state` of the job at every tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.services.jobs import CANCELLED, FAILED, INTERRUPTED, QUEUED, SUCCEEDED, JobView

from .feedback import icon

TICK_MS = 1000
# Pattern-matching ids, so a page may hold several panels (``name`` tells them apart).
JOB_ID = "job-progress-id"
JOB_STATE = "job-progress-state"
TICK = "job-progress-tick"
BAR = "job-progress-bar"
MESSAGE = "job-progress-message"
ELAPSED = "job-progress-elapsed"
CANCEL = "job-progress-cancel"
RESULT = "job-progress-result"
PANEL = "job-progress-panel"
STATE_COLORS = {
    QUEUED: "secondary",
    SUCCEEDED: "success",
    FAILED: "danger",
    CANCELLED: "warning",
    INTERRUPTED: "danger",
}


def part(kind: str, name: str) -> dict[str, str]:
    """The id of one part of the panel called ``name``."""
    return {"type": kind, "name": name}


def job_id_store(name: str) -> dict[str, str]:
    """Where a page writes the id of the job the panel ``name`` should follow."""
    return part(JOB_ID, name)


def job_state_store(name: str) -> dict[str, str]:
    """Where the panel ``name`` publishes the followed job's state and result."""
    return part(JOB_STATE, name)


def duration(seconds: float | None) -> str:
    """Elapsed time for people.

    >>> duration(4.04), duration(75), duration(3725), duration(None)
    ('4.0 s', '1 min 15 s', '1 h 2 min', '')
    """
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@dataclass(frozen=True)
class ProgressProps:
    """What the panel shows for a job at one moment."""

    percent: float
    label: str
    color: str
    is_animated: bool
    message: str
    elapsed: str
    may_cancel: bool
    is_finished: bool


def progress_props(job: JobView, now: datetime) -> ProgressProps:
    """The panel's state for ``job`` at ``now``."""
    percent = round(100 * job.progress, 1)
    if job.state == QUEUED:
        waited = (now - job.created_at).total_seconds()
        message, elapsed = "Waiting for a worker", f"queued {duration(waited)}"
    elif job.is_finished:
        message = job.error or job.summary or f"{job.state.capitalize()}."
        elapsed = f"took {duration(job.duration_s(now))}" if job.started_at else ""
    else:
        message = "Cancelling…" if job.cancel_requested else job.progress_message
        elapsed = f"running {duration(job.duration_s(now))}"
    return ProgressProps(
        percent=100.0 if job.state == SUCCEEDED else percent,
        label=job.state if job.is_finished else f"{percent:.0f} %",
        color=STATE_COLORS.get(job.state, "primary"),
        is_animated=not job.is_finished,
        message=message,
        elapsed=elapsed,
        may_cancel=not job.is_finished and not job.cancel_requested,
        is_finished=job.is_finished,
    )


def job_state(job: JobView) -> dict[str, Any]:
    """What the state store holds: enough for a page to show the outcome."""
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "result": job.result,
        "error": job.error,
    }


def file_links(job: JobView) -> list[Any]:
    """Download links for the files a succeeded job produced."""
    names = (job.result or {}).get("files") or []
    return [
        html.A(
            [icon("download", "me-1"), str(name)],
            href=f"/api/v1/jobs/{job.id}/files/{name}",
            className="btn btn-sm btn-outline-success me-2",
            download=str(name),
        )
        for name in names  # type: ignore[attr-defined]
        if isinstance(name, str)
    ]


def job_progress(name: str, title: str = "") -> html.Div:
    """An empty panel called ``name``; it appears when a job id is written to its store."""
    return html.Div(
        [
            dcc.Store(id=job_id_store(name)),
            dcc.Store(id=job_state_store(name)),
            dcc.Interval(id=part(TICK, name), interval=TICK_MS, disabled=True),
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(title, className="fw-semibold me-2"),
                            html.Span(id=part(ELAPSED, name), className="small text-muted"),
                            dbc.Button(
                                [icon("x-circle", "me-1"), "Cancel"],
                                id=part(CANCEL, name),
                                size="sm",
                                color="secondary",
                                outline=True,
                                className="ms-auto",
                                disabled=True,
                            ),
                        ],
                        className="d-flex align-items-center mb-1",
                    ),
                    dbc.Progress(
                        id=part(BAR, name),
                        value=0,
                        striped=True,
                        animated=True,
                        style={"height": "1.25rem"},
                    ),
                    html.Div(id=part(MESSAGE, name), className="small mt-1", role="status"),
                    html.Div(id=part(RESULT, name), className="mt-2"),
                ],
                id=part(PANEL, name),
                className="msg-job-progress",
                style={"display": "none"},
            ),
        ]
    )
