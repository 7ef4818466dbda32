"""Figures of the sequence explorer: the genome map (feature track, GC content, GC skew) and
the record length histogram. Pure functions from data to Plotly figures.

Positions on every axis are 1-based, as people and GenBank write them: a feature stored
0-based half-open as ``start=86, end=1109`` is drawn over bases 87..1109 and its hover says
``87..1,109``. A base ``b`` occupies ``b - 0.5 .. b + 0.5`` on the axis, so a view of bases
``first..last`` has the x range ``[first - 0.5, last + 0.5]``.

Big genomes stay fast: features come as columns (``explorer.FeatureTable``) and are drawn
as one trace per type and strand (never one trace per feature), only those in the visible
window; past ``BAR_LIMIT`` marks in view, neighbours closer than a pixel or so are merged
into blocks that say how many they hold (a click zooms in), so a whole 5 Mb genome is a few
hundred bars. GC curves are cut to the visible window and thinned to about
``GC_POINTS_MAX`` points keeping each bucket's minimum and maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

from analysis.sequences import GcWindows
from dashboard.services.explorer import FeatureTable, SpanTable

from .theme import plot_layout, themed

GC_POINTS_MAX = 2_000
BAR_LIMIT = 600  # marks drawn one by one (as SVG bars); more are merged into blocks
MERGE_PIXELS = 800  # when merging, marks closer than 1/800 of the view become one block
FEATURE_HOVER_MAX = 120  # characters of a product kept in a hover label

# Okabe–Ito colours: told apart with every common colour-vision deficiency, readable on the
# light and the dark page.
COLOURS = {
    "CDS": "#0072B2",
    "gene": "#8C8C8C",
    "rRNA": "#D55E00",
    "tRNA": "#009E73",
    "other RNA": "#CC79A7",
    "ORF": "#E69F00",
    "motif": "#E8112D",
    "gc": "#0072B2",
    "skew": "#009E73",
    "cumulative": "#D55E00",
    "selected": "#F0E442",
}
# Feature types drawn on the track and the group (legend entry, colour) each belongs to.
TYPE_GROUPS = {
    "CDS": "CDS",
    "gene": "gene",
    "rRNA": "rRNA",
    "tRNA": "tRNA",
    "ncRNA": "other RNA",
    "tmRNA": "other RNA",
    "misc_RNA": "other RNA",
}
GROUP_ORDER = ("CDS", "gene", "rRNA", "tRNA", "other RNA")


@dataclass(frozen=True)
class Lane:
    """Where a kind of mark sits on the track: centre above the axis (mirrored below for the
    minus strand) and bar thickness, in track units."""

    centre: float
    thickness: float


LANES = {
    "CDS": Lane(1.0, 0.7),
    "rRNA": Lane(1.0, 0.7),
    "tRNA": Lane(1.0, 0.7),
    "other RNA": Lane(1.0, 0.7),
    "gene": Lane(1.75, 0.35),
    "ORF": Lane(2.5, 0.5),
    "motif": Lane(0.3, 0.0),
}
TRACK_RANGE = (-3.0, 3.0)
STRAND_SYMBOL = {1: "+", -1: "−", 0: "·"}


# --- windows and ranges -------------------------------------------------------------------


def clamp_view(start: int | None, end: int | None, length: int) -> tuple[int, int]:
    """A 1-based inclusive view inside ``1..length`` (the whole record when unset).

    >>> clamp_view(None, None, 100), clamp_view(90, 500, 100), clamp_view(50, 10, 100)
    ((1, 100), (90, 100), (10, 50))
    """
    first = 1 if start is None else start
    last = length if end is None else end
    first, last = sorted((first, last))
    first = min(max(first, 1), max(length, 1))
    last = min(max(last, first), max(length, 1))
    return first, last


def view_from_relayout(relayout: object, length: int) -> tuple[int, int] | None:
    """The bases shown after the user zoomed or panned the map (``relayoutData``), or None
    when the event did not move the x axis (a legend click, a re-colouring).

    Any of the map's shared x axes may report; an autorange (double click) means the whole
    record.

    >>> view_from_relayout({"xaxis2.range[0]": 99.5, "xaxis2.range[1]": 200.4}, 1000)
    (100, 200)
    >>> view_from_relayout({"xaxis.autorange": True}, 1000), view_from_relayout({}, 1000)
    ((1, 1000), None)
    """
    if not isinstance(relayout, dict):
        return None
    low = high = None
    for key, value in relayout.items():
        axis, _, part = str(key).partition(".")
        if not axis.startswith("xaxis"):
            continue
        if part == "autorange" and value:
            return 1, length
        if part == "range[0]":
            low = value
        elif part == "range[1]":
            high = value
        elif part == "range" and isinstance(value, list | tuple) and len(value) == 2:
            low, high = value
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return None
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return clamp_view(round(low + 0.5), round(high - 0.5), length)


def padded_view(start0: int, end0: int, length: int, *, margin: float = 0.1) -> tuple[int, int]:
    """The 1-based view showing bases ``start0..end0`` (0-based half-open, as features are
    stored) with a margin of a tenth of the span (at least 10 bp) either side.

    >>> padded_view(86, 1109, 9609), padded_view(5000, 5100, 9609)
    ((1, 1211), (4991, 5110))
    """
    span = max(end0 - start0, 1)
    extra = max(10, round(span * margin))
    return clamp_view(start0 + 1 - extra, end0 + extra, length)


# --- decimation ---------------------------------------------------------------------------


def decimate(
    x: npt.ArrayLike, y: npt.ArrayLike, max_points: int = GC_POINTS_MAX
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """At most about ``max_points`` of the points ``(x, y)``, keeping the shape: the points
    are cut into ``max_points // 2`` runs and each run keeps its minimum and its maximum (in
    their order), so no peak or dip disappears.

    >>> x, y = decimate(range(10), [0, 5, 1, 1, 9, 1, -3, 1, 2, 2], max_points=4)
    >>> x.tolist(), y.tolist()
    ([0, 4, 6, 8], [0, 9, -3, 2])
    """
    xs, ys = np.asarray(x), np.asarray(y)
    n = ys.size
    if n <= max_points:
        return xs, ys
    runs = max(1, max_points // 2)
    edges = np.linspace(0, n, runs + 1).astype(np.int64)
    keep: list[int] = []
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        if hi <= lo:
            continue
        part = ys[lo:hi]
        a, b = lo + int(np.argmin(part)), lo + int(np.argmax(part))
        keep.extend((a, b) if a < b else (b, a) if b < a else (a,))
    index = np.asarray(keep, dtype=np.int64)
    return xs[index], ys[index]


# --- feature track ------------------------------------------------------------------------


def _cut(text: str, limit: int = FEATURE_HOVER_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def feature_hover(table: FeatureTable, row: int) -> str:
    """The hover label of feature ``row``: names, product, type, 1-based span, strand and
    spliced length (text from the file is escaped: Plotly reads a few HTML tags in labels).

    >>> from analysis.sequences import Feature
    >>> f = Feature("CDS", 86, 1109, 1, ((86, 1109, 1),), "YP_pPCP01", "rep", "Rep <x>",
    ...             "NP_995567.1", "", "", 11, 1)
    >>> feature_hover(FeatureTable.of([f]), 0)
    '<b>YP_pPCP01</b> rep<br>Rep &lt;x&gt;<br>CDS 87..1,109 (+) · 1,023 bp'
    """
    kind = table.type[row]
    locus, gene, product = table.locus_tag[row], table.gene[row], table.product[row]
    name = locus or gene or table.protein_id[row] or kind
    title = f"<b>{escape(_cut(name, 60))}</b>"
    if gene and gene != name:
        title += f" {escape(_cut(gene, 40))}"
    lines = [title]
    if product:
        lines.append(escape(_cut(product)))
    start, end = int(table.start[row]), int(table.end[row])
    span = f"{start + 1:,}..{end:,}"
    parts = int(table.parts[row])
    if parts > 1:
        span = f"join of {parts} parts, {span}"
    strand = STRAND_SYMBOL.get(int(table.strand[row]), "·")
    lines.append(f"{escape(kind)} {span} ({strand}) · {int(table.spliced[row]):,} bp")
    return "<br>".join(lines)


@dataclass(frozen=True)
class Mark:
    """One thing drawn on the track: 0-based half-open span, strand, hover and click key.

    ``key`` says what a click on it does: ``("CDS", i)`` picks the i-th CDS of the record
    (the order of ``explorer.cds``), ``("feature", i)``, ``("ORF", i)`` and ``("motif", i)``
    zoom to the i-th of their kind, ``("zoom", n)`` zooms into a block of ``n`` merged marks.
    """

    start: int
    end: int
    strand: int
    hover: str
    key: tuple[str, int]

    @property
    def click(self) -> list[object]:
        """What a click on the mark reports (``customdata``): kind, index, start, end."""
        return [self.key[0], self.key[1], self.start, self.end]


def merge_spans(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], gap: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Spans less than ``gap`` apart (or overlapping) merged into blocks: their starts,
    ends and how many spans each holds.

    >>> import numpy as np
    >>> s, e, n = merge_spans(np.array([0, 12, 50, 5]), np.array([10, 20, 60, 8]), 5)
    >>> s.tolist(), e.tolist(), n.tolist()
    ([0, 50], [20, 60], [3, 1])
    """
    if starts.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    is_new = np.empty(s.size, dtype=bool)
    is_new[0] = True
    is_new[1:] = s[1:] > reach[:-1] + gap
    first = np.flatnonzero(is_new)
    counts = np.diff(np.append(first, s.size))
    return s[first], np.maximum.reduceat(e, first), counts.astype(np.int64)


