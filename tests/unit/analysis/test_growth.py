"""Growth models and fits against Zwietering's definitions and curves of known parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.growth import (
    GrowthFit,
    LiveGrowthRate,
    compare_fits,
    fit_growth,
    fitted_curve,
    gompertz,
    logistic,
    modified_gompertz,
    modified_logistic,
    rolling_growth_rate,
)

# The truth every synthetic curve is drawn from.
LAG_H, MU_PER_H, OD0 = 5.0, 0.6, 0.02
K_OD = 0.40
A = math.log(K_OD / OD0)  # ln(20) = 2.9957
T_H = np.arange(0.0, 36.0, 0.25)


def _closed_form(model: str, t: np.ndarray, a: float, mu: float, lag: float) -> np.ndarray:
    """Zwietering 1990, Table 1, written out here independently of the module."""
    if model == "logistic":
        return a / (1.0 + np.exp(4.0 * mu / a * (lag - t) + 2.0))
    return a * np.exp(-np.exp(mu * math.e / a * (lag - t) + 1.0))


def _noisy_od(model: str, seed: int, sigma_ln: float = 0.04) -> np.ndarray:
    """OD0 e^y with multiplicative (log-normal) reader noise."""
    rng = np.random.default_rng(seed)
    y = _closed_form(model, T_H, A, MU_PER_H, LAG_H)
    return OD0 * np.exp(y + rng.normal(0.0, sigma_ln, T_H.size))


# ----------------------------------------------------------------------- the formulas


def test_modified_logistic_at_hand_computed_points() -> None:
    a, mu, lag = 3.0, 0.6, 2.0
    # t = λ: exponent 4µ/A·0 + 2 = 2, so y = A / (1 + e²).
    # t = 5: exponent 4·0.6/3·(2 - 5) + 2 = 0.8·(-3) + 2 = -0.4, so y = 3 / (1 + e^-0.4).
    # t = 0: exponent 0.8·2 + 2 = 3.6.
    y = modified_logistic([2.0, 5.0, 0.0], a, mu, lag)
    assert y == pytest.approx(
        [3 / (1 + math.e**2), 3 / (1 + math.exp(-0.4)), 3 / (1 + math.exp(3.6))]
    )
    # The same to 10 digits, by 30-digit decimal arithmetic (Python's decimal module).
    assert float(y[0]) == pytest.approx(0.3576087661, abs=1e-10)
    assert float(y[1]) == pytest.approx(1.7960629803, abs=1e-10)


def test_modified_gompertz_at_hand_computed_points() -> None:
    a, mu, lag = 3.0, 0.6, 2.0
    # t = λ: inner exponent 1, y = A e^(-e).  t = 5: µe/A = 0.2e, inner = -0.6e + 1.
    y = modified_gompertz([2.0, 5.0], a, mu, lag)
    assert y == pytest.approx([3 * math.exp(-math.e), 3 * math.exp(-math.exp(1 - 0.6 * math.e))])
    assert float(y[0]) == pytest.approx(0.1979641075, abs=1e-10)


@pytest.mark.parametrize(
    ("model", "inflection_y"),
    [("logistic", 0.5), ("gompertz", 1 / math.e)],
)
def test_parameters_mean_what_zwietering_defines(model: str, inflection_y: float) -> None:
    """µm is the slope at the inflection, λ the tangent's intercept with y = 0, A the limit."""
    a, mu, lag = 2.5, 0.8, 3.0
    function = modified_logistic if model == "logistic" else modified_gompertz
    t = np.linspace(0.0, 40.0, 400_001)
    y = function(t, a, mu, lag)
    slope = np.gradient(y, t)
    i = int(np.argmax(slope))
    assert slope[i] == pytest.approx(mu, rel=1e-6)
    assert y[i] == pytest.approx(inflection_y * a, rel=1e-4)
    tangent_intercept = t[i] - y[i] / slope[i]
    assert tangent_intercept == pytest.approx(lag, abs=1e-4)
    assert y[-1] == pytest.approx(a, rel=1e-6)


def test_plain_forms_reparameterise_to_the_modified_ones() -> None:
    a, mu, lag = 2.5, 0.8, 3.0
    t = np.linspace(0.0, 20.0, 101)
    # Zwietering Table 1: logistic µm = a c / 4, λ = (b - 2) / c; Gompertz µm = a c / e,
    # λ = (b - 1) / c.
    c = 4 * mu / a
    assert logistic(t, a, 2 + c * lag, c) == pytest.approx(modified_logistic(t, a, mu, lag))
    c = mu * math.e / a
    assert gompertz(t, a, 1 + c * lag, c) == pytest.approx(modified_gompertz(t, a, mu, lag))


