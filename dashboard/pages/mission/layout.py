"""The Mission control page: the runs grid, the open alarms of every run, the new-run form
(operators) and the growth comparison of two runs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import current_actor, current_catalog, current_db
from dashboard.components.feedback import empty_state, icon
from dashboard.components.forms import error_summary, field, field_error
from dashboard.components.frame import card, page_header
from dashboard.components.grid import (
    GridSpec,
    badge_column,
    data_grid,
    link_column,
    number_column,
    register_grid,
    text_column,
    time_column,
)
from dashboard.components.status import status_badge, status_legend
from dashboard.components.timestamp import iso_utc, timestamp
from dashboard.components.view_state import GridView, Sort
from dashboard.pages.mission_run.layout import ALARM_STATUS
from dashboard.services import alarms, devices, experiments, runs
from dashboard.services.alarms import AlarmView
from dashboard.services.devices import Catalog
from dashboard.services.runs import RunView

from . import ids

RUN_PATH = "/mission/runs/"
REFRESH_MS = 5_000
LINK_RANK = {"lost": 3, devices.NO_CONTROLLER: 2, "unknown": 1, "ok": 0}
KIND_ORDER = {"chamber": 0, "centrifuge": 1, "dosimeter": 2}

COLUMNS = [
    link_column("name", "Run", href_field="href", min_width=170, flex=2),
    badge_column("state", "State", family="run", width=135),
    text_column("experiment", "Experiment", min_width=140, flex=1.5),
    text_column("arm", "Arm", min_width=110),
    text_column("devices", "Devices", min_width=150, flex=1.5),
    number_column("open_alarms", "Alarms", width=115),
    # "no controller" is the widest link badge: it must show whole.
    badge_column("link", "Link", family="link", width=165),
    time_column("started_at", "Started"),
]
SPEC = GridSpec(
    ids.RUNS,
    COLUMNS,
    default=GridView(sort=(Sort("started_at", descending=True),)),
    label="runs",
)
register_grid(SPEC)


def run_href(run_id: int) -> str:
    """A run's page."""
    return f"{RUN_PATH}{run_id}"


def worst_link(run: RunView) -> str:
    """The worst link state of a run's devices (what needs attention first).

    Only an active run is read by the controller; a planned or finished one shows nothing.
    """
    if run.state not in runs.ACTIVE or not run.link:
        return ""
    return max(run.link.values(), key=lambda state: LINK_RANK.get(state, 1))


def run_rows(found: Sequence[RunView]) -> list[dict[str, Any]]:
    """One grid row per run."""
    return [
        {
            "id": r.id,
            "name": r.name,
            "href": run_href(r.id),
            "state": r.state,
            "experiment": r.experiment_name,
            "arm": r.arm_name or "—",
            "devices": ", ".join(
                sorted(r.devices, key=lambda d: (KIND_ORDER.get(r.devices[d], 9), d))
            ),
            "open_alarms": r.open_alarms,
            "link": worst_link(r),
            "started_at": iso_utc(r.started_at),
        }
        for r in found
    ]


def alarms_summary(found: Sequence[AlarmView], names: dict[int, str]) -> Any:
    """The open alarms of every run, most recent first, each linking to its run."""
    if not found:
        return html.P(
            [icon("check-circle", "me-2"), "No open alarms on any run."],
            className="text-body-secondary mb-0",
        )
    critical = sum(1 for a in found if a.severity == "critical")
    rows = [
        html.Tr(
            [
                html.Td(status_badge("alarm", a.severity)),
                html.Td(
                    dcc.Link(names.get(a.run_id, f"run {a.run_id}"), href=run_href(a.run_id))
                    if a.run_id is not None
                    else "—"
                ),
                html.Td(a.message, className="msg-notes"),
                html.Td(
                    [icon(ALARM_STATUS.get(a.status, ("bell", ""))[0], "me-1"), a.status],
                    className="small text-nowrap",
                    title=ALARM_STATUS.get(a.status, ("", a.status))[1],
                ),
                html.Td(timestamp(a.raised_at), className="small text-nowrap"),
            ]
        )
        for a in found[:50]
    ]
    return html.Div(
        [
            html.P(
                f"{len(found)} open ({critical} critical).",
                className="small mb-2",
            ),
            html.Div(
                html.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(h, scope="col")
                                    for h in ("Severity", "Run", "Message", "Status", "Raised")
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    className="table table-sm align-middle mb-0 msg-table",
                ),
                className="table-responsive",
            ),
        ]
    )


# --- new run ----------------------------------------------------------------------------------


