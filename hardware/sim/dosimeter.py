"""SimDosimeter: an ISS-like radiation environment with South Atlantic Anomaly passes.

Dose rate (µGy/h) at model time t (seconds since the simulator was made)::

    rate(t) = B − b·cos(4π t / P) + Σ_k A·m_k·exp(−(t − c_k)² / (2σ²))

- Galactic cosmic ray background B = 15 µGy/h, swinging ±b = 3 µGy/h twice per orbit (higher
  at high geomagnetic latitudes, lower over the equator): 12–18 µGy/h.
- One SAA pass per orbit of P = 92 min, centred at c_k = ``SAA_OFFSET_S`` + k·P, a Gaussian
  of peak A = 400 µGy/h and 6 min full width at half maximum (above a tenth of its peak for
  about 11 min).
- Not every orbit crosses the SAA's core: the ground track drifts with the Earth's rotation, so
  the peak is scaled by m_k = 0.35 + 0.65·(1 + cos(2π·k·P / 1 day))/2, a deterministic daily
  cycle between 140 and 400 µGy/h.

``dose_mgy`` is the dose since ``start()``, integrated in closed form (the background's sine and
each pass's error function), so it is exact whatever the read pattern; it accumulates while the
run is running or paused (the culture is irradiated either way), is frozen by ``stop()`` and
reset by the next ``start()``. Readings of the rate carry counting noise (0.3 µGy/h + 3 %).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from hardware.parameters import DOSIMETER_PARAMETERS, check_setpoint
from hardware.protocol import Capabilities, DeviceState, Sample
from hardware.sim._base import Clock, SimBase, number

DOSIMETER_CAPABILITIES = Capabilities(
    kind="dosimeter", model="SimDosimeter 1.0", parameters=DOSIMETER_PARAMETERS
)

BACKGROUND_UGY_H = 15.0
BACKGROUND_SWING_UGY_H = 3.0
ORBIT_S = 92.0 * 60.0
SAA_OFFSET_S = 1800.0
SAA_PEAK_UGY_H = 400.0
SAA_FWHM_S = 6.0 * 60.0
SAA_SIGMA_S = SAA_FWHM_S / (2.0 * math.sqrt(2.0 * math.log(2.0)))
SAA_MIN_FRACTION = 0.35
DAY_S = 86400.0
NOISE_ABS_UGY_H = 0.3
NOISE_REL = 0.03
_REACH_S = 12.0 * SAA_SIGMA_S  # a pass further than this contributes nothing (exp(-72))


def saa_peak_ugy_h(orbit: int) -> float:
    """Peak dose rate of the SAA pass of orbit number ``orbit``."""
    phase = 2.0 * math.pi * orbit * ORBIT_S / DAY_S
    m = SAA_MIN_FRACTION + (1.0 - SAA_MIN_FRACTION) * 0.5 * (1.0 + math.cos(phase))
    return SAA_PEAK_UGY_H * m


def _orbits_near(a: float, b: float) -> range:
    first = math.floor((a - SAA_OFFSET_S - _REACH_S) / ORBIT_S)
    last = math.ceil((b - SAA_OFFSET_S + _REACH_S) / ORBIT_S)
    return range(first, last + 1)


def dose_rate_ugy_h(t: float) -> float:
    """Noise-free dose rate (µGy/h) at model time ``t`` (s)."""
    rate = BACKGROUND_UGY_H - BACKGROUND_SWING_UGY_H * math.cos(4.0 * math.pi * t / ORBIT_S)
    for k in _orbits_near(t, t):
        centre = SAA_OFFSET_S + k * ORBIT_S
        rate += saa_peak_ugy_h(k) * math.exp(-((t - centre) ** 2) / (2.0 * SAA_SIGMA_S**2))
    return rate


def dose_ugy(a: float, b: float) -> float:
    """Exact dose (µGy) received between model times ``a`` and ``b`` (s), a ≤ b."""
    w = 4.0 * math.pi / ORBIT_S
    background_ugy_s = BACKGROUND_UGY_H * (b - a) - BACKGROUND_SWING_UGY_H / w * (
        math.sin(w * b) - math.sin(w * a)
    )
    scale = SAA_SIGMA_S * math.sqrt(2.0)
    passes_ugy_s = 0.0
    for k in _orbits_near(a, b):
        centre = SAA_OFFSET_S + k * ORBIT_S
        passes_ugy_s += (
            saa_peak_ugy_h(k)
            * SAA_SIGMA_S
            * math.sqrt(math.pi / 2.0)
            * (math.erf((b - centre) / scale) - math.erf((a - centre) / scale))
        )
    return (background_ugy_s + passes_ugy_s) / 3600.0


class SimDosimeter(SimBase):
    """A simulated radiation dosimeter; implements :class:`~hardware.protocol.Device` and
    :class:`~hardware.protocol.Simulated`. It has no setpoints."""

    kind = "dosimeter"

    def __init__(
        self, device_id: str, *, clock: Clock = time.time, speed: float = 1.0, seed: int = 0
    ) -> None:
        super().__init__(device_id, clock=clock, speed=speed, seed=seed)
        self.capabilities = DOSIMETER_CAPABILITIES
        self._dose_ugy = 0.0

    def read(self) -> Sample:
        """Dose rate (with counting noise) and the run's cumulative dose."""
        self._catch_up()
        rate = dose_rate_ugy_h(self._model_s)
        noisy = rate + (NOISE_ABS_UGY_H + NOISE_REL * rate) * float(self._rng.standard_normal())
        return Sample(
            values={"dose_rate_ugy_h": max(0.0, noisy), "dose_mgy": self._dose_ugy / 1000.0},
            state=self._state,
        )

    def apply(self, parameter: str, value: float) -> None:
        """A dosimeter takes no setpoints: always DeviceError."""
        check_setpoint(self.capabilities, parameter, value)

    def _on_start(self) -> None:
        self._dose_ugy = 0.0

    def _advance(self, seconds: float) -> None:
        if self._state is not DeviceState.IDLE:
            self._dose_ugy += dose_ugy(self._model_s, self._model_s + seconds)

    def _model_state(self) -> dict[str, object]:
        return {"dose_ugy": self._dose_ugy}

    def _load_model_state(self, model: Mapping[str, object]) -> None:
        self._dose_ugy = number(model, "dose_ugy")
