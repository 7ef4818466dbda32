"""The chamber's culture against the growth law written out here by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hardware.sim import growth
from hardware.sim.chamber import SimChamber

# The documented parameters (hardware/sim/growth.py), restated independently.
T_MIN, T_OPT, T_MAX = 5.0, 37.0, 45.0
MU_OPT, LAG_REF, K, OD0 = 1.2, 2.0, 1.6, 0.02


def modified_logistic(t_h: float, mu: float, lag_h: float) -> float:
    """Zwietering 1990: OD = OD0·exp(A / (1 + exp(4µ/A·(λ − t) + 2))), A = ln(K/OD0)."""
    a = math.log(K / OD0)
    return OD0 * math.exp(a / (1.0 + math.exp(4.0 * mu / a * (lag_h - t_h) + 2.0)))


@pytest.mark.parametrize(
    ("temperature_c", "expected"),
    [
        (37.0, 1.0),
        (5.0, 0.0),
        (45.0, 0.0),
        (2.0, 0.0),
        (47.0, 0.0),
        # (T−Tmax)(T−Tmin)² / ((Topt−Tmin)[(Topt−Tmin)(T−Topt) − (Topt−Tmax)(Topt+Tmin−2T)])
        (22.0, (-23 * 17**2) / (32 * (32 * -15 - (-8) * (42 - 44)))),  # 6647/15872
        (30.0, (-15 * 25**2) / (32 * (32 * -7 - (-8) * (42 - 60)))),  # 9375/11776
        (41.0, (-4 * 36**2) / (32 * (32 * 4 - (-8) * (42 - 82)))),  # 5184/6144
    ],
)
def test_ctmi_hand_values(temperature_c: float, expected: float) -> None:
    assert growth.ctmi(temperature_c) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert growth.mu_max_per_h(temperature_c, 1.0) == pytest.approx(MU_OPT * expected)


def test_ctmi_hand_value_literals() -> None:
    assert growth.ctmi(22.0) == pytest.approx(6647 / 15872)
    assert growth.ctmi(30.0) == pytest.approx(9375 / 11776)


def test_gravity_factor_documented_values() -> None:
    assert growth.gravity_factor(0.0) == 1.25
    assert growth.gravity_factor(1.0) == 1.0
    assert growth.gravity_factor(0.38) == pytest.approx(1 + 0.25 * 0.62)
    assert growth.gravity_factor(2.0) == 0.75


def _held_culture(clock, temperature_c: float, g: float = 1.0) -> SimChamber:
    chamber = SimChamber("chamber-1", clock=clock, speed=60.0, seed=3)
    chamber.apply("temperature_c", temperature_c)
    chamber.set_gravity(g)
    clock.advance(3 * 60)  # three model hours: the temperature has settled
    chamber.start()
    return chamber


def _curve(chamber: SimChamber, clock, hours: float, step_h: float = 0.25):
    times, ods = [], []
    for i in range(1, int(hours / step_h) + 1):
        clock.advance(step_h * 60)  # speed 60: one wall minute per model hour
        times.append(i * step_h)
        ods.append(chamber.read().values["od600"])
    return np.array(times), np.array(ods)


@pytest.mark.parametrize(("temperature_c", "g"), [(30.0, 1.0), (37.0, 0.0), (37.0, 0.38)])
def test_curve_is_the_modified_logistic(clock, temperature_c: float, g: float) -> None:
    chamber = _held_culture(clock, temperature_c, g)
    gamma = (
        (temperature_c - T_MAX)
        * (temperature_c - T_MIN) ** 2
        / (
            (T_OPT - T_MIN)
            * (
                (T_OPT - T_MIN) * (temperature_c - T_OPT)
                - (T_OPT - T_MAX) * (T_OPT + T_MIN - 2 * temperature_c)
            )
        )
    )
    mu = MU_OPT * gamma * (1.0 + 0.25 * (1.0 - g))
    lag = LAG_REF * MU_OPT / mu
    truth = chamber.truth()
    assert truth["mu_max_per_h"] == pytest.approx(mu)
    assert truth["lag_h"] == pytest.approx(lag)
    assert truth["capacity_od"] == K
    assert truth["od0"] == OD0
    times, ods = _curve(chamber, clock, 30.0)
    expected = np.array([modified_logistic(t, mu, lag) for t in times])
    noise_sd = 0.002 + 0.005 * expected
    assert np.all(np.abs(ods - expected) <= 5 * noise_sd)


def test_shape_lag_exponential_stationary(clock) -> None:
    chamber = _held_culture(clock, 37.0)
    times, ods = _curve(chamber, clock, 40.0, step_h=0.1)
    lag = LAG_REF  # at Topt and 1 g
    assert np.all(ods[times < lag / 2] < 2.0 * OD0)  # lag: barely grown
    log_od = np.log(np.maximum(ods, 1e-3))
    slopes = (log_od[10:] - log_od[:-10]) / 1.0  # over one hour (10 points of 0.1 h)
    steepest = times[np.argmax(slopes)] + 0.5  # the window's middle
    # The modified logistic's inflection is at λ + A/(2µ) = 2 + ln(80)/2.4 ≈ 3.8 h.
    assert lag < steepest < lag + math.log(K / OD0) / MU_OPT
    assert slopes.max() == pytest.approx(MU_OPT, rel=0.1)
    late = ods[times > 30.0]
    assert late.mean() == pytest.approx(K, rel=0.005)  # stationary at K
    assert late.std() < 0.02


def test_no_growth_below_tmin_and_pause_does_not_stop_biology(clock) -> None:
    cold = _held_culture(clock, 4.0)
    clock.advance(24 * 60)
    assert cold.read().values["od600"] == pytest.approx(OD0, abs=0.01)
    assert cold.culture_time_h == 0.0

    warm = _held_culture(clock, 37.0)
    warm.pause()
    clock.advance(10 * 60)
    assert warm.read().values["od600"] > 0.5


def test_before_start_the_medium_is_sterile(clock) -> None:
    chamber = SimChamber("chamber-1", clock=clock, speed=60.0)
    clock.advance(600)
    assert chamber.read().values["od600"] < 0.01


def test_microgravity_grows_faster_than_one_g(clock) -> None:
    ground = SimChamber("ground", clock=clock, speed=60.0)
    flight = SimChamber("flight", clock=clock, speed=60.0)
    flight.set_gravity(0.0)
    clock.advance(3 * 60)
    ground.start()
    flight.start()
    clock.advance(4 * 60)
    assert flight.read().values["od600"] > 1.5 * ground.read().values["od600"]