def test_models_do_not_overflow_far_from_the_lag() -> None:
    t = np.array([-1e6, 0.0, 1e6])
    for function in (modified_logistic, modified_gompertz):
        y = function(t, 3.0, 5.0, 1.0)
        assert np.isfinite(y).all()
        assert y[0] == pytest.approx(0.0, abs=1e-300)
        assert y[-1] == pytest.approx(3.0)


# ----------------------------------------------------------------------------- the fits


@pytest.mark.parametrize("model", ["logistic", "gompertz"])
def test_fit_recovers_known_parameters_and_its_intervals_cover_them(model: str) -> None:
    seeds = range(20)
    covered = {"lag": 0, "mu": 0, "k": 0, "od0": 0}
    for seed in seeds:
        fit = fit_growth(T_H, _noisy_od(model, seed), model=model)
        assert fit.converged, fit.message
        assert fit.model == model
        assert fit.n == T_H.size
        assert fit.dof == T_H.size - 4
        assert fit.lag_h == pytest.approx(LAG_H, rel=0.10)
        assert fit.mu_max_per_h == pytest.approx(MU_PER_H, rel=0.10)
        assert fit.capacity_od == pytest.approx(K_OD, rel=0.10)
        assert fit.od0 == pytest.approx(OD0, rel=0.10)
        assert fit.asymptote == pytest.approx(math.log(fit.capacity_od / fit.od0))
        assert fit.r_squared > 0.99
        assert fit.rmse == pytest.approx(0.04, rel=0.25)  # the noise put in
        for key, value, (low, high) in (
            ("lag", LAG_H, fit.lag_h_ci),
            ("mu", MU_PER_H, fit.mu_max_per_h_ci),
            ("k", K_OD, fit.capacity_od_ci),
            ("od0", OD0, fit.od0_ci),
        ):
            assert low < high
            covered[key] += low <= value <= high
    # 95 % intervals: 19 of 20 expected; below 16 of 20 has probability < 2 %.
    assert min(covered.values()) >= 16, covered


def test_confidence_interval_uses_student_t_on_n_minus_4() -> None:
    fit = fit_growth(T_H, _noisy_od("logistic", 1), model="logistic")
    q = stats.t.ppf(0.975, T_H.size - 4)
    assert fit.lag_h_ci == pytest.approx(
        (fit.lag_h - q * fit.lag_h_se, fit.lag_h + q * fit.lag_h_se)
    )
    se_ln_k = fit.capacity_od_se / fit.capacity_od
    expected = (fit.capacity_od * math.exp(-q * se_ln_k), fit.capacity_od * math.exp(q * se_ln_k))
    assert fit.capacity_od_ci == pytest.approx(expected)


def test_fit_with_additive_noise_and_a_blank() -> None:
    """A reader's additive noise on top of the medium's blank, subtracted by the fit."""
    rng = np.random.default_rng(7)
    blank = 0.045
    od = blank + OD0 * np.exp(_closed_form("logistic", T_H, A, MU_PER_H, LAG_H))
    od = od + rng.normal(0.0, 0.001, T_H.size)
    fit = fit_growth(T_H, od, model="logistic", od_blank=blank)
    assert fit.converged
    assert fit.lag_h == pytest.approx(LAG_H, rel=0.10)
    assert fit.mu_max_per_h == pytest.approx(MU_PER_H, rel=0.10)
    assert fit.capacity_od == pytest.approx(K_OD, rel=0.10)
    curve = fitted_curve(fit, T_H)
    assert curve[0] == pytest.approx(blank + OD0, rel=0.1)
    assert curve[-1] == pytest.approx(blank + K_OD, rel=0.05)


def test_fitted_curve_is_the_model_at_the_fitted_parameters() -> None:
    fit = fit_growth(T_H, _noisy_od("gompertz", 2), model="gompertz")
    t = np.array([0.0, fit.lag_h, 30.0])
    expected = fit.od0 * np.exp(
        _closed_form("gompertz", t, fit.asymptote, fit.mu_max_per_h, fit.lag_h)
    )
    assert fitted_curve(fit, t) == pytest.approx(expected)


