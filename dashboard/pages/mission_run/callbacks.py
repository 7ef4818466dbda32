"""Callbacks of a run's page. Each unpacks its inputs, calls the service that does the work
(runs, commands, alarms, telemetry, growth) and maps the answer to components drawn by
``layout`` and ``charts``. Refusals are shown beside the field or the button that caused
them; the services check the roles themselves."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from dash import Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth import current_actor, current_catalog, current_db
from dashboard.components.feedback import error_alert, success_alert
from dashboard.components.forms import (
    clear_errors,
    error_outputs,
    field_states,
    field_values,
    show_errors,
)
from dashboard.components.mission_commands import command_outcome
from dashboard.components.theme import current_scheme, themed
from dashboard.components.timestamp import timestamp
from dashboard.components.view_state import parse_int
from dashboard.services import alarms, commands, growth, runs, telemetry
from dashboard.services.commands import Preview
from dashboard.services.errors import InputError, ServiceError
from dashboard.services.runs import ACTIVE

from . import charts, ids
from .layout import (
    alarm_news,
    alarms_view,
    approvals_view,
    charts_note,
    disabled_commands,
    history_view,
    hz,
    limit_values,
    link_banner,
    link_chips,
    parameter_bounds,
    state_badge,
)
from .views import fit_view

MAX_ID = 2**31 - 1  # the database's integer keys

GROUP_KEYS = [g.key for g in charts.GROUPS]


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _clicked() -> bool:
    """Whether the callback was fired by a real click (not by buttons being re-drawn)."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


# --- charts -----------------------------------------------------------------------------------


@callback(
    output={
        **{key: Output(ids.graph(key), "figure") for key in GROUP_KEYS},
        **{f"{key}_summary": Output(ids.graph_summary(key), "children") for key in GROUP_KEYS},
        "cursor": Output(ids.CURSOR, "data"),
        "note": Output(ids.CHARTS_NOTE, "children"),
    },
    inputs={"window": Input(ids.WINDOW, "value"), "_reload": Input(ids.RELOAD, "data")},
    state={"run_id": State(ids.RUN_ID, "data")},
    prevent_initial_call=True,
)
def reload_charts(window: object, _reload: object, run_id: object) -> dict[str, Any]:
    """Rebuild the figures for the time window (downsampled on the server), e.g. after a
    window change, a new setpoint or new limits."""
    if not isinstance(run_id, int):
        raise PreventUpdate
    db, cat = current_db(), current_catalog()
    run = runs.get_run(db, run_id)
    key = charts.window_key(window)
    now = datetime.now().timestamp()
    found = telemetry.query_many(
        db, cat, run_id, since=charts.since(key, now), max_points=charts.MAX_POINTS
    )
    loaded = charts.load(found, cat, run, commands.list_commands(db, run_id), key, now)
    return {
        **{k: loaded.figures.get(k, no_update) for k in GROUP_KEYS},
        **{f"{k}_summary": loaded.summaries.get(k, no_update) for k in GROUP_KEYS},
        "cursor": {
            "t": loaded.last_t,
            "window": key,
            "setpoints": loaded.setpoints,
            "keep": charts.keep_points(key, hz()),
        },
        "note": charts_note(loaded, run),
    }


@callback(
    output={
        **{key: Output(ids.graph(key), "extendData") for key in GROUP_KEYS},
        "cursor": Output(ids.CURSOR, "data", allow_duplicate=True),
    },
    inputs={"_tick": Input(ids.LIVE, "n_intervals")},
    state={"cursor": State(ids.CURSOR, "data"), "run_id": State(ids.RUN_ID, "data")},
    prevent_initial_call=True,
)
def append_points(_tick: int, cursor: dict[str, Any] | None, run_id: object) -> dict[str, Any]:
    """Append only the readings newer than the charts' last point (``extendData``)."""
    if not isinstance(run_id, int) or not isinstance(cursor, dict):
        raise PreventUpdate
    after = cursor.get("t")
    db = current_db()
    run = runs.get_run(db, run_id)
    if after is None and run.started_at is not None:
        after = run.started_at.timestamp() - 1.0
    if after is None:
        raise PreventUpdate
    cat = current_catalog()
    found = charts.new_points(
        telemetry.query_many(db, cat, run_id, since=float(after), max_points=None),
        cat,
        run.devices,
        float(after),
        cursor.get("setpoints") or {},
        int(cursor.get("keep") or charts.KEEP_POINTS),
    )
    if found.last_t is None:
        raise PreventUpdate
    return {
        **{k: found.extend.get(k, no_update) for k in GROUP_KEYS},
        "cursor": {**cursor, "t": found.last_t},
    }


