"""Where the words of a chart's limit lines go, so that none is written over another: lines
too close for a label each share one, a label with no room on its side of the line goes to
the other side, and the limits far beyond the readings are named in one note per edge.

Plotly places nothing apart by itself (a shape's label and an annotation overlap freely), so
the layout is worked out here in pixels of a plot :data:`PLOT_PX` high; the mission run page
(``dashboard/pages/mission_run/charts.py``) turns it into shapes and annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

# Limit labels are laid out for a plot this high (the figure less its legend and time axis:
# about 200 px on a desktop, 125-160 on a phone whose time labels slant): the lower the
# guess, the sooner two close lines share a label, so it errs low.
PLOT_PX = 140.0
LABEL_FONT_PX = 11
LABEL_PX = 15.0  # one line of a label, with Plotly's padding
NOTE_CHARS = 44  # a longer edge note puts each series on a line of its own (a phone's width)


@dataclass(frozen=True)
class LineLabel:
    """The words of one drawn limit line and where the line is: ``px`` above the plot's
    bottom, estimated for a plot :data:`PLOT_PX` high."""

    px: float
    prefix: str  # the series' name in a chart of several ("CO₂ "), else ""
    words: str  # "warning high 7"
    is_high: bool


@dataclass(frozen=True)
class PlacedLabel:
    """One label written on the chart: ``text`` on line ``index`` (of the labels given to
    :func:`place_labels`), above or below it, filling ``low_px`` to ``high_px``."""

    index: int
    text: str
    is_above: bool
    low_px: float
    high_px: float


def _joined(labels: Sequence[LineLabel]) -> str:
    """The words of several lines as one label, top line first, each series named once.

    >>> _joined([LineLabel(9, "CO₂ ", "critical high 8", True),
    ...          LineLabel(8, "CO₂ ", "warning high 7", True),
    ...          LineLabel(7, "O₂ ", "warning low 6", False)])
    'CO₂ critical high 8 · warning high 7 · O₂ warning low 6'
    """
    parts: list[str] = []
    prefix: str | None = None
    for label in sorted(labels, key=lambda x: -x.px):
        parts.append(label.words if label.prefix == prefix else f"{label.prefix}{label.words}")
        prefix = label.prefix
    return " · ".join(parts)


def _place(
    labels: Sequence[LineLabel], group: Sequence[int], low_free: float, high_free: float
) -> PlacedLabel:
    """One label for the lines ``group``: above the top one when they are upper limits,
    below the bottom one when lower; on the other side when that one has more room (the
    least of it out of ``low_free`` to ``high_free``)."""
    top = max(group, key=lambda i: labels[i].px)
    bottom = min(group, key=lambda i: labels[i].px)
    text = _joined([labels[i] for i in group])
    above = PlacedLabel(top, text, True, labels[top].px, labels[top].px + LABEL_PX)
    below = PlacedLabel(bottom, text, False, labels[bottom].px - LABEL_PX, labels[bottom].px)
    wanted, other = (above, below) if any(labels[i].is_high for i in group) else (below, above)

    def outside(p: PlacedLabel) -> float:
        return max(0.0, low_free - p.low_px) + max(0.0, p.high_px - high_free)

    return other if outside(other) < outside(wanted) else wanted


def place_labels(
    labels: Sequence[LineLabel], top_px: float = 0.0, bottom_px: float = 0.0
) -> list[PlacedLabel]:
    """Labels for the limit lines that never overlap: lines whose labels would touch share
    one label (their words joined), and a label that would leave the plot, or run into the
    notes along its top (``top_px`` high) or bottom edge (``bottom_px``), goes to the other
    side of its line.

    >>> far = [LineLabel(20.0, "", "warning low 2", False),
    ...        LineLabel(110.0, "", "warning high 38", True)]
    >>> [(p.text, p.is_above) for p in place_labels(far)]
    [('warning low 2', False), ('warning high 38', True)]
    >>> near = [LineLabel(100.0, "", "warning high 7", True),
    ...         LineLabel(106.0, "", "critical high 8", True)]
    >>> [(p.index, p.text) for p in place_labels(near)]
    [(1, 'critical high 8 · warning high 7')]
    >>> [p.is_above for p in place_labels([LineLabel(135.0, "", "warning high 29", True)], 14)]
    [False]
    """
    low_free, high_free = bottom_px, PLOT_PX - top_px
    groups = [[i] for i in sorted(range(len(labels)), key=lambda i: labels[i].px)]
    while True:
        placed = sorted(
            ((_place(labels, g, low_free, high_free), k) for k, g in enumerate(groups)),
            key=lambda item: item[0].low_px,
        )
        clash = next(
            (
                (a, b)
                for (first, a), (second, b) in pairwise(placed)
                if second.low_px < first.high_px
            ),
            None,
        )
        if clash is None:
            return [p for p, _ in sorted(placed, key=lambda item: item[0].index)]
        a, b = clash
        groups = [g for k, g in enumerate(groups) if k not in (a, b)] + [groups[a] + groups[b]]


def note_text(parts: Sequence[str], arrow: str) -> str:
    """One note for an edge: the series' limits after ``arrow``, each series on a line of
    its own when one line would not fit a phone-wide chart.

    >>> note_text(["warning low 2 · critical low 0 °C"], "▼")
    '▼ warning low 2 · critical low 0 °C'
    >>> note_text(["CO₂ warning high 9 · critical high 10 %", "O₂ warning high 40 %"], "▲")
    '▲ CO₂ warning high 9 · critical high 10 %<br>▲ O₂ warning high 40 %'
    """
    one_line = f"{arrow} " + " · ".join(parts)
    if len(one_line) <= NOTE_CHARS:
        return one_line
    return "<br>".join(f"{arrow} {part}" for part in parts)
