"""Drivers for real hardware: each talks one protocol and implements the Device Protocol."""

from hardware.drivers.modbus import ModbusChamber

__all__ = ["ModbusChamber"]