def _experiment_options() -> list[tuple[str, str]]:
    options = []
    for e in experiments.list_experiments(current_db()):
        options.append((f"{e.id}:", f"{e.name} (no arm)"))
        options += [(f"{e.id}:{a.id}", f"{e.name} · {a.name}") for a in e.arms]
    return options


def _writable_options(cat: Catalog) -> list[tuple[str, str]]:
    options = [("", "No step")]
    for device_id in cat.ids():
        for p in cat.capabilities[device_id].parameters:
            if p.is_writable:
                unit = f" {p.unit}" if p.unit else ""
                options.append(
                    (
                        f"{device_id}|{p.name}",
                        f"{device_id} · {p.label} ({p.minimum:g}–{p.maximum:g}{unit})",
                    )
                )
    return options


def _devices_field(cat: Catalog) -> html.Div:
    links = devices.link_states(current_db(), cat.ids())
    defaults = cat.default_ids()
    return html.Fieldset(
        [
            html.Legend("Devices", className="form-label fs-6 mb-1"),
            dbc.Checklist(
                id=ids.DEVICES,
                options=[
                    {
                        "label": f"{d} ({cat.specs[d].kind}; link {links.get(d, 'unknown')})",
                        "value": d,
                    }
                    for d in cat.ids()
                ],
                value=defaults,
            ),
            html.Div(
                "At most one device of each kind; none ticked binds the first of each kind.",
                className="form-text",
            ),
            field_error(ids.NEW_RUN, "devices"),
        ],
        className="msg-field mb-3",
        id=ids.NEW_RUN.wrapper("devices"),
    )


def _profile_rows(cat: Catalog) -> html.Fieldset:
    options = _writable_options(cat)
    rows = []
    for i in range(ids.PROFILE_ROWS):
        at_field, parameter_field, value_field = (
            f"profile[{i}].at_h",
            f"profile[{i}].parameter",
            f"profile[{i}].value",
        )
        rows.append(
            dbc.Row(
                [
                    dbc.Col(
                        field(
                            ids.NEW_RUN,
                            at_field,
                            f"Step {i + 1}: from hour",
                            units="h",
                            input_mode="decimal",
                            class_name="mb-2",
                        ),
                        sm=3,
                    ),
                    dbc.Col(
                        field(
                            ids.NEW_RUN,
                            parameter_field,
                            "Parameter",
                            kind="select",
                            options=options,
                            value="",
                            class_name="mb-2",
                        ),
                        sm=6,
                    ),
                    dbc.Col(
                        field(
                            ids.NEW_RUN,
                            value_field,
                            "Value",
                            input_mode="decimal",
                            class_name="mb-2",
                        ),
                        sm=3,
                    ),
                ],
                className="g-2",
            )
        )
    return html.Fieldset(
        [
            html.Legend("Profile (optional)", className="form-label fs-6 mb-1"),
            html.P(
                "Setpoints the controller applies at hours of culture time since the start, "
                "e.g. 37 °C from hour 0, then 4 °C from hour 24.",
                className="form-text mt-0",
            ),
            *rows,
        ],
        className="mb-3",
    )


def _new_run_form(cat: Catalog) -> html.Form:
    options = _experiment_options()
    if not options:
        return empty_state(
            "flask",
            "No experiments yet",
            "A run belongs to an experiment (and usually one of its arms): create one first.",
            dcc.Link("New experiment", href="/experiments/new", className="btn btn-primary"),
        )
    return html.Form(
        [
            error_summary(ids.NEW_RUN),
            field(
                ids.NEW_RUN,
                "experiment",
                "Experiment and arm",
                kind="select",
                options=options,
                value=next((v for v, _ in options if not v.endswith(":")), options[0][0]),
                required=True,
            ),
            field(
                ids.NEW_RUN,
                "name",
                "Run name",
                required=True,
                max_length=runs.NAME_MAX,
                placeholder="e.g. flight µg, replicate A",
            ),
            _devices_field(cat),
            _profile_rows(cat),
            html.Button(
                [icon("plus-lg", "me-1"), "Create run"],
                id=ids.NEW_RUN.submit,
                type="submit",
                className="btn btn-primary msg-form-submit",
            ),
            html.P(
                "The run is planned; start it on its page.",
                className="form-text mb-0 mt-2",
            ),
        ],
        id=ids.NEW_RUN.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "New run"},
    )


# --- comparison -------------------------------------------------------------------------------


