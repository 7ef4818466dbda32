"""A run's mission-control page: state and links, the operators' commands, setpoints and
approvals, live charts, alarms and limits, the command history and the growth fit.

Built from the run's id in the path and the services; the panels that change while the page
is open (state, alarms, history, approvals) are drawn by the builders here, which the
callbacks call again with fresh data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import app_state, current_actor, current_catalog, current_db
from dashboard.components.feedback import empty_state, icon
from dashboard.components.forms import error_summary, field, field_error, label
from dashboard.components.frame import card, page_header
from dashboard.components.status import status_badge
from dashboard.components.timestamp import timestamp
from dashboard.components.view_state import parse_int
from dashboard.services import alarms, commands, runs, telemetry
from dashboard.services.actor import Actor
from dashboard.services.alarms import AlarmView
from dashboard.services.commands import CommandView
from dashboard.services.devices import Catalog
from dashboard.services.errors import NotFound
from dashboard.services.runs import ACTIVE, TRANSITIONS, RunView

from . import charts, ids

ID_MAX = 2**31 - 1
REFRESH_MS = 2_000
# Zoom and pan stay (scroll zoom off: the page scrolls over a chart on a phone); the lasso and
# box select of a time series mean nothing here.
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}
LIVE_MS = 1_000
SHELVE_CHOICES = ((15, "15 min"), (60, "1 h"), (480, "8 h"))
COMMAND_LABELS = {
    "start": ("Start", "play-fill", "success"),
    "pause": ("Pause", "pause-fill", "warning"),
    "resume": ("Resume", "play-fill", "primary"),
    "stop": ("Stop", "stop-fill", "secondary"),
    "abort": ("Abort…", "x-octagon", "danger"),
}
ALARM_STATUS = {
    "active": ("bell-fill", "Active, not acknowledged"),
    "acknowledged": ("bell", "Active, acknowledged"),
    "cleared": ("bell-slash", "Cleared, not acknowledged"),
    "shelved": ("moon", "Shelved"),
    "closed": ("check", "Closed"),
}


def run_href(run_id: int) -> str:
    """The page of run ``run_id``."""
    return ids.PATH_TEMPLATE.replace("<run_id>", str(run_id))


def csv_href(run_id: int) -> str:
    """The run's telemetry as CSV (served by the API; the browser's session logs it in)."""
    return f"/api/v1/runs/{run_id}/telemetry.csv"


def hz() -> float:
    """Telemetry samples per second, as configured."""
    return float(app_state().settings.telemetry_hz)


# --- state and links --------------------------------------------------------------------------


def state_badge(run: RunView) -> html.Span:
    """The run's state as a badge."""
    return status_badge("run", run.state)


def link_chips(run: RunView) -> list[Any]:
    """Each bound device with its link state (ok, lost, no controller)."""
    return [
        html.Span(
            [html.Span(f"{device} ", className="me-1"), status_badge("link", run.link[device])],
            className="msg-mission-chip",
            title=f"{kind} {device}",
        )
        for device, kind in run.devices.items()
    ]


def link_banner(run: RunView) -> dbc.Alert | None:
    """The banner of a run whose device stopped answering."""
    if not run.is_link_lost:
        return None
    lost = [d for d, state in run.link.items() if state == "lost"]
    return dbc.Alert(
        [
            icon("wifi-off", "me-2"),
            html.Strong("Link lost: "),
            f"{', '.join(lost)} stopped answering. The run goes on; the controller reconnects "
            "by itself and the charts resume when the device answers again.",
        ],
        color="danger",
        className="py-2 mb-3",
    )


def disabled_commands(state: str) -> dict[str, bool]:
    """Which lifecycle buttons are disabled in ``state`` (those ``TRANSITIONS`` refuse).

    >>> disabled_commands("planned")["start"], disabled_commands("planned")["pause"]
    (False, True)
    """
    return {kind: state not in sources for kind, (sources, _) in TRANSITIONS.items()}


# --- commands (operators) ---------------------------------------------------------------------


