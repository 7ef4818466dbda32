"""Bacterial growth curves: Zwietering's models, curve fits, comparisons, a live rate.

Models (M. H. Zwietering, I. Jongenburger, F. M. Rombouts, K. van 't Riet, *Modeling of the
bacterial growth curve*, Appl. Environ. Microbiol. 56:1875-1881, 1990), written for
``y = ln(N/N0)`` with the biologically meaningful parameters

* ``A``  -- the asymptote, ``ln(K/N0)`` (K the carrying capacity),
* ``µm`` -- the maximum specific growth rate (1/h): the slope of ``y`` at its inflection,
* ``λ``  -- the lag time (h): where the tangent at the inflection crosses ``y = 0``.

modified logistic  ``y = A / (1 + exp(4 µm/A (λ - t) + 2))``,
modified Gompertz  ``y = A exp(-exp(µm e/A (λ - t) + 1))``.

They are the plain logistic ``y = a / (1 + exp(b - c t))`` and Gompertz
``y = a exp(-exp(b - c t))`` reparameterised (Zwietering's Table 1): ``A = a`` and, for the
logistic, ``µm = a c / 4``, ``λ = (b - 2) / c``; for the Gompertz ``µm = a c / e``,
``λ = (b - 1) / c``.

Optical density stands in for N (OD600 is proportional to cell density in its linear range),
so ``K`` is a capacity in OD units.

:func:`fit_growth` fits ``ln OD = ln OD0 + y(t; A, µm, λ)`` by least squares in log space
(``scipy.optimize.curve_fit``), with ``OD0`` a fourth fitted parameter rather than a value
read off the first samples: a noisy first reading then does not bias ``A`` and ``λ``, and
``OD0`` gets a confidence interval of its own. :func:`compare_fits` compares two fits
parameter by parameter; :class:`LiveGrowthRate` estimates the current specific growth rate
from streaming OD by a rolling log-linear least-squares fit (as Pioreactor shows beside its
OD chart), and :func:`rolling_growth_rate` computes the same over a stored series.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats
from scipy.ndimage import median_filter

F64 = npt.NDArray[np.float64]
Model = Literal["logistic", "gompertz"]
MODELS: tuple[Model, ...] = ("logistic", "gompertz")

CONFIDENCE = 0.95
MIN_FIT_POINTS = 8
# A series whose smoothed ln OD rises by less than this (a 5 % increase in OD), or by less
# than a few times its noise, has no growth to fit.
MIN_RISE_LN = 0.05
# The largest exponent handed to exp(): exp(700) is finite in float64.
_EXP_MAX = 700.0


# ---------------------------------------------------------------------------- the models


def modified_logistic(
    t_h: npt.ArrayLike, asymptote: float, mu_max_per_h: float, lag_h: float
) -> F64:
    """Evaluate Zwietering's modified logistic ``y = ln(N/N0)`` at times ``t_h`` (h).

    ``y = A / (1 + exp(4 µm/A (λ - t) + 2))`` (Zwietering et al. 1990, Table 1).

    Examples
    --------
    >>> y = modified_logistic([2.0], asymptote=3.0, mu_max_per_h=0.5, lag_h=2.0)
    >>> round(float(y[0]), 6)  # at t = λ: A / (1 + e²)
    0.357609
    """
    t = np.asarray(t_h, dtype=np.float64)
    z = 4.0 * mu_max_per_h / asymptote * (lag_h - t) + 2.0
    result: F64 = asymptote * special.expit(-z)
    return result


def modified_gompertz(
    t_h: npt.ArrayLike, asymptote: float, mu_max_per_h: float, lag_h: float
) -> F64:
    """Evaluate Zwietering's modified Gompertz ``y = ln(N/N0)`` at times ``t_h`` (h).

    ``y = A exp(-exp(µm e/A (λ - t) + 1))`` (Zwietering et al. 1990, Table 1).

    Examples
    --------
    >>> y = modified_gompertz([2.0], asymptote=3.0, mu_max_per_h=0.5, lag_h=2.0)
    >>> round(float(y[0]), 6)  # at t = λ: A exp(-e)
    0.197964
    """
    t = np.asarray(t_h, dtype=np.float64)
    z = mu_max_per_h * math.e / asymptote * (lag_h - t) + 1.0
    result: F64 = asymptote * np.exp(-np.exp(np.minimum(z, _EXP_MAX)))
    return result


def logistic(t: npt.ArrayLike, a: float, b: float, c: float) -> F64:
    """Evaluate the plain logistic ``y = a / (1 + exp(b - c t))``.

    The modified logistic with ``A = a``, ``µm = a c / 4`` and ``λ = (b - 2) / c``.
    """
    z = b - c * np.asarray(t, dtype=np.float64)
    result: F64 = a * special.expit(-z)
    return result


def gompertz(t: npt.ArrayLike, a: float, b: float, c: float) -> F64:
    """Evaluate the plain Gompertz ``y = a exp(-exp(b - c t))``.

    The modified Gompertz with ``A = a``, ``µm = a c / e`` and ``λ = (b - 1) / c``.
    """
    z = b - c * np.asarray(t, dtype=np.float64)
    result: F64 = a * np.exp(-np.exp(np.minimum(z, _EXP_MAX)))
    return result


_MODEL_FUNCTIONS = {"logistic": modified_logistic, "gompertz": modified_gompertz}


# ------------------------------------------------------------------------------ the fit


@dataclass(frozen=True)
class GrowthFit:
    """A growth model fitted to an OD series, with 95 % confidence intervals.

    ``*_ci`` are ``(low, high)`` 95 % intervals from the fit's covariance with Student's t
    on ``dof = n - 4`` degrees of freedom; ``*_se`` the standard errors. ``lag_h`` and
    ``mu_max_per_h`` have symmetric intervals; ``od0`` and ``capacity_od`` are fitted on a
    log scale (``ln OD0`` and ``ln K = ln OD0 + A``), so their intervals are the exponentials
    of symmetric ones and their standard errors follow by the delta method
    (``se_K = K se_lnK``). ``asymptote`` is ``A = ln(K/OD0)``. ``r_squared`` and ``rmse``
    measure the fit in ln OD, where it was made. ``od_blank`` is the blank subtracted
    before fitting. ``converged`` is ``False`` (and ``message`` says why) when the optimiser
    failed or the covariance could not be estimated; the intervals are then NaN.
    """

    model: Model
    lag_h: float
    lag_h_ci: tuple[float, float]
    lag_h_se: float
    mu_max_per_h: float
    mu_max_per_h_ci: tuple[float, float]
    mu_max_per_h_se: float
    capacity_od: float
    capacity_od_ci: tuple[float, float]
    capacity_od_se: float
    od0: float
    od0_ci: tuple[float, float]
    od0_se: float
    asymptote: float
    r_squared: float
    rmse: float
    n: int
    dof: int
    od_blank: float
    converged: bool
    message: str = ""


def _fit_function(model: Model) -> Callable[..., F64]:
    curve = _MODEL_FUNCTIONS[model]

    def ln_od(t: F64, ln_od0: float, asymptote: float, mu: float, lag: float) -> F64:
        result: F64 = ln_od0 + curve(t, asymptote, mu, lag)
        return result

    return ln_od


def _prepare(t_h: npt.ArrayLike, od: npt.ArrayLike, od_blank: float) -> tuple[F64, F64]:
    """Return sorted times and ln(OD - blank) of the usable samples, or say what is wrong."""
    t = np.asarray(t_h, dtype=np.float64)
    x = np.asarray(od, dtype=np.float64)
    if t.ndim != 1 or x.ndim != 1 or t.shape != x.shape:
        raise ValueError(
            f"t_h and od must be 1-D arrays of the same length, got shapes {t.shape} and {x.shape}"
        )
    if t.size == 0:
        raise ValueError("no samples: t_h and od are empty")
    if not math.isfinite(od_blank):
        raise ValueError(f"od_blank must be a finite number, got {od_blank}")
    finite = np.isfinite(t) & np.isfinite(x)
    if not finite.any():
        raise ValueError(f"all {t.size} samples are NaN or infinite")
    x = x - od_blank
    usable = finite & (x > 0)
    n = int(usable.sum())
    if n == 0:
        raise ValueError(f"no OD reading is above the blank (od_blank={od_blank})")
    if n < MIN_FIT_POINTS:
        raise ValueError(
            f"too few points to fit: {n} finite readings above the blank, "
            f"need at least {MIN_FIT_POINTS}"
        )
    order = np.argsort(t[usable], kind="stable")
    t_ok, ln_x = t[usable][order], np.log(x[usable][order])
    if t_ok[-1] <= t_ok[0]:
        raise ValueError("all samples are at the same time: t_h spans no interval")
    return t_ok, ln_x


def _initial_guess(t: F64, y: F64) -> tuple[list[float], float]:
    """Guess (ln OD0, A, µm, λ) from smoothed ln OD; return them and the rise of ln OD.

    µm is the largest slope of the smoothed curve, λ where the tangent there meets
    ln OD0, A the median of the last points minus ln OD0.
    """
    n = y.size
    window = max(3, (n // 15) | 1)
    smooth = median_filter(y, size=window, mode="nearest")
    k = max(3, n // 20)
    ln_od0 = float(np.median(y[:k]))
    tail = float(np.median(y[-k:]))
    rise = float(smooth.max()) - ln_od0
    # Noise of single readings from successive differences (robust: MAD), and of the
    # smoothed curve, whose maximum a flat noisy series reaches by chance.
    diffs = np.diff(y)
    sigma = 1.4826 * float(np.median(np.abs(diffs - np.median(diffs)))) / math.sqrt(2.0)
    if rise < max(MIN_RISE_LN, 4.0 * sigma / math.sqrt(window)):
        raise ValueError(
            f"no growth to fit: ln OD rises by {rise:.3g} over the series (OD x "
            f"{math.exp(rise):.3g}), within its noise or below {MIN_RISE_LN}"
        )
    half = max(1, window // 2)
    slopes = (smooth[2 * half :] - smooth[: -2 * half]) / (t[2 * half :] - t[: -2 * half])
    slopes[~np.isfinite(slopes)] = -np.inf
    best = int(np.argmax(slopes))
    mu = float(slopes[best])
    span = float(t[-1] - t[0])
    if not mu > 0:
        mu = rise / span
    centre = best + half
    lag = float(t[centre]) - (float(smooth[centre]) - ln_od0) / mu
    asymptote = max(tail - ln_od0, rise, MIN_RISE_LN)
    return [ln_od0, asymptote, mu, lag], rise


def fit_growth(
    t_h: npt.ArrayLike,
    od: npt.ArrayLike,
    model: Model = "logistic",
    od_blank: float = 0.0,
) -> GrowthFit:
    """Fit Zwietering's modified logistic or Gompertz model to an OD series.

    Fits ``ln(OD - od_blank) = ln OD0 + y(t; A, µm, λ)`` (Zwietering et al. 1990) by
    bounded least squares (``scipy.optimize.curve_fit``, trust region reflective), from
    initial guesses read off the smoothed curve: µm the steepest slope of ln OD, λ where
    the tangent there meets the initial level, A the final level above it.

    Parameters
    ----------
    t_h
        Sample times in hours (any origin; need not be sorted).
    od
        Optical densities (e.g. OD600), as measured.
    model
        ``"logistic"`` or ``"gompertz"``.
    od_blank
        The medium's blank OD, subtracted first. Readings at or below the blank, and NaN
        readings, are left out (their logarithm is undefined).

    Returns
    -------
    GrowthFit
        The parameters with 95 % confidence intervals; ``converged`` is ``False`` with a
        ``message`` when the optimiser did not converge or the parameters are not
        identifiable (e.g. a series that never leaves the lag phase).

    Raises
    ------
    ValueError
        For an unknown model, mismatched or empty arrays, all-NaN input, fewer than
        ``MIN_FIT_POINTS`` usable readings, or a series that does not grow.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    t, y = _prepare(t_h, od, od_blank)
    p0, _ = _initial_guess(t, y)
    span = float(t[-1] - t[0])
    y_range = float(y.max() - y.min())
    lower = [float(y.min()) - 5.0, 1e-3, 1e-6, float(t[0]) - span]
    upper = [float(y.max()), max(5.0 * y_range, 1.0) + 1.0, max(20.0 * p0[2], 10.0), float(t[-1])]
    p0 = [min(max(p, lo + 1e-9), hi - 1e-9) for p, lo, hi in zip(p0, lower, upper, strict=True)]
    n, n_params = int(t.size), 4
    dof = n - n_params
    function = _fit_function(model)
    message = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            popt, pcov = optimize.curve_fit(
                function, t, y, p0=p0, bounds=(lower, upper), method="trf", max_nfev=5000
            )
    except (RuntimeError, ValueError) as error:
        nan = math.nan
        return GrowthFit(
            model=model,
            lag_h=nan,
            lag_h_ci=(nan, nan),
            lag_h_se=nan,
            mu_max_per_h=nan,
            mu_max_per_h_ci=(nan, nan),
            mu_max_per_h_se=nan,
            capacity_od=nan,
            capacity_od_ci=(nan, nan),
            capacity_od_se=nan,
            od0=nan,
            od0_ci=(nan, nan),
            od0_se=nan,
            asymptote=nan,
            r_squared=nan,
            rmse=nan,
            n=n,
            dof=dof,
            od_blank=od_blank,
            converged=False,
            message=f"the fit did not converge: {error}",
        )
    ln_od0, asymptote, mu, lag = (float(p) for p in popt)
    residuals = y - function(t, *popt)
    ss_res = float(residuals @ residuals)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    covariance = np.asarray(pcov, dtype=np.float64)
    var_ln_k = covariance[0, 0] + covariance[1, 1] + 2.0 * covariance[0, 1]
    variances = np.array([covariance[0, 0], covariance[2, 2], covariance[3, 3], var_ln_k])
    converged = bool(np.isfinite(variances).all() and (variances >= 0).all())
    if not converged:
        message = (
            "the parameters are not identifiable from these data (covariance could not be "
            "estimated): does the series cover the lag, exponential and stationary phases?"
        )
        variances = np.full(4, np.nan)
    se_ln_od0, se_mu, se_lag, se_ln_k = (float(s) for s in np.sqrt(variances))
    q = float(stats.t.ppf(0.5 + CONFIDENCE / 2.0, dof)) if dof > 0 else math.nan
    od0, capacity = math.exp(ln_od0), math.exp(ln_od0 + asymptote)

    def symmetric(value: float, se: float) -> tuple[float, float]:
        return (value - q * se, value + q * se)

    def log_scale(ln_value: float, se: float) -> tuple[float, float]:
        return (math.exp(ln_value - q * se), math.exp(ln_value + q * se))

    return GrowthFit(
        model=model,
        lag_h=lag,
        lag_h_ci=symmetric(lag, se_lag),
        lag_h_se=se_lag,
        mu_max_per_h=mu,
        mu_max_per_h_ci=symmetric(mu, se_mu),
        mu_max_per_h_se=se_mu,
        capacity_od=capacity,
        capacity_od_ci=log_scale(ln_od0 + asymptote, se_ln_k),
        capacity_od_se=capacity * se_ln_k,
        od0=od0,
        od0_ci=log_scale(ln_od0, se_ln_od0),
        od0_se=od0 * se_ln_od0,
        asymptote=asymptote,
        r_squared=1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan,
        rmse=math.sqrt(ss_res / n),
        n=n,
        dof=dof,
        od_blank=od_blank,
        converged=converged,
        message=message,
    )


