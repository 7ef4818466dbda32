"""The one place that decides which devices exist and whether they are real or simulated.

Devices are configured as a comma-separated list of transport URLs (``MICROSPACEGEN_DEVICES``),
each optionally named: ``[id=]url``.

- ``sim://chamber-1``, ``sim://centrifuge-1``, ``sim://dosimeter-1``: a simulator; the kind is
  the host without its trailing ``-N``, the id the host (unless named).
- ``modbus+tcp://127.0.0.1:5020/1?timeout=1.0``: a culture chamber over Modbus TCP; the path is
  the unit id (default 1), the port defaults to 502, ``timeout`` (seconds, default 1.0) bounds
  every request; the default id is ``chamber@127.0.0.1:5020/1``.

>>> [s.device_id for s in parse_devices("flight=sim://chamber-1, sim://dosimeter-1")]
['flight', 'dosimeter-1']
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from hardware.drivers.modbus import MODBUS_CHAMBER_CAPABILITIES, ModbusChamber
from hardware.protocol import Capabilities, Device
from hardware.sim._base import Clock
from hardware.sim.centrifuge import CENTRIFUGE_CAPABILITIES, SimCentrifuge
from hardware.sim.chamber import CHAMBER_CAPABILITIES, SimChamber
from hardware.sim.dosimeter import DOSIMETER_CAPABILITIES, SimDosimeter

DEFAULT_DEVICES = "sim://chamber-1,sim://centrifuge-1,sim://dosimeter-1"
KINDS = ("chamber", "centrifuge", "dosimeter")
SIM_CLASSES: dict[str, type[SimChamber] | type[SimCentrifuge] | type[SimDosimeter]] = {
    "chamber": SimChamber,
    "centrifuge": SimCentrifuge,
    "dosimeter": SimDosimeter,
}
SIM_CAPABILITIES = {
    "chamber": CHAMBER_CAPABILITIES,
    "centrifuge": CENTRIFUGE_CAPABILITIES,
    "dosimeter": DOSIMETER_CAPABILITIES,
}
MODBUS_DEFAULT_PORT = 502
MODBUS_DEFAULT_TIMEOUT_S = 1.0
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,63}")
_SIM_HOST = re.compile(r"(?P<kind>[a-z]+)(?:-[0-9]+)?")
_EXAMPLE = "e.g. sim://chamber-1 or flight=modbus+tcp://127.0.0.1:5020/1"


@dataclass(frozen=True)
class DeviceSpec:
    """One configured device: its id, its kind and the URL saying how to reach it."""

    device_id: str
    kind: str  # chamber, centrifuge or dosimeter
    url: str


@dataclass(frozen=True)
class ModbusAddress:
    """Where a Modbus TCP device answers."""

    host: str
    port: int
    unit: int
    timeout_s: float


def parse_devices(spec: str) -> list[DeviceSpec]:
    """The devices in a ``MICROSPACEGEN_DEVICES`` value (ValueError naming the bad entry)."""
    entries = [e.strip() for e in spec.split(",")]
    if not any(entries):
        raise ValueError(
            f"no devices configured: give comma-separated transport URLs ({_EXAMPLE}), "
            f"or leave MICROSPACEGEN_DEVICES unset for the default {DEFAULT_DEVICES}"
        )
    specs: list[DeviceSpec] = []
    seen: dict[str, str] = {}
    endpoints: dict[tuple[str, int, int], str] = {}
    for entry in entries:
        if not entry:
            raise ValueError(f"empty entry in device list {spec!r}: remove the extra comma")
        device = _parse_entry(entry)
        if device.device_id in seen:
            raise ValueError(
                f"device id {device.device_id!r} is used twice ({seen[device.device_id]!r} and "
                f"{entry!r}): name one of them with id=URL"
            )
        seen[device.device_id] = entry
        if device.url.startswith("modbus+tcp://"):
            # One piece of hardware under two ids would get past the one-owner lease.
            a = modbus_address(device.url, entry=entry)
            endpoint = (a.host.lower(), a.port, a.unit)
            if endpoint in endpoints:
                raise ValueError(
                    f"device entries {endpoints[endpoint]!r} and {entry!r} name the same "
                    f"Modbus device ({a.host}:{a.port} unit {a.unit}): keep one"
                )
            endpoints[endpoint] = entry
        specs.append(device)
    return specs


def _parse_entry(entry: str) -> DeviceSpec:
    name: str | None = None
    url = entry
    head, sep, rest = entry.partition("=")
    if sep and "://" not in head:
        name, url = head.strip(), rest.strip()
        if not _ID.fullmatch(name):
            raise ValueError(
                f"device entry {entry!r}: id {name!r} must start with a letter or digit and "
                "hold only letters, digits and _ . : @ / - (at most 64 characters)"
            )
    scheme, _, _ = url.partition("://")
    if scheme == "sim":
        kind, default_id = _parse_sim(entry, url)
    elif scheme == "modbus+tcp":
        address = modbus_address(url, entry=entry)
        kind = "chamber"
        host = f"[{address.host}]" if ":" in address.host else address.host
        default_id = f"chamber@{host}:{address.port}/{address.unit}"
    else:
        raise ValueError(
            f"device entry {entry!r}: unknown transport {scheme or url!r}; "
            f"use sim:// or modbus+tcp:// ({_EXAMPLE})"
        )
    return DeviceSpec(device_id=name or default_id, kind=kind, url=url)


def _parse_sim(entry: str, url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = parts.netloc
    match = _SIM_HOST.fullmatch(host)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"device entry {entry!r}: a simulator URL is just sim://<kind>-<n>, "
            "e.g. sim://chamber-1 (no path or query)"
        )
    if match is None or match["kind"] not in KINDS:
        raise ValueError(
            f"device entry {entry!r}: unknown simulator {host!r}; "
            f"use sim://chamber-1, sim://centrifuge-1 or sim://dosimeter-1"
        )
    return match["kind"], host


def modbus_address(url: str, *, entry: str | None = None) -> ModbusAddress:
    """Host, port, unit and timeout of a ``modbus+tcp://host[:port][/unit][?timeout=s]`` URL."""
    where = f"device entry {entry or url!r}"
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise ValueError(f"{where}: {exc}; write modbus+tcp://HOST:PORT/UNIT") from None
    if parts.scheme != "modbus+tcp":
        raise ValueError(f"{where}: not a modbus+tcp:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{where}: Modbus TCP has no credentials; remove user@ from the URL")
    host = parts.hostname
    if not host:
        raise ValueError(f"{where}: no host; write modbus+tcp://HOST:PORT/UNIT")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is None:
        port = MODBUS_DEFAULT_PORT
    elif not 1 <= port <= 65535:
        raise ValueError(f"{where}: the port must be a number 1-65535")
    unit_text = parts.path.strip("/") or "1"
    if not (unit_text.isascii() and unit_text.isdigit()) or not 0 <= int(unit_text) <= 255:
        raise ValueError(
            f"{where}: the path is the Modbus unit id, a number 0-255 (got {unit_text!r})"
        )
    timeout_s = MODBUS_DEFAULT_TIMEOUT_S
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key != "timeout":
            raise ValueError(f"{where}: unknown option {key!r}; the only one is ?timeout=SECONDS")
        try:
            timeout_s = float(value)
        except ValueError:
            timeout_s = math.nan
        if not 0.0 < timeout_s <= 60.0:
            raise ValueError(
                f"{where}: timeout must be a number of seconds in (0, 60], not {value!r}"
            )
    if parts.fragment:
        raise ValueError(f"{where}: remove the #fragment")
    return ModbusAddress(host=host, port=port, unit=int(unit_text), timeout_s=timeout_s)


def make_device(
    spec: DeviceSpec, *, clock: Clock = time.time, speed: float = 1.0, seed: int = 0
) -> Device:
    """The device ``spec`` describes: a simulator (taking ``clock``, ``speed``, ``seed``) or a
    driver (which ignores them). Nothing is connected yet."""
    scheme = spec.url.partition("://")[0]
    if scheme == "sim":
        return SIM_CLASSES[spec.kind](spec.device_id, clock=clock, speed=speed, seed=seed)
    if scheme == "modbus+tcp":
        a = modbus_address(spec.url)
        return ModbusChamber(spec.device_id, a.host, a.port, a.unit, timeout_s=a.timeout_s)
    raise ValueError(f"device {spec.device_id!r}: unknown transport in {spec.url!r}")


def capabilities_for(spec: DeviceSpec) -> Capabilities:
    """What the device ``spec`` describes offers, without connecting to it."""
    scheme = spec.url.partition("://")[0]
    if scheme == "sim":
        return SIM_CAPABILITIES[spec.kind]
    if scheme == "modbus+tcp":
        return MODBUS_CHAMBER_CAPABILITIES
    raise ValueError(f"device {spec.device_id!r}: unknown transport in {spec.url!r}")
