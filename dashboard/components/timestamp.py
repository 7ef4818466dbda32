"""Moments in time as people read them: UTC by default, local on request, relative on hover.

The server always writes UTC (``2026-11-26 09:58 UTC``) inside ``<time datetime=…>``;
``assets/time.js`` adds "3 min ago" as a tooltip and shows local time to users who chose it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dash import html

from .formatting import when


def iso_utc(moment: datetime | None) -> str:
    """``2026-11-26T09:58:12Z``: the machine form grids and ``<time>`` carry (empty for None).

    >>> iso_utc(datetime(2026, 11, 26, 9, 58, 12, 500, tzinfo=UTC))
    '2026-11-26T09:58:12Z'
    """
    if moment is None:
        return ""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def timestamp(
    moment: datetime | None, *, empty: str = "—", class_name: str = ""
) -> html.Time | html.Span:
    """A ``<time>`` element showing ``moment`` in UTC (or ``empty`` when there is none)."""
    if moment is None:
        return html.Span(empty, className=class_name or None)
    return html.Time(
        html.Span(when(moment), className="msg-time-utc"),
        dateTime=iso_utc(moment),
        className=f"msg-time {class_name}".strip(),
    )
