"""ModbusChamber: a culture chamber over Modbus TCP (pymodbus' synchronous client).

Register map v2
===============

Addresses are 0-based protocol addresses on the unit id given in the URL
(``modbus+tcp://host:port/unit``). Values are scaled integers; int16 is two's complement in one
register, uint32 is two registers, high word first.

Holding registers (read with function 3, write with 6 or 16):

=====  ==============  ======  =====  ====================================================
addr   parameter       type    scale  meaning
=====  ==============  ======  =====  ====================================================
0      temperature_c   int16   ×100   temperature setpoint, 4.00–45.00 °C (400–4500)
1      co2_pct         uint16  ×100   CO₂ setpoint, 0.50–8.00 % (50–800)
2      light_on        uint16  ×1     light setpoint, 0 or 1
3      (command)       uint16         write 1 start, 2 pause, 3 resume, 4 stop; reads 0
4      heater_enabled  uint16  ×1     heater/cooler enable, 0 (off: no heating or cooling,
                                      the chamber drifts to room temperature) or 1 (on)
=====  ==============  ======  =====  ====================================================

Input registers (read with function 4):

=====  ==============  ======  ======  ===================================================
addr   parameter       type    scale   meaning
=====  ==============  ======  ======  ===================================================
0      temperature_c   int16   ×100    chamber temperature, °C
1      co2_pct         uint16  ×100    CO₂, %
2      o2_pct          uint16  ×100    O₂, %
3      humidity_pct    uint16  ×100    relative humidity, %
4      light_on        uint16  ×1      light on (1) or off (0)
5–6    od600           uint32  ×10000  optical density at 600 nm
7      heater_pct      int16   ×10     heater (+) / cooler (−) output, %
8      (status)        uint16          0 idle, 1 running, 2 paused
9      (map version)   uint16          2
10     heater_enabled  uint16  ×1      heater/cooler enabled (1) or off (0)
=====  ==============  ======  ======  ===================================================

v2 added holding register 4 and input register 10 (``heater_enabled``, which the
critical-temperature interlock sets to 0); every v1 address kept its meaning.

A write outside a setpoint's range, or an unknown command code, is answered with Modbus
exception 3 (illegal data value); a command the chamber cannot do in its state (pause when
idle, start when running) with exception 4 (server device failure).

Errors: anything that keeps an answer from arriving (refused connection, timeout, closed
socket) raises :class:`~hardware.protocol.LinkError` naming ``host:port``, and the next call
opens a fresh connection; an exception response raises :class:`~hardware.protocol.DeviceError`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from hardware.parameters import CHAMBER_PARAMETERS, check_setpoint
from hardware.protocol import Capabilities, DeviceError, DeviceState, LinkError, Sample

MAP_VERSION = 2

MODBUS_CHAMBER_CAPABILITIES = Capabilities(
    kind="chamber",
    model=f"Modbus chamber (register map v{MAP_VERSION})",
    parameters=CHAMBER_PARAMETERS,
)


@dataclass(frozen=True)
class Field:
    """One value in the register map."""

    name: str
    address: int
    type: str  # "int16", "uint16" or "uint32"
    scale: float

    @property
    def width(self) -> int:
        """Registers the value takes."""
        return 2 if self.type == "uint32" else 1

    def encode(self, value: float) -> list[int]:
        """Registers for ``value`` (ValueError if it does not fit the type)."""
        raw = round(value * self.scale)
        if self.type == "int16":
            if not -32768 <= raw <= 32767:
                raise ValueError(f"{self.name} = {value} does not fit int16 ×{self.scale:g}")
            return [raw & 0xFFFF]
        if self.type == "uint16":
            if not 0 <= raw <= 0xFFFF:
                raise ValueError(f"{self.name} = {value} does not fit uint16 ×{self.scale:g}")
            return [raw]
        if not 0 <= raw <= 0xFFFFFFFF:
            raise ValueError(f"{self.name} = {value} does not fit uint32 ×{self.scale:g}")
        return [raw >> 16, raw & 0xFFFF]

    def decode(self, registers: Sequence[int]) -> float:
        """The value held in ``registers`` (the whole block, indexed by address)."""
        raw = registers[self.address]
        if self.type == "int16":
            raw = raw - 0x10000 if raw >= 0x8000 else raw
        elif self.type == "uint32":
            raw = (raw << 16) | registers[self.address + 1]
        return raw / self.scale


SETPOINT_FIELDS: tuple[Field, ...] = (
    Field("temperature_c", 0, "int16", 100.0),
    Field("co2_pct", 1, "uint16", 100.0),
    Field("light_on", 2, "uint16", 1.0),
    Field("heater_enabled", 4, "uint16", 1.0),
)
COMMAND_ADDRESS = 3
HOLDING_COUNT = 5
COMMANDS: dict[str, int] = {"start": 1, "pause": 2, "resume": 3, "stop": 4}

READING_FIELDS: tuple[Field, ...] = (
    Field("temperature_c", 0, "int16", 100.0),
    Field("co2_pct", 1, "uint16", 100.0),
    Field("o2_pct", 2, "uint16", 100.0),
    Field("humidity_pct", 3, "uint16", 100.0),
    Field("light_on", 4, "uint16", 1.0),
    Field("od600", 5, "uint32", 10000.0),
    Field("heater_pct", 7, "int16", 10.0),
    Field("heater_enabled", 10, "uint16", 1.0),
)
STATUS_ADDRESS = 8
VERSION_ADDRESS = 9
INPUT_COUNT = 11
STATUS_CODES: dict[int, DeviceState] = {
    0: DeviceState.IDLE,
    1: DeviceState.RUNNING,
    2: DeviceState.PAUSED,
}
EXCEPTION_MEANINGS: dict[int, str] = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value: out of range or unknown command",
    4: "server device failure: not possible in the device's state",
    6: "server device busy",
    10: "gateway path unavailable",
    11: "no device with this unit id answered: check the unit in the URL",
}

_R = TypeVar("_R")


class ModbusChamber:
    """A culture chamber behind Modbus TCP (register map v2, see the module docstring).

    Implements :class:`~hardware.protocol.Device`; calls are serialised by a lock and each
    blocks for at most about ``timeout_s`` per request.
    """

    def __init__(
        self, device_id: str, host: str, port: int, unit: int, *, timeout_s: float = 1.0
    ) -> None:
        self.device_id = device_id
        self.capabilities = MODBUS_CHAMBER_CAPABILITIES
        self.host = host
        self.port = port
        self.unit = unit
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        # retries=0: one attempt per call, so a dead server costs one timeout, not four.
        self._client = ModbusTcpClient(
            host, port=port, timeout=timeout_s, retries=0, reconnect_delay=0.0
        )

    @property
    def address(self) -> str:
        """``host:port`` as in messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    # -- link ----------------------------------------------------------------------------
    def connect(self) -> None:
        """Open the TCP connection (idempotent). Raises LinkError."""
        with self._lock:
            self._connect()

    def disconnect(self) -> None:
        """Close the connection (never raises)."""
        with self._lock:
            self._close()

    def _connect(self) -> None:
        try:
            is_open = self._client.connect()  # type: ignore[no-untyped-call]
        except (ModbusException, OSError) as exc:
            self._close()
            raise LinkError(f"cannot connect to {self.address}: {exc}") from None
        if not is_open:
            raise LinkError(
                f"cannot connect to {self.address} (refused or no answer in {self.timeout_s:g} s)"
            )

    def _close(self) -> None:
        with contextlib.suppress(ModbusException, OSError):
            self._client.close()  # type: ignore[no-untyped-call]

    def _request(self, what: str, call: Callable[[], ModbusPDU]) -> ModbusPDU:
        """Run one request under the lock; map failures to LinkError / DeviceError."""
        self._connect()
        try:
            response = call()
        except (ModbusException, OSError) as exc:
            self._close()  # the stream may hold a late answer: start afresh next time
            detail = str(exc).split("\n", 1)[0] or type(exc).__name__
            raise LinkError(f"no answer from {self.address} to {what}: {detail}") from None
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            meaning = EXCEPTION_MEANINGS.get(code, "unknown exception")
            raise DeviceError(
                f"{self.device_id} refused {what}: Modbus exception {code} ({meaning})"
            )
        return response

    def _locked(self, call: Callable[[], _R]) -> _R:
        with self._lock:
            return call()

    # -- Device ----------------------------------------------------------------------------
    def read(self) -> Sample:
        """One read of the input registers and one of the holding (setpoint) registers."""
        return self._locked(self._read)

    def _read(self) -> Sample:
        inputs = self._request(
            "a read of the input registers",
            lambda: self._client.read_input_registers(0, count=INPUT_COUNT, device_id=self.unit),
        ).registers
        holding = self._request(
            "a read of the setpoint registers",
            lambda: self._client.read_holding_registers(
                0, count=HOLDING_COUNT, device_id=self.unit
            ),
        ).registers
        if len(inputs) < INPUT_COUNT or len(holding) < HOLDING_COUNT:
            raise DeviceError(f"{self.device_id} answered with too few registers")
        if inputs[VERSION_ADDRESS] != MAP_VERSION:
            raise DeviceError(
                f"{self.device_id} speaks register map v{inputs[VERSION_ADDRESS]}, "
                f"this driver v{MAP_VERSION}"
            )
        try:
            state = STATUS_CODES[inputs[STATUS_ADDRESS]]
        except KeyError:
            raise DeviceError(
                f"{self.device_id} reported an unknown status {inputs[STATUS_ADDRESS]}"
            ) from None
        return Sample(
            values={f.name: f.decode(inputs) for f in READING_FIELDS},
            state=state,
            setpoints={f.name: f.decode(holding) for f in SETPOINT_FIELDS},
        )

    def apply(self, parameter: str, value: float) -> None:
        """Write one setpoint register (checked against the range before anything is sent)."""
        number = check_setpoint(self.capabilities, parameter, value)
        field = next(f for f in SETPOINT_FIELDS if f.name == parameter)
        (register,) = field.encode(number)
        self._locked(
            lambda: self._request(
                f"{parameter} = {number:g}",
                lambda: self._client.write_register(field.address, register, device_id=self.unit),
            )
        )

    def _command(self, name: str) -> None:
        code = COMMANDS[name]
        self._locked(
            lambda: self._request(
                name,
                lambda: self._client.write_register(COMMAND_ADDRESS, code, device_id=self.unit),
            )
        )

    def start(self) -> None:
        """Command 1: start a run."""
        self._command("start")

    def pause(self) -> None:
        """Command 2: pause."""
        self._command("pause")

    def resume(self) -> None:
        """Command 3: resume."""
        self._command("resume")

    def stop(self) -> None:
        """Command 4: stop (idle, holding the setpoints)."""
        self._command("stop")
