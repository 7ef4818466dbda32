"""Admin: the audit log with filters, a chart of events over time and CSV export."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db, current_queue
from dashboard.components.audit_view import (
    action_options,
    audit_chart,
    audit_filter,
    export_params,
    grid_rows,
    page_offset,
    paging,
)
from dashboard.components.chain_report import chain_report_alert
from dashboard.components.feedback import error_alert, icon
from dashboard.components.job_progress import job_id_store, job_progress, job_state_store
from dashboard.services import audit, jobs
from dashboard.services.errors import InputError
from dashboard.services.job_kinds import AUDIT_EXPORT, AUDIT_VERIFY

from . import _job_progress  # noqa: F401 - registers the progress panels' callbacks

USER = "audit-user"
ACTION = "audit-action"
RESULT = "audit-result"
DATES = "audit-dates"
APPLY = "audit-apply"
PREV = "audit-prev"
NEXT = "audit-next"
PAGE_INFO = "audit-page-info"
GRID = "audit-grid"
CHART = "audit-chart"
OFFSET = "audit-offset"
EXPORT = "audit-export"
VERIFY = "audit-verify"
VERIFY_RESULT = "audit-verify-result"
VERIFY_JOB = "audit-verify-job"
EXPORT_JOB = "audit-export-job"
PAGE_SIZE = 50


def layout(
    username: str | None = None, action: str | None = None, result: str | None = None, **_query: str
) -> html.Div:
    """Filters (initial values from the URL query), chart, grid and export."""
    values = audit.distinct_values(current_db(), current_actor())
    filters = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("User"),
                    dcc.Dropdown(
                        id=USER, options=values["usernames"], value=username, placeholder="anyone"
                    ),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label("Action"),
                    dcc.Dropdown(
                        id=ACTION,
                        options=action_options(values["actions"]),
                        value=action,
                        placeholder="any action",
                    ),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label("Result"),
                    dcc.Dropdown(
                        id=RESULT, options=list(audit.RESULTS), value=result, placeholder="any"
                    ),
                ],
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("Dates (UTC)"),
                    dcc.DatePickerRange(
                        id=DATES,
                        max_date_allowed=date.today() + timedelta(days=1),
                        display_format="YYYY-MM-DD",
                        clearable=True,
                    ),
                ],
                md=4,
            ),
        ],
        className="g-2 mb-2",
    )
    grid = dag.AgGrid(
        id=GRID,
        rowData=[],
        columnDefs=[
            {"field": "occurred_at", "headerName": "When (UTC)", "minWidth": 175},
            {"field": "username", "headerName": "Who"},
            {"field": "source_ip", "headerName": "From", "width": 130},
            {"field": "channel", "width": 90},
            {"field": "action", "minWidth": 150},
            {
                "field": "result",
                "width": 100,
                "cellClassRules": {"text-danger fw-semibold": "params.value !== 'ok'"},
            },
            {"field": "target", "headerName": "Target"},
            {"field": "detail", "flex": 3, "tooltipField": "detail"},
        ],
        defaultColDef={"resizable": True, "flex": 1},
        dashGridOptions={"domLayout": "autoHeight", "tooltipShowDelay": 300},
        style={"height": None},
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Audit log", className="h3 mb-0"),
                    html.Div(
                        [
                            dbc.Button(
                                [icon("shield-check", "me-1"), "Verify hash chain"],
                                id=VERIFY,
                                color="secondary",
                                outline=True,
                                className="me-2",
                            ),
                            dbc.Button(
                                [icon("download", "me-1"), "Export CSV"],
                                id=EXPORT,
                                color="secondary",
                                outline=True,
                            ),
                        ]
                    ),
                ],
                className="d-flex justify-content-between align-items-center mb-3",
            ),
            html.Div(id=VERIFY_RESULT),
            dbc.Row(
                [
                    dbc.Col(job_progress(VERIFY_JOB, "Hash chain verification"), md=6),
                    dbc.Col(job_progress(EXPORT_JOB, "CSV export"), md=6),
                ],
                className="mb-3 g-3",
            ),
            dcc.Store(id=OFFSET, data=0),
            dbc.Card(
                dbc.CardBody(
                    [
                        filters,
                        dbc.Button(
                            [icon("funnel", "me-1"), "Apply filters"],
                            id=APPLY,
                            color="primary",
                            size="sm",
                        ),
                    ]
                ),
                className="shadow-sm mb-3",
            ),
            dbc.Card(
                dbc.CardBody(dcc.Graph(id=CHART, config={"displaylogo": False})),
                className="shadow-sm mb-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        grid,
                        html.Div(
                            [
                                dbc.Button(
                                    "← Newer", id=PREV, size="sm", color="secondary", outline=True
                                ),
                                html.Span(id=PAGE_INFO, className="mx-3 small"),
                                dbc.Button(
                                    "Older →", id=NEXT, size="sm", color="secondary", outline=True
                                ),
                            ],
                            className="d-flex align-items-center justify-content-center mt-2",
                        ),
                    ]
                ),
                className="shadow-sm",
            ),
        ]
    )


@callback(
    output={
        "rows": Output(GRID, "rowData"),
        "info": Output(PAGE_INFO, "children"),
        "offset": Output(OFFSET, "data"),
        "chart": Output(CHART, "figure"),
        "prev_disabled": Output(PREV, "disabled"),
        "next_disabled": Output(NEXT, "disabled"),
    },
    inputs={
        "_apply": Input(APPLY, "n_clicks"),
        "_prev": Input(PREV, "n_clicks"),
        "_next": Input(NEXT, "n_clicks"),
        "username": State(USER, "value"),
        "action": State(ACTION, "value"),
        "result": State(RESULT, "value"),
        "start": State(DATES, "start_date"),
        "end": State(DATES, "end_date"),
        "offset": State(OFFSET, "data"),
    },
)
def show(
    _apply: int | None,
    _prev: int | None,
    _next: int | None,
    username: str | None,
    action: str | None,
    result: str | None,
    start: str | None,
    end: str | None,
    offset: int | None,
) -> dict[str, Any]:
    """Load one page of events and the chart for the filters."""
    offset = page_offset(dash.ctx.triggered_id, offset, PAGE_SIZE, prev=PREV, next_=NEXT)
    db, actor = current_db(), current_actor()
    f = audit_filter(username, action, result, start, end)
    page = audit.search(db, actor, f, offset=offset, limit=PAGE_SIZE)
    pager = paging(offset, len(page.rows), page.total, PAGE_SIZE)
    return {
        "rows": grid_rows(page.rows),
        "info": pager.info,
        "offset": pager.offset,
        "chart": audit_chart(audit.daily_counts(db, actor, f)),
        "prev_disabled": pager.prev_disabled,
        "next_disabled": pager.next_disabled,
    }


def _start(kind: str, params: dict[str, object] | None = None) -> dict[str, Any]:
    try:
        job = jobs.start(current_db(), current_actor(), current_queue().enqueue, kind, params)
    except InputError as exc:
        return {"alert": error_alert(exc), "job": no_update}
    return {"alert": None, "job": job.id}


@callback(
    output={
        "alert": Output(VERIFY_RESULT, "children"),
        "job": Output(job_id_store(EXPORT_JOB), "data"),
    },
    inputs={
        "_clicks": Input(EXPORT, "n_clicks"),
        "username": State(USER, "value"),
        "action": State(ACTION, "value"),
        "result": State(RESULT, "value"),
        "start": State(DATES, "start_date"),
        "end": State(DATES, "end_date"),
    },
    prevent_initial_call=True,
)
def export(
    _clicks: int | None,
    username: str | None,
    action: str | None,
    result: str | None,
    start: str | None,
    end: str | None,
) -> dict[str, Any]:
    """Export the filtered events as CSV in a job; its panel offers the file when done."""
    f = audit_filter(username, action, result, start, end)
    return _start(AUDIT_EXPORT.name, export_params(f))


@callback(
    output={
        "alert": Output(VERIFY_RESULT, "children", allow_duplicate=True),
        "job": Output(job_id_store(VERIFY_JOB), "data"),
    },
    inputs={"_clicks": Input(VERIFY, "n_clicks")},
    prevent_initial_call=True,
)
def verify(_clicks: int | None) -> dict[str, Any]:
    """Recompute the hash chain in a job (100,000 events must not block the page)."""
    return _start(AUDIT_VERIFY.name)


@callback(
    Output(VERIFY_RESULT, "children", allow_duplicate=True),
    Input(job_state_store(VERIFY_JOB), "data"),
    prevent_initial_call=True,
)
def verified(state: dict[str, Any] | None) -> Any:
    """Say whether history is intact once the verification job has succeeded."""
    if not state or state.get("state") != "succeeded" or not state.get("result"):
        return no_update
    return chain_report_alert(state["result"])


dash.register_page(
    __name__,
    path="/admin/audit",
    name="Audit log",
    order=81,
    icon="journal-text",
    title="Audit log · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
