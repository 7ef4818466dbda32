"""Jobs: what runs in the background, yours (or everyone's for admins), live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db, current_queue
from dashboard.components.feedback import error_alert, icon
from dashboard.components.job_progress import job_id_store, job_progress
from dashboard.components.jobs_table import JOB_COLUMNS, job_rows
from dashboard.services import jobs, policy
from dashboard.services.errors import InputError
from dashboard.services.job_kinds import KINDS, SELFTEST

from . import _job_progress  # noqa: F401 - registers the progress panel's callbacks

GRID = "jobs-grid"
STATE = "jobs-state"
KIND = "jobs-kind"
EVERYONE = "jobs-everyone"
REFRESH = "jobs-refresh"
SELFTEST_BUTTON = "jobs-selftest"
ALERT = "jobs-alert"
DETAIL = "jobs-detail"
REFRESH_MS = 2000


def _filters(is_admin: bool) -> dbc.Row:
    everyone = dbc.Switch(id=EVERYONE, label="Everyone's jobs", value=False)
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("State", html_for=STATE),
                    dcc.Dropdown(id=STATE, options=list(jobs.STATES), placeholder="any state"),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label("Kind", html_for=KIND),
                    dcc.Dropdown(
                        id=KIND,
                        options=[{"label": k.label, "value": k.name} for k in KINDS.values()],
                        placeholder="any kind",
                    ),
                ],
                md=4,
            ),
            dbc.Col(
                everyone if is_admin else html.Div(everyone, hidden=True),
                md=3,
                className="d-flex align-items-end pb-2",
            ),
        ],
        className="g-2 mb-3",
    )


def layout(**_query: str) -> html.Div:
    """Filters, the live grid, and the panel of the job picked in it."""
    actor = current_actor()
    is_admin = policy.allows(actor, policy.Action.JOB_LIST_ALL)
    selftest = dbc.Button(
        [icon("activity", "me-1"), "Run a worker self-test"],
        id=SELFTEST_BUTTON,
        color="secondary",
        outline=True,
        size="sm",
        title="Starts a 10-second job, to check that workers take and finish jobs",
    )
    grid = dag.AgGrid(
        id=GRID,
        rowData=[],
        columnDefs=JOB_COLUMNS,
        defaultColDef={"resizable": True, "sortable": True},
        dashGridOptions={
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "domLayout": "autoHeight",
            "tooltipShowDelay": 300,
        },
        getRowId="params.data.id",
        style={"height": None},
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Jobs", className="h3 mb-0"),
                    selftest if jobs.may_start(actor, SELFTEST) else None,
                ],
                className="d-flex justify-content-between align-items-center mb-3",
            ),
            html.P(
                "Long work runs here in the background: it goes on when you close the page. "
                "Pick a job to follow it or cancel it.",
                className="text-body-secondary",
            ),
            html.Div(id=ALERT),
            dcc.Interval(id=REFRESH, interval=REFRESH_MS),
            dbc.Card(dbc.CardBody([_filters(is_admin), grid]), className="shadow-sm mb-3"),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.P(
                            "Pick a job in the list to follow it here.",
                            className="small text-body-secondary mb-2",
                        ),
                        job_progress(DETAIL, "Selected job"),
                    ]
                ),
                className="shadow-sm",
            ),
        ]
    )


@callback(
    Output(GRID, "rowData"),
    Input(REFRESH, "n_intervals"),
    Input(STATE, "value"),
    Input(KIND, "value"),
    Input(EVERYONE, "value"),
)
def refresh(
    _tick: int | None, state: str | None, kind: str | None, everyone: bool | None
) -> list[dict[str, Any]]:
    """The jobs matching the filters, newest first."""
    f = jobs.JobFilter(state or None, kind or None, bool(everyone))
    return job_rows(jobs.list_jobs(current_db(), current_actor(), f), datetime.now(UTC))


@callback(
    Output(job_id_store(DETAIL), "data"),
    Input(GRID, "selectedRows"),
    prevent_initial_call=True,
)
def pick(selected: list[dict[str, Any]] | None) -> Any:
    """Follow the job picked in the grid."""
    return selected[0]["id"] if selected else no_update


@callback(
    Output(ALERT, "children"),
    Output(job_id_store(DETAIL), "data", allow_duplicate=True),
    Input(SELFTEST_BUTTON, "n_clicks"),
    prevent_initial_call=True,
)
def start_selftest(clicks: int | None) -> tuple[Any, Any]:
    """Start a short self-test job and follow it."""
    if not clicks:
        return no_update, no_update
    try:
        job = jobs.start(
            current_db(),
            current_actor(),
            current_queue().enqueue,
            SELFTEST.name,
            {"seconds": 10, "progress_every_s": 0.2},
        )
    except InputError as exc:
        return error_alert(exc), no_update
    return None, job.id


dash.register_page(
    __name__,
    path="/jobs",
    name="Jobs",
    order=70,
    icon="hourglass-split",
    title="Jobs · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
