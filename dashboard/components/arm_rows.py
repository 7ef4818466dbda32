"""Row edits of the arms grid (UI state only; validation happens in the service)."""

from __future__ import annotations

from typing import Any


def add_arm(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Append a blank ground-control arm at 1 g."""
    rows = list(rows or [])
    rows.append(
        {
            "name": f"arm {len(rows) + 1}",
            "spaceflight": "Ground Control",
            "gravity_g": 1.0,
            "description": "",
        }
    )
    return rows


def remove_selected(
    rows: list[dict[str, Any]] | None, selected: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Drop the first row equal to each selected row."""
    remaining = list(rows or [])
    for row in selected or []:
        if row in remaining:
            remaining.remove(row)
    return remaining
