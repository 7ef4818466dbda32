"""Growth fits of runs: OD600 written as telemetry from Zwietering's modified logistic with
known lag, rate and capacity (the independent truth, computed here from the formula, not by
the code under test), read back in hours of device time and fitted; two runs compared."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from dashboard.db import Database
from dashboard.models import Run
from dashboard.services import experiments, growth, runs
from dashboard.services.actor import Actor
from dashboard.services.devices import Catalog, catalog
from dashboard.services.errors import NotFound, ValidationFailed
from dashboard.services.telemetry import TelemetryWriter
from hardware.factory import DEFAULT_DEVICES

START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SPEED = 60.0  # a simulator 60× faster than the wall clock
OD0 = 0.02


def zwietering_od(t_h: np.ndarray, lag_h: float, mu: float, capacity: float) -> np.ndarray:
    """OD600 = OD0 exp(A / (1 + exp(4 µm/A (λ − t) + 2))), A = ln(K/OD0) (Zwietering 1990)."""
    a = math.log(capacity / OD0)
    return OD0 * np.exp(a / (1.0 + np.exp(4.0 * mu / a * (lag_h - t_h) + 2.0)))


@pytest.fixture
def cat() -> Catalog:
    return catalog(DEFAULT_DEVICES)


def _run(db: Database, scientist: Actor, operator: Actor, cat: Catalog, name: str) -> int:
    exp = experiments.create_experiment(
        db,
        scientist,
        {"name": f"Growth {name}", "organism": "E. coli", "arms": experiments.default_arms()},
    )
    return runs.create_run(db, operator, cat, exp.id, {"name": name, "arm_id": exp.arms[0].id}).id


def _record(db: Database, run_id: int, lag_h: float, mu: float, capacity: float, seed: int) -> None:
    """Start the run at START (device speed SPEED) and write 30 h of culture as OD600."""
    rng = np.random.default_rng(seed)
    device_h = np.linspace(0.0, 30.0, 400)
    od = zwietering_od(device_h, lag_h, mu, capacity) * np.exp(rng.normal(0.0, 0.01, 400))
    wall = START.timestamp() + device_h * 3600.0 / SPEED
    writer = TelemetryWriter()
    with db.begin() as s:
        run = s.get(Run, run_id)
        assert run is not None
        run.state, run.started_at, run.sim_speed = "running", START, SPEED
        for t, value in zip(wall.tolist(), od.tolist(), strict=True):
            writer.append(s, run_id, "chamber-1", t, {"od600": value})


def test_fit_recovers_the_curve_in_device_hours(
    db: Database, scientist: Actor, operator: Actor, cat: Catalog
) -> None:
    run_id = _run(db, scientist, operator, cat, "flight")
    _record(db, run_id, lag_h=4.0, mu=0.8, capacity=1.2, seed=1)

    result = growth.fit_run(db, cat, run_id, "logistic")

    f = result.fit
    assert f.lag_h == pytest.approx(4.0, rel=0.05)
    assert f.mu_max_per_h == pytest.approx(0.8, rel=0.05)
    assert f.capacity_od == pytest.approx(1.2, rel=0.05)
    for name, truth in (("lag_h", 4.0), ("mu_max_per_h", 0.8), ("capacity_od", 1.2)):
        low, high = getattr(f, f"{name}_ci")
        assert low < getattr(f, name) < high
        assert low < truth * 1.05, (name, low, high)
        assert high > truth * 0.95, (name, low, high)
    # Device hours: 30 h of culture in 30 min of wall time at 60×.
    assert result.t_h[0] == pytest.approx(0.0)
    assert result.t_h[-1] == pytest.approx(30.0)
    assert result.total_points == 400
    assert len(result.od) == 400
    assert result.curve_od[-1] == pytest.approx(1.2, rel=0.05)
    assert result.run_name == "flight"
    assert result.arm_name == "flight µg"


def test_compare_two_runs(db: Database, scientist: Actor, operator: Actor, cat: Catalog) -> None:
    fast = _run(db, scientist, operator, cat, "fast")
    slow = _run(db, scientist, operator, cat, "slow")
    _record(db, fast, lag_h=3.0, mu=1.0, capacity=1.2, seed=2)
    _record(db, slow, lag_h=6.0, mu=0.5, capacity=1.2, seed=3)

    result = growth.compare_runs(db, cat, [fast, str(slow)], "logistic")

    by_name = {c.parameter: c for c in result.parameters}
    assert by_name["lag_h"].difference < 0
    assert by_name["lag_h"].p_value < 0.001
    assert by_name["mu_max_per_h"].difference > 0
    assert by_name["mu_max_per_h"].p_value < 0.001
    assert by_name["capacity_od"].difference_ci[0] < 0 < by_name["capacity_od"].difference_ci[1]
    assert (result.a.run_id, result.b.run_id) == (fast, slow)


def test_refusals(db: Database, scientist: Actor, operator: Actor, cat: Catalog) -> None:
    planned = _run(db, scientist, operator, cat, "planned")
    with pytest.raises(ValidationFailed, match="has not started") as not_started:
        growth.fit_run(db, cat, planned)
    assert not_started.value.field == "od600"
    with pytest.raises(ValidationFailed) as bad_model:
        growth.fit_run(db, cat, planned, "exponential")
    assert bad_model.value.field == "model"
    with pytest.raises(NotFound):
        growth.fit_run(db, cat, 99_999)
    with pytest.raises(ValidationFailed, match="two different runs"):
        growth.compare_runs(db, cat, [planned, planned])
    with pytest.raises(ValidationFailed):
        growth.compare_runs(db, cat, [planned, None])
    # Started but only the lag phase so far: nothing to fit, said on the OD field.
    _record_flat(db, planned)
    with pytest.raises(ValidationFailed, match="cannot be fitted") as flat:
        growth.fit_run(db, cat, planned)
    assert flat.value.field == "od600"


def _record_flat(db: Database, run_id: int) -> None:
    writer = TelemetryWriter()
    with db.begin() as s:
        run = s.get(Run, run_id)
        assert run is not None
        run.state, run.started_at, run.sim_speed = "running", START, 1.0
        for i in range(50):
            writer.append(s, run_id, "chamber-1", START.timestamp() + i, {"od600": OD0})
