"""A clock for the simulators that moves only when a test says so."""

from __future__ import annotations


class FakeClock:
    """Wall seconds that only move when told to."""

    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