def _command_buttons(run: RunView) -> html.Div:
    disabled = disabled_commands(run.state)
    return html.Div(
        [
            dbc.Button(
                [icon(icon_name, "me-1"), text],
                id=ids.pattern(ids.COMMAND_KIND, kind=kind),
                color=colour,
                outline=kind in ("stop", "abort"),
                disabled=disabled[kind],
                className="msg-mission-command"
                + {"stop": " msg-outline-quiet", "abort": " msg-outline-danger"}.get(kind, ""),
            )
            for kind, (text, icon_name, colour) in COMMAND_LABELS.items()
        ],
        className="d-flex flex-wrap gap-2",
        role="group",
        **{"aria-label": "Run commands"},
    )


def _abort_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Abort this run?")),
            dbc.ModalBody(
                [
                    html.P(
                        "Aborting ends the run for good: the devices go idle and it cannot "
                        "be resumed."
                    ),
                    html.P(
                        [
                            icon("people", "me-2"),
                            "It is irreversible, so a second operator must approve it before "
                            "it is sent. Your request waits under Approvals.",
                        ],
                        className="mb-0",
                    ),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Keep running", id=ids.ABORT_CANCEL, color="secondary"),
                    dbc.Button(
                        [icon("x-octagon", "me-1"), "Request abort"],
                        id=ids.ABORT_CONFIRM,
                        color="danger",
                    ),
                ]
            ),
        ],
        id=ids.ABORT_MODAL,
        is_open=False,
    )


def _writable(cat: Catalog, run: RunView) -> list[tuple[str, str]]:
    options = []
    # The chamber's first: temperature is what operators change most.
    for device in sorted(run.devices, key=lambda d: (run.devices[d] != "chamber", d)):
        caps = cat.capabilities.get(device)
        for p in caps.parameters if caps else ():
            if p.is_writable:
                unit = f"{p.unit}, " if p.unit else ""
                options.append(
                    (
                        f"{device}|{p.name}",
                        f"{device} · {p.label} ({unit}{p.minimum:g}–{p.maximum:g})",
                    )
                )
    return options


def parameter_bounds(cat: Catalog, choice: object) -> dict[str, Any] | None:
    """Unit, range and step of a ``device|parameter`` choice (None for an unknown one)."""
    if not isinstance(choice, str) or "|" not in choice:
        return None
    device, name = choice.split("|", 1)
    try:
        p = cat.parameter(device, name)
    except KeyError:
        return None
    return {
        "device": device,
        "parameter": p.name,
        "unit": p.unit,
        "min": p.minimum,
        "max": p.maximum,
        "step": p.resolution or "any",
        "text": f"{p.label}: {p.minimum:g} to {p.maximum:g} {p.unit}".rstrip()
        + (f", in steps of {p.resolution:g}" if p.resolution else "")
        + (f"; reached within ±{p.tolerance:g}" if p.tolerance else "")
        + ".",
    }


def _number_field(
    form: Any,
    name: str,
    text: str,
    *,
    value: object = None,
    unit: str = "",
    unit_id: str | None = None,
    help_text: object = None,
    help_id: str | None = None,
    bounds: dict[str, Any] | None = None,
    required: bool = False,
    class_name: str = "mb-3",
) -> html.Div:
    """A number field of the form pattern: label, input with min/max/step, unit, help, error."""
    extra = {k: bounds[k] for k in ("min", "max", "step")} if bounds else {"step": "any"}
    control = dbc.Input(
        id=form.control(name),
        type="number",
        value=value,
        required=required,
        class_name="msg-field-control",
        inputmode="decimal",
        **extra,
    )
    children: list[Any] = [
        label(form, name, text, required=required),
        dbc.InputGroup(
            [control, dbc.InputGroupText(unit or "—", id=unit_id or f"{form.name}-{name}-unit")],
            class_name="has-validation",
        ),
    ]
    if help_text is not None or help_id:
        children.append(
            html.Div(help_text, id=help_id or form.help(name), className="form-text msg-field-help")
        )
    children.append(field_error(form, name))
    return html.Div(children, id=form.wrapper(name), className=f"msg-field {class_name}")