def fitted_curve(fit: GrowthFit, t_h: npt.ArrayLike) -> F64:
    """Return the fitted OD at times ``t_h`` (h), blank added back, to plot over the data.

    ``OD = OD0 exp(y(t; A, µm, λ)) + od_blank``, in the units of the ``od`` that was fitted.
    """
    curve = _MODEL_FUNCTIONS[fit.model]
    y = curve(t_h, fit.asymptote, fit.mu_max_per_h, fit.lag_h)
    result: F64 = fit.od0 * np.exp(y) + fit.od_blank
    return result


# ------------------------------------------------------------------------ comparison


@dataclass(frozen=True)
class ParameterComparison:
    """One parameter of two fits compared: ``difference = value_a - value_b``.

    ``difference_ci`` is the 95 % normal interval ``difference ± 1.96 se`` with
    ``se = sqrt(se_a² + se_b²)`` (independent fits; delta method), and ``p_value`` the
    two-sided z-test of "no difference", ``2 (1 - Φ(|z|))`` with ``z = difference / se``.
    """

    parameter: str
    unit: str
    value_a: float
    value_b: float
    difference: float
    difference_ci: tuple[float, float]
    se: float
    z: float
    p_value: float


_COMPARED = (
    ("lag_h", "h"),
    ("mu_max_per_h", "1/h"),
    ("capacity_od", "OD"),
)


