"""Jobs: what runs in the background, yours (or everyone's for admins), live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db, current_queue
from dashboard.components.feedback import error_alert, icon
from dashboard.components.frame import card, page_header
from dashboard.components.grid import GridSpec, data_grid, grid_ids, register_grid
from dashboard.components.job_progress import job_id_store, job_progress
from dashboard.components.jobs_table import JOB_COLUMNS, job_rows
from dashboard.components.status import status_legend
from dashboard.components.view_state import GridView, Sort, parse_int
from dashboard.services import jobs, policy
from dashboard.services.actor import Actor
from dashboard.services.errors import InputError
from dashboard.services.job_kinds import KINDS, SELFTEST

from . import _job_progress  # noqa: F401 - registers the progress panel's callbacks

STATE = "jobs-state"
KIND = "jobs-kind"
EVERYONE = "jobs-everyone"
REFRESH = "jobs-refresh"
SELFTEST_BUTTON = "jobs-selftest"
ALERT = "jobs-alert"
DETAIL = "jobs-detail"
REQUESTED = "jobs-requested"  # dcc.Store: the job a link asked to follow (?job=<id>)
REFRESH_MS = 2000
JOB_PARAM = "job"
JOB_ID_MAX = 2**63 - 1

IDS = grid_ids("jobs")
GRID = IDS.grid
SPEC = GridSpec(
    IDS,
    JOB_COLUMNS,
    default=GridView(sort=(Sort("id", descending=True),)),
    label="jobs",
    url_params={
        "state": (STATE, "value"),
        "kind": (KIND, "value"),
        "everyone": (EVERYONE, "value"),
    },
)
register_grid(SPEC)


def _filter_values(query: dict[str, Any], is_admin: bool) -> tuple[str | None, str | None, bool]:
    state, kind = query.get("state"), query.get("kind")
    return (
        state if state in jobs.STATES else None,
        kind if isinstance(kind, str) and kind in KINDS else None,
        is_admin and query.get("everyone") == "1",
    )


def _filters(is_admin: bool, state: str | None, kind: str | None, everyone: bool) -> list[Any]:
    """The server-side filters, in the grid's toolbar (and in the URL)."""
    switch = dbc.Switch(id=EVERYONE, label="Everyone's jobs", value=everyone, className="mb-0")
    kinds = [{"label": k.label, "value": k.name} for k in KINDS.values()]
    states = [{"label": s, "value": s} for s in jobs.STATES]
    return [
        _select(
            STATE, "Only jobs in this state", [{"label": "Any state", "value": ""}, *states], state
        ),
        _select(KIND, "Only jobs of this kind", [{"label": "Any kind", "value": ""}, *kinds], kind),
        switch if is_admin else html.Div(switch, hidden=True),
    ]


def _select(select_id: str, label: str, options: list[dict[str, str]], value: str | None) -> Any:
    return html.Div(
        [
            dbc.Label(label, html_for=select_id, className="visually-hidden"),
            dbc.Select(
                id=select_id,
                options=options,
                value=value or "",
                placeholder=options[0]["label"],  # dbc shows it for "" (the first option's value)
                size="sm",
                className="msg-grid-select",
            ),
        ]
    )


def _rows(actor: Actor, state: object, kind: object, everyone: bool) -> list[Any]:
    f = jobs.JobFilter(
        state if isinstance(state, str) and state else None,
        kind if isinstance(kind, str) and kind else None,
        everyone,
    )
    return job_rows(jobs.list_jobs(current_db(), actor, f), datetime.now(UTC))


def layout(**query: Any) -> html.Div:
    """Filters, the live grid, and the panel of the job picked in it."""
    actor = current_actor()
    is_admin = policy.allows(actor, policy.Action.JOB_LIST_ALL)
    state, kind, everyone = _filter_values(query, is_admin)
    selftest = dbc.Button(
        [icon("activity", "me-1"), "Run a worker self-test"],
        id=SELFTEST_BUTTON,
        color="secondary",
        outline=True,
        className="msg-tool",
        title="Starts a 10-second job, to check that workers take and finish jobs",
    )
    grid = data_grid(
        SPEC,
        _rows(actor, state, kind, everyone),
        view=SPEC.view(query),
        csv_name="jobs.csv",
        legend=status_legend("job"),
        toolbar_extra=_filters(is_admin, state, kind, everyone),
        no_match="No jobs match. Long work you start (exports, checks) appears here.",
        grid_options={
            "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
        },
    )
    return html.Div(
        [
            page_header(
                "Jobs",
                breadcrumb_items=[("Overview", "/"), ("Jobs", None)],
                actions=[selftest] if jobs.may_start(actor, SELFTEST) else [],
                subtitle="Long work runs here in the background: it goes on when you close "
                "the page. Pick a job to follow it or cancel it.",
            ),
            html.Div(id=ALERT),
            dcc.Interval(id=REFRESH, interval=REFRESH_MS),
            dcc.Store(
                id=REQUESTED,
                data=parse_int(query.get(JOB_PARAM), minimum=1, maximum=JOB_ID_MAX),
            ),
            html.Div(grid, className="mb-3"),
            card(
                [
                    html.P(
                        "Pick a job in the list to follow it here.",
                        className="small text-body-secondary mb-2",
                    ),
                    job_progress(DETAIL, "Selected job"),
                ]
            ),
        ]
    )


@callback(
    Output(GRID, "rowData"),
    Input(REFRESH, "n_intervals"),
    Input(STATE, "value"),
    Input(KIND, "value"),
    Input(EVERYONE, "value"),
    prevent_initial_call=True,
)
def refresh(
    _tick: int | None, state: object, kind: object, everyone: object
) -> list[dict[str, Any]]:
    """The jobs matching the filters, newest first."""
    return _rows(current_actor(), state, kind, everyone is True)


@callback(
    Output(job_id_store(DETAIL), "data"),
    Input(GRID, "selectedRows"),
    prevent_initial_call=True,
)
def pick(selected: list[dict[str, Any]] | None) -> Any:
    """Follow the job picked in the grid."""
    return selected[0]["id"] if selected else no_update


@callback(
    Output(job_id_store(DETAIL), "data", allow_duplicate=True),
    Input(REQUESTED, "data"),
    prevent_initial_call="initial_duplicate",
)
def follow_requested(job_id: int | None) -> Any:
    """Follow the job a link names (``/jobs?job=12``, e.g. from the audit log)."""
    return job_id if job_id else no_update


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