def _setpoint_form(cat: Catalog, run: RunView) -> html.Form:
    options = _writable(cat, run)
    first = options[0][0] if options else None
    bounds = parameter_bounds(cat, first)
    return html.Form(
        [
            error_summary(ids.SETPOINT),
            field(
                ids.SETPOINT,
                "parameter",
                "Parameter",
                kind="select",
                options=options,
                value=first,
                required=True,
                class_name="mb-2",
            ),
            _number_field(
                ids.SETPOINT,
                "value",
                "New setpoint",
                unit=bounds["unit"] if bounds else "",
                unit_id=ids.SETPOINT_UNIT,
                help_text=bounds["text"] if bounds else None,
                help_id=ids.SETPOINT_RANGE,
                bounds=bounds,
                required=True,
                class_name="mb-2",
            ),
            html.Div(
                [
                    dbc.Button(
                        [icon("eye", "me-1"), "Preview (dry run)"],
                        id=ids.SETPOINT_PREVIEW,
                        color="secondary",
                        outline=True,
                        className="msg-outline-quiet",
                        type="button",
                    ),
                    html.Button(
                        [icon("send", "me-1"), "Send"],
                        id=ids.SETPOINT.submit,
                        type="submit",
                        className="btn btn-primary msg-form-submit",
                    ),
                ],
                className="d-flex flex-wrap gap-2",
            ),
            html.Div(id=ids.SETPOINT_RESULT, className="mt-2", **{"aria-live": "polite"}),
        ],
        id=ids.SETPOINT.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "Change a setpoint"},
    )


def _small_button(children: Any, family: str, command_id: int, tone: str, name: str) -> Any:
    """A small button on a pending command, named for screen readers with what it does to
    which command (dbc.Button takes no ``aria-label``)."""
    classes = {"danger": "btn-danger", "quiet": "btn-outline-secondary msg-outline-quiet"}
    return html.Button(
        children,
        id=ids.pattern(family, command=command_id),
        type="button",
        className=f"btn btn-sm {classes[tone]}",
        **{"aria-label": name},
    )


def approvals_view(pending: Sequence[CommandView], actor: Actor, may_act: bool) -> Any:
    """Commands waiting for a second operator: the requester's own wait for someone else
    (they may withdraw them), another operator may approve or reject, anyone else sees them."""
    if not pending:
        return html.P("Nothing waits for approval.", className="text-body-secondary mb-0 small")
    items = []
    for c in pending:
        own = c.requested_by == actor.username
        what = f"{c.kind} (command #{c.id})"
        if own:
            waiting: Any = html.Div(
                [
                    icon("hourglass-split", "me-1"),
                    html.Strong("Waiting for another operator"),
                    " to approve your request; you cannot approve it yourself.",
                ],
                className="small msg-mission-waiting",
            )
        elif may_act:
            waiting = html.Div(
                [icon("people", "me-1"), "Needs your approval (second operator)."],
                className="small fw-semibold",
            )
        else:
            waiting = html.Div(
                "Waiting for a second operator's approval.", className="small text-body-secondary"
            )
        if not may_act:
            actions: list[Any] = []
        elif own:
            actions = [_small_button("Withdraw", ids.REJECT, c.id, "quiet", f"Withdraw {what}")]
        else:
            actions = [
                _small_button(
                    [icon("check-lg", "me-1"), f"Approve {c.kind}"],
                    ids.APPROVE,
                    c.id,
                    "danger",
                    f"Approve {what}",
                ),
                _small_button("Reject", ids.REJECT, c.id, "quiet", f"Reject {what}"),
            ]
        items.append(
            html.Li(
                [
                    html.Div(
                        [
                            status_badge("command", commands.AWAITING_APPROVAL),
                            " ",
                            html.Strong(f"{c.kind.capitalize()} #{c.id}"),
                            f" requested by {'you' if own else c.requested_by} ",
                            timestamp(c.requested_at),
                            html.Div(c.detail, className="small text-body-secondary"),
                            waiting,
                        ]
                    ),
                    html.Div(actions, className="d-flex flex-wrap align-items-center gap-2")
                    if actions
                    else None,
                ],
                className="list-group-item px-0 d-flex flex-wrap justify-content-between "
                "align-items-start gap-2 msg-mission-approval",
                **{"data-command": str(c.id), "data-own": "true" if own else "false"},
            )
        )
    return html.Ul(items, className="list-group list-group-flush")


def _controls_card(cat: Catalog, run: RunView) -> dbc.Card:
    return card(
        [
            _command_buttons(run),
            html.Div(id=ids.COMMAND_ALERT, className="mt-2", **{"aria-live": "polite"}),
            dcc.Store(id=ids.COMMAND_WATCH, data=None),
            _abort_modal(),
            html.Hr(),
            html.H2("Setpoint", className="h6"),
            _setpoint_form(cat, run),
        ],
        header=[icon("joystick", "me-2"), "Commands"],
        class_name="mb-3",
    )


