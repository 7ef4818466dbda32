"""The jobs grid: its columns and the rows it shows for a list of jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dashboard.services.jobs import JobView

from .formatting import when_utc
from .job_progress import duration

STATE_CLASSES = {
    "text-success fw-semibold": "params.value === 'succeeded'",
    "text-danger fw-semibold": "['failed', 'interrupted'].includes(params.value)",
    "text-warning-emphasis": "params.value === 'cancelled'",
    "text-primary fw-semibold": "params.value === 'running'",
}
JOB_COLUMNS: list[dict[str, Any]] = [
    {"field": "id", "headerName": "#", "width": 80},
    {"field": "label", "headerName": "Job", "minWidth": 220, "flex": 2},
    {"field": "state", "width": 120, "cellClassRules": STATE_CLASSES},
    {
        "field": "percent",
        "headerName": "Progress",
        "width": 110,
        "valueFormatter": {"function": "params.value == null ? '' : params.value + ' %'"},
    },
    {"field": "message", "headerName": "Message / error", "flex": 3, "tooltipField": "message"},
    {"field": "created_by", "headerName": "Started by", "width": 130},
    {"field": "created_at", "headerName": "Queued (UTC)", "width": 160},
    {"field": "duration", "headerName": "Ran for", "width": 120},
]


def job_rows(views: list[JobView], now: datetime) -> list[dict[str, Any]]:
    """One grid row per job; the message column shows the error of jobs that failed."""
    return [
        {
            "id": job.id,
            "label": job.label,
            "state": job.state,
            "percent": round(100 * job.progress) if job.state == "running" else None,
            "message": (job.error or job.summary) if job.is_finished else job.progress_message,
            "created_by": job.created_by,
            "created_at": when_utc(job.created_at),
            "duration": duration(job.duration_s(now)),
        }
        for job in views
    ]
