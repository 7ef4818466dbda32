"""The parameters each kind of device reads and accepts, shared by its simulator and drivers.

A simulated chamber and a chamber behind Modbus TCP offer exactly the same parameters, so the
rest of the app (limits, setpoint forms, the API) never depends on how a device talks. Names,
units and ranges are the API's and the database's (design of issue 9).
"""

from __future__ import annotations

import math

from hardware.protocol import Capabilities, DeviceError, Parameter

CHAMBER_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        name="temperature_c",
        label="Temperature",
        unit="°C",
        minimum=4.0,
        maximum=45.0,
        resolution=0.01,
        is_writable=True,
        tolerance=0.5,
        settle_s=1800.0,
        warn_low=2.0,
        warn_high=47.0,
        crit_low=0.0,
        crit_high=50.0,
        unit_aliases=("degC", "C"),
    ),
    Parameter(
        name="co2_pct",
        label="CO₂",
        unit="%",
        minimum=0.5,
        maximum=8.0,
        resolution=0.01,
        is_writable=True,
        tolerance=0.2,
        settle_s=900.0,
    ),
    Parameter(name="o2_pct", label="O₂", unit="%", minimum=0.0, maximum=25.0, resolution=0.01),
    Parameter(
        name="humidity_pct",
        label="Relative humidity",
        unit="%",
        minimum=0.0,
        maximum=100.0,
        resolution=0.01,
    ),
    Parameter(
        name="light_on",
        label="Light",
        unit="",
        minimum=0.0,
        maximum=1.0,
        resolution=1.0,
        is_writable=True,
        tolerance=0.5,
        settle_s=5.0,
    ),
    Parameter(
        name="heater_enabled",
        label="Heater/cooler enabled",
        unit="",
        minimum=0.0,
        maximum=1.0,
        resolution=1.0,
        is_writable=True,
        tolerance=0.5,
        settle_s=5.0,
    ),
    Parameter(
        name="od600",
        label="Optical density (600 nm)",
        unit="OD",
        minimum=0.0,
        maximum=6.0,
        resolution=0.0001,
    ),
    Parameter(
        name="heater_pct",
        label="Heater/cooler output",
        unit="%",
        minimum=-100.0,
        maximum=100.0,
        resolution=0.1,
    ),
)

CENTRIFUGE_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        name="g_level",
        label="Gravity level",
        unit="g",
        minimum=0.0,
        maximum=2.0,
        resolution=0.001,
        is_writable=True,
        tolerance=0.01,
        settle_s=60.0,
    ),
    Parameter(
        name="rotor_rpm",
        label="Rotor speed",
        unit="rpm",
        minimum=0.0,
        maximum=200.0,
        resolution=0.1,
    ),
)

DOSIMETER_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        name="dose_rate_ugy_h",
        label="Dose rate",
        unit="µGy/h",
        minimum=0.0,
        maximum=5000.0,
        resolution=0.01,
    ),
    Parameter(
        name="dose_mgy",
        label="Cumulative dose",
        unit="mGy",
        minimum=0.0,
        maximum=1.0e6,
        resolution=1.0e-6,
    ),
)

PARAMETERS_BY_KIND: dict[str, tuple[Parameter, ...]] = {
    "chamber": CHAMBER_PARAMETERS,
    "centrifuge": CENTRIFUGE_PARAMETERS,
    "dosimeter": DOSIMETER_PARAMETERS,
}


def check_setpoint(capabilities: Capabilities, parameter: str, value: float) -> float:
    """Return ``value`` as a float if ``parameter`` is writable and ``value`` is in its range.

    Raises :class:`~hardware.protocol.DeviceError` with a message naming the parameter, the
    value and the accepted range otherwise.

    >>> from hardware.protocol import Capabilities
    >>> caps = Capabilities("chamber", "test", CHAMBER_PARAMETERS)
    >>> check_setpoint(caps, "temperature_c", 37)
    37.0
    >>> check_setpoint(caps, "temperature_c", 60)
    Traceback (most recent call last):
    ...
    hardware.protocol.DeviceError: temperature_c = 60 is out of range: 4–45 °C
    """
    try:
        p = capabilities.parameter(parameter)
    except KeyError:
        names = ", ".join(q.name for q in capabilities.parameters if q.is_writable)
        raise DeviceError(
            f"{capabilities.kind} has no parameter {parameter!r} (writable: {names})"
        ) from None
    if not p.is_writable:
        raise DeviceError(f"{parameter} is read-only on a {capabilities.kind}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DeviceError(f"{parameter} = {value!r} is not a number") from None
    if not math.isfinite(number) or not p.minimum <= number <= p.maximum:
        unit = f" {p.unit}" if p.unit else ""
        raise DeviceError(
            f"{parameter} = {number:g} is out of range: {p.minimum:g}–{p.maximum:g}{unit}"
        )
    if p.resolution >= 1.0 and number != round(number):
        raise DeviceError(f"{parameter} takes whole steps of {p.resolution:g}, not {number:g}")
    return number
