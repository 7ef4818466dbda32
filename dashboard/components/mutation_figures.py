"""Figures of the Mutations page: the genome map (coverage track with the calls over it, one
panel per record) and the comparison's plots (parallel genes, spectrum by condition, gene
profiles). Pure: plain values from the services in, Plotly figures out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy.cluster import hierarchy

from .theme import PLOT_PALETTES, scheme_or_light, themed

# Okabe–Ito colours (as the other figures), each type with its own symbol too, so the map
# reads without telling colours apart. Yellow and black are left out (one vanishes on white,
# the other on the dark card).
KIND_STYLES: dict[str, tuple[str, str, str]] = {
    # kind: (legend name, colour, marker symbol)
    "SNP": ("SNP", "#0072B2", "circle"),
    "SUB": ("Substitution", "#56B4E9", "diamond"),
    "INS": ("Insertion", "#009E73", "triangle-up"),
    "DEL": ("Deletion", "#D55E00", "triangle-down"),
    "MOB": ("Mobile element", "#CC79A7", "star"),
    "AMP": ("Amplification", "#E69F00", "square"),
}
KIND_ORDER = tuple(KIND_STYLES)
COVERAGE_COLOUR = "#868e96"  # Bootstrap's gray-600: reads on both themes
MEAN_COLOUR = "#5c6b86"
CONDITION_COLOURS = {
    "Space Flight": "#0072B2",
    "Ground Control": "#D55E00",
    "Ancestor": "#009E73",
}
OTHER_CONDITION = "#8C6D31"
TRACK_PX, LANE_PX = 180, 130  # heights of one record's coverage track and mutation lane
GENES_SHOWN = 25  # parallel genes drawn (most significant first)
MAP_MODEBAR_REMOVE = ["lasso2d", "select2d", "autoScale2d"]


def _themed(figure: go.Figure, scheme: str) -> go.Figure:
    """``figure`` in ``scheme``, every subplot's axes too (the shared look sets the first
    pair only, and Plotly's template draws white grid lines on the others)."""
    colours = PLOT_PALETTES[scheme_or_light(scheme)]
    axis = {
        "gridcolor": colours["grid"],
        "linecolor": colours["line"],
        "zerolinecolor": colours["line"],
    }
    figure.update_xaxes(**axis)
    figure.update_yaxes(**axis)
    return themed(figure, scheme)


def graph_config(filename: str) -> dict[str, Any]:
    """A ``dcc.Graph`` config: SVG downloads named ``filename``, no Plotly logo or links."""
    return {
        "displaylogo": False,
        "responsive": True,
        "showLink": False,
        "modeBarButtonsToRemove": MAP_MODEBAR_REMOVE,
        "toImageButtonOptions": {"format": "svg", "filename": filename, "scale": 2},
    }


def _hover(call: Mapping[str, Any]) -> str:
    gene = call.get("gene") or call.get("genes") or "—"
    where = f"{call['seq_id']}:{int(call['position']):,}"
    annotation = annotation_text(call)
    return (
        f"<b>{call['change']}</b> at {where}<br>{call['kind']} · {gene}"
        + (f"<br>{annotation}" if annotation else "")
        + f"<br>frequency {float(call['frequency']):.0%}"
    )


def annotation_text(call: Mapping[str, Any]) -> str:
    """What a call does, as breseq writes it: "D74N (GAC→AAC)", "coding (325/873 nt)",
    "intergenic (+12/−80)".

    >>> annotation_text({"aa_change": "D74N", "codon_change": "GAC→AAC"})
    'D74N (GAC→AAC)'
    >>> annotation_text({"aa_change": "", "gene_position": "coding (325/873 nt)"})
    'coding (325/873 nt)'
    """
    aa = str(call.get("aa_change") or "")
    if aa:
        codon = str(call.get("codon_change") or "")
        return f"{aa} ({codon})" if codon else aa
    return str(call.get("gene_position") or "")


def _lane_ticks() -> dict[str, Any]:
    return {
        "tickmode": "array",
        "tickvals": list(range(len(KIND_ORDER))),
        "ticktext": list(KIND_ORDER),
        "range": [-0.7, len(KIND_ORDER) - 0.3],
        "fixedrange": True,
        "showgrid": False,
        "zeroline": False,
    }


