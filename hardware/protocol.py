"""What a device is to the rest of the app: the :class:`Device` protocol and its data types.

A device is what it does (a culture chamber, a centrifuge, a dosimeter); how it talks is a
transport handed to it. Simulators (:mod:`hardware.sim`) and drivers (:mod:`hardware.drivers`)
both implement :class:`Device`; :func:`hardware.factory.make_device` picks one from a transport
URL, once, from configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


class DeviceState(StrEnum):
    """What the device itself reports it is doing."""

    IDLE = "idle"  # connected, not running a run
    RUNNING = "running"
    PAUSED = "paused"


@dataclass(frozen=True)
class Parameter:
    """One quantity a device reads and maybe sets, e.g. ``temperature_c`` in °C."""

    name: str  # snake_case with the unit as suffix: temperature_c, co2_pct, od600, g_level
    label: str  # for people: "Temperature"
    unit: str  # as shown and as accepted in setpoints: "°C", "%", "OD", "g", "rpm", "µGy/h"
    minimum: float  # the range a setpoint may take (and a reading is plausible in)
    maximum: float
    resolution: float  # the smallest step the device distinguishes
    is_readable: bool = True
    is_writable: bool = False
    # For writable parameters: the readback that shows a setpoint was reached, how close is
    # close enough, and how long (device time, seconds) reaching it may take.
    tolerance: float = 0.0
    settle_s: float = 0.0
    # Default alarm limits (warning and critical, low and high; None = no limit).
    warn_low: float | None = None
    warn_high: float | None = None
    crit_low: float | None = None
    crit_high: float | None = None
    # A reading older than this (wall seconds) raises a staleness alarm.
    stale_after_s: float = 10.0
    # Accepted spellings of ``unit`` in setpoints (``degC`` for ``°C``); compared exactly.
    unit_aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    """What a device measures and accepts."""

    kind: str  # chamber, centrifuge or dosimeter
    model: str  # e.g. "SimChamber 1.0" or "Modbus chamber (register map v2)"
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name`` (KeyError if the device has none)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class Sample:
    """One reading of every readable parameter, with the device's own state."""

    values: Mapping[str, float]  # parameter name → value; a parameter may be absent
    state: DeviceState
    # Setpoints as the device holds them now (name → value), for verification and restart.
    setpoints: Mapping[str, float] = field(default_factory=dict)


class DeviceError(Exception):
    """The device refused or failed a request (it answered, but not with success)."""


class LinkError(DeviceError):
    """The device did not answer (timeout, refused connection, closed socket)."""


@runtime_checkable
class Device(Protocol):
    """A piece of culture hardware, real or simulated. Calls block for at most ``timeout_s``
    of the transport and raise :class:`LinkError` when the device does not answer."""

    device_id: str
    capabilities: Capabilities

    def connect(self) -> None:
        """Open the link (idempotent). Raises LinkError."""

    def disconnect(self) -> None:
        """Close the link (never raises)."""

    def read(self) -> Sample:
        """Read every readable parameter once."""

    def apply(self, parameter: str, value: float) -> None:
        """Set a writable parameter's setpoint (already validated against the range)."""

    def start(self) -> None:
        """Start the device's part of a run."""

    def pause(self) -> None:
        """Hold: keep the environment safe but stop the run's progress (device-specific)."""

    def resume(self) -> None:
        """Continue after :meth:`pause`."""

    def stop(self) -> None:
        """End the run's part on this device (idle, safe state)."""


@runtime_checkable
class Simulated(Protocol):
    """A simulator's extras. Simulators take a ``clock`` (wall seconds, ``time.time`` by
    default) and a ``speed`` (model seconds per wall second) and bring their model up to the
    clock on every call, so tests drive them with a fake clock. Their state can be saved and
    restored, so a restarted controller continues a culture where the last one left it (the
    model catches up on the time it was away, as real hardware would have kept running)."""

    def snapshot(self) -> dict[str, object]:
        """The model's whole state as JSON-able data, with the clock time it was taken."""

    def restore(self, state: Mapping[str, object]) -> None:
        """Take a state written by :meth:`snapshot` (then catch up to the clock)."""
