"""SimChamber: a simulated culture chamber (temperature, gases, light, a growing culture).

Model (all in model time; :class:`SimBase` maps the clock to it):

- **Temperature**: one lumped node (air + medium), heat capacity ``HEAT_CAPACITY_J_K``, losing
  ``LOSS_W_K`` watts per kelvin to a ``AMBIENT_C`` room, heated or cooled by a Peltier element of
  ±``PELTIER_MAX_W`` driven by a :class:`~hardware.sim.pid.PID` (output −100…100 %, negative =
  cooling; reported as ``heater_pct``), plus ``LIGHT_W`` from the lamp when it is on. The PID
  controls in every state (the chamber holds its environment whether a run is going or not;
  a stop leaves it holding its setpoints, which is its safe state). Setting ``heater_enabled``
  to 0 (the critical-temperature interlock does) switches the Peltier off: the output is 0,
  the PID is held reset (no integral winds up meanwhile, no derivative kick after) and
  the chamber drifts toward ``AMBIENT_C``; setting it back to 1 resumes control from there.
- **CO₂** approaches its setpoint first-order (time constant ``CO2_TAU_S``); **O₂** is the air's
  20.95 % diluted by the CO₂ (mildly anticorrelated); **humidity** is a constant 95 % with
  sensor noise; **light** is on/off as set.
- **OD600**: the growth law of :mod:`hardware.sim.growth` in physiological time, at the
  chamber's actual temperature and the g-level set by :meth:`SimChamber.set_gravity` (1 g until
  then). ``start()`` inoculates a fresh culture (OD0); the culture then grows whenever its
  conditions allow, in every state: a pause or a stop changes nothing biological (it stops the
  run's progress, not the bacteria). Before the first start the chamber holds sterile medium
  (OD 0).
- **Integration**: fixed 1 s steps (explicit Euler; the loop is stable far beyond it). A gap of
  more than an hour (say, a restore after a night) is crossed in 60 s steps, and anything past a
  week at the steady state the controller holds (setpoints reached), the culture's clock
  advanced exactly; the last hour is always stepped finely. Sensor noise (seeded) is added to
  readings only, so the model's course does not depend on how often it is read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from hardware.parameters import CHAMBER_PARAMETERS, check_setpoint
from hardware.protocol import Capabilities, Sample
from hardware.sim import growth
from hardware.sim._base import Clock, SimBase, number
from hardware.sim.pid import PID

CHAMBER_CAPABILITIES = Capabilities(
    kind="chamber", model="SimChamber 1.0", parameters=CHAMBER_PARAMETERS
)

AMBIENT_C = 22.0
HEAT_CAPACITY_J_K = 800.0
LOSS_W_K = 0.8
PELTIER_MAX_W = 40.0
LIGHT_W = 1.0
PID_KP = 15.0  # % per K
PID_KI = 0.05  # % per K·s
PID_KD = 20.0  # % per K/s
CO2_TAU_S = 120.0
CO2_AMBIENT_PCT = 0.04
O2_AIR_PCT = 20.95
HUMIDITY_PCT = 95.0

STEP_S = 1.0
COARSE_STEP_S = 60.0
FINE_HORIZON_S = 3600.0  # the last hour of any gap is stepped finely
JUMP_AFTER_S = 7 * 86400.0  # gaps longer than this: steady state, then step

# Sensor noise (standard deviations).
NOISE_TEMPERATURE_C = 0.02
NOISE_CO2_PCT = 0.02
NOISE_O2_PCT = 0.05
NOISE_HUMIDITY_PCT = 0.5
NOISE_OD_ABS = 0.002
NOISE_OD_REL = 0.005

DEFAULT_SETPOINTS = {"temperature_c": 37.0, "co2_pct": 5.0, "light_on": 0.0, "heater_enabled": 1.0}


class SimChamber(SimBase):
    """A simulated culture chamber; implements :class:`~hardware.protocol.Device` and
    :class:`~hardware.protocol.Simulated`.

    >>> t = [0.0]
    >>> chamber = SimChamber("chamber-1", clock=lambda: t[0], speed=60.0)
    >>> chamber.apply("temperature_c", 30.0)
    >>> t[0] = 60.0  # one wall minute = one model hour at speed 60
    >>> round(chamber.read().values["temperature_c"])
    30
    """

    kind = "chamber"

    def __init__(
        self, device_id: str, *, clock: Clock = time.time, speed: float = 1.0, seed: int = 0
    ) -> None:
        super().__init__(device_id, clock=clock, speed=speed, seed=seed)
        self.capabilities = CHAMBER_CAPABILITIES
        self.gravity_g = 1.0
        self._pid = PID(
            kp=PID_KP, ki=PID_KI, kd=PID_KD, setpoint=DEFAULT_SETPOINTS["temperature_c"]
        )
        self._temperature_c = AMBIENT_C
        self._co2_pct = CO2_AMBIENT_PCT
        self._co2_setpoint = DEFAULT_SETPOINTS["co2_pct"]
        self._light_on = DEFAULT_SETPOINTS["light_on"]
        self._heater_enabled = DEFAULT_SETPOINTS["heater_enabled"]
        self._is_inoculated = False
        self._tau_h = 0.0  # the culture's physiological time
        self._carry_s = 0.0  # model time not yet stepped (less than one step)

    # -- Device ----------------------------------------------------------------------------
    def read(self) -> Sample:
        """Every parameter once, with sensor noise, plus the setpoints."""
        self._catch_up()
        z = self._rng.standard_normal(5).tolist()
        od = growth.od600(self._tau_h) if self._is_inoculated else 0.0
        co2 = self._co2_pct
        values = {
            "temperature_c": self._temperature_c + NOISE_TEMPERATURE_C * z[0],
            "co2_pct": max(0.0, co2 + NOISE_CO2_PCT * z[1]),
            "o2_pct": O2_AIR_PCT * (1.0 - co2 / 100.0) + NOISE_O2_PCT * z[2],
            "humidity_pct": min(100.0, HUMIDITY_PCT + NOISE_HUMIDITY_PCT * z[3]),
            "light_on": self._light_on,
            "od600": max(0.0, od + (NOISE_OD_ABS + NOISE_OD_REL * od) * z[4]),
            "heater_enabled": self._heater_enabled,
            "heater_pct": self._pid.output if self._heater_enabled else 0.0,
        }
        return Sample(values=values, state=self._state, setpoints=self.setpoints())

    def apply(self, parameter: str, value: float) -> None:
        """Set ``temperature_c`` (4–45 °C), ``co2_pct`` (0.5–8 %), ``light_on`` (0/1) or
        ``heater_enabled`` (0/1); DeviceError for anything else or out of range."""
        number_ = check_setpoint(self.capabilities, parameter, value)
        self._catch_up()
        if parameter == "temperature_c":
            self._pid.setpoint = number_
        elif parameter == "co2_pct":
            self._co2_setpoint = number_
        elif parameter == "light_on":
            self._light_on = number_
        else:
            self._heater_enabled = number_
            if not number_:
                self._pid.reset()  # off now: heater_pct reads 0 at once

    def setpoints(self) -> dict[str, float]:
        """The setpoints the chamber holds now."""
        return {
            "temperature_c": self._pid.setpoint,
            "co2_pct": self._co2_setpoint,
            "light_on": self._light_on,
            "heater_enabled": self._heater_enabled,
        }

    # -- simulator extras ------------------------------------------------------------------
    def set_gravity(self, g: float) -> None:
        """Set the g-level the culture experiences (from the centrifuge or the arm)."""
        if not math.isfinite(g) or g < 0.0:
            raise ValueError(f"g-level must be a non-negative number, not {g}")
        self._catch_up()
        self.gravity_g = float(g)

    def truth(self) -> growth.GrowthTruth:
        """For tests: the modified-logistic parameters (lag_h, mu_max_per_h, capacity_od, od0)
        of a culture held at the current temperature setpoint and g-level."""
        self._catch_up()
        return growth.growth_truth(self._pid.setpoint, self.gravity_g)

    @property
    def culture_time_h(self) -> float:
        """The culture's physiological time (hours at optimum conditions) since inoculation."""
        self._catch_up()
        return self._tau_h

    # -- model -----------------------------------------------------------------------------
    def _on_start(self) -> None:
        self._is_inoculated = True
        self._tau_h = 0.0

    def _advance(self, seconds: float) -> None:
        total = self._carry_s + seconds
        if total > JUMP_AFTER_S:
            self._jump_to_steady_state(total - 86400.0)
            total = 86400.0
        if total > FINE_HORIZON_S:
            coarse = math.floor((total - FINE_HORIZON_S) / COARSE_STEP_S)
            self._step(COARSE_STEP_S, coarse)
            total -= coarse * COARSE_STEP_S
        fine = math.floor(total / STEP_S)
        self._step(STEP_S, fine)
        self._carry_s = total - fine * STEP_S

    def _step(self, dt: float, count: int) -> None:
        pid = self._pid
        co2_keep = math.exp(-dt / CO2_TAU_S)
        light_w = LIGHT_W * self._light_on
        growth_per_step = growth.MU_OPT_PER_H * 3600.0 / dt  # mu / this = dτ (hours)
        g = self.gravity_g
        temperature = self._temperature_c
        tau = self._tau_h
        grows = self._is_inoculated
        heats = bool(self._heater_enabled)
        if not heats:
            pid.reset()
        for _ in range(count):
            output = pid.update(temperature, dt) if heats else 0.0
            power = (
                output * (PELTIER_MAX_W / 100.0) + light_w + LOSS_W_K * (AMBIENT_C - temperature)
            )
            temperature += dt * power / HEAT_CAPACITY_J_K
            if grows:
                tau += growth.mu_max_per_h(temperature, g) / growth_per_step
        self._temperature_c = temperature
        self._tau_h = tau
        self._co2_pct = self._co2_setpoint + (self._co2_pct - self._co2_setpoint) * co2_keep**count

    def _jump_to_steady_state(self, seconds: float) -> None:
        """Cross ``seconds`` at the steady state the controller holds (setpoints reached), or,
        with the heater off, at the temperature the lamp and the room settle the chamber at."""
        light_w = LIGHT_W * self._light_on
        self._co2_pct = self._co2_setpoint
        if self._heater_enabled:
            temperature = self._pid.setpoint
            held_w = LOSS_W_K * (temperature - AMBIENT_C) - light_w
            self._pid.integral = held_w / PELTIER_MAX_W * 100.0
            self._pid.output = self._pid.integral
            self._pid.last_measurement = temperature
        else:
            temperature = AMBIENT_C + light_w / LOSS_W_K
            self._pid.reset()
        self._temperature_c = temperature
        if self._is_inoculated:
            mu = growth.mu_max_per_h(temperature, self.gravity_g)
            self._tau_h += mu / growth.MU_OPT_PER_H * seconds / 3600.0

    def _model_state(self) -> dict[str, object]:
        return {
            "pid": self._pid.state(),
            "temperature_c": self._temperature_c,
            "co2_pct": self._co2_pct,
            "co2_setpoint": self._co2_setpoint,
            "light_on": self._light_on,
            "heater_enabled": self._heater_enabled,
            "gravity_g": self.gravity_g,
            "is_inoculated": self._is_inoculated,
            "tau_h": self._tau_h,
            "carry_s": self._carry_s,
        }

    def _load_model_state(self, model: Mapping[str, object]) -> None:
        pid = model.get("pid")
        if not isinstance(pid, Mapping):
            raise ValueError("chamber snapshot lacks its PID state")
        self._pid.load(pid)
        self._temperature_c = number(model, "temperature_c")
        self._co2_pct = number(model, "co2_pct")
        self._co2_setpoint = number(model, "co2_setpoint")
        self._light_on = number(model, "light_on")
        # Snapshots from before heater_enabled existed had the heater always on.
        self._heater_enabled = number(model, "heater_enabled") if "heater_enabled" in model else 1.0
        self.gravity_g = number(model, "gravity_g")
        self._is_inoculated = bool(model.get("is_inoculated"))
        self._tau_h = number(model, "tau_h")
        self._carry_s = number(model, "carry_s")
