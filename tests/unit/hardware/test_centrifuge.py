"""Rotor speed and g-level: g = ω²r / g₀ with r = 0.1 m."""

from __future__ import annotations

import math

import pytest

from hardware.protocol import DeviceError, DeviceState
from hardware.sim.centrifuge import SimCentrifuge

G0 = 9.80665
RADIUS_M = 0.1


def rpm_for(g: float) -> float:
    return math.sqrt(g * G0 / RADIUS_M) * 60.0 / (2.0 * math.pi)


def test_one_g_needs_about_94_6_rpm() -> None:
    assert rpm_for(1.0) == pytest.approx(94.565, abs=0.001)


@pytest.mark.parametrize("g", [1.0, 0.16, 0.38, 2.0])
def test_g_levels_are_reached_within_tolerance_and_settle_time(clock, g: float) -> None:
    rotor = SimCentrifuge("centrifuge-1", clock=clock, seed=1)
    tolerance = rotor.capabilities.parameter("g_level").tolerance
    settle_s = rotor.capabilities.parameter("g_level").settle_s
    rotor.apply("g_level", g)
    rotor.start()
    clock.advance(settle_s)
    for _ in range(50):
        clock.advance(1.0)
        sample = rotor.read()
        assert sample.values["g_level"] == pytest.approx(g, abs=tolerance)
        assert sample.values["rotor_rpm"] == pytest.approx(rpm_for(g), abs=0.3)
        omega = sample.values["rotor_rpm"] * 2 * math.pi / 60
        assert sample.values["g_level"] == pytest.approx(omega**2 * RADIUS_M / G0)
    assert sample.setpoints == {"g_level": g}


def test_spin_up_is_rate_limited_to_100_rpm_per_s(clock) -> None:
    rotor = SimCentrifuge("centrifuge-1", clock=clock)
    rotor.apply("g_level", 2.0)
    rotor.start()
    clock.advance(0.5)
    assert rotor.read().values["rotor_rpm"] == pytest.approx(50.0, abs=0.3)
    clock.advance(0.5)
    assert rotor.read().values["rotor_rpm"] == pytest.approx(100.0, abs=0.3)
    clock.advance(5.0)
    assert rotor.read().values["rotor_rpm"] == pytest.approx(rpm_for(2.0), abs=0.3)


def test_idle_and_stopped_rotor_stands_still_pause_keeps_spinning(clock) -> None:
    rotor = SimCentrifuge("centrifuge-1", clock=clock)
    rotor.apply("g_level", 1.0)
    clock.advance(10)
    assert rotor.read().values == {"g_level": 0.0, "rotor_rpm": 0.0}  # idle: 0 g added
    rotor.start()
    clock.advance(10)
    rotor.pause()
    clock.advance(10)
    assert rotor.read().values["g_level"] == pytest.approx(1.0, abs=0.01)
    assert rotor.read().state is DeviceState.PAUSED
    rotor.stop()
    clock.advance(0.5)
    assert rotor.read().values["rotor_rpm"] == pytest.approx(rpm_for(1.0) - 50.0, abs=0.3)
    clock.advance(2.0)
    assert rotor.read().values["rotor_rpm"] == 0.0


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("g_level", 2.5), ("g_level", -0.1), ("rotor_rpm", 50.0), ("g_level", math.nan)],
)
def test_bad_setpoints_are_refused(clock, parameter: str, value: float) -> None:
    rotor = SimCentrifuge("centrifuge-1", clock=clock)
    with pytest.raises(DeviceError):
        rotor.apply(parameter, value)
    assert rotor.read().setpoints == {"g_level": 0.0}
