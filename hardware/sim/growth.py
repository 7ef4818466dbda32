"""The simulated culture's growth law: pure functions, so tests and fits share one truth.

OD600 follows Zwietering's modified logistic (Zwietering et al. 1990, *Appl. Environ.
Microbiol.* 56:1875) in **physiological time** τ::

    OD(τ) = OD0 · exp(y(τ)),   y(τ) = A / (1 + exp(4·µm/A·(λ − τ) + 2)),   A = ln(K / OD0)

with the reference parameters µm = ``MU_OPT_PER_H`` and λ = ``LAG_REF_H`` (those of a culture
at the optimum temperature and 1 g). τ advances as dτ/dt = µ(T, g) / µm: the culture's clock
runs at the speed its conditions allow, and stops below Tmin or above Tmax. So at a constant T
and g the curve **is** a modified logistic with

    µmax = µ(T, g),   λ = LAG_REF_H · MU_OPT_PER_H / µ(T, g),   K = CAPACITY_OD

(:func:`growth_truth`), and after a change of conditions the culture continues from where its
physiology was, without jumps.

µ(T, g) = µ_opt · CTMI(T) · gravity_factor(g):

- CTMI is Rosso's cardinal temperature model with inflection (Rosso et al. 1993, *J. Theor.
  Biol.* 162:447), here for a mesophile with Tmin 5 °C, Topt 37 °C, Tmax 45 °C.
- ``gravity_factor(g) = 1 + GRAVITY_SLOPE · (1 − g)`` for 0 ≤ g ≤ 2 (1.25 in microgravity, 1 at
  1 g, 0.75 at 2 g). A simple, documented model choice, not a measured law: spaceflight
  cultures of several bacteria reached higher densities sooner (shorter lag, faster growth;
  e.g. Kacena et al. 1999), which is what a faster physiological clock in µg gives. Capacity K
  does not depend on g, so a change of g-level never makes OD jump.
"""

from __future__ import annotations

import math
from typing import TypedDict

T_MIN_C = 5.0
T_OPT_C = 37.0
T_MAX_C = 45.0
MU_OPT_PER_H = 1.2  # maximum specific growth rate (ln OD per hour) at Topt and 1 g
LAG_REF_H = 2.0  # lag at Topt and 1 g
CAPACITY_OD = 1.6  # K, OD600 of the stationary phase
OD0 = 0.02  # inoculum OD600
GRAVITY_SLOPE = 0.25  # gravity_factor = 1 + GRAVITY_SLOPE * (1 - g)


class GrowthTruth(TypedDict):
    """The modified-logistic parameters of a culture held at given conditions."""

    lag_h: float
    mu_max_per_h: float
    capacity_od: float
    od0: float


def ctmi(temperature_c: float) -> float:
    """Rosso's CTMI: the fraction of µopt reached at ``temperature_c`` (0 outside Tmin–Tmax).

    >>> ctmi(37.0)
    1.0
    >>> ctmi(5.0), ctmi(45.0), ctmi(50.0)
    (0.0, 0.0, 0.0)
    """
    t = temperature_c
    if t <= T_MIN_C or t >= T_MAX_C:
        return 0.0
    span = T_OPT_C - T_MIN_C
    denominator = span * (span * (t - T_OPT_C) - (T_OPT_C - T_MAX_C) * (T_OPT_C + T_MIN_C - 2 * t))
    return (t - T_MAX_C) * (t - T_MIN_C) ** 2 / denominator


def gravity_factor(g_level: float) -> float:
    """How much faster the culture's physiological clock runs at ``g_level`` than at 1 g.

    >>> gravity_factor(0.0), gravity_factor(1.0), gravity_factor(2.0)
    (1.25, 1.0, 0.75)
    """
    g = min(2.0, max(0.0, g_level))
    return 1.0 + GRAVITY_SLOPE * (1.0 - g)


def mu_max_per_h(temperature_c: float, g_level: float) -> float:
    """Maximum specific growth rate (per hour) at a temperature and g-level."""
    return MU_OPT_PER_H * ctmi(temperature_c) * gravity_factor(g_level)


def log_growth(tau_h: float) -> float:
    """y = ln(OD/OD0) after ``tau_h`` hours of physiological time (reference parameters)."""
    a = math.log(CAPACITY_OD / OD0)
    exponent = 4.0 * MU_OPT_PER_H / a * (LAG_REF_H - tau_h) + 2.0
    if exponent > 700.0:  # exp overflows; y is 0 to double precision long before
        return 0.0
    return a / (1.0 + math.exp(exponent))


def od600(tau_h: float) -> float:
    """OD600 of the culture after ``tau_h`` hours of physiological time."""
    return OD0 * math.exp(log_growth(tau_h))


def growth_truth(temperature_c: float, g_level: float) -> GrowthTruth:
    """The modified-logistic parameters of a culture held at ``temperature_c`` and ``g_level``
    (lag infinite where it cannot grow)."""
    mu = mu_max_per_h(temperature_c, g_level)
    lag = LAG_REF_H * MU_OPT_PER_H / mu if mu > 0.0 else math.inf
    return {"lag_h": lag, "mu_max_per_h": mu, "capacity_od": CAPACITY_OD, "od0": OD0}
