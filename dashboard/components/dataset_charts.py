"""Figures of a dataset's statistics, drawn from the numbers stored at import (never
recomputed or invented here): length distribution and mean quality per read position."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from .theme import themed

BAR_COLOUR = "#3b7dd8"  # one blue that reads on both the light and the dark card
QUALITY_COLOUR = "#1f8a4c"
REFERENCE_COLOUR = "rgba(128, 128, 128, 0.9)"
POOR_BAND = "rgba(220, 53, 69, 0.12)"  # below Q20: Bootstrap's danger, faint
HEIGHT_PX = 280
Q20, Q30 = 20, 30


def _base(figure: go.Figure, scheme: str, x_title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        height=HEIGHT_PX,
        margin={"l": 56, "r": 12, "t": 12, "b": 44},
        showlegend=False,
        bargap=0.05,
    )
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title, rangemode="tozero")
    return themed(figure, scheme)


def _bins(histogram: object) -> list[tuple[int, int, int]]:
    """``[[start, end, count], ...]`` (end exclusive) as checked tuples; anything else: none."""
    found = []
    if isinstance(histogram, list):
        for item in histogram:
            if (
                isinstance(item, list | tuple)
                and len(item) == 3
                and all(isinstance(v, int | float) for v in item)
            ):
                found.append((int(item[0]), int(item[1]), int(item[2])))
    return found


def length_histogram(histogram: object, noun: str, scheme: str) -> go.Figure | None:
    """Bars of how many ``noun`` (reads, records) fall in each length bin; None if no bins.

    Bins are ``[start, end)`` in bp as the import stored them; a bar spans its bin.
    """
    bins = _bins(histogram)
    if not bins:
        return None
    widths = [max(end - start, 1) for start, end, _ in bins]
    labels = [
        f"{start:,} bp" if end - start <= 1 else f"{start:,}–{end - 1:,} bp"
        for start, end, _ in bins
    ]
    figure = go.Figure(
        go.Bar(
            x=[start for start, _, _ in bins],
            y=[n for _, _, n in bins],
            width=widths,
            offset=0,
            marker={"color": BAR_COLOUR},
            customdata=labels,
            hovertemplate=f"%{{customdata}}: %{{y:,}} {noun}<extra></extra>",
        )
    )
    _base(figure, scheme, "length (bp)", noun)
    # Whole-number ticks on bin edges, about eight of them, over exactly the bins.
    width = widths[0]
    step = width * max(1, math.ceil(len(bins) / 8))
    figure.update_xaxes(
        tick0=bins[0][0], dtick=step, tickformat=",d", range=[bins[0][0], bins[-1][1]]
    )
    return figure


def quality_by_position(
    means: Sequence[object] | None, scheme: str, bin_width: int = 1
) -> go.Figure | None:
    """Mean Phred quality along the reads (value ``i`` covers positions ``i * bin_width + 1``
    to ``(i + 1) * bin_width``, 1-based), with Q20 and Q30 marked and the band below Q20
    shaded; None when no qualities were stored."""
    values = [float(v) for v in means or [] if isinstance(v, int | float)]
    if not values:
        return None
    width = max(int(bin_width), 1)
    starts = [i * width + 1 for i in range(len(values))]
    spans = [
        f"position {s:,}" if width == 1 else f"positions {s:,}–{s + width - 1:,}" for s in starts
    ]
    top = max(40.0, max(values) + 2)
    figure = go.Figure(
        go.Scatter(
            x=starts,
            y=values,
            mode="lines",
            line={"color": QUALITY_COLOUR, "width": 2},
            customdata=spans,
            hovertemplate="%{customdata}: mean Q%{y:.1f}<extra></extra>",
        )
    )
    figure.add_hrect(y0=0, y1=Q20, fillcolor=POOR_BAND, line_width=0, layer="below")
    for level in (Q20, Q30):
        figure.add_hline(
            y=level,
            line={"color": REFERENCE_COLOUR, "dash": "dash", "width": 1},
            annotation_text=f"Q{level}",
            annotation_position="top left",
        )
    _base(figure, scheme, "position in read (bp)", "mean quality (Phred)")
    figure.update_yaxes(range=[0, top])
    figure.update_xaxes(range=[0.5, starts[-1] + width - 0.5])
    return figure
