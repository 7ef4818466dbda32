"""Device configuration: URLs to specs, specs to devices, clear errors for bad entries."""

from __future__ import annotations

import pytest

from hardware import DEFAULT_DEVICES, DeviceSpec, capabilities_for, make_device, parse_devices
from hardware.drivers.modbus import ModbusChamber
from hardware.sim import SimCentrifuge, SimChamber, SimDosimeter
from tests.unit.hardware.fakeclock import FakeClock


def test_default_devices() -> None:
    assert parse_devices(DEFAULT_DEVICES) == [
        DeviceSpec("chamber-1", "chamber", "sim://chamber-1"),
        DeviceSpec("centrifuge-1", "centrifuge", "sim://centrifuge-1"),
        DeviceSpec("dosimeter-1", "dosimeter", "sim://dosimeter-1"),
    ]


def test_ids_kinds_and_modbus_defaults() -> None:
    specs = parse_devices(
        " flight=sim://chamber-2 , sim://chamber ,modbus+tcp://127.0.0.1:5020/3?timeout=0.5,"
        "ground=modbus+tcp://lab-host"
    )
    assert specs == [
        DeviceSpec("flight", "chamber", "sim://chamber-2"),
        DeviceSpec("chamber", "chamber", "sim://chamber"),
        DeviceSpec(
            "chamber@127.0.0.1:5020/3", "chamber", "modbus+tcp://127.0.0.1:5020/3?timeout=0.5"
        ),
        DeviceSpec("ground", "chamber", "modbus+tcp://lab-host"),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no devices configured"),
        ("sim://chamber-1,,sim://dosimeter-1", "extra comma"),
        ("sim://incubator-1", "unknown simulator 'incubator-1'"),
        ("sim://chamber-1/x", "no path or query"),
        ("http://127.0.0.1:5020/1", "unknown transport 'http'"),
        ("127.0.0.1:5020", "use sim:// or modbus\\+tcp://"),
        ("modbus+tcp://127.0.0.1:99999/1", "port must be a number"),
        ("modbus+tcp://127.0.0.1:5020/300", "unit id, a number 0-255"),
        ("modbus+tcp://127.0.0.1:5020/one", "unit id"),
        ("modbus+tcp://127.0.0.1:5020/1?timeout=0", "timeout must be"),
        ("modbus+tcp://127.0.0.1:5020/1?timeout=soon", "timeout must be"),
        ("modbus+tcp://127.0.0.1:5020/1?retries=3", "unknown option 'retries'"),
        ("modbus+tcp://user:pw@127.0.0.1:5020/1", "no credentials"),
        ("modbus+tcp://:5020/1", "no host"),
        ("sim://chamber-1,sim://chamber-1", "used twice"),
        ("a=sim://chamber-1,a=sim://dosimeter-1", "used twice"),
        ("bad id=sim://chamber-1", "id 'bad id' must start"),
        ("=sim://chamber-1", "id '' must start"),
    ],
)
def test_bad_specs_name_the_entry_and_the_fix(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_devices(spec)


def test_bad_entry_is_named_in_the_message() -> None:
    with pytest.raises(ValueError, match="device entry 'sim://oven-1'"):
        parse_devices("sim://chamber-1,sim://oven-1")


def test_make_device_picks_simulator_or_driver() -> None:
    specs = parse_devices(DEFAULT_DEVICES + ",lab=modbus+tcp://127.0.0.1:5601/2?timeout=0.25")
    clock = FakeClock()
    devices = [make_device(s, clock=clock, speed=5.0, seed=3) for s in specs]
    assert [type(d) for d in devices] == [SimChamber, SimCentrifuge, SimDosimeter, ModbusChamber]
    assert [d.device_id for d in devices] == ["chamber-1", "centrifuge-1", "dosimeter-1", "lab"]
    assert devices[0].speed == 5.0
    assert devices[0].seed == 3
    driver = devices[3]
    assert isinstance(driver, ModbusChamber)
    assert (driver.host, driver.port, driver.unit, driver.timeout_s) == ("127.0.0.1", 5601, 2, 0.25)


def test_capabilities_without_connecting_match_the_devices() -> None:
    specs = parse_devices(DEFAULT_DEVICES + ",modbus+tcp://127.0.0.1:5601/1")
    for spec in specs:
        caps = capabilities_for(spec)
        assert caps == make_device(spec, clock=FakeClock()).capabilities
        assert caps.kind == spec.kind
    sim, modbus = capabilities_for(specs[0]), capabilities_for(specs[3])
    assert sim.parameters == modbus.parameters  # the same chamber either way
    assert sim.model != modbus.model