def _lane_rows(table: FeatureTable) -> dict[tuple[str, int], npt.NDArray[np.int64]]:
    """Row numbers of the features drawn, by (group, strand); unstranded ones sit with the
    plus strand. Types outside ``TYPE_GROUPS`` (repeats, misc features…) are not drawn."""
    groups = np.array([TYPE_GROUPS.get(t, "") for t in table.type], dtype=object)
    minus = table.strand == -1
    found = {}
    for group in GROUP_ORDER:
        in_group = groups == group
        for strand, on_strand in ((1, ~minus), (-1, minus)):
            rows = np.flatnonzero(in_group & on_strand)
            if rows.size:
                found[(group, strand)] = rows
    return found


def _in_view(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], first: int, last: int
) -> npt.NDArray[np.bool_]:
    """Which 0-based half-open spans overlap bases ``first..last`` (1-based inclusive)."""
    return (ends >= first) & (starts < last)


@dataclass(frozen=True)
class Lanes:
    """What the track shows in a view: marks by (group, strand)."""

    marks: dict[tuple[str, int], list[Mark]]
    is_merged: bool


def _merged(
    group: str, strand: int, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], gap: int
) -> list[Mark]:
    block_starts, block_ends, counts = merge_spans(starts, ends, gap)
    plural = "s" if group != "other RNA" else ""
    return [
        Mark(
            int(b),
            int(e),
            strand,
            f"<b>{int(n):,} {group}{plural if n > 1 else ''}</b> ({STRAND_SYMBOL[strand]})<br>"
            f"{b + 1:,}..{e:,}<br>click to zoom in",
            ("zoom", int(n)),
        )
        for b, e, n in zip(block_starts.tolist(), block_ends.tolist(), counts.tolist(), strict=True)
    ]