# --- state, alarms, history, approvals --------------------------------------------------------


@callback(
    output={
        "state": Output(ids.STATE, "children"),
        "started": Output(ids.STARTED, "children"),
        "links": Output(ids.LINKS, "children"),
        "banner": Output(ids.LINK_BANNER, "children"),
        "disabled": Output(ids.pattern(ids.COMMAND_KIND), "disabled"),
        "live_off": Output(ids.LIVE, "disabled"),
        "seen": Output(ids.RUN_SEEN, "data"),
        "alarms": Output(ids.ALARMS, "children"),
        "news": Output(ids.ALARM_NEWS, "children"),
        "history": Output(ids.HISTORY, "children"),
        "approvals": Output(ids.APPROVALS, "children"),
        "reload": Output(ids.RELOAD, "data"),
    },
    inputs={"_tick": Input(ids.REFRESH, "n_intervals"), "_action": Input(ids.ACTION, "data")},
    state={
        "run_id": State(ids.RUN_ID, "data"),
        "seen": State(ids.RUN_SEEN, "data"),
        "buttons": State(ids.pattern(ids.COMMAND_KIND), "id"),
        "reload": State(ids.RELOAD, "data"),
    },
    prevent_initial_call=True,
)
def refresh(
    _tick: int,
    _action: object,
    run_id: object,
    seen: dict[str, str] | None,
    buttons: list[dict[str, str]],
    reload: int | None,
) -> dict[str, Any]:
    """Redraw what changed since the last look: state and links, open alarms, the command
    history and the approvals (the rest stays, so a button under the pointer stays put)."""
    if not isinstance(run_id, int):
        raise PreventUpdate
    db, actor = current_db(), current_actor()
    may_act = runs.can_operate(actor)
    run = runs.get_run(db, run_id)
    found = alarms.list_alarms(db, run_id=run_id)
    history = commands.list_commands(db, run_id)
    pending = commands.awaiting_approval(db, run_id=run_id)
    seen = dict(seen or {})
    now = {
        "run": _fingerprint(run.state, sorted(run.link.items()), run.is_link_lost),
        "alarms": _fingerprint(
            [(a.id, a.severity, a.message, a.status, a.acked_by, a.cleared_at) for a in found]
        ),
        "history": _fingerprint(history),
        "approvals": _fingerprint(pending),
    }
    out: dict[str, Any] = dict.fromkeys(
        (
            "state",
            "started",
            "links",
            "banner",
            "disabled",
            "live_off",
            "alarms",
            "news",
            "history",
            "approvals",
        ),
        no_update,
    )
    out["reload"] = no_update
    out["disabled"] = [no_update] * len(buttons)  # a wildcard output takes one per button
    if now["run"] != seen.get("run"):
        disabled = disabled_commands(run.state)
        out |= {
            "state": state_badge(run),
            "started": timestamp(run.started_at, empty="not yet"),
            "links": link_chips(run),
            "banner": link_banner(run),
            "disabled": [disabled.get(b["kind"], True) for b in buttons],
            "live_off": run.state not in ACTIVE,
        }
    if now["alarms"] != seen.get("alarms"):
        out["alarms"] = alarms_view(found, may_act)
        if "alarms" in seen:  # not on the first look: those were on the page already
            out["news"] = alarm_news(found, seen.get("alarm_ids") or []) or no_update
    if now["history"] != seen.get("history"):
        out["history"] = history_view(history)
        if "history" in seen:  # a setpoint or a limit moved: redraw its line
            out["reload"] = (reload or 0) + 1
    if now["approvals"] != seen.get("approvals"):
        out["approvals"] = approvals_view(pending, actor, may_act)
    if all(now[key] == seen.get(key) for key in now):
        raise PreventUpdate
    out["seen"] = now | {"alarm_ids": [a.id for a in found]}
    return out


# --- commands ---------------------------------------------------------------------------------


