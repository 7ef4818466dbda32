"""The lists on the one grid: experiments, users and jobs as rows and columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.components.experiments_table import (
    ARM_KINDS,
    EXPERIMENT_COLUMNS,
    arm_legend,
    experiment_rows,
)
from dashboard.components.jobs_table import JOB_COLUMNS, job_rows
from dashboard.components.status import grid_badge_params
from dashboard.components.users_table import USER_COLUMNS, user_rows
from dashboard.services.accounts import UserRow
from dashboard.services.experiments import ArmView, ExperimentView
from dashboard.services.jobs import JobView

NOW = datetime(2026, 11, 26, 9, 58, 12, tzinfo=UTC)


def test_experiment_rows_hide_the_internal_version_and_carry_arm_kinds() -> None:
    arms = (
        ArmView(1, "flight µg", "Space Flight", 0.0, ""),
        ArmView(2, "ground 1 g", "Ground Control", 1.0, ""),
    )
    view = ExperimentView(
        7, "BRIC-23 <b>", "E. coli", "", arms, "sci", NOW, NOW, 4, "SpaceX-21", "BRIC", "OSD-379"
    )
    (row,) = experiment_rows([view])
    assert "version" not in row
    assert row["href"] == "/experiments/7"
    assert row["name"] == "BRIC-23 <b>"  # rendered as text by the link renderer, never markup
    assert (row["mission"], row["hardware"], row["osdr"]) == ("SpaceX-21", "BRIC", "OSD-379")
    assert row["arms"] == ["flight µg", "ground 1 g"]
    assert row["arm_kinds"] == ["flight", "ground"]
    assert row["created_at"] == "2026-11-26T09:58:12Z"
    assert {c["field"] for c in EXPERIMENT_COLUMNS} >= {"mission", "hardware", "osdr", "arms"}
    legend = arm_legend()
    assert [li.children[0].children[1] for li in legend.children] == [
        s.label for s in ARM_KINDS.values()
    ]


def test_user_rows_list_roles_and_an_account_state() -> None:
    user = UserRow(3, "ada", "Ada L.", ["scientist", "admin"], True, NOW, NOW)
    (row,) = user_rows([user])
    assert row["roles"] == ["admin", "scientist"]
    assert row["active"] == "active"
    assert row["last_login_at"] == "2026-11-26T09:58:12Z"
    states = next(c for c in USER_COLUMNS if c["field"] == "active")["cellRendererParams"]
    assert set(states["statuses"]) == {"active", "inactive"}


def test_job_rows_sort_by_seconds_and_read_as_durations() -> None:
    job = JobView(
        id=4,
        kind="audit.verify",
        label="Verify the audit hash chain",
        params={},
        state="running",
        progress=0.42,
        progress_message="Checked 42 of 100 events",
        result=None,
        error=None,
        created_by="admin",
        created_at=NOW,
        started_at=NOW,
        finished_at=None,
        attempts=1,
        worker="w1",
        cancel_requested=False,
    )
    (row,) = job_rows([job], NOW + timedelta(seconds=75))
    assert (row["state"], row["percent"], row["duration_s"], row["duration"]) == (
        "running",
        42,
        75.0,
        "1 min 15 s",
    )
    assert row["created_at"] == "2026-11-26T09:58:12Z"
    state = next(c for c in JOB_COLUMNS if c["field"] == "state")
    assert state["cellRendererParams"] == grid_badge_params("job")
