"""SimCentrifuge: a culture rotor whose speed sets the g-level its samples feel.

g = ω²·r / g₀ with r = ``RADIUS_M`` (0.1 m) and g₀ = 9.80665 m/s², so 1 g needs ≈ 94.6 rpm,
Moon (0.16 g) ≈ 37.8 rpm, Mars (0.38 g) ≈ 58.3 rpm and the 2 g maximum ≈ 133.8 rpm. The rotor
ramps towards its target at ``RAMP_RPM_PER_S`` (100 rpm/s, both ways). It spins at the setpoint
while a run is running or paused (a pause does not change the culture's gravity) and is
stopped when idle, its safe state (0 g added: microgravity on orbit). Readings carry tachometer
noise; ``g_level`` is computed from the measured speed, as a real rotor reports it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from hardware.parameters import CENTRIFUGE_PARAMETERS, check_setpoint
from hardware.protocol import Capabilities, DeviceState, Sample
from hardware.sim._base import Clock, SimBase, number

CENTRIFUGE_CAPABILITIES = Capabilities(
    kind="centrifuge", model="SimCentrifuge 1.0", parameters=CENTRIFUGE_PARAMETERS
)

RADIUS_M = 0.1
STANDARD_GRAVITY = 9.80665
RAMP_RPM_PER_S = 100.0
NOISE_RPM = 0.05


def rpm_for_g(g_level: float) -> float:
    """Rotor speed (rpm) that gives ``g_level`` at the sample radius.

    >>> round(rpm_for_g(1.0), 2)
    94.57
    """
    omega = math.sqrt(g_level * STANDARD_GRAVITY / RADIUS_M)
    return omega * 60.0 / (2.0 * math.pi)


def g_for_rpm(rpm: float) -> float:
    """g-level at the sample radius for a rotor speed (rpm)."""
    omega = rpm * 2.0 * math.pi / 60.0
    return omega * omega * RADIUS_M / STANDARD_GRAVITY


class SimCentrifuge(SimBase):
    """A simulated centrifuge; implements :class:`~hardware.protocol.Device` and
    :class:`~hardware.protocol.Simulated`."""

    kind = "centrifuge"

    def __init__(
        self, device_id: str, *, clock: Clock = time.time, speed: float = 1.0, seed: int = 0
    ) -> None:
        super().__init__(device_id, clock=clock, speed=speed, seed=seed)
        self.capabilities = CENTRIFUGE_CAPABILITIES
        self._g_setpoint = 0.0
        self._rpm = 0.0

    def read(self) -> Sample:
        """Rotor speed and g-level (with tachometer noise), plus the g-level setpoint."""
        self._catch_up()
        rpm = self._rpm
        if rpm > 0.0:
            rpm = max(0.0, rpm + NOISE_RPM * float(self._rng.standard_normal()))
        return Sample(
            values={"g_level": g_for_rpm(rpm), "rotor_rpm": rpm},
            state=self._state,
            setpoints={"g_level": self._g_setpoint},
        )

    def apply(self, parameter: str, value: float) -> None:
        """Set ``g_level`` (0–2 g); DeviceError for anything else or out of range."""
        g = check_setpoint(self.capabilities, parameter, value)
        self._catch_up()
        self._g_setpoint = g

    @property
    def target_rpm(self) -> float:
        """The speed the rotor is heading for in its current state."""
        if self._state is DeviceState.IDLE:
            return 0.0
        return rpm_for_g(self._g_setpoint)

    def _advance(self, seconds: float) -> None:
        target = self.target_rpm
        step = RAMP_RPM_PER_S * seconds
        if abs(target - self._rpm) <= step:
            self._rpm = target
        else:
            self._rpm += step if target > self._rpm else -step

    def _model_state(self) -> dict[str, object]:
        return {"g_setpoint": self._g_setpoint, "rotor_rpm": self._rpm}

    def _load_model_state(self, model: Mapping[str, object]) -> None:
        self._g_setpoint = number(model, "g_setpoint")
        self._rpm = number(model, "rotor_rpm")