@callback(
    output={
        "alert": Output(ids.COMMAND_ALERT, "children"),
        "action": Output(ids.ACTION, "data", allow_duplicate=True),
        "modal": Output(ids.ABORT_MODAL, "is_open"),
        "watch": Output(ids.COMMAND_WATCH, "data"),
    },
    inputs={
        "_clicks": Input(ids.pattern(ids.COMMAND_KIND), "n_clicks"),
        "_confirm": Input(ids.ABORT_CONFIRM, "n_clicks"),
        "_cancel": Input(ids.ABORT_CANCEL, "n_clicks"),
    },
    state={"run_id": State(ids.RUN_ID, "data"), "action": State(ids.ACTION, "data")},
    prevent_initial_call=True,
)
def lifecycle(
    _clicks: list[int | None],
    _confirm: int | None,
    _cancel: int | None,
    run_id: object,
    action: int,
) -> dict[str, Any]:
    """Start, pause, resume or stop; abort only after the confirmation (it then waits for a
    second operator)."""
    trigger = ctx.triggered_id
    if not _clicked() or not isinstance(run_id, int) or trigger is None:
        raise PreventUpdate
    if trigger == ids.ABORT_CANCEL:
        return {"alert": no_update, "action": no_update, "modal": False, "watch": no_update}
    kind = "abort" if trigger == ids.ABORT_CONFIRM else trigger["kind"]
    if trigger != ids.ABORT_CONFIRM and kind == "abort":
        return {"alert": None, "action": no_update, "modal": True, "watch": no_update}
    try:
        done = commands.submit(current_db(), current_actor(), current_catalog(), run_id, kind)
    except ServiceError as exc:
        return {"alert": error_alert(exc), "action": no_update, "modal": False, "watch": None}
    text = (
        f"{kind.capitalize()} requested (command #{done.id}): a second operator must approve it."
        if done.stage == commands.AWAITING_APPROVAL
        else f"{kind.capitalize()} queued (command #{done.id}); the controller sends it next."
    )
    return {
        "alert": success_alert(text),
        "action": (action or 0) + 1,
        "modal": False,
        "watch": {"id": done.id},
    }


@callback(
    output={
        "alert": Output(ids.COMMAND_ALERT, "children", allow_duplicate=True),
        "watch": Output(ids.COMMAND_WATCH, "data", allow_duplicate=True),
    },
    inputs={"_seen": Input(ids.RUN_SEEN, "data")},
    state={"watch": State(ids.COMMAND_WATCH, "data"), "run_id": State(ids.RUN_ID, "data")},
    prevent_initial_call=True,
)
def command_done(_seen: object, watch: object, run_id: object) -> dict[str, Any]:
    """Once the command the alert says is queued (or waiting for approval) is done, say how
    it ended instead, and stop watching it. Runs when the panels' refresh saw a change."""
    watched = watch.get("id") if isinstance(watch, dict) else None
    if not isinstance(watched, int) or not isinstance(run_id, int):
        raise PreventUpdate
    db = current_db()
    found = next((c for c in commands.list_commands(db, run_id) if c.id == watched), None)
    if found is None:  # gone from the history's window: nothing true left to say
        return {"alert": None, "watch": None}
    outcome = command_outcome(found, runs.get_run(db, run_id).state)
    if outcome is None:
        raise PreventUpdate
    return {"alert": outcome, "watch": None}


@callback(
    output={
        "min": Output(ids.SETPOINT_VALUE, "min"),
        "max": Output(ids.SETPOINT_VALUE, "max"),
        "step": Output(ids.SETPOINT_VALUE, "step"),
        "unit": Output(ids.SETPOINT_UNIT, "children"),
        "range": Output(ids.SETPOINT_RANGE, "children"),
    },
    inputs={"choice": Input(ids.SETPOINT_PARAMETER, "value")},
    prevent_initial_call=True,
)
def setpoint_parameter(choice: object) -> dict[str, Any]:
    """Show the chosen parameter's unit and range, and let the input take only those."""
    bounds = parameter_bounds(current_catalog(), choice)
    if bounds is None:
        raise PreventUpdate
    return {
        "min": bounds["min"],
        "max": bounds["max"],
        "step": bounds["step"],
        "unit": bounds["unit"] or "—",
        "range": bounds["text"],
    }


# Where the service's field paths land in the setpoint form.
SETPOINT_FIELDS = {
    "setpoint.device": "parameter",
    "device": "parameter",
    "setpoint.unit": "parameter",
    "setpoint.parameter": "parameter",
    "setpoint.value": "value",
}


