"""Serve a :class:`~hardware.sim.chamber.SimChamber` over Modbus TCP (register map v2).

``python -m hardware.modbus_sim --port 5020 [--host 127.0.0.1] [--unit 1] [--seed 0] [--speed 1]``

The register map is the one :mod:`hardware.drivers.modbus` documents and reads: reads of the
input or holding registers are answered from ``sim.read()``, writes of setpoint registers call
``sim.apply`` and a write of the command register ``start``/``pause``/``resume``/``stop``. An
out-of-range setpoint or an unknown command gets exception 3 (illegal data value) and changes
nothing; a command the chamber refuses in its state gets exception 4 (device failure).

It prints ``serving SimChamber on HOST:PORT unit N`` once listening and exits cleanly on
SIGINT or SIGTERM. :class:`ServerThread` runs the same server inside a process (for tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimAction, SimData, SimDevice

from hardware.drivers.modbus import (
    COMMAND_ADDRESS,
    COMMANDS,
    HOLDING_COUNT,
    INPUT_COUNT,
    MAP_VERSION,
    READING_FIELDS,
    SETPOINT_FIELDS,
    STATUS_ADDRESS,
    VERSION_ADDRESS,
    Field,
)
from hardware.parameters import check_setpoint
from hardware.protocol import DeviceError, DeviceState
from hardware.sim.chamber import SimChamber

READ_INPUT = 4
READ_HOLDING = 3
WRITE_REGISTERS = frozenset({6, 16, 23})  # single, multiple, read/write multiple
STATUS_VALUES = {DeviceState.IDLE: 0, DeviceState.RUNNING: 1, DeviceState.PAUSED: 2}
COMMAND_NAMES = {code: name for name, code in COMMANDS.items()}


class ChamberRegisters:
    """The register map over a SimChamber: what a read returns, what a write does."""

    def __init__(self, sim: SimChamber) -> None:
        self.sim = sim

    def fill_inputs(self, registers: list[int], start: int) -> None:
        """Write a fresh reading into the input block (``registers[0]`` is ``start``)."""
        sample = self.sim.read()
        for f in READING_FIELDS:
            for i, word in enumerate(_clamped(f, sample.values[f.name])):
                registers[f.address - start + i] = word
        registers[STATUS_ADDRESS - start] = STATUS_VALUES[sample.state]
        registers[VERSION_ADDRESS - start] = MAP_VERSION

    def fill_holding(self, registers: list[int], start: int) -> None:
        """Write the setpoints into the holding block; the command register reads 0."""
        setpoints = self.sim.setpoints()
        for f in SETPOINT_FIELDS:
            registers[f.address - start] = f.encode(setpoints[f.name])[0]
        registers[COMMAND_ADDRESS - start] = 0

    def write(self, address: int, values: Sequence[int]) -> ExcCodes | None:
        """Apply a write of ``values`` from ``address`` on; all setpoints are checked first."""
        by_address = {f.address: f for f in SETPOINT_FIELDS}
        setpoints: list[tuple[str, float]] = []
        command: str | None = None
        for offset, raw in enumerate(values):
            addr = address + offset
            if addr in by_address:
                f = by_address[addr]
                registers = [0] * (addr + 1)
                registers[addr] = int(raw)
                setpoints.append((f.name, f.decode(registers)))
            elif addr == COMMAND_ADDRESS:
                if int(raw) not in COMMAND_NAMES:
                    return ExcCodes.ILLEGAL_VALUE
                command = COMMAND_NAMES[int(raw)]
            else:
                return ExcCodes.ILLEGAL_ADDRESS
        try:
            for name, value in setpoints:
                check_setpoint(self.sim.capabilities, name, value)
        except DeviceError:
            return ExcCodes.ILLEGAL_VALUE
        for name, value in setpoints:
            self.sim.apply(name, value)
        if command is not None:
            try:
                getattr(self.sim, command)()
            except DeviceError:
                return ExcCodes.DEVICE_FAILURE
        return None

    async def action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus' hook on every access to the device's registers."""
        del count
        if set_values is not None:
            if function_code not in WRITE_REGISTERS:
                return ExcCodes.ILLEGAL_FUNCTION  # coils: this chamber has none
            return self.write(address, [int(v) for v in set_values])
        if function_code == READ_INPUT:
            self.fill_inputs(registers, start_address)
        elif function_code == READ_HOLDING:
            self.fill_holding(registers, start_address)
        return None


