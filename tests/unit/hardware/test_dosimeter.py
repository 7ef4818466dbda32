"""Dose rate with SAA passes once per ~92 min orbit; cumulative dose = ∫ rate dt."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

from hardware.sim.dosimeter import SimDosimeter
from tests.unit.hardware.fakeclock import FakeClock


def _sample(clock, dosimeter: SimDosimeter, seconds: float, step_s: float):
    times, rates, doses = [], [], []
    for i in range(int(seconds / step_s) + 1):
        if i:
            clock.advance(step_s)
        sample = dosimeter.read()
        times.append(i * step_s)
        rates.append(sample.values["dose_rate_ugy_h"])
        doses.append(sample.values["dose_mgy"])
    return np.array(times), np.array(rates), np.array(doses)


def test_saa_passes_every_92_minutes(clock) -> None:
    dosimeter = SimDosimeter("dosimeter-1", clock=clock, speed=10.0, seed=2)
    # 24 model hours sampled every 20 model seconds (2 wall seconds at speed 10)
    times, rates, _ = _sample(clock, dosimeter, 24 * 3600 / 10, 2.0)
    model_t = times * 10
    peaks, _ = find_peaks(rates, height=80.0, distance=int(40 * 60 / 20))
    assert 15 <= len(peaks) <= 16  # about 15.7 orbits a day, one pass each
    periods_min = np.diff(model_t[peaks]) / 60
    assert np.all(np.abs(periods_min - 92.0) < 2.0)
    assert rates[peaks].min() > 100.0  # a few hundred µGy/h
    assert rates[peaks].max() < 480.0
    # A pass lasts ~10-15 min above a tenth of its peak; between passes the GCR background.
    first = peaks[0]
    above = np.nonzero(rates[first - 30 : first + 30] > rates[first] / 10)[0]
    assert 8 <= len(above) * 20 / 60 <= 16
    quiet = rates[(model_t > model_t[first] + 30 * 60) & (model_t < model_t[first] + 60 * 60)]
    assert 9.0 < quiet.mean() < 20.0


def test_cumulative_dose_is_the_integral_of_the_rate(clock) -> None:
    dosimeter = SimDosimeter("dosimeter-1", clock=clock, speed=60.0, seed=4)
    clock.advance(5)
    dosimeter.start()
    # 6 model hours, a reading every 5 model seconds
    times, rates, doses = _sample(clock, dosimeter, 6 * 60, 5 / 60)
    model_h = times * 60 / 3600
    integral_ugy = np.concatenate(
        [[0.0], np.cumsum(np.diff(model_h) * (rates[1:] + rates[:-1]) / 2)]
    )
    assert doses[0] == 0.0
    assert doses[-1] * 1000 == pytest.approx(integral_ugy[-1], rel=0.005)
    assert np.allclose(doses * 1000, integral_ugy, rtol=0.01, atol=0.2)
    # The rate averages some tens of µGy/h over orbits: 6 h → a few hundred µGy
    assert 0.1 < doses[-1] < 0.5


def test_dose_resets_at_start_runs_through_pause_and_freezes_at_stop(clock) -> None:
    dosimeter = SimDosimeter("dosimeter-1", clock=clock, speed=60.0)
    clock.advance(60)
    assert dosimeter.read().values["dose_mgy"] == 0.0  # idle: no run, no run dose
    dosimeter.start()
    clock.advance(60)
    first = dosimeter.read().values["dose_mgy"]
    dosimeter.pause()
    clock.advance(60)
    paused = dosimeter.read().values["dose_mgy"]
    assert paused > first > 0.0
    dosimeter.stop()
    clock.advance(60)
    assert dosimeter.read().values["dose_mgy"] == paused
    dosimeter.start()
    assert dosimeter.read().values["dose_mgy"] == 0.0


def test_dose_does_not_depend_on_how_often_it_is_read(clock) -> None:
    other = FakeClock(clock.t)
    often = SimDosimeter("dosimeter-1", clock=clock, speed=60.0)
    rarely = SimDosimeter("dosimeter-1", clock=other, speed=60.0)
    often.start()
    rarely.start()
    for _ in range(600):
        clock.advance(1.0)
        often.read()
    other.advance(600.0)
    assert often.read().values["dose_mgy"] == pytest.approx(
        rarely.read().values["dose_mgy"], rel=1e-9
    )
