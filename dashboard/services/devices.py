"""The configured culture hardware: what each device offers and how its link is.

Capabilities are static per kind and driver (``hardware.factory.capabilities_for``), so the
web process validates setpoints without talking to a device; the link state, the latest
reading and the owner come from the ``devices`` table the controller keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from dashboard.db import Database
from dashboard.models import DeviceRow, utcnow
from hardware.factory import DeviceSpec, capabilities_for, parse_devices
from hardware.protocol import Capabilities, Parameter

# Link states the pages show: the controller's own, plus "no controller" when no live
# controller holds the device's lease (nobody is reading it, so "ok" would be a guess).
NO_CONTROLLER = "no controller"


@dataclass(frozen=True)
class Catalog:
    """The configured devices, by id, with their capabilities."""

    specs: Mapping[str, DeviceSpec]
    capabilities: Mapping[str, Capabilities]

    def ids(self) -> list[str]:
        """Device ids in configuration order."""
        return list(self.specs)

    def default_ids(self) -> list[str]:
        """What a run binds when it names no devices: the first device of each kind."""
        chosen: dict[str, str] = {}
        for device_id, spec in self.specs.items():
            chosen.setdefault(spec.kind, device_id)
        return list(chosen.values())

    def parameter(self, device_id: str, name: str) -> Parameter:
        """The parameter ``name`` of ``device_id`` (KeyError when either is unknown)."""
        return self.capabilities[device_id].parameter(name)


@lru_cache(maxsize=8)
def catalog(spec: str) -> Catalog:
    """The catalog of a ``MICROSPACEGEN_DEVICES`` value (already checked by the settings)."""
    specs = {s.device_id: s for s in parse_devices(spec)}
    return Catalog(specs, {i: capabilities_for(s) for i, s in specs.items()})


@dataclass(frozen=True)
class ParameterView:
    """A parameter as the API lists it."""

    name: str
    label: str
    unit: str
    minimum: float
    maximum: float
    resolution: float
    is_writable: bool
    tolerance: float


@dataclass(frozen=True)
class DeviceView:
    """A device, its link and its latest reading."""

    id: str
    kind: str
    model: str
    url: str
    link_state: str
    device_state: str | None
    last_seen_at: datetime | None
    last_error: str | None
    controller: str | None
    latest: Mapping[str, Any]
    parameters: tuple[ParameterView, ...]


def parameter_view(p: Parameter) -> ParameterView:
    """The API's view of a parameter."""
    return ParameterView(
        p.name, p.label, p.unit, p.minimum, p.maximum, p.resolution, p.is_writable, p.tolerance
    )


def link_state(row: DeviceRow | None, now: datetime | None = None) -> str:
    """``ok``, ``lost``, ``unknown`` or :data:`NO_CONTROLLER` for a device row."""
    now = now or utcnow()
    if row is None or row.holder is None or row.lease_expires_at is None:
        return NO_CONTROLLER
    if row.lease_expires_at < now:
        return NO_CONTROLLER
    return row.link_state


def list_devices(db: Database, cat: Catalog) -> list[DeviceView]:
    """Every configured device with its link (any logged-in user may look)."""
    with db.read() as s:
        rows = {r.device_id: r for r in s.scalars(select(DeviceRow))}
    now = utcnow()
    views = []
    for device_id, spec in cat.specs.items():
        row = rows.get(device_id)
        caps = cat.capabilities[device_id]
        views.append(
            DeviceView(
                id=device_id,
                kind=spec.kind,
                model=caps.model,
                url=spec.url,
                link_state=link_state(row, now),
                device_state=row.device_state if row else None,
                last_seen_at=row.last_seen_at if row else None,
                last_error=row.last_error if row else None,
                controller=row.holder if row and link_state(row, now) != NO_CONTROLLER else None,
                latest=dict(row.latest or {}) if row else {},
                parameters=tuple(parameter_view(p) for p in caps.parameters),
            )
        )
    return views


def link_states(db: Database, device_ids: Iterable[str]) -> dict[str, str]:
    """The link state of each of ``device_ids``."""
    ids = list(device_ids)
    with db.read() as s:
        rows = {
            r.device_id: r for r in s.scalars(select(DeviceRow).where(DeviceRow.device_id.in_(ids)))
        }
    now = utcnow()
    return {i: link_state(rows.get(i), now) for i in ids}


def hardware_health(db: Database, cat: Catalog) -> dict[str, object]:
    """The hardware part of ``/api/v1/health``."""
    states = link_states(db, cat.ids())
    lost = sorted(i for i, st in states.items() if st != "ok")
    return {
        "status": "ok" if not lost else "degraded",
        "devices": {i: states[i] for i in cat.ids()},
        "not_ok": lost,
    }


LEASE_S = 10.0


def lease_deadline(now: datetime) -> datetime:
    """When a lease taken or renewed at ``now`` expires."""
    return now + timedelta(seconds=LEASE_S)