def genome_map(
    tracks: Sequence[Mapping[str, Any]],
    calls: Sequence[Mapping[str, Any]],
    scheme: str,
) -> go.Figure:
    """Coverage (each bucket's minimum to maximum, with its mean) over each record, and the
    calls in a lane below it, one lane row per type; a marker's ``customdata`` is the call's
    id (for opening its row). Records come in the order of ``tracks``."""
    records = [t for t in tracks if t.get("length")]
    if not records:
        return empty_figure("No coverage was recorded for this result.", scheme)
    titles: list[str] = []
    for t in records:
        titles += [f"{t['seq_id']} · {int(t['length']):,} bp", ""]
    heights = [TRACK_PX, LANE_PX] * len(records)
    figure = make_subplots(
        rows=2 * len(records),
        cols=1,
        row_heights=heights,
        vertical_spacing=min(0.08, 60 / sum(heights)),
        subplot_titles=titles,
    )
    shown_kinds: set[str] = set()
    lane = {k: i for i, k in enumerate(KIND_ORDER)}
    for index, track in enumerate(records):
        top, bottom = 2 * index + 1, 2 * index + 2
        x = [(a + b) / 2 for a, b in zip(track["start"], track["end"], strict=True)]
        hover = [
            f"{a:,}–{b:,}: depth {lo}–{hi} (mean {m:g})"
            for a, b, lo, hi, m in zip(
                track["start"], track["end"], track["min"], track["max"], track["mean"], strict=True
            )
        ]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=track["max"],
                mode="lines",
                line={"color": COVERAGE_COLOUR, "width": 0.5},
                hoverinfo="skip",
                showlegend=False,
                name="maximum depth",
            ),
            row=top,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=track["min"],
                mode="lines",
                fill="tonexty",
                fillcolor="rgba(134,142,150,0.35)",
                line={"color": COVERAGE_COLOUR, "width": 0.5},
                hoverinfo="skip",
                name="Depth range",
                legendgroup="coverage",
                showlegend=index == 0,
            ),
            row=top,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=track["mean"],
                mode="lines",
                line={"color": MEAN_COLOUR, "width": 1.2},
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                name="Mean depth",
                legendgroup="mean",
                showlegend=index == 0,
            ),
            row=top,
            col=1,
        )
        mine = [c for c in calls if c.get("seq_id") == track["seq_id"]]
        for kind in KIND_ORDER:
            found = [c for c in mine if c.get("kind") == kind]
            if not found:
                continue
            name, colour, symbol = KIND_STYLES[kind]
            # Large events span their stretch: a bar under the marker.
            for c in found:
                if int(c["end"]) - int(c["position"]) >= 50:
                    figure.add_shape(
                        type="line",
                        x0=int(c["position"]),
                        x1=int(c["end"]),
                        y0=lane[kind],
                        y1=lane[kind],
                        line={"color": colour, "width": 6},
                        row=bottom,
                        col=1,
                    )
            figure.add_trace(
                go.Scatter(
                    x=[int(c["position"]) for c in found],
                    y=[lane[kind]] * len(found),
                    mode="markers",
                    marker={
                        "color": colour,
                        "symbol": symbol,
                        "size": 12,
                        "line": {"width": 1, "color": "rgba(255,255,255,0.8)"},
                    },
                    customdata=[int(c["id"]) for c in found],
                    text=[_hover(c) for c in found],
                    hovertemplate="%{text}<extra></extra>",
                    name=name,
                    legendgroup=kind,
                    showlegend=kind not in shown_kinds,
                ),
                row=bottom,
                col=1,
            )
            shown_kinds.add(kind)
        length = int(track["length"])
        for row in (top, bottom):
            figure.update_xaxes(range=[0, length + 1], row=row, col=1)
        figure.update_xaxes(matches=f"x{top if top > 1 else ''}", row=bottom, col=1)
        figure.update_xaxes(showticklabels=False, row=top, col=1)
        figure.update_xaxes(title_text="Position (bp)", title_standoff=4, row=bottom, col=1)
        figure.update_yaxes(title_text="Depth", rangemode="tozero", row=top, col=1)
        figure.update_xaxes(showgrid=False, row=bottom, col=1)
        figure.update_yaxes(**_lane_ticks(), row=bottom, col=1)
    figure.update_annotations(font={"size": 13}, xanchor="left", x=0)
    figure.update_layout(
        height=sum(heights) + 60 * len(records) + 60,
        margin={"l": 56, "r": 12, "t": 96, "b": 40},
        # The legend in the top margin, above the first record's title.
        legend={"orientation": "h", "y": 1.0, "yanchor": "top", "x": 0, "yref": "container"},
        hovermode="closest",
        clickmode="event",
        dragmode="zoom",
    )
    return _themed(figure, scheme)


