"""The register map's encoding, and the server side's handling of writes, without a network."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from pymodbus.constants import ExcCodes

from hardware.drivers.modbus import (
    COMMAND_ADDRESS,
    HOLDING_COUNT,
    INPUT_COUNT,
    MAP_VERSION,
    READING_FIELDS,
    SETPOINT_FIELDS,
    VERSION_ADDRESS,
    Field,
)
from hardware.modbus_sim import ChamberRegisters
from hardware.protocol import DeviceState
from hardware.sim.chamber import SimChamber
from tests.unit.hardware.fakeclock import FakeClock

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end on a loop of its own, in a thread: the browser tests'
    Playwright (session-wide) keeps an event loop running on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_int16_is_twos_complement_scaled_by_100() -> None:
    f = Field("temperature_c", 0, "int16", 100.0)
    assert f.encode(37.25) == [3725]
    assert f.encode(-1.5) == [0x10000 - 150]
    assert f.decode([0x10000 - 150]) == -1.5
    with pytest.raises(ValueError, match="does not fit int16"):
        f.encode(400.0)


def test_uint32_is_high_word_first() -> None:
    f = Field("od600", 5, "uint32", 10000.0)
    registers = [0] * 5 + f.encode(7.5)
    assert registers[5:] == [75000 >> 16, 75000 & 0xFFFF] == [1, 9464]
    assert f.decode(registers) == 7.5


def test_map_addresses_do_not_overlap() -> None:
    taken = [a for f in READING_FIELDS for a in range(f.address, f.address + f.width)]
    assert len(taken) == len(set(taken)) == 9
    assert sorted(f.address for f in SETPOINT_FIELDS) == [0, 1, 2, 4]
    assert COMMAND_ADDRESS == 3
    # v2 only added heater_enabled: every v1 address keeps its meaning.
    assert {f.name: f.address for f in READING_FIELDS} == {
        "temperature_c": 0,
        "co2_pct": 1,
        "o2_pct": 2,
        "humidity_pct": 3,
        "light_on": 4,
        "od600": 5,
        "heater_pct": 7,
        "heater_enabled": 10,
    }
    assert (VERSION_ADDRESS, MAP_VERSION, HOLDING_COUNT, INPUT_COUNT) == (9, 2, 5, 11)


def _write(bank: ChamberRegisters, address: int, values: list[int]) -> ExcCodes | None:
    return _run(bank.action(16, 0, address, len(values), [0] * HOLDING_COUNT, values))


def test_server_applies_setpoints_and_commands() -> None:
    sim = SimChamber("chamber-1", clock=FakeClock())
    bank = ChamberRegisters(sim)
    assert _write(bank, 0, [2500, 300, 1]) is None
    assert sim.setpoints() == {
        "temperature_c": 25.0,
        "co2_pct": 3.0,
        "light_on": 1.0,
        "heater_enabled": 1.0,
    }
    assert _write(bank, 4, [0]) is None
    assert sim.setpoints()["heater_enabled"] == 0.0
    assert sim.read().values["heater_pct"] == 0.0
    assert _write(bank, COMMAND_ADDRESS, [1]) is None
    assert sim.state is DeviceState.RUNNING
    assert _write(bank, COMMAND_ADDRESS, [1]) == ExcCodes.DEVICE_FAILURE  # already running


@pytest.mark.parametrize(
    ("address", "values"),
    [
        (0, [4600]),
        (0, [300]),
        (1, [900]),
        (2, [2]),
        (0, [3000, 20]),
        (3, [9]),
        (3, [0]),
        (4, [2]),
        (3, [0, 0]),  # a valid heater_enabled does not excuse a bad command
    ],
)
def test_server_refuses_bad_values_and_changes_nothing(address: int, values: list[int]) -> None:
    sim = SimChamber("chamber-1", clock=FakeClock())
    bank = ChamberRegisters(sim)
    before = sim.setpoints()
    assert _write(bank, address, values) == ExcCodes.ILLEGAL_VALUE
    assert sim.setpoints() == before
    assert sim.state is DeviceState.IDLE


def test_coil_writes_are_refused() -> None:
    sim = SimChamber("chamber-1", clock=FakeClock())
    bank = ChamberRegisters(sim)
    assert _run(bank.action(5, 0, 0, 1, [0], [True])) == ExcCodes.ILLEGAL_FUNCTION
    assert sim.setpoints()["temperature_c"] == 37.0


def test_server_reads_fill_the_registers_from_the_sim() -> None:
    sim = SimChamber("chamber-1", clock=FakeClock())
    bank = ChamberRegisters(sim)
    registers = [0] * INPUT_COUNT
    _run(bank.action(4, 0, 0, INPUT_COUNT, registers, None))
    assert registers[9] == 2  # map version
    assert registers[8] == 0  # idle
    assert registers[10] == 1  # heater enabled
    assert Field("temperature_c", 0, "int16", 100.0).decode(registers) == pytest.approx(
        22.0, abs=0.2
    )
    holding = [7] * HOLDING_COUNT
    _run(bank.action(3, 0, 0, HOLDING_COUNT, holding, None))
    assert holding == [3700, 500, 0, 0, 1]
    sim.apply("heater_enabled", 0)
    _run(bank.action(3, 0, 0, HOLDING_COUNT, holding, None))
    _run(bank.action(4, 0, 0, INPUT_COUNT, registers, None))
    assert holding[4] == registers[10] == 0
    assert registers[7] == 0  # heater_pct