def track_lanes(
    table: FeatureTable,
    first: int,
    last: int,
    *,
    orfs: SpanTable | None = None,
    merge_pixels: int = MERGE_PIXELS,
) -> Lanes:
    """The marks of the features (and ORFs) visible in ``first..last``.

    While at most ``BAR_LIMIT`` are visible each is its own mark, with its hover label and
    click key; beyond that, marks of a lane closer than 1/``merge_pixels`` of the view are
    merged into blocks (a click zooms into one), so a whole genome stays a few hundred marks.
    """
    spans: dict[tuple[str, int], npt.NDArray[np.int64]] = {}
    for lane, rows in _lane_rows(table).items():
        shown = rows[_in_view(table.start[rows], table.end[rows], first, last)]
        if shown.size:
            spans[lane] = shown
    orf_rows: dict[int, npt.NDArray[np.int64]] = {}
    if orfs is not None and len(orfs):
        visible = _in_view(orfs.start, orfs.end, first, last)
        for strand in (1, -1):
            rows = np.flatnonzero(visible & (orfs.strand == strand))
            if rows.size:
                orf_rows[strand] = rows
    total = sum(r.size for r in spans.values()) + sum(r.size for r in orf_rows.values())
    marks: dict[tuple[str, int], list[Mark]] = {}
    if total <= BAR_LIMIT:
        for (group, strand), rows in spans.items():
            marks[(group, strand)] = [
                Mark(
                    int(table.start[i]),
                    int(table.end[i]),
                    strand,
                    feature_hover(table, int(i)),
                    ("CDS", int(table.cds_index[i]))
                    if table.cds_index[i] >= 0
                    else ("feature", int(i)),
                )
                for i in rows.tolist()
            ]
        for strand, rows in orf_rows.items():
            assert orfs is not None  # noqa: S101 - rows exist only with ORFs
            marks[("ORF", strand)] = [
                Mark(
                    int(orfs.start[i]),
                    int(orfs.end[i]),
                    strand,
                    f"<b>{escape(orfs.text[i])}</b><br>{orfs.start[i] + 1:,}..{orfs.end[i]:,} "
                    f"({STRAND_SYMBOL[strand]})",
                    ("ORF", int(i)),
                )
                for i in rows.tolist()
            ]
        return Lanes(marks, is_merged=False)
    gap = max(1, (last - first + 1) // merge_pixels)
    for (group, strand), rows in spans.items():
        marks[(group, strand)] = _merged(group, strand, table.start[rows], table.end[rows], gap)
    for strand, rows in orf_rows.items():
        assert orfs is not None  # noqa: S101 - rows exist only with ORFs
        marks[("ORF", strand)] = _merged("ORF", strand, orfs.start[rows], orfs.end[rows], gap)
    return Lanes(marks, is_merged=True)


def cds_span(table: FeatureTable, index: int | None) -> tuple[int, int] | None:
    """The span (0-based half-open) of the ``index``-th CDS, the order of ``explorer.cds``.

    >>> from analysis.sequences import Feature
    >>> f = Feature("CDS", 86, 1109, 1, ((86, 1109, 1),), "", "", "", "", "", "", 11, 1)
    >>> t = FeatureTable.of([f])
    >>> cds_span(t, 0), cds_span(t, 1), cds_span(t, None)
    ((86, 1109), None, None)
    """
    if index is None:
        return None
    rows = np.flatnonzero(table.cds_index == index)
    if rows.size == 0:
        return None
    return int(table.start[rows[0]]), int(table.end[rows[0]])


def mark_trace(
    group: str,
    strand: int,
    marks: Sequence[Mark],
    *,
    as_bars: bool,
    show_legend: bool,
) -> dict[str, Any]:
    """One trace drawing ``marks`` of one group and strand on the track (a plain dict, as
    Plotly's JSON: quick to build for thousands of marks).

    As bars each mark is a horizontal bar from its first to its last base, hoverable along
    its whole length; as WebGL segments each mark is a thick line whose two ends and middle
    carry the hover label (``None`` separates the segments).
    """
    lane = LANES[group]
    y = lane.centre * strand
    common: dict[str, Any] = {
        "name": group,
        "legendgroup": group,
        "showlegend": show_legend,
        "hoverinfo": "text",
        "xaxis": "x",
        "yaxis": "y",
        "meta": f"{group} ({STRAND_SYMBOL[strand]})",
    }
    colour = COLOURS[group]
    if as_bars:
        return {
            **common,
            "type": "bar",
            "orientation": "h",
            "base": [m.start + 0.5 for m in marks],
            "x": [m.end - m.start for m in marks],
            "y": [y] * len(marks),
            "width": lane.thickness,
            "marker": {"color": colour, "line": {"width": 0}},
            "hovertext": [m.hover for m in marks],
            "customdata": [m.click for m in marks],
        }
    xs: list[float | None] = []
    ys: list[float | None] = []
    texts: list[str | None] = []
    keys: list[list[object] | None] = []
    for m in marks:
        xs += [m.start + 0.5, (m.start + m.end) / 2 + 0.5, m.end + 0.5, None]
        ys += [y, y, y, None]
        texts += [m.hover, m.hover, m.hover, None]
        keys += [m.click, m.click, m.click, None]
    return {
        **common,
        "type": "scattergl",
        "mode": "lines",
        "x": xs,
        "y": ys,
        "line": {"color": colour, "width": 10 if lane.thickness >= 0.5 else 5},
        "hovertext": texts,
        "customdata": keys,
        "connectgaps": False,
    }


def track_traces(lanes: Lanes) -> list[dict[str, Any]]:
    """One trace per group and strand (bars, or WebGL segments past ``BAR_LIMIT`` marks),
    in legend order; each group is in the legend once."""
    as_bars = sum(len(v) for v in lanes.marks.values()) <= BAR_LIMIT
    traces = []
    shown: set[str] = set()
    for group in [*GROUP_ORDER, "ORF"]:
        for strand in (1, -1):
            found = lanes.marks.get((group, strand))
            if not found:
                continue
            traces.append(
                mark_trace(group, strand, found, as_bars=as_bars, show_legend=group not in shown)
            )
            shown.add(group)
    return traces


def motif_trace(
    hits: SpanTable, first: int, last: int, merge_pixels: int = MERGE_PIXELS
) -> dict[str, Any] | None:
    """Motif hits in ``first..last`` as triangles beside the axis (up: plus strand); many
    hits close together are one triangle saying how many (a click zooms in)."""
    visible = _in_view(hits.start, hits.end, first, last)
    marks: list[Mark] = []
    if int(visible.sum()) <= BAR_LIMIT:
        for i in np.flatnonzero(visible).tolist():
            strand = int(hits.strand[i])
            marks.append(
                Mark(
                    int(hits.start[i]),
                    int(hits.end[i]),
                    strand,
                    f"<b>motif hit</b> {hits.start[i] + 1:,}..{hits.end[i]:,} "
                    f"({STRAND_SYMBOL[strand]})<br>{escape(_cut(hits.text[i], 60))}",
                    ("motif", i),
                )
            )
    else:
        gap = max(1, (last - first + 1) // merge_pixels)
        for strand in (1, -1):
            rows = np.flatnonzero(visible & (hits.strand == strand))
            starts, ends, counts = merge_spans(hits.start[rows], hits.end[rows], gap)
            marks += [
                Mark(
                    int(b),
                    int(e),
                    strand,
                    f"<b>{int(n):,} motif hit{'s' if n > 1 else ''}</b> "
                    f"({STRAND_SYMBOL[strand]})<br>{b + 1:,}..{e:,}<br>click to zoom in",
                    ("zoom", int(n)),
                )
                for b, e, n in zip(starts.tolist(), ends.tolist(), counts.tolist(), strict=True)
            ]
    if not marks:
        return None
    y = LANES["motif"].centre
    return {
        "type": "scattergl" if len(marks) > BAR_LIMIT else "scatter",
        "mode": "markers",
        "name": "motif hits",
        "legendgroup": "motif",
        "x": [(m.start + m.end) / 2 + 0.5 for m in marks],
        "y": [y * m.strand for m in marks],
        "marker": {
            "color": COLOURS["motif"],
            "size": 11,
            "symbol": ["triangle-up" if m.strand > 0 else "triangle-down" for m in marks],
            "line": {"width": 1, "color": "#ffffff"},
        },
        "hoverinfo": "text",
        "hovertext": [m.hover for m in marks],
        "customdata": [m.click for m in marks],
        "xaxis": "x",
        "yaxis": "y",
    }


# --- GC content and skew ------------------------------------------------------------------


def gc_series(gc: GcWindows, first: int, last: int) -> dict[str, npt.NDArray[Any]]:
    """Window centres (1-based) in ``first..last`` (with one window beyond each edge, so the
    curve reaches the frame) and their GC %, skew and cumulative skew."""
    centres = gc.starts + gc.window / 2 + 0.5
    lo = int(np.searchsorted(centres, first, side="left"))
    hi = int(np.searchsorted(centres, last, side="right"))
    lo, hi = max(lo - 1, 0), min(hi + 1, centres.size)
    return {
        "x": centres[lo:hi],
        "gc": gc.gc[lo:hi] * 100,
        "skew": gc.skew[lo:hi],
        "cumulative": gc.cumulative_skew[lo:hi],
    }


def _line(x: npt.NDArray[Any], y: npt.NDArray[Any], name: str, axis: int, colour: str) -> Any:
    dx, dy = decimate(x, y)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": dx,
        "y": dy,
        "line": {"color": colour, "width": 1.5},
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "hovertemplate": "%{x:,.0f}: %{y:.3~f}<extra>" + name + "</extra>",
        "showlegend": False,
    }


# --- the map ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapData:
    """What the genome map shows: a record, its GC windows and what is drawn on its track
    (``explorer.Track`` has these fields)."""

    record_id: str
    length: int
    gc: GcWindows
    features: FeatureTable
    orfs: SpanTable | None = None
    hits: SpanTable | None = None
    gc_fraction: float | None = None  # the record's, drawn as a reference line


def _axes(rows: int, heights: Sequence[float], gap: float) -> list[tuple[float, float]]:
    """Vertical domains, top row first."""
    total = sum(heights)
    usable = 1 - gap * (rows - 1)
    domains = []
    top = 1.0
    for h in heights:
        bottom = top - usable * h / total
        domains.append((max(bottom, 0.0), top))
        top = bottom - gap
    return domains


def sequence_map(
    data: MapData,
    first: int,
    last: int,
    *,
    cumulative: bool = False,
    selected: tuple[int, int] | None = None,
    scheme: str = "light",
    revision: str = "",
) -> go.Figure:
    """The feature track above GC content and GC skew (and the cumulative skew when asked),
    sharing one x axis of 1-based positions, showing bases ``first..last``.

    ``selected`` (0-based half-open) is shaded across all rows (the CDS chosen in the
    table). ``revision`` keeps the user's legend choices while it does not change.
    """
    first, last = clamp_view(first, last, data.length)
    traces = track_traces(track_lanes(data.features, first, last, orfs=data.orfs))
    hits = motif_trace(data.hits, first, last) if data.hits is not None else None
    if hits is not None:
        traces.append(hits)
    notes: list[dict[str, Any]] = []
    if not traces:  # the track keeps its axes, and says why it is empty
        traces.append(
            {
                "type": "scatter",
                "x": [first],
                "y": [0],
                "mode": "markers",
                "marker": {"opacity": 0},
                "hoverinfo": "skip",
                "showlegend": False,
                "xaxis": "x",
                "yaxis": "y",
            }
        )
        message = "No annotated features" if not len(data.features) else "No features here"
        notes.append(
            {
                "text": message,
                "xref": "x domain",
                "yref": "y domain",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
            }
        )
    series = gc_series(data.gc, first, last)
    rows = ["track", "gc", "skew"] + (["cumulative"] if cumulative else [])
    heights = [1.3, 1.0, 0.8] + ([0.8] if cumulative else [])
    traces.append(_line(series["x"], series["gc"], "GC %", 2, COLOURS["gc"]))
    traces.append(_line(series["x"], series["skew"], "GC skew", 3, COLOURS["skew"]))
    if cumulative:
        traces.append(
            _line(series["x"], series["cumulative"], "cumulative GC skew", 4, COLOURS["cumulative"])
        )
    x_range = [first - 0.5, last + 0.5]
    layout: dict[str, Any] = {
        "height": 200 + 110 * len(rows),
        "margin": {"l": 64, "r": 12, "t": 8, "b": 40},
        "barmode": "overlay",
        "bargap": 0,
        "hovermode": "closest",
        "dragmode": "zoom",
        "showlegend": True,
        "legend": {
            "orientation": "h",
            "y": 1.0,
            "yanchor": "bottom",
            "x": 0,
            "itemclick": "toggle",
        },
        "uirevision": revision or data.record_id,
        "shapes": [],
        "annotations": notes,
    }
    titles = {
        "track": "",
        "gc": "GC %",
        "skew": "GC skew",
        "cumulative": "cum. skew",
    }
    domains = _axes(len(rows), heights, 0.04)
    for i, (row, domain) in enumerate(zip(rows, domains, strict=True), start=1):
        suffix = "" if i == 1 else str(i)
        is_bottom = i == len(rows)
        layout[f"xaxis{suffix}"] = {
            "range": x_range,
            "domain": [0, 1],
            "anchor": f"y{suffix}",
            "matches": None if i == 1 else "x",
            "showticklabels": is_bottom,
            "separatethousands": True,
            "tickformat": ",d",
            "title": {"text": f"{data.record_id} position (bp)"} if is_bottom else None,
            "showspikes": True,
            "spikemode": "across",
            "spikethickness": 1,
            "spikedash": "dot",
        }
        yaxis: dict[str, Any] = {
            "domain": list(domain),
            "anchor": f"x{suffix}",
            "fixedrange": True,
            "title": {"text": titles[row], "standoff": 4},
        }
        if row == "track":
            yaxis.update(
                range=list(TRACK_RANGE),
                tickvals=[1.4, -1.4],
                ticktext=["+", "−"],
                zeroline=True,
                showgrid=False,
                title={"text": "strand", "standoff": 4},
            )
        elif row == "gc":
            yaxis.update(ticksuffix="")
        layout[f"yaxis{suffix}"] = yaxis
    if data.gc_fraction is not None:
        layout["shapes"].append(
            {
                "type": "line",
                "xref": "x2 domain",
                "yref": "y2",
                "x0": 0,
                "x1": 1,
                "y0": data.gc_fraction * 100,
                "y1": data.gc_fraction * 100,
                "line": {"dash": "dash", "width": 1, "color": COLOURS["gene"]},
            }
        )
    if selected is not None:
        layout["shapes"].append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": selected[0] + 0.5,
                "x1": selected[1] + 0.5,
                "y0": 0,
                "y1": 1,
                "fillcolor": COLOURS["selected"],
                "opacity": 0.2,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    figure = go.Figure(data=traces, layout=layout)
    return themed_axes(figure, scheme)


def themed_axes(figure: go.Figure, scheme: str) -> go.Figure:
    """``themed`` for a figure with several axes (every x and y axis gets the scheme)."""
    themed(figure, scheme)
    axis = plot_layout(scheme)["xaxis"]
    figure.update_xaxes(**axis)
    figure.update_yaxes(**axis)
    return figure


def empty_figure(message: str, scheme: str = "light", height: int = 320) -> go.Figure:
    """A figure without axes that says why there is nothing to draw."""
    figure = go.Figure()
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    themed(figure, scheme)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.add_annotation(
        text=escape(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    return figure


def length_histogram(
    bins: Sequence[Sequence[int]], scheme: str = "light", height: int = 180
) -> go.Figure:
    """Records per length bin (``[start, end_exclusive, count]`` each), for assemblies."""
    figure = go.Figure()
    figure.add_bar(
        x=[(b[0] + b[1] - 1) / 2 for b in bins],
        y=[b[2] for b in bins],
        width=[max(b[1] - b[0], 1) * 0.9 for b in bins],
        marker_color=COLOURS["CDS"],
        customdata=[[b[0], b[1] - 1] for b in bins],
        hovertemplate="%{customdata[0]:,}–%{customdata[1]:,} bp: %{y:,} records<extra></extra>",
        name="records",
    )
    figure.update_layout(
        height=height,
        margin={"l": 48, "r": 10, "t": 6, "b": 36},
        showlegend=False,
        bargap=0,
    )
    low, high = min(b[0] for b in bins), max(b[1] for b in bins)
    figure.update_xaxes(
        title_text="length (bp)",
        separatethousands=True,
        tickformat=",d",
        dtick=1 if high - low < 10 else None,  # a few bases apart: no repeated labels
    )
    figure.update_yaxes(title_text="records", fixedrange=True)
    return themed(figure, scheme)
