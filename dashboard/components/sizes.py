"""Sizes for people: sequence lengths in bp/kb/Mb/Gb, file sizes in kB/MB/GB (decimal, as
disks and sequencers count them), fractions as percentages.

``assets/upload.js`` writes upload sizes the same way (``formatBytes``).
"""

from __future__ import annotations

_BASE_UNITS = ((1e9, "Gb"), (1e6, "Mb"), (1e3, "kb"))
_BYTE_UNITS = ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))


def _scaled(value: float, units: tuple[tuple[float, str], ...], smallest: str) -> str:
    for factor, unit in units:
        if value >= factor:
            scaled = value / factor
            return f"{scaled:,.1f} {unit}" if scaled < 100 else f"{scaled:,.0f} {unit}"
    return f"{value:,.0f} {smallest}"


def bases(count: int | float | None) -> str:
    """A sequence length or a number of bases.

    >>> bases(4_641_652), bases(9609), bases(512), bases(3.1e9), bases(None)
    ('4.6 Mb', '9.6 kb', '512 bp', '3.1 Gb', '—')
    """
    if count is None:
        return "—"
    return _scaled(float(count), _BASE_UNITS, "bp")


def byte_size(count: int | float | None) -> str:
    """A file size.

    >>> byte_size(2_000_000_000), byte_size(1_234_567), byte_size(9_834), byte_size(17)
    ('2.0 GB', '1.2 MB', '9.8 kB', '17 bytes')
    """
    if count is None:
        return "—"
    if count < 1000:
        return f"{count:,.0f} byte" + ("" if count == 1 else "s")
    return _scaled(float(count), _BYTE_UNITS, "bytes")


def percent(fraction: float | None, digits: int = 1) -> str:
    """A fraction (0–1) as a percentage.

    >>> percent(0.50812), percent(0.9, 0), percent(None)
    ('50.8 %', '90 %', '—')
    """
    if fraction is None:
        return "—"
    return f"{100 * fraction:.{digits}f} %"


def count(value: int | float | None) -> str:
    """A whole number with thousands separators.

    >>> count(1234567), count(None)
    ('1,234,567', '—')
    """
    if value is None:
        return "—"
    return f"{value:,.0f}"
