"""Growth curves of runs: fit a run's OD600 (Zwietering's modified logistic or Gompertz) and
compare two runs' fits (e.g. a flight µg arm against its ground 1 g control).

Times are hours of *device time* since the run started, ``(t - started_at) * sim_speed /
3600``: a simulator accelerated 60× grows a day's curve in 24 minutes, and its lag and rate
must read in the culture's hours, not the wall clock's. The statistics are
:mod:`analysis.growth`'s; this module only reads the telemetry and names what went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.growth import (
    MODELS,
    GrowthFit,
    Model,
    ParameterComparison,
    compare_fits,
    fit_growth,
    fitted_curve,
)
from dashboard.db import Database
from dashboard.models import ExperimentArm, Run

from .devices import Catalog
from .errors import NotFound, ValidationFailed
from .telemetry import read_series

OD_PARAMETER = "od600"
# At most this many readings go into a fit (evenly spaced, every k-th): a week at 1 Hz is
# 600,000, which curve_fit would take seconds over and which say no more about 4 parameters.
FIT_MAX_POINTS = 5_000
CURVE_POINTS = 300
COMPARED_RUNS = 2

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RunGrowthFit:
    """A run's growth fit with the data it was made from and the fitted curve to plot.

    ``t_h`` are hours of device time since the run started; ``od`` the readings used (at
    most :data:`FIT_MAX_POINTS`); ``curve_t_h`` / ``curve_od`` the fitted model over them.
    """

    run_id: int
    run_name: str
    arm_name: str | None
    fit: GrowthFit
    t_h: F64
    od: F64
    curve_t_h: F64
    curve_od: F64
    total_points: int  # OD readings of the run before thinning


@dataclass(frozen=True)
class RunComparison:
    """Two runs' fits and their parameters compared (``a - b``)."""

    a: RunGrowthFit
    b: RunGrowthFit
    parameters: tuple[ParameterComparison, ...]


def _model(raw: object) -> Model:
    for model in MODELS:
        if raw == model:
            return model
    raise ValidationFailed(f"model must be one of {', '.join(MODELS)}.", field="model")


def _thin(t: F64, v: F64, limit: int) -> tuple[F64, F64]:
    """Every k-th reading so at most ``limit`` remain (the last one always kept)."""
    if len(t) <= limit:
        return t, v
    index = np.unique(np.linspace(0, len(t) - 1, limit).round().astype(np.intp))
    return t[index], v[index]


def device_hours(t: npt.ArrayLike, started_epoch_s: float, sim_speed: float) -> F64:
    """Hours of device time since the start for wall-clock epoch seconds ``t``.

    >>> device_hours([3600.0, 7200.0], 0.0, 60.0).tolist()
    [60.0, 120.0]
    """
    result: F64 = (np.asarray(t, dtype=np.float64) - started_epoch_s) * sim_speed / 3600.0
    return result


def fit_run(db: Database, cat: Catalog, run_id: int, model: object = "logistic") -> RunGrowthFit:
    """Fit ``model`` to the OD600 of run ``run_id`` (any logged-in user may).

    Raises :class:`NotFound` for a missing run and :class:`ValidationFailed` (on the field
    ``model``, or ``od600`` when the data cannot be fitted: too few readings, no growth yet).
    """
    chosen = _model(model)
    with db.read() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise NotFound(f"No run with id {run_id}.")
        if run.started_at is None:
            raise ValidationFailed(
                f"Run {run_id} has not started: there is no growth to fit yet.",
                field=OD_PARAMETER,
            )
        started = run.started_at.timestamp()
        speed = float(run.sim_speed or 1.0)
        name = run.name
        arm_row = s.get(ExperimentArm, run.arm_id) if run.arm_id is not None else None
        arm = arm_row.name if arm_row is not None else None
        t, od = read_series(s, run_id, OD_PARAMETER, None, None)
    total = len(t)
    t, od = _thin(t, od, FIT_MAX_POINTS)
    t_h = device_hours(t, started, speed)
    try:
        fit = fit_growth(t_h, od, chosen)
    except ValueError as exc:
        raise ValidationFailed(
            f"Run {run_id}'s OD600 cannot be fitted yet ({total} readings): {exc}.",
            field=OD_PARAMETER,
        ) from None
    if not fit.converged:
        raise ValidationFailed(
            f"The {chosen} fit of run {run_id} did not converge: {fit.message}",
            field=OD_PARAMETER,
        )
    curve_t = np.linspace(float(t_h.min()), float(t_h.max()), CURVE_POINTS)
    return RunGrowthFit(run_id, name, arm, fit, t_h, od, curve_t, fitted_curve(fit, curve_t), total)


def compare_runs(
    db: Database, cat: Catalog, run_ids: Sequence[object], model: object = "logistic"
) -> RunComparison:
    """Fit two runs and compare lag, µmax and capacity (``first - second``), with 95 % CIs
    and two-sided p-values (:func:`analysis.growth.compare_fits`)."""
    ids: list[int] = []
    for raw in run_ids:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValidationFailed("Pick two runs to compare.", field="run_ids")
        try:
            ids.append(int(raw))
        except ValueError:
            raise ValidationFailed("Pick two runs to compare.", field="run_ids") from None
    if len(ids) != COMPARED_RUNS or ids[0] == ids[1]:
        raise ValidationFailed("Pick two different runs to compare.", field="run_ids")
    fits = []
    for position, run_id in enumerate(ids):
        try:
            fits.append(fit_run(db, cat, run_id, model))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=f"run_ids[{position}]") from None
    a, b = fits
    return RunComparison(a, b, tuple(compare_fits(a.fit, b.fit)))