def _compare_card(found: Sequence[RunView]) -> dbc.Card:
    started = [r for r in found if r.started_at is not None]
    if len(started) < 2:
        body: Any = html.P(
            "Two runs that have started (e.g. a flight µg arm and its ground 1 g control) "
            "can be compared here.",
            className="text-body-secondary mb-0",
        )
    else:
        options = [
            {
                "label": f"#{r.id} {r.name}" + (f" · {r.arm_name}" if r.arm_name else ""),
                "value": r.id,
            }
            for r in started
        ]
        flight = next((r.id for r in started if r.arm_gravity_g == 0), started[0].id)
        ground = next((r.id for r in started if r.arm_gravity_g == 1 and r.id != flight), None)
        ground = ground or next(r.id for r in started if r.id != flight)
        body = [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("First run", html_for=ids.COMPARE_A),
                            dbc.Select(id=ids.COMPARE_A, options=options, value=flight),
                        ],
                        md=6,
                        xl=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Second run", html_for=ids.COMPARE_B),
                            dbc.Select(id=ids.COMPARE_B, options=options, value=ground),
                        ],
                        md=6,
                        xl=4,
                    ),
                ],
                className="g-2 mb-2",
            ),
            html.Div(
                [
                    html.Fieldset(
                        [
                            html.Legend("Model", className="visually-hidden"),
                            dbc.RadioItems(
                                id=ids.COMPARE_MODEL,
                                options=[
                                    {"label": "Logistic", "value": "logistic"},
                                    {"label": "Gompertz", "value": "gompertz"},
                                ],
                                value="logistic",
                                inline=True,
                            ),
                        ]
                    ),
                    dbc.Button([icon("intersect", "me-1"), "Compare growth"], id=ids.COMPARE),
                ],
                className="d-flex flex-wrap align-items-center gap-3 mb-2",
            ),
            html.Div(id=ids.COMPARE_RESULT, **{"aria-live": "polite"}),
        ]
    return card(
        body,
        header=[icon("intersect", "me-2"), "Compare two runs' growth"],
        class_name="mb-3",
    )


def layout(**query: Any) -> html.Div:
    """The runs, newest first, with their open alarms; the new-run form for operators."""
    db, cat = current_db(), current_catalog()
    may_act = runs.can_operate(current_actor())
    found = runs.list_runs(db)
    names = {r.id: r.name for r in found}
    open_alarms = alarms.list_alarms(db)
    header = page_header(
        "Mission control",
        breadcrumb_items=[("Overview", "/"), ("Mission control", None)],
        subtitle="Runs on culture hardware: state, device links, alarms and growth.",
    )
    rows = run_rows(found)
    grid = data_grid(
        SPEC,
        rows,
        view=SPEC.view(query),
        csv_name="runs.csv",
        legend=status_legend("run", runs.STATES),
        empty=empty_state(
            "rocket-takeoff",
            "No runs yet",
            "A run binds a chamber, a centrifuge and a dosimeter to an experiment's arm."
            + (" Plan one below." if may_act else " Operators plan them."),
        ),
        no_match="No runs match. Clear the search or the column filters to see all.",
    )
    new_run = (
        dbc.Row(
            dbc.Col(
                card(
                    _new_run_form(cat),
                    header=[icon("plus-circle", "me-2"), "New run"],
                    class_name="mb-3",
                ),
                lg=8,
                xl=6,
            )
        )
        if may_act
        else None
    )
    return html.Div(
        [
            header,
            card(
                html.Div(
                    alarms_summary(open_alarms, names),
                    id=ids.ALARMS,
                    role="status",
                    **{"aria-live": "polite", "aria-atomic": "false"},
                ),
                header=[icon("bell", "me-2"), "Open alarms"],
                class_name="mb-3",
            ),
            html.Div(grid, className="mb-3"),
            _compare_card(found),
            new_run,
            dcc.Location(id=ids.REDIRECT, refresh="callback-nav"),
            dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
            # Only beside a grid: with no run yet the page shows the empty state instead.
            dcc.Interval(id=ids.RUNS_REFRESH, interval=REFRESH_MS) if rows else None,
            dcc.Store(id=ids.SEEN_ALARMS, data=alarms_mark(open_alarms)),
            dcc.Store(id=ids.SEEN_ROWS, data=fingerprint(rows)),
        ]
    )


def fingerprint(value: object) -> str:
    """A short digest of what a panel shows (to redraw it only when it changed)."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def alarms_mark(found: Sequence[AlarmView]) -> str:
    """The fingerprint of what the alarms summary shows of ``found`` (not the live value)."""
    return fingerprint([(a.id, a.severity, a.message, a.status) for a in found])
