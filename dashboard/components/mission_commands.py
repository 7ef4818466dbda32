"""What the run page says once a command the operator sent from it is done: the outcome in
the design system's alerts, replacing the "queued" or "requested" message that was true only
while the command was on its way."""

from __future__ import annotations

import dash_bootstrap_components as dbc

from dashboard.services.commands import FAILED, FINISHED, REJECTED, TIMED_OUT, CommandView
from dashboard.services.errors import ServiceError

from .feedback import error_alert, success_alert

OUTCOME_WORDS = {
    FAILED: "failed",
    TIMED_OUT: "timed out",
    REJECTED: "was rejected",
}


def is_finished(command: CommandView) -> bool:
    """Whether ``command`` reached its last stage (verified, failed, timed out, rejected)."""
    return command.stage in FINISHED


def command_outcome(command: CommandView, run_state: str) -> dbc.Alert | None:
    """The alert that replaces "Stop queued (command #5)…" once the command is done, or
    None while it is still waiting, queued or on its way to the devices.

    Verified: a success alert naming the run's state now (it closes by itself, as every
    success alert does); failed, timed out or rejected: an error alert with the reason,
    which stays until dismissed.
    """
    if not is_finished(command):
        return None
    said = f"{command.kind.capitalize()} "
    said += OUTCOME_WORDS.get(command.stage, "done") + f" (command #{command.id})"
    detail = command.detail.rstrip(".")
    if detail:
        said += f": {detail}"
    if command.stage in OUTCOME_WORDS:
        return error_alert(ServiceError(f"{said}."))
    return success_alert(f"{said}. The run is {run_state}.")