def compare_fits(a: GrowthFit, b: GrowthFit) -> list[ParameterComparison]:
    """Compare lag, maximum growth rate and capacity of two independent fits.

    For e.g. a flight (µg) arm as ``a`` against its ground (1 g) control as ``b``: per
    parameter the difference ``a - b``, its 95 % confidence interval and the two-sided
    z-test p-value, with standard errors combined as ``sqrt(se_a² + se_b²)``.

    Raises
    ------
    ValueError
        When either fit did not converge (it has no standard errors).
    """
    for name, fit in (("a", a), ("b", b)):
        if not fit.converged:
            raise ValueError(f"fit {name} did not converge, nothing to compare: {fit.message}")
    z_crit = float(stats.norm.ppf(0.5 + CONFIDENCE / 2.0))
    comparisons = []
    for parameter, unit in _COMPARED:
        value_a, value_b = float(getattr(a, parameter)), float(getattr(b, parameter))
        se_a, se_b = float(getattr(a, f"{parameter}_se")), float(getattr(b, f"{parameter}_se"))
        difference = value_a - value_b
        se = math.hypot(se_a, se_b)
        if se > 0:
            z = difference / se
            p_value = float(2.0 * stats.norm.sf(abs(z)))
        else:
            z, p_value = math.nan, math.nan
        comparisons.append(
            ParameterComparison(
                parameter=parameter,
                unit=unit,
                value_a=value_a,
                value_b=value_b,
                difference=difference,
                difference_ci=(difference - z_crit * se, difference + z_crit * se),
                se=se,
                z=z,
                p_value=p_value,
            )
        )
    return comparisons