def test_unsorted_samples_and_nan_readings_are_tolerated() -> None:
    od = _noisy_od("logistic", 3)
    od[[10, 50, 90]] = np.nan
    order = np.random.default_rng(0).permutation(T_H.size)
    fit = fit_growth(T_H[order], od[order])
    assert fit.n == T_H.size - 3
    assert fit.mu_max_per_h == pytest.approx(MU_PER_H, rel=0.10)


@pytest.mark.parametrize(
    ("t", "od", "kwargs", "match"),
    [
        ([], [], {}, "no samples"),
        ([0.0, 1.0], [0.1, 0.2], {}, "too few points"),
        ([0.0, 1.0, 2.0], [0.1, 0.2], {}, "same length"),
        (np.arange(10.0), np.full(10, np.nan), {}, "NaN"),
        (np.arange(10.0), np.full(10, 0.04), {"od_blank": 0.05}, "above the blank"),
        (np.arange(40.0), np.full(40, 0.1), {}, "no growth"),
        (np.zeros(10), np.linspace(0.1, 1, 10), {}, "same time"),
        (np.arange(40.0), np.linspace(0.1, 1, 40), {"model": "baranyi"}, "model must be"),
    ],
)
def test_bad_input_is_refused_with_a_reason(t, od, kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fit_growth(t, od, **kwargs)


def test_flat_noisy_series_is_no_growth() -> None:
    rng = np.random.default_rng(4)
    od = 0.1 * np.exp(rng.normal(0.0, 0.05, T_H.size))
    with pytest.raises(ValueError, match="no growth"):
        fit_growth(T_H, od)


# ------------------------------------------------------------------------ comparisons


def _fit(lag: float, lag_se: float, mu: float, mu_se: float, k: float, k_se: float) -> GrowthFit:
    nan2 = (math.nan, math.nan)
    return GrowthFit(
        model="logistic",
        lag_h=lag,
        lag_h_ci=nan2,
        lag_h_se=lag_se,
        mu_max_per_h=mu,
        mu_max_per_h_ci=nan2,
        mu_max_per_h_se=mu_se,
        capacity_od=k,
        capacity_od_ci=nan2,
        capacity_od_se=k_se,
        od0=0.02,
        od0_ci=nan2,
        od0_se=0.001,
        asymptote=math.log(k / 0.02),
        r_squared=0.99,
        rmse=0.03,
        n=100,
        dof=96,
        od_blank=0.0,
        converged=True,
    )


def test_compare_fits_z_test_by_hand() -> None:
    flight = _fit(lag=4.0, lag_se=0.3, mu=0.72, mu_se=0.02, k=0.46, k_se=0.01)
    ground = _fit(lag=5.0, lag_se=0.4, mu=0.60, mu_se=0.03, k=0.40, k_se=0.02)
    rows = {row.parameter: row for row in compare_fits(flight, ground)}
    assert list(rows) == ["lag_h", "mu_max_per_h", "capacity_od"]
    # lag: difference -1.0, se sqrt(0.09 + 0.16) = 0.5, z = -2.
    lag = rows["lag_h"]
    assert lag.unit == "h"
    assert lag.difference == pytest.approx(-1.0)
    assert lag.se == pytest.approx(0.5)
    assert lag.z == pytest.approx(-2.0)
    assert lag.p_value == pytest.approx(2 * stats.norm.sf(2.0))  # 0.0455
    assert lag.p_value == pytest.approx(0.04550026, abs=1e-8)
    assert lag.difference_ci == pytest.approx((-1.0 - 1.959964 * 0.5, -1.0 + 1.959964 * 0.5))
    mu = rows["mu_max_per_h"]
    se = math.sqrt(0.02**2 + 0.03**2)
    assert mu.value_a == 0.72
    assert mu.value_b == 0.60
    assert mu.z == pytest.approx(0.12 / se)
    assert mu.p_value == pytest.approx(2 * stats.norm.sf(0.12 / se))
    k = rows["capacity_od"]
    assert k.unit == "OD"
    assert k.z == pytest.approx(0.06 / math.sqrt(0.01**2 + 0.02**2))


def test_compare_fits_detects_a_real_difference_in_rate() -> None:
    slow = fit_growth(T_H, _noisy_od("logistic", 5))
    y_fast = _closed_form("logistic", T_H, A, 0.9, LAG_H)
    fast_od = OD0 * np.exp(y_fast + np.random.default_rng(6).normal(0.0, 0.04, T_H.size))
    fast = fit_growth(T_H, fast_od)
    rows = {row.parameter: row for row in compare_fits(fast, slow)}
    assert rows["mu_max_per_h"].difference == pytest.approx(0.3, rel=0.15)
    assert rows["mu_max_per_h"].p_value < 1e-6
    assert rows["capacity_od"].difference_ci[0] < 0 < rows["capacity_od"].difference_ci[1]


def test_compare_refuses_a_fit_that_did_not_converge() -> None:
    good = _fit(4.0, 0.3, 0.7, 0.02, 0.4, 0.01)
    bad = GrowthFit(**{**good.__dict__, "converged": False, "message": "no covariance"})
    with pytest.raises(ValueError, match="fit b did not converge"):
        compare_fits(good, bad)


# ------------------------------------------------------------------------- live rate


def _exponential(mu: float, seed: int, step_h: float = 10 / 3600, hours: float = 4.0):
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, hours, step_h)
    od = 0.01 * np.exp(mu * t) * np.exp(rng.normal(0.0, 0.01, t.size))
    return t, od


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_live_rate_converges_to_the_exponential_rate(seed: int) -> None:
    mu = 0.8
    t, od = _exponential(mu, seed)
    live = LiveGrowthRate(window_h=0.5)
    rates = [live.update(float(ti), float(oi)) for ti, oi in zip(t, od, strict=True)]
    assert rates[0] is None  # not enough data yet
    after_first_window = [r for ti, r in zip(t, rates, strict=True) if ti >= 0.5]
    assert all(r is not None and abs(r - mu) < 0.05 * mu for r in after_first_window)
    assert live.rate_per_h == rates[-1]


