"""The growth fit recovers the simulated culture's own lag, rate and capacity (issue 9): the
simulator's parameters are the independent truth; the data go through the controller,
the telemetry store and back, as a scientist's fit would."""

from __future__ import annotations

import pytest

from analysis.growth import fit_growth
from dashboard.db import Database
from dashboard.services import commands, devices, runs, telemetry
from dashboard.services.actor import Role
from dashboard.services.controller import Controller
from hardware.factory import make_device
from hardware.sim import SimChamber
from tests.conftest import make_user
from tests.integration.test_controller import SIMS, FakeClock, _experiment

SPEED = 600.0  # a tick of one second is ten minutes of culture


# The simulator grows by the modified logistic, so that is the model fitted; Gompertz on
# Gompertz data is checked in tests/unit/analysis/test_growth.py.
@pytest.mark.parametrize("temperature_c", [37.0, 30.0])
def test_fit_recovers_the_simulators_growth_within_ten_percent(
    sqlite_db: Database, temperature_c: float
) -> None:
    operator = make_user(sqlite_db, "op-growth", Role.OPERATOR)
    experiment_id, arm_id = _experiment(sqlite_db)  # the flight arm: 0 g
    cat = devices.catalog(SIMS)
    clock = FakeClock()
    made = {}

    def make(spec):  # type: ignore[no-untyped-def]
        made[spec.device_id] = make_device(spec, clock=clock, speed=SPEED, seed=11)
        return made[spec.device_id]

    controller = Controller(sqlite_db, cat, make, holder="growth", clock=clock, speed=SPEED)
    setpoint = {"device": "chamber-1", "parameter": "temperature_c", "unit": "°C"}
    run = runs.create_run(
        sqlite_db,
        operator,
        cat,
        experiment_id,
        {
            "name": "growth",
            "arm_id": arm_id,
            "profile": [{**setpoint, "value": temperature_c, "at_h": 0}],
        },
    )
    commands.submit(sqlite_db, operator, cat, run.id, "start")
    for _ in range(6 * 40):  # 40 hours of culture
        controller.step()
        clock.t += 1.0
    chamber = made["chamber-1"]
    assert isinstance(chamber, SimChamber)
    truth = chamber.truth()
    assert chamber.gravity_g == 0.0  # the arm's µg reached the culture through the centrifuge

    view = runs.get_run(sqlite_db, run.id)
    od = telemetry.query(sqlite_db, cat, run.id, "od600", max_points=None)
    assert view.started_at is not None
    hours = (od.t - view.started_at.timestamp()) * view.sim_speed / 3600.0
    fit = fit_growth(hours, od.v, model="logistic")
    assert fit.converged
    assert fit.lag_h == pytest.approx(truth["lag_h"], rel=0.10)
    assert fit.mu_max_per_h == pytest.approx(truth["mu_max_per_h"], rel=0.10)
    assert fit.capacity_od == pytest.approx(truth["capacity_od"], rel=0.10)