def _approvals_card(pending: Sequence[CommandView], actor: Actor, may_act: bool) -> dbc.Card:
    return card(
        [
            html.Div(approvals_view(pending, actor, may_act), id=ids.APPROVALS),
            html.Div(id=ids.APPROVAL_ALERT, className="mt-2", **{"aria-live": "polite"}),
        ],
        header=[icon("people", "me-2"), "Approvals (two-person rule)"],
        class_name="mb-3",
    )


# --- charts -----------------------------------------------------------------------------------


def _charts_card(loaded: charts.Loaded, run: RunView, window: str) -> dbc.Card:
    shown = [group for group in charts.GROUPS if group.key in loaded.figures]
    graphs = [
        dbc.Col(
            html.Figure(
                [
                    html.Figcaption(group.title, className="h6 mb-1"),
                    html.P(
                        loaded.summaries[group.key],
                        id=ids.graph_summary(group.key),
                        className="visually-hidden",
                    ),
                    dcc.Graph(
                        id=ids.graph(group.key),
                        figure=loaded.figures[group.key],
                        config=GRAPH_CONFIG,
                        className="msg-mission-graph",
                    ),
                ],
                className="mb-3 msg-mission-figure",
                **{"aria-describedby": ids.graph_summary(group.key)},
            ),
            md=12 if position == len(shown) - 1 and len(shown) % 2 else 6,
        )
        for position, group in enumerate(shown)
    ]
    window_control = html.Fieldset(
        [
            html.Legend("Time window", className="visually-hidden"),
            dbc.RadioItems(
                id=ids.WINDOW,
                options=[
                    {"label": text, "value": key} for key, (text, _) in charts.WINDOWS.items()
                ],
                value=window,
                inline=True,
                class_name="msg-mission-window",
            ),
        ],
        className="mb-2",
    )
    # Groups this run has no device for are laid out hidden: the live callbacks write to
    # every group's chart, and Dash refuses a callback whose output is not on the page.
    absent = html.Div(
        [
            html.Div(
                [
                    html.P(id=ids.graph_summary(group.key)),
                    dcc.Graph(id=ids.graph(group.key), figure={}, config=GRAPH_CONFIG),
                ]
            )
            for group in charts.GROUPS
            if group.key not in loaded.figures
        ],
        hidden=True,
    )
    return card(
        [
            window_control,
            html.Div(charts_note(loaded, run), id=ids.CHARTS_NOTE, className="small mb-2"),
            dbc.Row(graphs),
            absent,
        ],
        header=[icon("graph-up", "me-2"), "Telemetry"],
        class_name="mb-3",
    )


def charts_note(loaded: charts.Loaded, run: RunView) -> str:
    live = (
        "New readings appear every second."
        if run.state in ACTIVE
        else "The run is not active: the charts wait."
    )
    thinned = (
        f" {', '.join(loaded.downsampled)}: downsampled on the server (min and max per bucket)."
        if loaded.downsampled
        else ""
    )
    lines = (
        " Dashed lines: warning limits; dotted: critical; a limit far from the readings is "
        "named at the chart's edge (▲ above, ▼ below). Times in UTC."
    )
    return live + thinned + lines


# --- alarms and limits ------------------------------------------------------------------------


def _shelve_buttons(alarm: AlarmView) -> html.Div:
    return html.Div(
        [
            dbc.Button(
                text,
                id=ids.pattern(ids.SHELVE, alarm=alarm.id, minutes=minutes),
                size="sm",
                color="secondary",
                outline=True,
                className="msg-outline-quiet",
                title=f"Shelve for {text}",
            )
            for minutes, text in SHELVE_CHOICES
        ],
        className="btn-group text-nowrap",
        role="group",
        **{"aria-label": f"Shelve alarm {alarm.id}"},
    )


