"""A fake clock for the simulators: tests move time by hand."""

from __future__ import annotations

import pytest

from tests.unit.hardware.fakeclock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
