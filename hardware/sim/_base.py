"""What every simulator shares: model time driven by a clock and a speed, seeded noise, the
run state, and the snapshot envelope."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from hardware.protocol import DeviceError, DeviceState

Clock = Callable[[], float]


def number(state: Mapping[str, object], key: str) -> float:
    """``state[key]`` as a float (ValueError naming the key if it is missing or not a number)."""
    value = state.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"snapshot field {key!r} must be a number, not {value!r}")
    return float(value)


def noise_generator(seed: int, device_id: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and the device id, so two devices with one seed differ."""
    return np.random.default_rng([seed, zlib.crc32(device_id.encode())])


def _rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """The generator's state with its 128-bit integers as strings (safe in any JSON store)."""
    raw = rng.bit_generator.state
    return {
        "bit_generator": raw["bit_generator"],
        "state": {k: str(v) for k, v in raw["state"].items()},
        "has_uint32": raw["has_uint32"],
        "uinteger": raw["uinteger"],
    }


def _load_rng_state(rng: np.random.Generator, data: Mapping[str, Any]) -> None:
    rng.bit_generator.state = {
        "bit_generator": data["bit_generator"],
        "state": {k: int(v) for k, v in data["state"].items()},
        "has_uint32": int(data["has_uint32"]),
        "uinteger": int(data["uinteger"]),
    }


class SimBase:
    """Model time, run state and snapshots for a simulator.

    Model time (seconds since the simulator was made) runs ``speed`` times faster than the
    ``clock``. Every public call first brings the model up to the clock (:meth:`_catch_up`);
    subclasses implement :meth:`_advance` (move the model ``seconds`` forward, the run state and
    setpoints constant meanwhile) and their own part of the snapshot.
    """

    kind = ""

    def __init__(self, device_id: str, *, clock: Clock, speed: float, seed: int) -> None:
        if not speed > 0.0 or not math.isfinite(speed):
            raise ValueError(
                f"speed must be a positive number of model seconds per second, not {speed}"
            )
        self.device_id = device_id
        self.speed = float(speed)
        self.seed = int(seed)
        self.is_connected = False
        self._clock = clock
        self._rng = noise_generator(self.seed, device_id)
        self._state = DeviceState.IDLE
        self._wall_anchor = float(clock())
        self._model_anchor = 0.0
        self._model_s = 0.0  # how far the model has been advanced

    # -- time --------------------------------------------------------------------------
    @property
    def model_time_s(self) -> float:
        """Model seconds since the simulator was made, as of the last call."""
        return self._model_s

    def _catch_up(self) -> None:
        target = self._model_anchor + (float(self._clock()) - self._wall_anchor) * self.speed
        if target > self._model_s:
            self._advance(target - self._model_s)
            self._model_s = target

    def _advance(self, seconds: float) -> None:
        raise NotImplementedError

    # -- link ----------------------------------------------------------------------------
    def connect(self) -> None:
        """Nothing to open: a simulator answers in-process (idempotent)."""
        self.is_connected = True

    def disconnect(self) -> None:
        """Nothing to close (never raises)."""
        self.is_connected = False

    # -- run state -------------------------------------------------------------------------
    @property
    def state(self) -> DeviceState:
        """The device's run state."""
        return self._state

    def start(self) -> None:
        """Start a run: idle → running (DeviceError if a run is already going)."""
        self._catch_up()
        if self._state is not DeviceState.IDLE:
            raise DeviceError(f"{self.device_id} is {self._state}: stop it before a new start")
        self._on_start()
        self._state = DeviceState.RUNNING

    def pause(self) -> None:
        """running → paused (no-op when paused; DeviceError when idle)."""
        self._catch_up()
        if self._state is DeviceState.IDLE:
            raise DeviceError(f"{self.device_id} is idle: nothing to pause")
        self._state = DeviceState.PAUSED

    def resume(self) -> None:
        """paused → running (no-op when running; DeviceError when idle)."""
        self._catch_up()
        if self._state is DeviceState.IDLE:
            raise DeviceError(f"{self.device_id} is idle: start it instead of resuming")
        self._state = DeviceState.RUNNING

    def stop(self) -> None:
        """Any state → idle (idempotent)."""
        self._catch_up()
        if self._state is not DeviceState.IDLE:
            self._on_stop()
        self._state = DeviceState.IDLE

    def _on_start(self) -> None:
        """Subclass hook: what a start does to the model."""

    def _on_stop(self) -> None:
        """Subclass hook: what a stop does to the model."""

    # -- snapshots -------------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        """The whole state as JSON-able data, with the clock time it was taken."""
        self._catch_up()
        return {
            "kind": self.kind,
            "version": 1,
            "device_id": self.device_id,
            "seed": self.seed,
            "wall_time_s": float(self._clock()),
            "model_time_s": self._model_s,
            "device_state": self._state.value,
            "rng": _rng_state(self._rng),
            "model": self._model_state(),
        }

    def restore(self, state: Mapping[str, object]) -> None:
        """Take a state written by :meth:`snapshot`, then catch up on the time since it was
        taken (at this simulator's speed). ValueError if it belongs to another kind of device."""
        if state.get("kind") != self.kind or state.get("version") != 1:
            raise ValueError(
                f"not a {self.kind} snapshot (version 1): kind={state.get('kind')!r}, "
                f"version={state.get('version')!r}"
            )
        model = state.get("model")
        rng = state.get("rng")
        if not isinstance(model, Mapping) or not isinstance(rng, Mapping):
            raise ValueError("snapshot lacks its 'model' or 'rng' part")
        self._load_model_state(model)
        _load_rng_state(self._rng, rng)
        self._state = DeviceState(str(state.get("device_state")))
        self._model_s = number(state, "model_time_s")
        self._model_anchor = self._model_s
        self._wall_anchor = number(state, "wall_time_s")
        self._catch_up()

    def _model_state(self) -> dict[str, object]:
        raise NotImplementedError

    def _load_model_state(self, model: Mapping[str, object]) -> None:
        raise NotImplementedError