def test_live_rate_follows_a_logistic_curve_from_lag_to_stationary() -> None:
    t = np.arange(0.0, 30.0, 30 / 3600)
    od = OD0 * np.exp(_closed_form("logistic", t, A, MU_PER_H, LAG_H))
    live = LiveGrowthRate(window_h=0.5)
    rates = np.array([live.update(float(a), float(b)) for a, b in zip(t, od, strict=True)])
    inflection_h = LAG_H + A / (2 * MU_PER_H)
    assert rates[np.searchsorted(t, inflection_h)] == pytest.approx(MU_PER_H, rel=0.02)
    assert abs(rates[np.searchsorted(t, 1.0)]) < 0.02  # lag
    assert abs(rates[-1]) < 0.02  # stationary


def test_live_rate_is_never_nan_at_low_or_negative_od() -> None:
    rng = np.random.default_rng(9)
    t = np.arange(0.0, 3.0, 10 / 3600)
    blank = 0.05
    od = blank + rng.normal(0.0, 0.003, t.size)  # nothing grown yet: blanked OD around 0
    od[::50] = np.nan
    live = LiveGrowthRate(window_h=0.5, od_blank=blank)
    for ti, oi in zip(t, od, strict=True):
        rate = live.update(float(ti), float(oi))
        assert rate is None or math.isfinite(rate)
    rolled = rolling_growth_rate(t, od, window_h=0.5, od_blank=blank)
    assert not np.isinf(rolled).any()
    assert not np.isnan(rolling_growth_rate(t, od + 1.0, 0.5, od_blank=blank)[-1])


def test_from_history_and_rolling_rate_agree_with_streaming() -> None:
    t, od = _exponential(0.5, seed=4, hours=3.0)
    live = LiveGrowthRate(window_h=0.5)
    streamed = [live.update(float(a), float(b)) for a, b in zip(t, od, strict=True)]
    primed = LiveGrowthRate.from_history(t, od, window_h=0.5)
    assert primed.rate_per_h == pytest.approx(streamed[-1], rel=1e-9)
    rolled = rolling_growth_rate(t, od, window_h=0.5)
    expected = np.array([math.nan if r is None else r for r in streamed])
    np.testing.assert_allclose(rolled, expected, rtol=1e-8, equal_nan=True)
    assert rolled[-1] == pytest.approx(0.5, rel=0.05)


def test_live_rate_refuses_time_going_backwards() -> None:
    live = LiveGrowthRate()
    live.update(1.0, 0.1)
    with pytest.raises(ValueError, match="time order"):
        live.update(0.5, 0.1)
    with pytest.raises(ValueError, match="window_h"):
        LiveGrowthRate(window_h=0)