def alarms_view(found: Sequence[AlarmView], may_act: bool) -> Any:
    """The run's open alarms with what an operator can do about each."""
    if not found:
        return html.P(
            [icon("check-circle", "me-2"), "No open alarms."],
            className="text-body-secondary mb-0",
        )
    head = ["Severity", "What", "Message", "Status", "Raised", "Cleared"]
    if may_act:
        head.append("Actions")
    rows = []
    for a in found:
        status_icon, status_text = ALARM_STATUS.get(a.status, ("question-circle", a.status))
        cells: list[Any] = [
            html.Td(status_badge("alarm", a.severity)),
            html.Td([html.Div(a.parameter or a.kind), html.Div(a.device_id, className="small")]),
            html.Td(a.message, className="msg-notes"),
            html.Td(
                [
                    icon(status_icon, "me-1"),
                    status_text,
                    html.Div(f"by {a.acked_by}", className="small") if a.acked_by else None,
                ],
                className="small",
            ),
            html.Td(timestamp(a.raised_at), className="text-nowrap small"),
            html.Td(timestamp(a.cleared_at), className="text-nowrap small"),
        ]
        if may_act:
            cells.append(
                html.Td(
                    html.Div(
                        [
                            dbc.Button(
                                [icon("check2", "me-1"), "Acknowledge"],
                                id=ids.pattern(ids.ACK, alarm=a.id),
                                size="sm",
                                color="primary",
                            )
                            if a.acked_at is None
                            else None,
                            _shelve_buttons(a),
                        ],
                        className="d-flex flex-wrap gap-2",
                    )
                )
            )
        rows.append(html.Tr(cells, className="msg-mission-alarm", **{"data-alarm": str(a.id)}))
    return html.Div(
        html.Table(
            [
                html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                html.Tbody(rows),
            ],
            className="table table-sm align-middle mb-0 msg-table",
        ),
        className="table-responsive",
    )


def alarm_news(found: Sequence[AlarmView], known: Sequence[int]) -> str:
    """Words for a screen reader about the alarms not in ``known`` (empty when none).

    >>> alarm_news([], [1])
    ''
    """
    fresh = [a for a in found if a.id not in set(known) and a.status == "active"]
    return " ".join(f"New {a.severity} alarm: {a.message}" for a in fresh[:3])


def limit_values(run: RunView, parameter: object) -> dict[str, float | None]:
    """The four bounds of ``parameter`` in ``run`` (all None for an unknown parameter)."""
    for lim in run.limits:
        if lim.parameter == parameter:
            return {b: getattr(lim, b) for b in ids.BOUNDS}
    return dict.fromkeys(ids.BOUNDS)


def _limits_form(cat: Catalog, run: RunView) -> html.Form:
    names = [lim.parameter for lim in run.limits]
    first = "temperature_c" if "temperature_c" in names else (names[0] if names else None)
    values = limit_values(run, first)
    texts = {
        "warn_low": "Warning low",
        "warn_high": "Warning high",
        "crit_low": "Critical low",
        "crit_high": "Critical high",
    }
    units = {}
    for name in names:
        try:
            units[name] = telemetry.unit_of(cat, run.devices, name)[1]
        except KeyError:
            units[name] = ""
    return html.Form(
        [
            error_summary(ids.LIMITS),
            field(
                ids.LIMITS,
                "parameter",
                "Parameter",
                kind="select",
                options=[(n, f"{n} ({units[n]})" if units[n] else n) for n in names],
                value=first,
                required=True,
                class_name="mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        _number_field(
                            ids.LIMITS,
                            bound,
                            texts[bound],
                            value=values[bound],
                            unit=units.get(first or "", ""),
                            unit_id=f"mission-run-limits-{bound}-unit",
                            class_name="mb-2",
                        ),
                        sm=6,
                    )
                    for bound in ids.BOUNDS
                ]
            ),
            html.P(
                "Leave a bound empty for none. Limits are checked at the next sample; the "
                "change is recorded in the command history.",
                className="form-text",
            ),
            html.Button(
                [icon("check-lg", "me-1"), "Save limits"],
                id=ids.LIMITS.submit,
                type="submit",
                className="btn btn-primary msg-form-submit",
            ),
            html.Div(id=ids.LIMITS_RESULT, className="mt-2", **{"aria-live": "polite"}),
        ],
        id=ids.LIMITS.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "Alarm limits"},
    )