@callback(
    output={
        **error_outputs(ids.SETPOINT),
        "result": Output(ids.SETPOINT_RESULT, "children"),
        "action": Output(ids.ACTION, "data", allow_duplicate=True),
    },
    inputs={
        "_send": Input(ids.SETPOINT.submit, "n_clicks"),
        "_preview": Input(ids.SETPOINT_PREVIEW, "n_clicks"),
    },
    state={
        **field_states(ids.SETPOINT),
        "run_id": State(ids.RUN_ID, "data"),
        "action": State(ids.ACTION, "data"),
    },
    prevent_initial_call=True,
)
def setpoint(
    _send: int | None,
    _preview: int | None,
    values: list[object],
    control_ids: list[dict[str, Any]],
    error_ids: list[dict[str, Any]],
    run_id: object,
    action: int,
) -> dict[str, Any]:
    """Preview (a dry run: nothing recorded or sent) or send a setpoint; a refusal shows
    beside the field it is about."""
    if not _clicked() or not isinstance(run_id, int):
        raise PreventUpdate
    data = field_values(control_ids, values)
    cat = current_catalog()
    bounds = parameter_bounds(cat, data.get("parameter"))
    dry_run = ctx.triggered_id == ids.SETPOINT_PREVIEW
    if bounds is not None and data.get("value") is None:
        # The browser hands over no value for what its number input refuses (text, a
        # number outside min/max or off the step): say what it takes.
        return show_errors(
            {"value": f"Enter a number within range. {bounds['text']}"}, control_ids, error_ids
        ) | {"result": None, "action": no_update}
    request = {
        "device": bounds["device"] if bounds else "",
        "parameter": bounds["parameter"] if bounds else str(data.get("parameter") or ""),
        "value": data.get("value"),
        "unit": bounds["unit"] if bounds else None,
    }
    try:
        done = commands.submit(
            current_db(),
            current_actor(),
            cat,
            run_id,
            "setpoint",
            setpoint=request,
            dry_run=dry_run,
        )
    except InputError as exc:
        found = {SETPOINT_FIELDS.get(k, k): v for k, v in exc.errors.items()} or exc.message
        return show_errors(found, control_ids, error_ids) | {
            "result": None,
            "action": no_update,
        }
    cleared = clear_errors(control_ids, error_ids)
    if isinstance(done, Preview):
        text = f"Dry run: {done.summary} Nothing was sent."
        return cleared | {"result": success_alert(text), "action": no_update}
    text = f"Sent as command #{done.id}: {done.detail} Its stages show in the history."
    return cleared | {"result": success_alert(text), "action": (action or 0) + 1}


@callback(
    output={
        "alert": Output(ids.APPROVAL_ALERT, "children"),
        "action": Output(ids.ACTION, "data", allow_duplicate=True),
    },
    inputs={
        "_approve": Input(ids.pattern(ids.APPROVE), "n_clicks"),
        "_reject": Input(ids.pattern(ids.REJECT), "n_clicks"),
    },
    state={"action": State(ids.ACTION, "data")},
    prevent_initial_call=True,
)
def approval(_approve: list[int | None], _reject: list[int | None], action: int) -> dict[str, Any]:
    """Approve (a second operator) or reject/withdraw a command waiting for approval."""
    trigger, command_id = _clicked_item("command")
    db, actor = current_db(), current_actor()

    def act() -> str:
        if trigger["type"] == ids.APPROVE:
            done = commands.approve(db, actor, current_catalog(), command_id)
            return f"Command #{done.id} ({done.kind}) approved and queued."
        done = commands.reject(db, actor, command_id, "rejected on the run's page")
        return f"Command #{done.id} ({done.kind}) rejected."

    return _outcome(act, action)


def _clicked_item(key: str) -> tuple[dict[str, Any], int]:
    """The clicked button's pattern id and the item id it carries under ``key`` (a hand-made
    id, which this page never drew, ends the callback quietly)."""
    trigger = ctx.triggered_id
    if not _clicked() or not isinstance(trigger, dict):
        raise PreventUpdate
    item = parse_int(str(trigger.get(key)), minimum=1, maximum=MAX_ID)
    if item is None:
        raise PreventUpdate
    return trigger, item


def _outcome(act: Callable[[], str], action: int) -> dict[str, Any]:
    """Run a button's service call: its message, or the service's refusal, in the alert; the
    action counter moves either way so the panels reload."""
    try:
        alert = success_alert(act())
    except ServiceError as exc:
        alert = error_alert(exc)
    return {"alert": alert, "action": (action or 0) + 1}


# --- alarms and limits ------------------------------------------------------------------------


