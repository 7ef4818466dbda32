"""Simulated devices: same Protocol and attribute names as the real ones, seeded noise, and a
clock and speed so tests drive them with a fake clock and demos run faster than life."""

from hardware.sim.centrifuge import SimCentrifuge
from hardware.sim.chamber import SimChamber
from hardware.sim.dosimeter import SimDosimeter
from hardware.sim.pid import PID

__all__ = ["PID", "SimCentrifuge", "SimChamber", "SimDosimeter"]