def empty_figure(message: str, scheme: str, height: int = 200) -> go.Figure:
    """A blank figure saying why there is nothing to draw."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(height=height, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    return themed(figure, scheme)


# --- comparison ---------------------------------------------------------------------------------


def condition_colour(condition: str) -> str:
    """The colour of a Spaceflight condition (others share one)."""
    return CONDITION_COLOURS.get(condition, OTHER_CONDITION)


def parallel_figure(parallel: Mapping[str, Any], scheme: str) -> go.Figure:
    """Genes hit in two or more lines: mutations observed against expected from length,
    labelled with their q-values, most significant on top."""
    genes = list(parallel.get("genes") or [])[:GENES_SHOWN]
    if not genes:
        note = parallel.get("note") or "No gene is hit in two or more lines."
        return empty_figure(str(note), scheme)
    genes = genes[::-1]  # Plotly draws the first category at the bottom
    names = [str(g["gene"]) for g in genes]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            y=names,
            x=[g["mutations"] for g in genes],
            orientation="h",
            name="Observed",
            marker={"color": CONDITION_COLOURS["Space Flight"]},
            text=[f"q = {p_text(g['q_value'])}" for g in genes],
            textposition="outside",
            customdata=[", ".join(g["lines"]) for g in genes],
            hovertemplate="%{y}: %{x} mutations in lines %{customdata}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Bar(
            y=names,
            x=[g["expected"] for g in genes],
            orientation="h",
            name="Expected from length",
            marker={"color": COVERAGE_COLOUR},
            hovertemplate="%{y}: %{x:.3g} expected<extra></extra>",
        )
    )
    widest = max(max(g["mutations"], g["expected"]) for g in genes)
    figure.update_layout(
        barmode="group",
        height=120 + 44 * len(genes),
        margin={"l": 8, "r": 60, "t": 36, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        # Room right of the longest bar for its q-value.
        xaxis={"title": {"text": "Mutations (lines pooled)"}, "range": [0, widest * 1.4]},
        yaxis={"automargin": True},
    )
    return themed(figure, scheme)


def p_text(value: object) -> str:
    """A p- or q-value for people.

    >>> p_text(0.0312), p_text(3.2e-07), p_text(None)
    ('0.031', '3.2e-07', '—')
    """
    if not isinstance(value, int | float):
        return "—"
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}".rstrip("0").rstrip(".")


def spectrum_figure(spectra: Mapping[str, Mapping[str, Any]], scheme: str) -> go.Figure:
    """The six substitution classes as shares of each condition's SNPs (counts on hover)."""
    if not any(int(s.get("snps") or 0) for s in spectra.values()):
        return empty_figure("No SNPs to count: the spectrum needs single-base changes.", scheme)
    figure = go.Figure()
    for condition, s in spectra.items():
        counts: Mapping[str, int] = s.get("counts") or {}
        total = sum(counts.values()) or 1
        ts_tv = s.get("ts_tv")
        ratio = f"Ts/Tv {ts_tv:.2f}" if isinstance(ts_tv, int | float) else "Ts/Tv —"
        figure.add_trace(
            go.Bar(
                x=list(counts),
                y=[n / total for n in counts.values()],
                customdata=list(counts.values()),
                name=f"{condition} ({_snps(int(s.get('snps') or 0))}, {ratio})",
                marker={"color": condition_colour(condition)},
                hovertemplate="%{x}: %{customdata} SNPs (%{y:.0%})<extra>" + condition + "</extra>",
            )
        )
    figure.update_layout(
        barmode="group",
        height=320,
        margin={"l": 8, "r": 8, "t": 48, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        yaxis={"title": {"text": "Share of SNPs"}, "tickformat": ".0%", "automargin": True},
        xaxis={"title": {"text": "Substitution class (strand-collapsed)"}},
    )
    return themed(figure, scheme)


def _snps(count: int) -> str:
    return f"{count:,} SNP{'s' if count != 1 else ''}"


def profiles_figure(profiles: Mapping[str, Any], scheme: str) -> go.Figure:
    """Samples on the first two principal components of their mutated-gene profiles (left)
    and their clustering as a dendrogram (right: Jaccard distance, average linkage)."""
    coordinates = profiles.get("coordinates") or []
    if profiles.get("note") and not coordinates:
        return empty_figure(str(profiles["note"]), scheme)
    samples = list(profiles.get("samples") or [])
    conditions = list(profiles.get("conditions") or [""] * len(samples))
    explained = list(profiles.get("explained") or [0.0, 0.0])
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.1,
        subplot_titles=("PCA", "Clustering (Jaccard, average linkage)"),
    )
    for condition in dict.fromkeys(conditions):
        picked = [i for i, c in enumerate(conditions) if c == condition]
        figure.add_trace(
            go.Scatter(
                x=[coordinates[i][0] for i in picked],
                y=[coordinates[i][1] for i in picked],
                mode="markers+text",
                text=[samples[i] for i in picked],
                textposition="top center",
                marker={"color": condition_colour(condition), "size": 12},
                name=condition or "not known",
                legendgroup=condition or "not known",
                hovertemplate="%{text}<extra>" + (condition or "") + "</extra>",
            ),
            row=1,
            col=1,
        )
    _dendrogram(figure, profiles.get("linkage") or [], samples, conditions)
    figure.update_layout(
        height=360,
        margin={"l": 8, "r": 8, "t": 64, "b": 40},
        legend={"orientation": "h", "y": 1.1, "yanchor": "bottom", "x": 0},
    )
    figure.update_xaxes(title={"text": f"PC1 ({explained[0]:.0%})"}, zeroline=True, row=1, col=1)
    figure.update_yaxes(title={"text": f"PC2 ({explained[1]:.0%})"}, zeroline=True, row=1, col=1)
    if profiles.get("note"):
        figure.add_annotation(
            text=str(profiles["note"]), showarrow=False, x=0, y=0, xref="paper", yref="paper"
        )
    return _themed(figure, scheme)