def _clamped(f: Field, value: float) -> list[int]:
    """Registers for a reading, saturated at the type's limits (a sensor cannot overflow)."""
    low, high = {"int16": (-32768, 32767), "uint16": (0, 0xFFFF), "uint32": (0, 0xFFFFFFFF)}[f.type]
    return f.encode(min(max(value, low / f.scale), high / f.scale))


async def _no_such_unit(*_args: object) -> ExcCodes:
    return ExcCodes.GATEWAY_NO_RESPONSE


def make_sim_devices(registers: ChamberRegisters, unit: int) -> list[SimDevice]:
    """The pymodbus devices: unit ``unit`` with 5 holding and 11 input registers hooked to
    ``registers``, and (unless ``unit`` is 0) a catch-all that answers any other unit id with
    exception 11 (gateway target failed to respond)."""
    devices = [_device(unit, registers.action)]
    if unit != 0:
        devices.append(_device(0, _no_such_unit))
    return devices


def _device(unit: int, action: SimAction) -> SimDevice:
    return SimDevice(
        id=unit,
        simdata=(
            [SimData(0, values=False, datatype=DataType.BITS)],
            [SimData(0, values=False, datatype=DataType.BITS)],
            [SimData(0, count=HOLDING_COUNT, values=0, datatype=DataType.REGISTERS)],
            [SimData(0, count=INPUT_COUNT, values=0, datatype=DataType.REGISTERS)],
        ),
        action=action,
    )


def find_free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


async def serve(
    sim: SimChamber,
    host: str,
    port: int,
    unit: int,
    stop: asyncio.Event,
    on_listening: Callable[[], None] | None = None,
) -> None:
    """Serve ``sim`` on ``host:port`` as Modbus unit ``unit`` until ``stop`` is set."""
    server = ModbusTcpServer(make_sim_devices(ChamberRegisters(sim), unit), address=(host, port))
    await server.serve_forever(background=True)
    try:
        if on_listening is not None:
            on_listening()
        await stop.wait()
    finally:
        await server.shutdown()  # type: ignore[no-untyped-call]


class ServerThread:
    """The server on its own event loop in a daemon thread, for tests and demos in-process:
    ``with ServerThread(SimChamber("chamber-1")) as server: ...`` serves on ``server.port``."""

    def __init__(
        self, sim: SimChamber, *, host: str = "127.0.0.1", port: int | None = None, unit: int = 1
    ) -> None:
        self.sim = sim
        self.host = host
        self.port = find_free_port(host) if port is None else port
        self.unit = unit
        self._listening = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"modbus-sim-{self.port}", daemon=True
        )

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve(self.sim, self.host, self.port, self.unit, self._stop, self._listening.set)

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._listening.set()

    def start(self, timeout_s: float = 5.0) -> None:
        """Start serving; returns once listening (RuntimeError if it could not listen)."""
        self._thread.start()
        if not self._listening.wait(timeout_s) or self._error is not None:
            raise RuntimeError(
                f"Modbus simulator did not listen on {self.host}:{self.port}: {self._error}"
            )

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop serving and close every connection (idempotent)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: serve until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m hardware.modbus_sim",
        description="Serve a simulated culture chamber over Modbus TCP (register map v2).",
    )
    parser.add_argument("--port", type=int, default=5020)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--unit", type=int, default=1, help="Modbus unit (device) id, 0-255")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sensor noise")
    parser.add_argument("--speed", type=float, default=1.0, help="model seconds per second")
    args = parser.parse_args(argv)
    if not 0 <= args.unit <= 255:
        parser.error("--unit must be 0-255")
    if not args.speed > 0:
        parser.error("--speed must be positive")
    sim = SimChamber(
        f"chamber@{args.host}:{args.port}/{args.unit}", seed=args.seed, speed=args.speed
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)

        def listening() -> None:
            print(f"serving SimChamber on {args.host}:{args.port} unit {args.unit}", flush=True)

        await serve(sim, args.host, args.port, args.unit, stop, listening)

    try:
        asyncio.run(run())
    except (OSError, RuntimeError) as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
