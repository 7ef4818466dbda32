"""Admin: the audit log with filters, a chart of events over time, paging from the server,
the full detail of an event, and CSV export."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db, current_queue
from dashboard.components.audit_view import (
    AUDIT_COLUMNS,
    PAGE_SIZE,
    action_options,
    audit_chart,
    audit_filter,
    event_detail,
    events_info,
    export_params,
    grid_rows,
    rows_request,
    target_link,
    target_of,
)
from dashboard.components.chain_report import anchored_head_line, chain_report_alert
from dashboard.components.feedback import error_alert, icon
from dashboard.components.frame import card, loading, page_header
from dashboard.components.grid import GridSpec, data_grid, grid_ids, register_grid
from dashboard.components.job_progress import job_id_store, job_progress, job_state_store
from dashboard.components.status import status_legend
from dashboard.components.theme import current_scheme
from dashboard.components.view_state import GridView, Sort
from dashboard.services import audit, audit_anchors, jobs
from dashboard.services.errors import InputError
from dashboard.services.job_kinds import AUDIT_EXPORT, AUDIT_VERIFY

from . import _job_progress  # noqa: F401 - registers the progress panels' callbacks

USER = "audit-user"
ACTION = "audit-action"
RESULT = "audit-result"
SINCE = "audit-since"
UNTIL = "audit-until"
PAGE_INFO = "audit-page-info"
CHART = "audit-chart"
CHART_AREA = "audit-chart-area"
VERIFY = "audit-verify"
VERIFY_RESULT = "audit-verify-result"
VERIFY_JOB = "audit-verify-job"
EXPORT_JOB = "audit-export-job"
DETAIL_MODAL = "audit-detail-modal"
DETAIL_TITLE = "audit-detail-title"
DETAIL_BODY = "audit-detail-body"
ANCHORED_HEAD = "audit-anchored-head"

IDS = grid_ids("audit")
GRID = IDS.grid
EXPORT = IDS.export
SEARCH = IDS.search
FILTERS = {
    "username": (USER, "value"),
    "action": (ACTION, "value"),
    "result": (RESULT, "value"),
    "since": (SINCE, "value"),
    "until": (UNTIL, "value"),
}
SPEC = GridSpec(
    IDS,
    AUDIT_COLUMNS,
    default=GridView(sort=(Sort("occurred_at", descending=True),), page_size=PAGE_SIZE),
    label="events",
    server_rows=True,
    url_params=FILTERS,
)
# The export button starts a job (100,000 events do not belong in the browser).
register_grid(SPEC, export=False)


def _date(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        return None


def _choice(
    control_id: str, label: str, options: list[dict[str, str]], value: object, anyone: str
) -> list[Any]:
    """A labelled native select; "" is the choice that does not filter."""
    values = {o["value"] for o in options}
    return [
        dbc.Label(label, html_for=control_id),
        dbc.Select(
            id=control_id,
            options=[{"label": anyone, "value": ""}, *options],
            value=value if isinstance(value, str) and value in values else "",
            placeholder=anyone,  # dbc shows it for "" (the "any" option's value)
        ),
    ]


def _filters(values: dict[str, list[str]], query: dict[str, Any]) -> dbc.Row:
    """User, action, result and a UTC date range (native controls: keyboard and screen
    readers know them, and they follow the colour scheme)."""
    users = [{"label": u, "value": u} for u in values["usernames"]]
    results = [{"label": r, "value": r} for r in audit.RESULTS]
    today = date.today()
    dates = {"min": "2000-01-01", "max": (today + timedelta(days=1)).isoformat()}
    return dbc.Row(
        [
            dbc.Col(_choice(USER, "User", users, query.get("username"), "Anyone"), md=3, sm=6),
            dbc.Col(
                _choice(
                    ACTION,
                    "Action",
                    action_options(values["actions"]),
                    query.get("action"),
                    "Any action",
                ),
                md=3,
                sm=6,
            ),
            dbc.Col(_choice(RESULT, "Result", results, query.get("result"), "Any result"), md=2),
            dbc.Col(
                [
                    dbc.Label("From (UTC)", html_for=SINCE),
                    dbc.Input(id=SINCE, type="date", value=_date(query.get("since")), **dates),
                ],
                md=2,
                xs=6,
            ),
            dbc.Col(
                [
                    dbc.Label("To (UTC)", html_for=UNTIL),
                    dbc.Input(id=UNTIL, type="date", value=_date(query.get("until")), **dates),
                ],
                md=2,
                xs=6,
            ),
        ],
        className="g-2",
    )


def layout(**query: Any) -> html.Div:
    """Filters, chart and grid; filters, search, sort and page come from the URL."""
    values = audit.distinct_values(current_db(), current_actor())
    verify = dbc.Button(
        [icon("shield-check", "me-1"), "Verify hash chain"],
        id=VERIFY,
        color="secondary",
        outline=True,
        className="msg-tool",
    )
    grid = data_grid(
        SPEC,
        None,
        view=SPEC.view(query),
        legend=status_legend("audit"),
        open_rows=True,
        no_match="No events match these filters.",
        export_title="Export the events that match the filters as CSV (a background job)",
        row_id=None,
    )
    return html.Div(
        [
            page_header(
                "Audit log",
                breadcrumb_items=[("Overview", "/"), ("Audit log", None)],
                actions=[verify],
                subtitle="Everything done in the app, by whom, from where; chained by hashes, "
                "and the chain's head sealed on the ledger, so no event can be changed "
                "unnoticed. Click an event for all of it.",
            ),
            anchored_head_line(
                audit_anchors.last_anchored_head(current_db()), line_id=ANCHORED_HEAD
            ),
            html.Div(id=VERIFY_RESULT),
            dbc.Row(
                [
                    dbc.Col(job_progress(VERIFY_JOB, "Hash chain verification"), md=6),
                    dbc.Col(job_progress(EXPORT_JOB, "CSV export"), md=6),
                ],
                className="mb-3 g-3",
            ),
            card(_filters(values, query), class_name="mb-3 msg-filter-card"),
            card(
                [
                    html.Div(id=PAGE_INFO, className="small text-body-secondary", role="status"),
                    loading(
                        dcc.Graph(id=CHART, config={"displaylogo": False, "responsive": True}),
                        area_id=CHART_AREA,
                        min_height="220px",
                    ),
                ],
                class_name="mb-3",
            ),
            grid,
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Event", id=DETAIL_TITLE)),
                    dbc.ModalBody(id=DETAIL_BODY),
                ],
                id=DETAIL_MODAL,
                size="lg",
                scrollable=True,
                is_open=False,
            ),
        ]
    )


# The arguments of audit_filter, and where the page holds them.
FILTER_PARTS = {
    "username": (USER, "value"),
    "action": (ACTION, "value"),
    "result": (RESULT, "value"),
    "start": (SINCE, "value"),
    "end": (UNTIL, "value"),
    "text": (SEARCH, "value"),
}
FILTER_STATES = {name: State(*part) for name, part in FILTER_PARTS.items()}


@callback(
    output={"response": Output(GRID, "getRowsResponse"), "info": Output(PAGE_INFO, "children")},
    inputs={"request": Input(GRID, "getRowsRequest"), **FILTER_STATES},
    prevent_initial_call=True,
)
def rows(request: dict[str, Any] | None, **filters: str | None) -> dict[str, Any]:
    """One page of events, in the grid's sort order, with their targets' current names."""
    offset, limit, sort = rows_request(request)
    db, actor = current_db(), current_actor()
    page = audit.search(db, actor, audit_filter(**filters), offset=offset, limit=limit, sort=sort)
    targets = [t for t in map(target_of, page.rows) if t is not None]
    names = audit.target_names(db, actor, targets)
    return {
        "response": {"rowData": grid_rows(page.rows, names), "rowCount": page.total},
        "info": events_info(page.total),
    }


@callback(
    Output(CHART, "figure"),
    inputs={name: Input(*part) for name, part in FILTER_PARTS.items()},
)
def chart(**filters: str | None) -> Any:
    """Events per day (week, month) and result for the filters, in the page's colours."""
    counts = audit.daily_counts(current_db(), current_actor(), audit_filter(**filters))
    return audit_chart(counts, current_scheme())