def _dendrogram(
    figure: go.Figure,
    linkage: Sequence[Sequence[float]],
    samples: Sequence[str],
    conditions: Sequence[str],
) -> None:
    """SciPy's dendrogram of ``linkage`` drawn in the second panel: the merges as one line
    trace, the leaves as markers in their condition's colour, named on the axis."""
    if not linkage:
        figure.add_annotation(
            text="One sample: nothing to cluster.",
            showarrow=False,
            xref="x2 domain",
            yref="y2 domain",
            x=0.5,
            y=0.5,
        )
        return
    tree = hierarchy.dendrogram(np.asarray(linkage, dtype=float), no_plot=True)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for icoord, dcoord in zip(tree["icoord"], tree["dcoord"], strict=True):
        xs += [*icoord, None]
        ys += [*dcoord, None]
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": COVERAGE_COLOUR, "width": 1.5},
            hoverinfo="skip",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    leaves = [int(i) for i in tree["leaves"]]
    positions = [5.0 + 10.0 * k for k in range(len(leaves))]
    figure.add_trace(
        go.Scatter(
            x=positions,
            y=[0.0] * len(leaves),
            mode="markers",
            marker={"color": [condition_colour(conditions[i]) for i in leaves], "size": 10},
            text=[samples[i] for i in leaves],
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    figure.update_xaxes(
        tickvals=positions,
        ticktext=[samples[i] for i in leaves],
        tickangle=-30,
        zeroline=False,
        showgrid=False,
        row=1,
        col=2,
    )
    top = max((h for row in linkage for h in row[2:3]), default=0.0) or 1.0
    # Padded below 0 so leaves merging at distance 0 (same genes) stay visible.
    figure.update_yaxes(
        title={"text": "Jaccard distance"}, range=[-0.06 * top, 1.08 * top], row=1, col=2
    )
