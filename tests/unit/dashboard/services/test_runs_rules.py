"""The rules of runs and alarms, checked against tables written out here by hand."""

from __future__ import annotations

import itertools

import pytest

from dashboard.services import alarms, runs
from dashboard.services.alarms import CRITICAL, WARNING, Debouncer, Limits, is_stale, level
from dashboard.services.errors import Conflict, ValidationFailed

# What the issue asks: planned → running ⇄ paused → completed | aborted, abort from anywhere
# before the end. Every pair not listed here must be refused.
LEGAL = {
    ("planned", "start"): "running",
    ("running", "pause"): "paused",
    ("paused", "resume"): "running",
    ("running", "stop"): "completed",
    ("paused", "stop"): "completed",
    ("planned", "abort"): "aborted",
    ("running", "abort"): "aborted",
    ("paused", "abort"): "aborted",
}
STATES = ("planned", "running", "paused", "completed", "aborted")
COMMANDS = ("start", "pause", "resume", "stop", "abort")


@pytest.mark.parametrize(("state", "command"), list(itertools.product(STATES, COMMANDS)))
def test_a_transition_is_legal_exactly_when_the_lifecycle_says(state: str, command: str) -> None:
    if (state, command) in LEGAL:
        assert runs.check_transition(7, state, command) == LEGAL[(state, command)]
    else:
        with pytest.raises(Conflict) as refused:
            runs.check_transition(7, state, command)
        # The message says what the run is and what the command needs.
        assert f"Run 7 is {state}" in refused.value.message
        assert command in refused.value.message


def test_final_states_accept_nothing() -> None:
    for state, command in itertools.product(("completed", "aborted"), COMMANDS):
        with pytest.raises(Conflict):
            runs.check_transition(1, state, command)


def test_limit_levels_name_the_side_and_prefer_critical() -> None:
    lim = Limits(warn_low=30, warn_high=40, crit_low=20, crit_high=44)
    assert level(lim, 35) == (None, "")
    assert level(lim, 41) == (WARNING, "high")
    assert level(lim, 44.5) == (CRITICAL, "high")
    assert level(lim, 25) == (WARNING, "low")
    assert level(lim, 19.9) == (CRITICAL, "low")
    assert level(lim, 40) == (None, "")  # on the bound is within it


def test_debounce_needs_n_consecutive_samples_to_raise_and_to_clear() -> None:
    d = Debouncer()
    key = (1, "temperature_c")
    # Two violations then a normal sample: a blip, no alarm.
    assert d.update(key, WARNING, 3) is False
    assert d.update(key, WARNING, 3) is False
    assert d.update(key, None, 3) is False
    # Three in a row raise it on the third.
    assert [d.update(key, WARNING, 3) for _ in range(3)] == [False, False, WARNING]
    # Escalation is debounced too.
    assert [d.update(key, CRITICAL, 3) for _ in range(3)] == [False, False, CRITICAL]
    # One good sample does not clear it; three do.
    assert d.update(key, None, 3) is False
    assert d.update(key, CRITICAL, 3) is False
    assert [d.update(key, None, 3) for _ in range(3)] == [False, False, None]


def test_debounce_of_one_acts_at_once() -> None:
    d = Debouncer()
    assert d.update("k", CRITICAL, 1) == CRITICAL
    assert d.update("k", None, 1) is None


def test_staleness() -> None:
    assert not is_stale(100.0, 105.0, 10.0)
    assert not is_stale(100.0, 110.0, 10.0)
    assert is_stale(100.0, 110.5, 10.0)
    assert is_stale(None, 0.0, 10.0)


def test_limit_changes_are_checked_for_order() -> None:
    old = Limits(warn_low=10, warn_high=40, crit_low=5, crit_high=45)
    assert alarms.check_limits({"warn_high": 30}, old).warn_high == 30
    with pytest.raises(ValidationFailed, match=r"warn_high .* must not be above crit_high"):
        alarms.check_limits({"warn_high": 46}, old)
    with pytest.raises(ValidationFailed, match="crit_low"):
        alarms.check_limits({"crit_low": 11}, old)
    with pytest.raises(ValidationFailed, match="debounce_n"):
        alarms.check_limits({"debounce_n": 0}, old)
    with pytest.raises(ValidationFailed, match="finite"):
        alarms.check_limits({"warn_low": float("nan")}, old)
    cleared = alarms.check_limits({"warn_low": None, "crit_low": ""}, old)
    assert cleared.warn_low is None
    assert cleared.crit_low is None


def test_the_interlocks_critical_limits_may_be_tightened_never_removed() -> None:
    envelope = alarms.interlock_envelope("temperature_c")
    assert envelope == (0.0, 50.0)  # the chamber's critical limits in hardware/parameters.py
    old = Limits(warn_low=2, warn_high=47, crit_low=0, crit_high=50)
    assert alarms.check_limits({"crit_high": 40, "warn_high": 39}, old, envelope).crit_high == 40
    for raw in ({"crit_high": None}, {"crit_high": 1e308}, {"crit_low": None}, {"crit_low": -5}):
        with pytest.raises(ValidationFailed, match="guards the interlock"):
            alarms.check_limits(raw, old, envelope)
    assert alarms.interlock_envelope("co2_pct") is None
    assert alarms.check_limits({"crit_high": None}, Limits(crit_high=8), None).crit_high is None
