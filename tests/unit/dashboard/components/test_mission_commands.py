"""What the run page says when a command it sent is done: nothing while the command is on
its way (the "queued" alert stays true), then the outcome: success with the run's new state,
or an error with the reason (the walkthrough found "Stop queued (command #5)…" still on
screen after the run had completed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.components.mission_commands import command_outcome
from dashboard.services import commands
from dashboard.services.commands import CommandView


def _text(component: object) -> str:
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def _command(stage: str, detail: str = "", kind: str = "stop") -> CommandView:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return CommandView(
        5, 1, kind, None, None, None, None, {}, "user", "olga", at, kind == "abort",
        "not_needed", None, stage, {stage: at.isoformat()}, detail,
    )  # fmt: skip


@pytest.mark.parametrize(
    "stage",
    [commands.AWAITING_APPROVAL, commands.QUEUED, commands.SENT, commands.ACKNOWLEDGED],
)
def test_nothing_replaces_the_alert_while_the_command_is_on_its_way(stage: str) -> None:
    assert command_outcome(_command(stage), "running") is None


def test_a_verified_command_says_it_is_done_and_the_run_state() -> None:
    alert = command_outcome(_command(commands.VERIFIED, "every device reports idle"), "completed")
    assert alert is not None
    assert alert.color == "success"
    assert _text(alert) == (
        "Stop done (command #5): every device reports idle. The run is completed."
    )


@pytest.mark.parametrize(
    ("stage", "words"),
    [
        (commands.FAILED, "Stop failed (command #5): chamber-1: no answer."),
        (commands.TIMED_OUT, "Stop timed out (command #5): chamber-1: no answer."),
        (commands.REJECTED, "Stop was rejected (command #5): chamber-1: no answer."),
    ],
)
def test_a_command_that_did_not_happen_says_why_and_stays(stage: str, words: str) -> None:
    alert = command_outcome(_command(stage, "chamber-1: no answer."), "running")
    assert alert is not None
    assert alert.color == "danger"
    assert _text(alert) == words
    assert alert.dismissable
    assert not getattr(alert, "duration", None)
