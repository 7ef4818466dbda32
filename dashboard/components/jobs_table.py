"""The jobs grid: its columns and the rows it shows for a list of jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dashboard.services.jobs import JobView

from .grid import Column, badge_column, name_column, number_column, text_column, time_column
from .job_progress import duration
from .timestamp import iso_utc

JOB_COLUMNS: list[Column] = [
    number_column("id", "#", width=80, filter_kind=None),
    name_column("label", "Job", min_width=200),
    badge_column("state", "State", family="job", width=135),
    {
        **number_column("percent", "Progress", width=115),
        "valueFormatter": {"function": "params.value == null ? '' : params.value + ' %'"},
    },
    text_column("message", "Message / error", min_width=200, flex=3),
    text_column("created_by", "Started by", min_width=120),
    time_column("created_at", "Queued"),
    {
        **number_column("duration_s", "Ran for", width=120, filter_kind=None),
        "valueFormatter": {"function": "params.data ? params.data.duration : ''"},
    },
]


def job_rows(views: list[JobView], now: datetime) -> list[dict[str, Any]]:
    """One grid row per job; the message column shows the error of jobs that failed.

    ``duration_s`` sorts, ``duration`` is how it reads.
    """
    rows = []
    for job in views:
        seconds = job.duration_s(now)
        rows.append(
            {
                "id": job.id,
                "label": job.label,
                "state": job.state,
                "percent": round(100 * job.progress) if job.state == "running" else None,
                "message": (job.error or job.summary) if job.is_finished else job.progress_message,
                "created_by": job.created_by,
                "created_at": iso_utc(job.created_at),
                "duration_s": None if seconds is None else round(seconds, 1),
                "duration": duration(seconds),
            }
        )
    return rows
