"""What every simulator promises: the Protocol, validation, determinism, snapshots, speed."""

from __future__ import annotations

import itertools
import json
import math
import time

import pytest

from hardware.protocol import Device, DeviceError, DeviceState, Simulated
from hardware.sim import SimCentrifuge, SimChamber, SimDosimeter
from tests.unit.hardware.fakeclock import FakeClock

SIMS = [SimChamber, SimCentrifuge, SimDosimeter]


def _exercise(sim) -> list[dict[str, float]]:
    """A fixed script of calls; returns every reading."""
    clock = sim._clock
    readings = []
    if isinstance(sim, SimChamber):
        sim.apply("temperature_c", 30.0)
    if isinstance(sim, SimCentrifuge):
        sim.apply("g_level", 0.38)
    sim.start()
    for i in range(200):
        clock.advance(7.0 if i % 3 else 0.4)
        readings.append(dict(sim.read().values))
    return readings


@pytest.mark.parametrize("cls", SIMS)
def test_implements_device_and_simulated(cls) -> None:
    sim = cls("x-1", clock=FakeClock())
    assert isinstance(sim, Device)
    assert isinstance(sim, Simulated)
    sample = sim.read()
    readable = {p.name for p in sim.capabilities.parameters if p.is_readable}
    assert set(sample.values) == readable
    writable = {p.name for p in sim.capabilities.parameters if p.is_writable}
    assert set(sample.setpoints) == writable
    assert sample.state is DeviceState.IDLE
    assert all(isinstance(v, float) and math.isfinite(v) for v in sample.values.values())


@pytest.mark.parametrize("cls", SIMS)
def test_deterministic_under_seed(cls) -> None:
    a = _exercise(cls("x-1", clock=FakeClock(), speed=30.0, seed=7))
    b = _exercise(cls("x-1", clock=FakeClock(), speed=30.0, seed=7))
    c = _exercise(cls("x-1", clock=FakeClock(), speed=30.0, seed=8))
    assert a == b
    assert a != c


@pytest.mark.parametrize("cls", SIMS)
def test_snapshot_restore_continues_exactly(cls) -> None:
    clock = FakeClock()
    original = cls("x-1", clock=clock, speed=30.0, seed=5)
    _exercise(original)
    state = json.loads(json.dumps(original.snapshot()))  # JSON-able
    twin = cls("x-1", clock=clock, speed=30.0, seed=99)
    twin.restore(state)
    for _ in range(50):
        clock.advance(3.0)
        assert twin.read() == original.read()


def test_restore_catches_up_on_the_time_away() -> None:
    clock = FakeClock()
    chamber = SimChamber("chamber-1", clock=clock, speed=60.0)
    clock.advance(180)  # three model hours: at 37 °C
    chamber.start()
    state = chamber.snapshot()
    clock.advance(10 * 3600)  # the controller was away ten wall hours (600 model hours)
    started = time.perf_counter()
    restored = SimChamber("chamber-1", clock=clock, speed=60.0)
    restored.restore(state)
    sample = restored.read()
    assert time.perf_counter() - started < 0.5
    assert restored.model_time_s == pytest.approx(180 * 60 + 600 * 3600)
    assert sample.state is DeviceState.RUNNING
    assert sample.values["temperature_c"] == pytest.approx(37.0, abs=0.1)
    assert sample.values["od600"] == pytest.approx(1.6, rel=0.02)
    # A second read a second later follows on smoothly.
    clock.advance(1.0)
    assert restored.read().values["temperature_c"] == pytest.approx(37.0, abs=0.1)


def test_restore_refuses_another_kind() -> None:
    chamber = SimChamber("chamber-1", clock=FakeClock())
    with pytest.raises(ValueError, match="not a centrifuge snapshot"):
        SimCentrifuge("c", clock=FakeClock()).restore(chamber.snapshot())


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("temperature_c", 3.9, "out of range: 4–45 °C"),
        ("temperature_c", 45.01, "out of range"),
        ("temperature_c", math.inf, "out of range"),
        ("co2_pct", 0.4, "out of range: 0.5–8 %"),
        ("co2_pct", 8.5, "out of range"),
        ("light_on", 0.5, "whole steps"),
        ("light_on", 2.0, "out of range"),
        ("heater_enabled", 2.0, "out of range: 0–1"),
        ("heater_enabled", 0.5, "whole steps"),
        ("od600", 1.0, "read-only"),
        ("heater_pct", 10.0, "read-only"),
        ("pressure_kpa", 1.0, "no parameter"),
    ],
)
def test_chamber_refuses_bad_setpoints(parameter: str, value: float, message: str) -> None:
    chamber = SimChamber("chamber-1", clock=FakeClock())
    before = chamber.read().setpoints
    with pytest.raises(DeviceError, match=message):
        chamber.apply(parameter, value)
    assert chamber.read().setpoints == before


def test_chamber_setpoints_are_held_and_read_back() -> None:
    clock = FakeClock()
    chamber = SimChamber("chamber-1", clock=clock, speed=10.0)
    chamber.apply("co2_pct", 2.0)
    chamber.apply("light_on", 1)
    chamber.apply("temperature_c", 25.0)
    clock.advance(300)  # 50 model minutes: CO₂'s 2-minute time constant long passed
    sample = chamber.read()
    assert sample.setpoints == {
        "temperature_c": 25.0,
        "co2_pct": 2.0,
        "light_on": 1.0,
        "heater_enabled": 1.0,
    }
    assert sample.values["co2_pct"] == pytest.approx(2.0, abs=0.1)
    assert sample.values["o2_pct"] == pytest.approx(20.95 * 0.98, abs=0.25)
    assert sample.values["light_on"] == 1.0
    assert 90.0 < sample.values["humidity_pct"] <= 100.0


