"""PID arithmetic, and the chamber's PID-controlled thermal model reaching its setpoints."""

from __future__ import annotations

import pytest

from hardware.sim.chamber import SimChamber
from hardware.sim.pid import PID


def test_proportional_and_clamp() -> None:
    pid = PID(kp=3.0, ki=0.0, kd=0.0, setpoint=5.0, output_min=-10.0, output_max=10.0)
    assert pid.update(4.0, 1.0) == pytest.approx(3.0)
    assert pid.update(-100.0, 1.0) == 10.0
    assert pid.update(100.0, 1.0) == -10.0


def test_integral_accumulates_error_times_dt() -> None:
    pid = PID(kp=0.0, ki=0.5, kd=0.0, setpoint=2.0)
    pid.update(0.0, 1.0)
    pid.update(0.0, 3.0)
    assert pid.integral == pytest.approx(0.5 * 2.0 * 4.0)


def test_derivative_acts_on_measurement_not_on_setpoint() -> None:
    pid = PID(kp=0.0, ki=0.0, kd=10.0, setpoint=0.0)
    pid.update(1.0, 1.0)
    pid.setpoint = 50.0  # a setpoint step: no derivative kick
    assert pid.update(1.0, 1.0) == 0.0
    assert pid.update(1.5, 0.5) == pytest.approx(-10.0 * 0.5 / 0.5)


def test_anti_windup_holds_the_integral_while_saturated() -> None:
    pid = PID(kp=1.0, ki=1.0, kd=0.0, setpoint=1000.0, output_min=-100.0, output_max=100.0)
    for _ in range(10_000):
        pid.update(0.0, 1.0)
    assert pid.integral <= 100.0
    # Without windup, the output leaves saturation as soon as P+I drops below the maximum.
    pid.setpoint = 0.0
    assert pid.update(0.0, 1.0) <= 100.0
    assert pid.update(50.0, 1.0) < 100.0


def test_state_round_trip() -> None:
    a = PID(kp=1.0, ki=0.1, kd=0.5, setpoint=3.0)
    for m in (0.0, 1.0, 2.0):
        a.update(m, 1.0)
    b = PID(kp=1.0, ki=0.1, kd=0.5)
    b.load(a.state())
    assert [a.update(2.5, 1.0), a.update(2.9, 1.0)] == [b.update(2.5, 1.0), b.update(2.9, 1.0)]


@pytest.mark.parametrize(("start_c", "target_c"), [(22.0, 37.0), (37.0, 4.0), (4.0, 45.0)])
def test_chamber_reaches_and_holds_setpoint(clock, start_c: float, target_c: float) -> None:
    chamber = SimChamber("chamber-1", clock=clock)
    settle_s = chamber.capabilities.parameter("temperature_c").settle_s
    tolerance = chamber.capabilities.parameter("temperature_c").tolerance
    assert tolerance == 0.5
    chamber.apply("temperature_c", start_c)
    clock.advance(3 * 3600)
    assert chamber.read().values["temperature_c"] == pytest.approx(start_c, abs=0.1)
    chamber.apply("temperature_c", target_c)
    readings = []
    for _ in range(int(settle_s) + 3600):
        clock.advance(1.0)
        readings.append(chamber.read().values["temperature_c"])
    held = readings[int(settle_s) :]
    assert all(abs(t - target_c) <= tolerance for t in held)
    # It moved the right way at a plausible rate: not there after one minute.
    assert abs(readings[59] - target_c) > 2.0
    # The cooler/heater output is what holds it: sign follows ambient (22 °C).
    output = chamber.read().values["heater_pct"]
    assert (output > 0) == (target_c > 22.0)