@callback(
    output={
        "is_open": Output(DETAIL_MODAL, "is_open"),
        "title": Output(DETAIL_TITLE, "children"),
        "body": Output(DETAIL_BODY, "children"),
    },
    inputs={"event": Input(GRID, "eventData")},
    prevent_initial_call=True,
)
def open_event(event: dict[str, Any] | None) -> dict[str, Any]:
    """Show every field of the event whose row was opened."""
    opened = event.get("data") if isinstance(event, dict) else None
    event_id = opened.get("id") if isinstance(opened, dict) else None
    if not isinstance(event_id, int) or isinstance(event_id, bool):
        return dict.fromkeys(("is_open", "title", "body"), no_update)
    db, actor = current_db(), current_actor()
    try:
        found = audit.get_event(db, actor, event_id)
    except InputError as exc:
        return {"is_open": True, "title": "Event", "body": error_alert(exc)}
    target = target_of(found.row)
    names = audit.target_names(db, actor, [target] if target else [])
    return {
        "is_open": True,
        "title": [html.Code(found.row.action, className="me-2"), f"by {found.row.username}"],
        "body": event_detail(found, target_link(target, names)),
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
    inputs={"_clicks": Input(EXPORT, "n_clicks"), **FILTER_STATES},
    prevent_initial_call=True,
)
def export(_clicks: int | None, **filters: str | None) -> dict[str, Any]:
    """Export the filtered events as CSV in a job; its panel offers the file when done."""
    return _start(AUDIT_EXPORT.name, export_params(audit_filter(**filters)))


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
