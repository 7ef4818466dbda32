"""A dataset's provenance status as a badge, wherever datasets are listed.

The look (colour, icon) comes from the ``provenance`` family of the status vocabulary; the
words are the service's label ("Anchored", "Parent retracted") and the tooltip its detail
line ("Anchored in block 12 at … by 0x…; 3 confirmations."), so the badge never relies on
colour and always says why. Grids show the same badge from :func:`provenance_cells` through
:data:`PROVENANCE_COLUMN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import html

from dashboard.services.provenance import Status

from .grid import Column, badge_column
from .status import Status as Look
from .status import legend_of, status_of

FAMILY = "provenance"
# Grid row fields: the label (searched, filtered, exported), the state behind it (the
# badge's look) and the detail line (its tooltip).
LABEL_FIELD = "provenance"
STATE_FIELD = "provenance_states"
DETAIL_FIELD = "provenance_detail"
UNKNOWN_DETAIL = "No provenance status was computed for this dataset."


def provenance_badge(
    status: Status | None, *, badge_id: str | None = None, class_name: str = ""
) -> html.Span:
    """✓ Anchored, ⧗ Pending, ⚠ Tampered…: icon, words and the detail line as tooltip."""
    state = status.state if status else "unanchored"
    look = status_of(FAMILY, state)
    label = status.label if status else look.label
    detail = status.detail if status else UNKNOWN_DETAIL
    extra: dict[str, Any] = {"id": badge_id} if badge_id else {}
    return html.Span(
        [html.I(className=f"bi bi-{look.icon} me-1", **{"aria-hidden": "true"}), label],
        className=f"badge msg-badge msg-provenance-badge text-bg-{look.tone} {class_name}".strip(),
        title=detail,
        **{"data-provenance": state},
        **extra,
    )


def provenance_line(status: Status | None, *, line_id: str | None = None) -> html.Div:
    """The badge and its detail line written out (for a page about one dataset)."""
    extra: dict[str, Any] = {"id": line_id} if line_id else {}
    return html.Div(
        [
            provenance_badge(status),
            html.Span(
                status.detail if status else UNKNOWN_DETAIL,
                className="msg-provenance-detail small",
            ),
        ],
        className="msg-provenance-line",
        **extra,
    )


def provenance_cells(status: Status | None) -> dict[str, Any]:
    """The grid fields of one row's status (merge them into the row)."""
    state = status.state if status else "unanchored"
    return {
        LABEL_FIELD: status.label if status else status_of(FAMILY, state).label,
        STATE_FIELD: [state],
        DETAIL_FIELD: status.detail if status else UNKNOWN_DETAIL,
    }


def provenance_column(*, width: int = 158) -> Column:
    """The "Provenance" column: the badge, its detail as tooltip, filtered by its words."""
    column = badge_column(
        LABEL_FIELD,
        "Provenance",
        family=FAMILY,
        state_field=STATE_FIELD,
        width=width,
    )
    column["cellRendererParams"]["titleField"] = DETAIL_FIELD
    column["headerTooltip"] = "Provenance on the ledger; hover a badge for the details"
    return column


def provenance_legend() -> html.Ul:
    """What the provenance badges mean (under a grid)."""
    looks: Mapping[str, Look] = {
        state: status_of(FAMILY, state)
        for state in ("anchored", "pending", "unanchored", "retracted", "tampered", "failed")
    }
    return legend_of(looks)