def _alarms_card(found: Sequence[AlarmView], may_act: bool) -> dbc.Card:
    return card(
        [
            html.Div(id=ids.ALARM_ALERT, **{"aria-live": "polite"}),
            html.Div(
                id=ids.ALARM_NEWS,
                className="visually-hidden",
                role="status",
                **{"aria-live": "polite"},
            ),
            html.Div(alarms_view(found, may_act), id=ids.ALARMS),
        ],
        header=[icon("bell", "me-2"), "Open alarms"],
        class_name="mb-3",
    )


# --- command history --------------------------------------------------------------------------


def _arguments(c: CommandView) -> str:
    if c.kind == "setpoint" and c.parameter is not None and c.value is not None:
        return f"{c.device_id} {c.parameter} = {c.value:g} {c.unit or ''}".rstrip()
    if c.kind == "limits":
        new = c.args.get("new") or {}
        bounds = ", ".join(
            f"{b} {new[b]:g}" for b in ids.BOUNDS if isinstance(new.get(b), int | float)
        )
        return f"{c.parameter}: {bounds or 'no bounds'}"
    if c.kind == "profile":
        return f"{len(c.args.get('steps') or [])} steps"
    devices = c.args.get("devices")
    return ", ".join(devices) if isinstance(devices, list) else ""


def _stage_list(c: CommandView) -> html.Ul:
    stages = sorted(c.stages.items(), key=lambda item: item[1])
    return html.Ul(
        [
            html.Li(
                [
                    status_badge("command", stage),
                    html.Time(
                        moment[11:19],
                        dateTime=moment,
                        className="ms-1 small text-body-secondary",
                        title=moment,
                    ),
                ],
                className="d-inline-block me-2 mb-1",
            )
            for stage, moment in stages
        ],
        className="list-unstyled mb-0",
        **{"aria-label": f"Stages of command {c.id}"},
    )


def history_view(found: Sequence[CommandView]) -> Any:
    """The run's commands, newest first, each with every stage it reached and when."""
    if not found:
        return html.P("No commands yet.", className="text-body-secondary mb-0")
    rows = [
        html.Tr(
            [
                html.Td(timestamp(c.requested_at), className="text-nowrap small"),
                html.Td(html.Strong(c.kind)),
                html.Td(_arguments(c), className="small"),
                html.Td(
                    [c.requested_by, html.Div(c.source, className="small text-body-secondary")]
                ),
                html.Td(_stage_list(c)),
                html.Td(c.detail, className="small msg-notes"),
            ],
            className="msg-mission-command-row",
            **{"data-kind": c.kind, "data-stage": c.stage},
        )
        for c in found
    ]
    head = ["When", "Command", "Arguments", "Who", "Stages", "Detail"]
    return html.Div(
        html.Table(
            [html.Thead(html.Tr([html.Th(h, scope="col") for h in head])), html.Tbody(rows)],
            className="table table-sm align-middle mb-0 msg-table",
        ),
        className="table-responsive msg-mission-history",
    )


# --- growth -----------------------------------------------------------------------------------


def _growth_card() -> dbc.Card:
    return card(
        [
            html.P(
                "Fit Zwietering's modified logistic or Gompertz model to the OD600 readings "
                "(hours of culture time since the start): lag λ, maximum specific growth rate "
                "µmax and capacity K, each with its 95 % confidence interval.",
                className="small",
            ),
            html.Div(
                [
                    html.Fieldset(
                        [
                            html.Legend("Model", className="visually-hidden"),
                            dbc.RadioItems(
                                id=ids.FIT_MODEL,
                                options=[
                                    {"label": "Logistic", "value": "logistic"},
                                    {"label": "Gompertz", "value": "gompertz"},
                                ],
                                value="logistic",
                                inline=True,
                            ),
                        ]
                    ),
                    dbc.Button([icon("graph-up-arrow", "me-1"), "Fit growth curve"], id=ids.FIT),
                ],
                className="d-flex flex-wrap align-items-center gap-3 mb-2",
            ),
            html.Div(id=ids.FIT_RESULT, **{"aria-live": "polite"}),
        ],
        header=[icon("graph-up-arrow", "me-2"), "Growth"],
        class_name="mb-3",
    )


# --- the page ---------------------------------------------------------------------------------