@callback(
    output={
        "alert": Output(ids.ALARM_ALERT, "children"),
        "action": Output(ids.ACTION, "data", allow_duplicate=True),
    },
    inputs={
        "_ack": Input(ids.pattern(ids.ACK), "n_clicks"),
        "_shelve": Input(ids.pattern(ids.SHELVE), "n_clicks"),
    },
    state={"action": State(ids.ACTION, "data")},
    prevent_initial_call=True,
)
def alarm_action(_ack: list[int | None], _shelve: list[int | None], action: int) -> dict[str, Any]:
    """Acknowledge an alarm, or shelve it for a while (both audited by the service)."""
    trigger, alarm_id = _clicked_item("alarm")
    minutes = parse_int(str(trigger.get("minutes", 0)), minimum=0, maximum=24 * 60)
    if minutes is None:  # a hand-made id: nothing this page drew
        raise PreventUpdate
    db, actor = current_db(), current_actor()

    def act() -> str:
        if trigger["type"] == ids.ACK:
            alarms.acknowledge(db, actor, alarm_id)
            return f"Alarm {alarm_id} acknowledged."
        alarms.shelve(db, actor, alarm_id, minutes)
        return f"Alarm {alarm_id} shelved for {minutes} min."

    return _outcome(act, action)


@callback(
    output={
        **{b: Output(ids.LIMITS.control(b), "value") for b in ids.BOUNDS},
        **{f"{b}_unit": Output(f"mission-run-limits-{b}-unit", "children") for b in ids.BOUNDS},
    },
    inputs={"parameter": Input(ids.LIMITS_PARAMETER, "value")},
    state={"run_id": State(ids.RUN_ID, "data")},
    prevent_initial_call=True,
)
def limits_parameter(parameter: object, run_id: object) -> dict[str, Any]:
    """Fill the four bounds of the chosen parameter."""
    if not isinstance(run_id, int):
        raise PreventUpdate
    run = runs.get_run(current_db(), run_id)
    values = limit_values(run, parameter)
    try:
        unit = telemetry.unit_of(current_catalog(), run.devices, str(parameter))[1] or "—"
    except KeyError:
        unit = "—"
    return {**values, **{f"{b}_unit": unit for b in ids.BOUNDS}}


@callback(
    output={
        **error_outputs(ids.LIMITS),
        "result": Output(ids.LIMITS_RESULT, "children"),
        "action": Output(ids.ACTION, "data", allow_duplicate=True),
    },
    inputs={"_save": Input(ids.LIMITS.submit, "n_clicks")},
    state={
        **field_states(ids.LIMITS),
        "run_id": State(ids.RUN_ID, "data"),
        "action": State(ids.ACTION, "data"),
    },
    prevent_initial_call=True,
)
def save_limits(
    _save: int | None,
    values: list[object],
    control_ids: list[dict[str, Any]],
    error_ids: list[dict[str, Any]],
    run_id: object,
    action: int,
) -> dict[str, Any]:
    """Save a parameter's limits (a recorded, audited command; applies at the next sample)."""
    if not _save or not isinstance(run_id, int):
        raise PreventUpdate
    data = field_values(control_ids, values)
    parameter = str(data.get("parameter") or "")
    bounds = {b: data.get(b) for b in ids.BOUNDS}
    try:
        alarms.set_limits(current_db(), current_actor(), run_id, parameter, bounds)
    except InputError as exc:
        return show_errors(exc.errors or exc.message, control_ids, error_ids) | {
            "result": None,
            "action": no_update,
        }
    return clear_errors(control_ids, error_ids) | {
        "result": success_alert(f"Limits of {parameter} saved."),
        "action": (action or 0) + 1,
    }


# --- growth -----------------------------------------------------------------------------------


@callback(
    Output(ids.FIT_RESULT, "children"),
    Input(ids.FIT, "n_clicks"),
    State(ids.FIT_MODEL, "value"),
    State(ids.RUN_ID, "data"),
    prevent_initial_call=True,
)
def fit(clicks: int | None, model: object, run_id: object) -> Any:
    """Fit the chosen growth model to the run's OD600 and plot it over the data."""
    if not clicks or not isinstance(run_id, int):
        raise PreventUpdate
    try:
        result = growth.fit_run(current_db(), current_catalog(), run_id, model)
    except InputError as exc:
        return error_alert(exc)
    return fit_view(result, lambda figure: themed(figure, current_scheme()))
