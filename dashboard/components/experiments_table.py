"""The experiments list: its columns, rows and the key to its arm badges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dashboard.services.experiments import ExperimentView

from .arm_rows import ARM_KIND
from .grid import Column, badge_column, link_column, text_column, time_column, vocabulary_legend
from .status import Status, status_of
from .timestamp import iso_utc

# GeneLab's Factor Value[Spaceflight] of an arm, as badges: the "arm" family of the vocabulary.
ARM_KINDS: dict[str, Status] = {kind: status_of("arm", kind) for kind in ARM_KIND.values()}
KIND_OF_SPACEFLIGHT = ARM_KIND

EXPERIMENT_COLUMNS: list[Column] = [
    # Minimum widths sum to less than a 1,300 px desktop card, so no column is cut there and
    # the name, which people read first, takes the most of what is left.
    link_column("name", "Experiment", href_field="href", min_width=250, flex=3),
    text_column("organism", "Organism", min_width=150, flex=1.5),
    text_column("mission", "Mission", min_width=110),
    text_column("hardware", "Hardware", min_width=110),
    text_column("osdr", "OSDR", min_width=90, flex=0.6),
    badge_column(
        "arms",
        "Arms",
        statuses=ARM_KINDS,
        state_field="arm_kinds",
        width=None,
        flex=2,
        min_width=180,
        filter_kind=None,
    ),
    text_column("created_by", "Created by", min_width=100, flex=0.6),
    time_column("created_at", "Created"),
]


def experiment_rows(views: Iterable[ExperimentView]) -> list[dict[str, Any]]:
    """One row per experiment; the arms as names with their kinds (flight, ground).

    The internal version number is not shown: it matters to saving, not to reading.
    """
    return [
        {
            "id": v.id,
            "name": v.name,
            "href": f"/experiments/{v.id}",
            "organism": v.organism,
            "mission": v.mission,
            "hardware": v.hardware,
            "osdr": v.osdr_accession,
            "arms": [a.name for a in v.arms],
            "arm_kinds": [KIND_OF_SPACEFLIGHT.get(a.spaceflight, "") for a in v.arms],
            "created_by": v.created_by or "",
            "created_at": iso_utc(v.created_at),
        }
        for v in views
    ]


def arm_legend() -> Any:
    """What the arm badges mean."""
    return vocabulary_legend(ARM_KINDS)