def _not_found(raw: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "No such run",
                breadcrumb_items=[("Mission control", ids.LIST_PATH), ("Run", None)],
            ),
            empty_state(
                "question-circle",
                f"No run {raw[:20]!r}",
                "It may have been mistyped; the runs are listed on Mission control.",
                dcc.Link("Mission control", href=ids.LIST_PATH, className="btn btn-primary"),
            ),
        ]
    )


def find_run(raw: object) -> RunView | None:
    """The run whose id is in the path, or None."""
    run_id = parse_int(raw, minimum=1, maximum=ID_MAX)
    if run_id is None:
        return None
    try:
        return runs.get_run(current_db(), run_id)
    except NotFound:
        return None


def layout(run_id: str = "", **query: Any) -> html.Div:
    """The run's page; ``?window=hour`` opens the charts on another time window."""
    run = find_run(run_id)
    if run is None:
        return _not_found(str(run_id))
    db, cat, actor = current_db(), current_catalog(), current_actor()
    may_act = runs.can_operate(actor)
    window = charts.window_key(query.get("window"))
    history = commands.list_commands(db, run.id)
    now = datetime.now().timestamp()
    found = telemetry.query_many(
        db, cat, run.id, since=charts.since(window, now), max_points=charts.MAX_POINTS
    )
    loaded = charts.load(found, cat, run, history, window, now)
    pending = commands.awaiting_approval(db, run_id=run.id)
    open_alarms = alarms.list_alarms(db, run_id=run.id)
    arm = f" · {run.arm_name}" if run.arm_name else ""
    header = page_header(
        run.name,
        breadcrumb_items=[("Mission control", ids.LIST_PATH), (run.name, None)],
        actions=[
            html.A(
                [icon("download", "me-1"), "Download CSV"],
                href=csv_href(run.id),
                id=ids.CSV_LINK,
                className="btn btn-outline-secondary msg-outline-quiet",
                download=f"run-{run.id}-telemetry.csv",
            )
        ],
        subtitle=[
            dcc.Link(run.experiment_name, href=f"/experiments/{run.experiment_id}"),
            arm,
            f" · run #{run.id} · started ",
            html.Span(timestamp(run.started_at, empty="not yet"), id=ids.STARTED),
        ],
    )
    status_line = html.Div(
        [
            html.Span(state_badge(run), id=ids.STATE, className="msg-mission-state"),
            html.Span(link_chips(run), id=ids.LINKS, className="d-flex flex-wrap gap-2"),
        ],
        className="d-flex flex-wrap align-items-center gap-3 mb-3",
    )
    side: list[Any] = []
    if may_act:
        side.append(_controls_card(cat, run))
    side.append(_approvals_card(pending, actor, may_act))
    if may_act:
        side.append(
            card(
                _limits_form(cat, run),
                header=[icon("sliders", "me-2"), "Limits"],
                class_name="mb-3",
            )
        )
    return html.Div(
        [
            header,
            html.Div(link_banner(run), id=ids.LINK_BANNER),
            status_line,
            _alarms_card(open_alarms, may_act),
            dbc.Row(
                [
                    dbc.Col(_charts_card(loaded, run, window), xl=8),
                    dbc.Col(side, xl=4),
                ]
            ),
            card(
                html.Div(history_view(history), id=ids.HISTORY),
                header=[icon("clock-history", "me-2"), "Command history"],
                class_name="mb-3",
            ),
            _growth_card(),
            dcc.Store(id=ids.RUN_ID, data=run.id),
            dcc.Store(id=ids.ACTION, data=0),
            dcc.Store(id=ids.RELOAD, data=0),
            dcc.Store(id=ids.RUN_SEEN, data={}),
            dcc.Store(
                id=ids.CURSOR,
                data={
                    "t": loaded.last_t,
                    "window": window,
                    "setpoints": loaded.setpoints,
                    "keep": charts.keep_points(window, hz()),
                },
            ),
            dcc.Interval(id=ids.LIVE, interval=LIVE_MS, disabled=run.state not in ACTIVE),
            dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
        ]
    )


def title(run_id: str = "", **_query: Any) -> str:
    """The browser tab names the run."""
    run = find_run(run_id)
    return f"{run.name} · MicroSpaceGen" if run else "No such run · MicroSpaceGen"


def finite(value: float) -> bool:
    """Whether ``value`` is a finite number (NaN intervals are shown as —)."""
    return isinstance(value, int | float) and math.isfinite(value)