# ------------------------------------------------------------------------- live rate


def _ols_slope(t: F64, y: F64) -> float:
    t_c = t - t.mean()
    s_tt = float(t_c @ t_c)
    return float(t_c @ (y - y.mean())) / s_tt if s_tt > 0 else math.nan


class LiveGrowthRate:
    """Estimate the specific growth rate (1/h) from streaming OD: a rolling log-linear fit.

    Each :meth:`update` adds a reading and returns the least-squares slope of
    ``ln(OD - od_blank)`` against time over the last ``window_h`` hours of *device* time
    (readings at ``t >= t_now - window_h``). In exponential growth ``OD = OD0 e^(µt)`` the
    slope is µ exactly; in lag and stationary phases it falls towards 0.

    Readings at or below ``od_min`` after blanking (near zero or negative at low density,
    where the logarithm is useless or undefined) and NaN readings are skipped, so the rate
    is never NaN or infinite. The rate is ``None`` until the window holds ``min_points``
    readings spanning at least ``min_span_fraction * window_h``.
    """

    def __init__(
        self,
        window_h: float = 0.5,
        *,
        min_points: int = 5,
        min_span_fraction: float = 0.5,
        od_blank: float = 0.0,
        od_min: float = 1e-3,
    ) -> None:
        if not window_h > 0:
            raise ValueError(f"window_h must be positive, got {window_h}")
        if min_points < 2:
            raise ValueError(f"min_points must be at least 2, got {min_points}")
        self.window_h = float(window_h)
        self.min_points = int(min_points)
        self.min_span_h = float(min_span_fraction) * self.window_h
        self.od_blank = float(od_blank)
        self.od_min = float(od_min)
        self._times: deque[float] = deque()
        self._ln_od: deque[float] = deque()
        self._last_t = -math.inf
        self._rate: float | None = None

    @property
    def rate_per_h(self) -> float | None:
        """The latest estimate (1/h), or ``None`` while there is not enough data."""
        return self._rate

    def update(self, t_h: float, od: float) -> float | None:
        """Add a reading at device time ``t_h`` (h); return the current rate (1/h) or None.

        Raises
        ------
        ValueError
            When ``t_h`` is earlier than the previous reading's time.
        """
        if not math.isfinite(t_h):
            return self._rate
        if t_h < self._last_t:
            raise ValueError(
                f"readings must come in time order: t_h={t_h} is before the previous {self._last_t}"
            )
        self._last_t = t_h
        x = od - self.od_blank
        if math.isfinite(x) and x > self.od_min:
            self._times.append(t_h)
            self._ln_od.append(math.log(x))
        cutoff = t_h - self.window_h
        while self._times and self._times[0] < cutoff:
            self._times.popleft()
            self._ln_od.popleft()
        self._rate = self._estimate()
        return self._rate

    def _estimate(self) -> float | None:
        if len(self._times) < self.min_points:
            return None
        if self._times[-1] - self._times[0] < self.min_span_h:
            return None
        rate = _ols_slope(np.fromiter(self._times, np.float64), np.fromiter(self._ln_od, float))
        return rate if math.isfinite(rate) else None

    @classmethod
    def from_history(
        cls,
        t_h: npt.ArrayLike,
        od: npt.ArrayLike,
        window_h: float = 0.5,
        *,
        min_points: int = 5,
        min_span_fraction: float = 0.5,
        od_blank: float = 0.0,
        od_min: float = 1e-3,
    ) -> LiveGrowthRate:
        """Return an estimator primed with stored readings (e.g. after a restart).

        Only the last ``window_h`` of ``t_h`` (sorted) matters, so only that is replayed.
        The keyword arguments are the constructor's.
        """
        t = np.asarray(t_h, dtype=np.float64)
        x = np.asarray(od, dtype=np.float64)
        if t.shape != x.shape or t.ndim != 1:
            raise ValueError(
                f"t_h and od must be 1-D arrays of the same length, got shapes {t.shape} "
                f"and {x.shape}"
            )
        estimator = cls(
            window_h,
            min_points=min_points,
            min_span_fraction=min_span_fraction,
            od_blank=od_blank,
            od_min=od_min,
        )
        finite = np.isfinite(t)
        t, x = t[finite], x[finite]
        if t.size:
            start = int(np.searchsorted(t, t[-1] - window_h, side="left"))
            for t_i, od_i in zip(t[start:].tolist(), x[start:].tolist(), strict=True):
                estimator.update(t_i, od_i)
        return estimator


