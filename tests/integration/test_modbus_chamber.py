"""The Modbus TCP chamber driver against the real pymodbus server on loopback.

The server is ``python -m hardware.modbus_sim`` in a subprocess (killed, stopped and restarted
here) or :class:`hardware.modbus_sim.ServerThread` in-process when the test needs to see the
simulator behind it.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from hardware import DeviceError, DeviceState, LinkError, make_device, parse_devices
from hardware.drivers.modbus import ModbusChamber
from hardware.modbus_sim import ServerThread, find_free_port
from hardware.sim.chamber import SimChamber

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 0.5


class ServerProcess:
    """``python -m hardware.modbus_sim`` on a port, started and killed by the test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hardware.modbus_sim",
                "--port",
                str(self.port),
                "--speed",
                "60",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=15):
                self.kill()
                pytest.fail("modbus_sim printed nothing in 15 s")
        line = self.proc.stdout.readline().strip()
        assert line == f"serving SimChamber on 127.0.0.1:{self.port} unit 1", line

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    process = ServerProcess(find_free_port())
    process.start()
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.signal(signal.SIGCONT)
    process.kill()


@pytest.fixture
def driver(server: ServerProcess) -> Iterator[ModbusChamber]:
    spec = parse_devices(f"lab=modbus+tcp://127.0.0.1:{server.port}/1?timeout={TIMEOUT_S}")[0]
    device = make_device(spec)
    assert isinstance(device, ModbusChamber)
    yield device
    device.disconnect()


def test_read_apply_and_read_back(driver: ModbusChamber) -> None:
    driver.connect()
    driver.connect()  # idempotent
    sample = driver.read()
    assert sample.state is DeviceState.IDLE
    assert set(sample.values) == {p.name for p in driver.capabilities.parameters}
    assert 15.0 < sample.values["temperature_c"] < 45.0
    assert sample.values["o2_pct"] == pytest.approx(20.9, abs=1.0)
    assert sample.setpoints == {
        "temperature_c": 37.0,
        "co2_pct": 5.0,
        "light_on": 0.0,
        "heater_enabled": 1.0,
    }
    assert sample.values["heater_enabled"] == 1.0

    driver.apply("temperature_c", 30.25)
    driver.apply("co2_pct", 2.5)
    driver.apply("light_on", 1)
    assert driver.read().setpoints == {
        "temperature_c": 30.25,
        "co2_pct": 2.5,
        "light_on": 1.0,
        "heater_enabled": 1.0,
    }

    driver.start()
    assert driver.read().state is DeviceState.RUNNING
    with pytest.raises(DeviceError, match="refused start: Modbus exception 4"):
        driver.start()
    driver.pause()
    assert driver.read().state is DeviceState.PAUSED
    driver.resume()
    driver.stop()
    assert driver.read().state is DeviceState.IDLE


def test_driver_checks_ranges_before_sending(driver: ModbusChamber) -> None:
    with pytest.raises(DeviceError, match="out of range"):
        driver.apply("temperature_c", 60.0)
    with pytest.raises(DeviceError, match="read-only"):
        driver.apply("od600", 1.0)
    assert driver.read().setpoints["temperature_c"] == 37.0


def test_server_refuses_out_of_range_writes(server: ServerProcess) -> None:
    client = ModbusTcpClient("127.0.0.1", port=server.port, timeout=2)
    assert client.connect()
    try:
        refused = client.write_register(0, 4600, device_id=1)  # 46.00 °C
        assert refused.isError()
        assert refused.exception_code == 3  # illegal data value
        unknown = client.write_register(3, 42, device_id=1)  # no such command
        assert unknown.exception_code == 3
        off_range = client.write_register(4, 2, device_id=1)  # heater_enabled is 0 or 1
        assert off_range.exception_code == 3
        held = client.read_holding_registers(0, count=5, device_id=1)
        assert held.registers == [3700, 500, 0, 0, 1]
        ok = client.write_register(0, 1000, device_id=1)  # 10.00 °C
        assert not ok.isError()
        assert client.read_holding_registers(0, count=1, device_id=1).registers == [1000]
    finally:
        client.close()


