"""A PID controller: pure arithmetic, no I/O, no clock (the caller passes ``dt``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass
class PID:
    """Proportional-integral-derivative control with the usual practical fixes.

    - **Derivative on measurement**: the D term acts on ``-d(measurement)/dt``, not on the
      error, so a setpoint step gives no derivative kick.
    - **Anti-windup**: the integral term is kept inside the output range, and it stops
      integrating while the output is saturated in the direction the error pushes
      (conditional integration), so a long saturated ramp does not overshoot afterwards.
    - **Output clamp** to ``[output_min, output_max]``.

    Gains are in output units per measurement unit (``kp``), per unit·second (``ki``) and per
    unit/second (``kd``).

    >>> pid = PID(kp=2.0, ki=0.0, kd=0.0, setpoint=10.0, output_min=-5.0, output_max=5.0)
    >>> pid.update(9.0, 1.0)
    2.0
    >>> pid.update(0.0, 1.0)  # 2 x 10 = 20, clamped
    5.0
    """

    kp: float
    ki: float
    kd: float
    setpoint: float = 0.0
    output_min: float = -100.0
    output_max: float = 100.0
    integral: float = 0.0  # the I term, in output units
    last_measurement: float | None = None
    output: float = 0.0

    def update(self, measurement: float, dt: float) -> float:
        """Return the new output for ``measurement`` taken ``dt`` seconds after the last."""
        error = self.setpoint - measurement
        proportional = self.kp * error
        derivative = 0.0
        if self.last_measurement is not None and dt > 0.0:
            derivative = -self.kd * (measurement - self.last_measurement) / dt
        self.last_measurement = measurement
        integral = self.integral + self.ki * error * dt
        integral = min(self.output_max, max(self.output_min, integral))
        unclamped = proportional + integral + derivative
        if unclamped > self.output_max:
            output = self.output_max
            if error > 0.0:  # pushing further into saturation: hold the integral
                integral = min(integral, self.integral)
        elif unclamped < self.output_min:
            output = self.output_min
            if error < 0.0:
                integral = max(integral, self.integral)
        else:
            output = unclamped
        self.integral = integral
        self.output = output
        return output

    def reset(self) -> None:
        """Forget the integral and the last measurement (output 0)."""
        self.integral = 0.0
        self.last_measurement = None
        self.output = 0.0

    def state(self) -> dict[str, float | None]:
        """The controller's memory as JSON-able data (gains are configuration, not state)."""
        return {
            "setpoint": self.setpoint,
            "integral": self.integral,
            "last_measurement": self.last_measurement,
            "output": self.output,
        }

    def load(self, state: Mapping[str, object]) -> None:
        """Take the memory written by :meth:`state`."""
        self.setpoint = float(state["setpoint"])  # type: ignore[arg-type]
        self.integral = float(state["integral"])  # type: ignore[arg-type]
        last = state.get("last_measurement")
        self.last_measurement = None if last is None else float(last)  # type: ignore[arg-type]
        self.output = float(state.get("output", 0.0))  # type: ignore[arg-type]