def rolling_growth_rate(
    t_h: npt.ArrayLike,
    od: npt.ArrayLike,
    window_h: float = 0.5,
    *,
    min_points: int = 5,
    min_span_fraction: float = 0.5,
    od_blank: float = 0.0,
    od_min: float = 1e-3,
) -> F64:
    """Return, at every reading, the rate :class:`LiveGrowthRate` would have given (1/h).

    Vectorised (cumulative sums over the window of each reading) for a stored series of
    sorted times; NaN where the estimator would have said ``None``.
    """
    t = np.asarray(t_h, dtype=np.float64)
    x = np.asarray(od, dtype=np.float64) - od_blank
    if t.shape != x.shape or t.ndim != 1:
        raise ValueError(
            f"t_h and od must be 1-D arrays of the same length, got shapes {t.shape} and {x.shape}"
        )
    if t.size == 0:
        return np.empty(0)
    if t.size > 1 and bool((t[1:] < t[:-1]).any()):
        raise ValueError("t_h must be sorted in increasing order")
    used = np.isfinite(t) & np.isfinite(x) & (x > od_min)
    if not used.any():
        return np.full(t.size, np.nan)
    tc = np.where(used, t - t[0], 0.0)
    y = np.where(used, np.log(np.where(used, x, 1.0)), 0.0)
    w = used.astype(np.float64)

    def window_sum(values: F64, start: npt.NDArray[np.intp]) -> F64:
        total = np.concatenate(([0.0], np.cumsum(values)))
        result: F64 = total[1:] - total[start]
        return result

    start = np.searchsorted(t, t - window_h, side="left")
    count = window_sum(w, start)
    s_t, s_y = window_sum(tc, start), window_sum(y, start)
    s_tt, s_ty = window_sum(tc * tc, start), window_sum(tc * y, start)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_t = s_tt - s_t * s_t / count
        rate = (s_ty - s_t * s_y / count) / var_t
    # First and last used reading in each window, for the span condition.
    used_index = np.flatnonzero(used)
    first = used_index[np.minimum(np.searchsorted(used_index, start), used_index.size - 1)]
    last_pos = np.searchsorted(used_index, np.arange(t.size), side="right") - 1
    last = used_index[np.maximum(last_pos, 0)]
    span = t[last] - t[first]
    valid = (count >= min_points) & (span >= min_span_fraction * window_h) & (var_t > 0)
    result: F64 = np.where(valid & np.isfinite(rate), rate, np.nan)
    return result
