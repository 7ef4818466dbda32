"""Culture hardware: the Device protocol, simulators, drivers and the factory choosing them.

>>> from hardware import DEFAULT_DEVICES, make_device, parse_devices
>>> [make_device(s).capabilities.kind for s in parse_devices(DEFAULT_DEVICES)]
['chamber', 'centrifuge', 'dosimeter']
"""

from hardware.factory import (
    DEFAULT_DEVICES,
    DeviceSpec,
    capabilities_for,
    make_device,
    parse_devices,
)
from hardware.protocol import (
    Capabilities,
    Device,
    DeviceError,
    DeviceState,
    LinkError,
    Parameter,
    Sample,
    Simulated,
)

__all__ = [
    "DEFAULT_DEVICES",
    "Capabilities",
    "Device",
    "DeviceError",
    "DeviceSpec",
    "DeviceState",
    "LinkError",
    "Parameter",
    "Sample",
    "Simulated",
    "capabilities_for",
    "make_device",
    "parse_devices",
]
