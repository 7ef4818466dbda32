"""Arms in the browser: row edits of a form (UI state only; the service validates) and the
flight / ground badge every page shows an arm's spaceflight factor with."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.services.experiments import Spaceflight

from .status import labelled_badge

# Spaceflight factor -> its state in the "arm" family of the status vocabulary.
ARM_KIND = {
    Spaceflight.SPACE_FLIGHT.value: "flight",
    Spaceflight.GROUND_CONTROL.value: "ground",
    Spaceflight.BASAL_CONTROL.value: "basal",
    Spaceflight.ANCESTOR.value: "ancestor",
}


def new_arm(position: int) -> dict[str, Any]:
    """A blank ground-control arm at 1 g, named after its position (1-based)."""
    return {
        "name": f"arm {position}",
        "spaceflight": Spaceflight.GROUND_CONTROL.value,
        "gravity_g": 1.0,
        "description": "",
    }


def add_arm(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Append a blank ground-control arm at 1 g."""
    rows = list(rows or [])
    rows.append(new_arm(len(rows) + 1))
    return rows


def remove_arm(rows: list[dict[str, Any]] | None, index: int) -> list[dict[str, Any]]:
    """Drop the arm at ``index`` (nothing happens for an index out of range)."""
    remaining = list(rows or [])
    if 0 <= index < len(remaining):
        del remaining[index]
    return remaining


def remove_selected(
    rows: list[dict[str, Any]] | None, selected: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Drop the first row equal to each selected row (the list page's arms grid)."""
    remaining = list(rows or [])
    for row in selected or []:
        if row in remaining:
            remaining.remove(row)
    return remaining


def spaceflight_badge(spaceflight: str) -> html.Span:
    """``🚀 Space Flight`` or ``🌎 Ground Control`` as a badge (icon and words, not colour)."""
    return labelled_badge("arm", ARM_KIND.get(spaceflight, spaceflight), spaceflight)


def arm_badge(name: str, spaceflight: str) -> html.Span:
    """An arm by its name, with its flight or ground look."""
    return labelled_badge("arm", ARM_KIND.get(spaceflight, spaceflight), name)
