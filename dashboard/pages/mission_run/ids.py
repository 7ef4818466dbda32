"""Component ids of a run's mission-control page (one place; every id starts with
``mission-run-``)."""

from __future__ import annotations

from typing import Any

from dash import ALL

from dashboard.components.forms import FormIds

PATH_TEMPLATE = "/mission/runs/<run_id>"
LIST_PATH = "/mission"

RUN_ID = "mission-run-id"  # dcc.Store: the run shown
STATE = "mission-run-state"  # the state badge's holder
STARTED = "mission-run-started"  # the header's start time (set when the run starts)
LINK_BANNER = "mission-run-link-banner"
LINKS = "mission-run-links"  # device link chips
CSV_LINK = "mission-run-csv"
REFRESH = "mission-run-refresh"  # dcc.Interval: state, alarms, commands (every 2 s)
ACTION = "mission-run-action"  # dcc.Store: bumped after every action, refreshes the panels
RUN_SEEN = "mission-run-seen"  # dcc.Store: fingerprints of what the panels show

# Commands (operators only)
COMMAND_KIND = "mission-run-command"  # pattern: {"type": COMMAND_KIND, "kind": "start"}
COMMAND_ALERT = "mission-run-command-alert"
# dcc.Store: {"id": 5} of the command the alert says is on its way (its outcome replaces it)
COMMAND_WATCH = "mission-run-command-watch"
ABORT_MODAL = "mission-run-abort-modal"
ABORT_CONFIRM = "mission-run-abort-confirm"
ABORT_CANCEL = "mission-run-abort-cancel"

SETPOINT = FormIds("mission-run-setpoint")
# No dots in field names: Dash escapes them in explicit Inputs and Outputs of dict ids.
SETPOINT_PARAMETER = SETPOINT.control("parameter")
SETPOINT_VALUE = SETPOINT.control("value")
SETPOINT_UNIT = "mission-run-setpoint-unit"
SETPOINT_RANGE = "mission-run-setpoint-range"
SETPOINT_PREVIEW = "mission-run-setpoint-preview"
SETPOINT_RESULT = "mission-run-setpoint-result"

APPROVALS = "mission-run-approvals"
APPROVE = "mission-run-approve"  # pattern: {"type": APPROVE, "command": 12}
REJECT = "mission-run-reject"
APPROVAL_ALERT = "mission-run-approval-alert"

# Charts
WINDOW = "mission-run-window"
LIVE = "mission-run-live"  # dcc.Interval, 1 s; disabled while the run is not active
CURSOR = "mission-run-cursor"  # dcc.Store: the newest time on the charts, the setpoints
RELOAD = "mission-run-reload"  # dcc.Store: bumped when the figures must be rebuilt
CHARTS_NOTE = "mission-run-charts-note"


def graph(group: str) -> str:
    """The ``dcc.Graph`` of a chart group (``mission-run-graph-temperature``)."""
    return f"mission-run-graph-{group}"


def graph_summary(group: str) -> str:
    """The words of a chart group for screen readers (``mission-run-summary-temperature``)."""
    return f"mission-run-summary-{group}"


# Alarms and limits
ALARMS = "mission-run-alarms"
ALARM_ALERT = "mission-run-alarm-alert"
ALARM_NEWS = "mission-run-alarm-news"  # polite live region: "New warning alarm: …"
ACK = "mission-run-ack"  # pattern: {"type": ACK, "alarm": 3}
SHELVE = "mission-run-shelve"  # pattern: {"type": SHELVE, "alarm": 3, "minutes": 15}
LIMITS = FormIds("mission-run-limits")
LIMITS_PARAMETER = LIMITS.control("parameter")
LIMITS_RESULT = "mission-run-limits-result"
BOUNDS = ("warn_low", "warn_high", "crit_low", "crit_high")

# Command history
HISTORY = "mission-run-history"

# Growth
FIT_MODEL = "mission-run-fit-model"
FIT = "mission-run-fit"
FIT_RESULT = "mission-run-fit-result"


def pattern(family: str, /, **keys: Any) -> dict[str, Any]:
    """A pattern-matching id (``keys`` given) or its ``ALL`` form (none given)."""
    return {"type": family, **keys} if keys else {"type": family, **_all_keys(family)}


def _all_keys(family: str) -> dict[str, Any]:
    if family == COMMAND_KIND:
        return {"kind": ALL}
    if family in (APPROVE, REJECT):
        return {"command": ALL}
    if family == ACK:
        return {"alarm": ALL}
    if family == SHELVE:
        return {"alarm": ALL, "minutes": ALL}
    raise KeyError(family)