def test_wrong_unit_is_a_device_error(server: ServerProcess) -> None:
    other = ModbusChamber("x", "127.0.0.1", server.port, 7, timeout_s=TIMEOUT_S)
    with pytest.raises(DeviceError, match="exception 11") as info:
        other.read()
    assert not isinstance(info.value, LinkError)
    other.disconnect()


def test_killed_server_is_a_link_error_and_a_restart_recovers(
    server: ServerProcess, driver: ModbusChamber
) -> None:
    driver.apply("temperature_c", 25.0)
    assert driver.read().setpoints["temperature_c"] == 25.0
    server.kill()
    for _ in range(2):  # the broken connection, then a refused reconnect
        started = time.monotonic()
        with pytest.raises(LinkError) as info:
            driver.read()
        assert time.monotonic() - started < TIMEOUT_S + 1.0
        message = str(info.value)
        assert f"127.0.0.1:{server.port}" in message
        assert "Traceback" not in message
        assert "\n" not in message
    with pytest.raises(LinkError):
        driver.start()
    server.start()  # same port, a fresh simulator
    sample = driver.read()  # the same driver object reconnects by itself
    assert sample.state is DeviceState.IDLE
    assert sample.setpoints["temperature_c"] == 37.0


def test_frozen_server_times_out_without_hanging(
    server: ServerProcess, driver: ModbusChamber
) -> None:
    driver.read()
    server.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(LinkError, match=f"127.0.0.1:{server.port}"):
            driver.read()
        assert time.monotonic() - started < TIMEOUT_S * 2 + 1.0
    finally:
        server.signal(signal.SIGCONT)
    assert driver.read().state is DeviceState.IDLE


def test_server_exits_cleanly_on_sigterm(server: ServerProcess) -> None:
    server.signal(signal.SIGTERM)
    assert server.proc is not None
    assert server.proc.wait(10) == 0
    assert "Traceback" not in (server.proc.stderr.read() if server.proc.stderr else "")


def test_in_process_server_drives_the_simulator() -> None:
    sim = SimChamber("chamber-1", speed=60.0, seed=1)
    with ServerThread(sim) as served:
        driver = ModbusChamber("lab", "127.0.0.1", served.port, 1, timeout_s=TIMEOUT_S)
        driver.apply("temperature_c", 33.5)
        driver.start()
        assert sim.setpoints()["temperature_c"] == 33.5
        assert sim.state is DeviceState.RUNNING
        sample = driver.read()
        assert sample.values["od600"] == pytest.approx(0.02, abs=0.01)  # just inoculated
    with pytest.raises(LinkError):
        driver.read()
    driver.disconnect()


def test_heater_enabled_is_written_read_back_and_reaches_the_simulator() -> None:
    sim = SimChamber("chamber-1", speed=60.0, seed=1)
    with ServerThread(sim) as served:
        driver = ModbusChamber("lab", "127.0.0.1", served.port, 1, timeout_s=TIMEOUT_S)
        driver.apply("heater_enabled", 0)
        sample = driver.read()
        assert sample.setpoints["heater_enabled"] == 0.0
        assert sample.values["heater_enabled"] == 0.0
        assert sample.values["heater_pct"] == 0.0
        assert sim.setpoints()["heater_enabled"] == 0.0
        assert sim.read().values["heater_pct"] == 0.0

        with pytest.raises(DeviceError, match="heater_enabled = 2 is out of range: 0–1"):
            driver.apply("heater_enabled", 2)
        client = ModbusTcpClient("127.0.0.1", port=served.port, timeout=2)
        assert client.connect()
        try:  # past the driver's own check: the server refuses it too
            assert client.write_register(4, 2, device_id=1).exception_code == 3
        finally:
            client.close()
        assert sim.setpoints()["heater_enabled"] == 0.0

        driver.apply("heater_enabled", 1)
        assert driver.read().setpoints["heater_enabled"] == 1.0
        assert sim.setpoints()["heater_enabled"] == 1.0
        driver.disconnect()