def test_dosimeter_takes_no_setpoints() -> None:
    with pytest.raises(DeviceError, match="read-only"):
        SimDosimeter("d", clock=FakeClock()).apply("dose_mgy", 0.0)


@pytest.mark.parametrize("cls", SIMS)
def test_illegal_transitions_are_refused(cls) -> None:
    sim = cls("x-1", clock=FakeClock())
    with pytest.raises(DeviceError, match="idle"):
        sim.pause()
    with pytest.raises(DeviceError, match="idle"):
        sim.resume()
    sim.stop()  # idempotent
    sim.start()
    with pytest.raises(DeviceError, match="stop it before"):
        sim.start()
    sim.pause()
    sim.pause()
    assert sim.read().state is DeviceState.PAUSED
    sim.resume()
    assert sim.read().state is DeviceState.RUNNING
    sim.stop()
    assert sim.read().state is DeviceState.IDLE


def test_chamber_read_is_cheap_at_speed_60() -> None:
    clock = FakeClock()
    chamber = SimChamber("chamber-1", clock=clock, speed=60.0)
    chamber.start()
    started = time.perf_counter()
    for _ in range(200):
        clock.advance(1.0)  # 60 one-second model steps per read
        chamber.read()
    assert (time.perf_counter() - started) / 200 < 1e-3


def test_coarse_steps_over_a_long_gap_match_fine_steps() -> None:
    fine_clock, coarse_clock = FakeClock(), FakeClock()
    fine = SimChamber("chamber-1", clock=fine_clock, speed=60.0)
    coarse = SimChamber("chamber-1", clock=coarse_clock, speed=60.0)
    for sim in (fine, coarse):
        sim.apply("temperature_c", 30.0)
        sim.start()
    for _ in range(300):  # five model hours read every model minute
        fine_clock.advance(1.0)
        fine.read()
    coarse_clock.advance(300.0)  # one gap: 4 h in 60 s steps, the last hour in 1 s steps
    assert coarse.culture_time_h == pytest.approx(fine.culture_time_h, rel=0.01)
    assert coarse.read().values["od600"] == pytest.approx(fine.read().values["od600"], rel=0.03)


def _minutes(chamber: SimChamber, clock: FakeClock, minutes: int) -> list[dict[str, float]]:
    """Read ``chamber`` once per model minute (speed 60) for ``minutes``."""
    readings = []
    for _ in range(minutes):
        clock.advance(1.0)
        readings.append(dict(chamber.read().values))
    return readings


def test_heater_off_drifts_to_ambient_and_back_on_recovers() -> None:
    clock = FakeClock()
    chamber = SimChamber("chamber-1", clock=clock, speed=60.0)
    clock.advance(180)  # three model hours: at the 37 °C setpoint
    assert chamber.read().values["temperature_c"] == pytest.approx(37.0, abs=0.1)

    chamber.apply("heater_enabled", 0)
    sample = chamber.read()
    assert sample.values["heater_pct"] == 0.0  # off at once, not at the next step
    assert sample.values["heater_enabled"] == 0.0
    assert sample.setpoints["heater_enabled"] == 0.0
    assert sample.setpoints["temperature_c"] == 37.0  # the setpoint is kept, not acted on
    off = _minutes(chamber, clock, 240)
    assert all(r["heater_pct"] == 0.0 for r in off)
    temperatures = [r["temperature_c"] for r in off]
    # Newton cooling with C/L = 1000 s: 37 → 22 + 15·e^(-3.6) ≈ 22.4 °C after an hour.
    assert temperatures[59] == pytest.approx(22.0 + 15.0 * math.exp(-3.6), abs=0.1)
    every_ten = temperatures[:61:10]
    assert all(later < earlier for earlier, later in itertools.pairwise(every_ten))
    assert temperatures[-1] == pytest.approx(22.0, abs=0.1)

    chamber.apply("heater_enabled", 1)
    on = [r["temperature_c"] for r in _minutes(chamber, clock, 180)]
    assert max(on) < 37.75  # no integral wound up while off (that would overshoot to ~38.3)
    assert all(abs(t - 37.0) <= 0.5 for t in on[30:])
    assert chamber.read().values["heater_enabled"] == 1.0


def test_heater_off_survives_snapshot_and_a_long_absence() -> None:
    clock = FakeClock()
    chamber = SimChamber("chamber-1", clock=clock, speed=60.0)
    clock.advance(180)
    chamber.apply("heater_enabled", 0)
    state = json.loads(json.dumps(chamber.snapshot()))
    twin = SimChamber("chamber-1", clock=clock, speed=60.0)
    twin.restore(state)
    for _ in range(20):
        clock.advance(3.0)
        assert twin.read() == chamber.read()
    clock.advance(10 * 3600)  # 600 model hours: crossed at the heater-off steady state
    sample = twin.read()
    assert sample.setpoints["heater_enabled"] == 0.0
    assert sample.values["heater_pct"] == 0.0
    assert sample.values["temperature_c"] == pytest.approx(22.0, abs=0.1)


def test_snapshot_without_heater_enabled_restores_with_the_heater_on() -> None:
    clock = FakeClock()
    chamber = SimChamber("chamber-1", clock=clock)
    state = chamber.snapshot()
    model = dict(state["model"])  # type: ignore[call-overload]
    del model["heater_enabled"]
    restored = SimChamber("chamber-1", clock=clock)
    restored.restore({**state, "model": model})
    assert restored.setpoints()["heater_enabled"] == 1.0
