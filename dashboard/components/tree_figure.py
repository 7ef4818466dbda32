"""The tree figure: a laid-out tree (``analysis.phylo.TreeLayout``) drawn with Plotly, coloured
by a factor, searchable, clickable, with support values and a scale bar.

Large trees stay fast: all branches of one colour are ONE line trace (elbows separated by NaN
gaps), so a figure has a handful of traces whatever the tree's size (one branch trace and
one tip trace per category, plus inner nodes, labels, support, search and selection);
past ``GL_TIPS`` tips the big traces use WebGL (``Scattergl``). A branch takes a category's
colour when every tip below it (collapsed ones included) is in that category, else it is
neutral grey, so a clade of flight lines reads as one colour.

Clicks: every node has a marker whose ``customdata`` is its stable node id (the preorder
index of the Newick, ``TreeLayout.ids``): tips on their category's trace, inner nodes and
collapsed clades on a transparent but clickable marker trace. A Dash callback reads
``clickData["points"][0]["customdata"]``.

Tip labels are drawn up to ``LABELS_AUTO_MAX`` tips unless asked for (``show_labels=True``);
when they are left off the figure says so in a note. Support values are written as large as
tip labels, in the page's text colour with a halo, on the largest clades first and only where
one is not written over another (``support_nodes``, for a phone-wide figure; at most
``SUPPORT_TEXT_MAX``); the note says when some are left out, and every node's hover has its
support. Downloads (SVG or PNG) are made in the browser by Plotly: ``tree_graph_config``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from html import escape
from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

from analysis.phylo import TreeLayout

from .theme import themed

GL_TIPS = 2_000  # above this many tips the big traces are WebGL
LABELS_AUTO_MAX = 300  # tip labels are shown by default up to this many tips
SUPPORT_TEXT_MAX = 500  # support values written on at most this many inner nodes
SUPPORT_FONT_PX = 11  # as tip labels; in the theme's text colour (theme.js re-colours it)
SUPPORT_CHAR_PX = 6.5  # a digit's width at SUPPORT_FONT_PX
# Support values are spread out for a figure this wide (the browser decides its real width;
# a phone's is about this): none is written over another down to it.
SUPPORT_WIDTH_PX = 360.0
SUPPORT_GAP_PX = (6.0, 2.0)  # room kept between two support values (across, down)
NOTE_LINE_PX = 16  # a line of the notes under the drawing
# Okabe–Ito colours (as in sequence_figures): told apart with every common colour-vision
# deficiency, readable on the light and the dark page; yellow and black are left out (one
# vanishes on white, the other on the dark card). More categories cycle a second set.
CATEGORY_COLOURS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#8C6D31",
    "#7F3C8D",
    "#11A579",
    "#E73F74",
)
NEUTRAL = "#868e96"  # Bootstrap's gray-600: branches of mixed clades, on both themes
UNKNOWN = "not known"  # the legend entry of tips without a value for the factor
HIGHLIGHT = "#F5A300"  # search matches: an amber halo under their path to the root
SELECTED = "#d63384"  # the clicked node: Bootstrap's pink ring
SCALE_UNIT = "substitutions per site"
LABEL_PX = 7.0  # a label character's width, to leave room for labels beside the tips
LABEL_CHARS_MAX = 40  # longer tip labels are cut with an ellipsis (hover has the full name)
LABEL_MARGIN_MAX_PX = 300  # room for labels beside the plot, at most
HEIGHT_RADIAL_PX = 760
LABELLED_HEIGHT_MAX_PX = 4000  # taller WebGL canvases lose their text in some browsers


def labels_shown(layout: TreeLayout, show_labels: bool | None) -> bool:
    """Whether tip labels are drawn: as asked, else only up to ``LABELS_AUTO_MAX`` slots."""
    if show_labels is None:
        return layout.slot_count <= LABELS_AUTO_MAX
    return show_labels


def scale_length(max_depth: float) -> float:
    """A round branch length (1, 2 or 5 times a power of ten) about a fifth of ``max_depth``.

    >>> scale_length(0.37), scale_length(12.0), scale_length(1.0)
    (0.05, 2.0, 0.2)
    """
    if not max_depth > 0 or not math.isfinite(max_depth):
        return 0.0
    target = max_depth / 5.0
    power = 10.0 ** math.floor(math.log10(target))
    best = power
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power <= target * 1.0000001:
            best = factor * power
    return float(f"{best:.12g}")  # 0.30000000000000004 -> 0.3


def _number(value: float) -> str:
    return f"{value:.4g}"


def label_text(name: str) -> str:
    """A tip's label as drawn: escaped, cut to ``LABEL_CHARS_MAX`` characters.

    >>> label_text("a<b"), label_text("x" * 45)[-3:], len(label_text("x" * 45))
    ('a&lt;b', 'xx…', 40)
    """
    if len(name) > LABEL_CHARS_MAX:
        name = name[: LABEL_CHARS_MAX - 1] + "…"
    return escape(name)


def _spaced(text: str, side: str) -> str:
    """``text`` with an em space on the side facing its tip."""
    return f"{text}\u2003" if side.endswith("left") else f"\u2003{text}"


def _support_text(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:.2g}"


def _support_box(value: float) -> tuple[float, float]:
    """Width and height in pixels of a support value as written (``SUPPORT_FONT_PX``)."""
    return len(_support_text(value)) * SUPPORT_CHAR_PX + 4.0, SUPPORT_FONT_PX + 3.0


def support_nodes(
    layout: TreeLayout,
    candidates: npt.NDArray[np.int64],
    x_range: list[float],
    y_range: list[float],
    plot_px: tuple[float, float],
) -> npt.NDArray[np.int64]:
    """The inner nodes whose support is written: the largest clades first, each only where
    its value (above and left of its node) overlaps no value already written, in a plot
    ``plot_px`` (width, height) pixels showing ``x_range`` by ``y_range``; at most
    ``SUPPORT_TEXT_MAX``. Sorted by node index."""
    if not len(candidates):
        return candidates
    width_px, height_px = plot_px
    x_scale = width_px / max(x_range[1] - x_range[0], 1e-12)
    y_scale = max(height_px, 1.0) / max(y_range[1] - y_range[0], 1e-12)
    if layout.shape == "radial":  # equal scales (scaleanchor): the tighter one rules
        x_scale = y_scale = min(x_scale, y_scale)
    order = candidates[np.argsort(-layout.tips[candidates], kind="stable")]
    # Boxes are filed by cell, a cell as large as the largest box: a box can only meet
    # those of its own and the eight cells around.
    widest = max(_support_box(v)[0] for v in layout.support[candidates].tolist())
    cell_w = widest + 2 * SUPPORT_GAP_PX[0]
    cell_h = _support_box(0.0)[1] + 2 * SUPPORT_GAP_PX[1]
    cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}
    kept: list[int] = []
    xs, ys = layout.x.tolist(), layout.y.tolist()
    supports = layout.support.tolist()
    for node in order.tolist():
        w, h = _support_box(supports[node])
        right, bottom = xs[node] * x_scale, ys[node] * y_scale  # "top left" of the node
        gap_x, gap_y = SUPPORT_GAP_PX
        box = (right - w - gap_x, bottom - gap_y, right + gap_x, bottom + h + gap_y)
        cx, cy = int(right // cell_w), int(bottom // cell_h)
        near = (
            other
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for other in cells.get((cx + dx, cy + dy), ())
        )
        if any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in near):
            continue
        cells.setdefault((cx, cy), []).append(box)
        kept.append(node)
        if len(kept) == SUPPORT_TEXT_MAX:
            break
    return np.sort(np.array(kept, dtype=np.int64))


def _support_trace(layout: TreeLayout, nodes: npt.NDArray[np.int64]) -> go.Scatter:
    """The support values of ``nodes`` in the page's text colour (theme.js re-colours it),
    as SVG text even on WebGL trees: sharp, and haloed in the card's colour where a branch
    runs under it (``assets/trees.css``)."""
    return go.Scatter(
        x=layout.x[nodes],
        y=layout.y[nodes],
        mode="text",
        text=[_support_text(v) for v in layout.support[nodes].tolist()],
        textposition="top left",
        textfont={"size": SUPPORT_FONT_PX},
        hoverinfo="skip",
        showlegend=False,
        name="support",
    )


def _categories(
    layout: TreeLayout, tip_groups: Mapping[str, str] | None
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Categories present in the view (in the mapping's order) and each tip's code (-1: no
    value) over ``layout.clade_tips``."""
    if tip_groups is None:
        return [], np.full(len(layout.clade_tips), -1, dtype=np.int64)
    values = [tip_groups.get(name, "") for name in layout.clade_tips]
    present = set(values)
    order = [c for c in dict.fromkeys(tip_groups.values()) if c and c in present]
    index = {c: k for k, c in enumerate(order)}
    codes = np.array([index.get(v, -1) for v in values], dtype=np.int64)
    return order, codes


def _node_categories(layout: TreeLayout, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per node: the category all its tips share, or -1 (mixed, or not known)."""
    if not len(codes):
        return np.full(len(layout.ids), -1, dtype=np.int64)
    # Tips of a node are a contiguous run of ``codes``; the run is one category when no
    # change of code happens inside it.
    changes = np.concatenate(([0], np.cumsum(codes[1:] != codes[:-1])))
    first = layout.tip_start
    last = first + layout.tips - 1
    uniform = changes[last] == changes[first]
    return np.where(uniform, codes[first], -1)


def _colour(k: int) -> str:
    return CATEGORY_COLOURS[k % len(CATEGORY_COLOURS)]


def _hover(layout: TreeLayout, groups: list[str] | None) -> list[str]:
    """One hover text per node: name, branch length, support, tips (and its group)."""
    out = []
    names, lengths, supports = layout.names, layout.length.tolist(), layout.support.tolist()
    tips, tip_flags = layout.tips.tolist(), layout.is_tip.tolist()
    folded, ids = layout.is_collapsed.tolist(), layout.ids.tolist()
    for i, name in enumerate(names):
        if tip_flags[i]:
            lines = [f"<b>{escape(name)}</b>"]
        else:
            what = "collapsed clade" if folded[i] else "clade"
            head = f"<b>{escape(name)}</b> ({what}" if name else f"{what} ("
            lines = [f"{head}{tips[i]:,} tips, node {ids[i]})"]
        if groups is not None and groups[i]:
            lines.append(escape(groups[i]))
        if not math.isnan(lengths[i]):
            lines.append(f"branch {_number(lengths[i])}")
        if not math.isnan(supports[i]):
            lines.append(f"support {_support_text(supports[i])}")
        out.append("<br>".join(lines))
    return out


def _f32(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """Coordinates as float32: half the bytes sent to the browser, still far below a pixel."""
    return values.astype(np.float32)


def _lines(
    scatter: type[go.Scatter] | type[go.Scattergl],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    *,
    colour: str,
    width: float,
    name: str,
    group: str | None = None,
) -> Any:
    return scatter(
        x=_f32(x),
        y=_f32(y),
        mode="lines",
        line={"color": colour, "width": width},
        hoverinfo="skip",
        name=name,
        legendgroup=group,
        showlegend=False,
        connectgaps=False,
    )


def _label_points(
    layout: TreeLayout, nodes: npt.NDArray[np.int64], pad: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[str]]:
    """Where labels of ``nodes`` go (just past their tip or triangle) and their text side."""
    reach = layout.extent[nodes] + pad
    if layout.shape == "radial":
        angle = layout.angle[nodes]
        cos = np.cos(angle)
        side = ["middle right" if c >= 0 else "middle left" for c in cos.tolist()]
        return reach * cos, reach * np.sin(angle), side
    return reach, layout.y[nodes], ["middle right"] * len(nodes)


def tree_figure(
    layout: TreeLayout,
    *,
    tip_groups: Mapping[str, str] | None = None,
    group_title: str = "",
    show_labels: bool | None = None,
    highlight: Collection[str] = (),
    show_support: bool = False,
    scale_bar: bool = True,
    selected: int | None = None,
    scheme: str = "light",
    scale_unit: str = SCALE_UNIT,
    uirevision: str | None = None,
) -> go.Figure:
    """The figure of ``layout``.

    ``tip_groups``: tip name -> category (e.g. "Spaceflight"); tips and uniform clades are
    coloured by it with a legend titled ``group_title``. ``show_labels``: tip labels on,
    off, or None for automatic (on up to ``LABELS_AUTO_MAX`` tips). ``highlight``: tip names
    to mark (search matches), with their paths to the root. ``selected``: stable id of the
    clicked node, ringed. ``scale_bar``: drawn for phylograms only. ``uirevision`` defaults
    to ``layout.key``, so colouring, searching or collapsing keeps the user's zoom while a
    new tree, shape or zoomed clade starts afresh.
    """
    n = len(layout.ids)
    radial = layout.shape == "radial"
    big = layout.slot_count > GL_TIPS
    scatter: type[go.Scatter] | type[go.Scattergl] = go.Scattergl if big else go.Scatter
    line_width = 1.0 if big else 1.5
    max_depth = layout.max_depth or 1.0
    categories, codes = _categories(layout, tip_groups)
    node_cat = _node_categories(layout, codes)
    coloured = tip_groups is not None
    groups = [categories[c] if c >= 0 else "" for c in node_cat.tolist()] if coloured else None
    hover = np.array(_hover(layout, groups), dtype=object)
    traces: list[Any] = []

    # Search: an amber halo under the paths of the matching tips (and collapsed clades
    # holding one) to the root; drawn first so the branches' colours stay on top.
    wanted = set(highlight)
    matched = np.array([name in wanted for name in layout.clade_tips], dtype=bool)
    on_path = np.zeros(n, dtype=bool)
    if matched.any():
        before = np.concatenate(([0], np.cumsum(matched)))
        on_path = before[layout.tip_start + layout.tips] > before[layout.tip_start]
        path = on_path[layout.edge_node]
        traces.append(
            _lines(
                scatter,
                layout.edge_x[path],
                layout.edge_y[path],
                colour=HIGHLIGHT,
                width=line_width + 4,
                name="path to the root",
            )
        )

    # Branches: neutral first, then one trace per category.
    edge_cat = node_cat[layout.edge_node] if len(layout.edge_node) else node_cat[:0]
    neutral = edge_cat < 0
    if neutral.any():
        traces.append(
            _lines(
                scatter,
                layout.edge_x[neutral],
                layout.edge_y[neutral],
                colour=NEUTRAL,
                width=line_width,
                name="branches",
            )
        )
    for k, category in enumerate(categories):
        mask = edge_cat == k
        if mask.any():
            traces.append(
                _lines(
                    scatter,
                    layout.edge_x[mask],
                    layout.edge_y[mask],
                    colour=_colour(k),
                    width=line_width,
                    name=escape(category),
                    group=category,
                )
            )

    # Collapsed clades: filled triangles in their colour (few; always SVG for the fill).
    if len(layout.triangle_node):
        tri_cat = node_cat[layout.triangle_node]
        for k in sorted(set(tri_cat.tolist())):
            mask = tri_cat == k
            colour = NEUTRAL if k < 0 else _colour(k)
            traces.append(
                go.Scatter(
                    x=layout.triangle_x[mask],
                    y=layout.triangle_y[mask],
                    mode="lines",
                    fill="toself",
                    fillcolor=colour,
                    opacity=0.45,
                    line={"color": colour, "width": 1},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=categories[k] if k >= 0 else None,
                    name="collapsed clades",
                )
            )

    # Tips: one marker trace per category (the legend), customdata = node ids for clicks.
    tip_idx = np.flatnonzero(layout.is_tip)
    marker_px = 7 if layout.slot_count <= LABELS_AUTO_MAX else 5 if not big else 3
    tip_sets: list[tuple[str, str, npt.NDArray[np.int64]]] = []
    if coloured:
        tip_codes = node_cat[tip_idx]
        tip_sets = [(c, _colour(k), tip_idx[tip_codes == k]) for k, c in enumerate(categories)]
        tip_sets.append((UNKNOWN, NEUTRAL, tip_idx[tip_codes < 0]))
    else:
        tip_sets = [("tips", NEUTRAL, tip_idx)]
    for name, colour, nodes in tip_sets:
        if not len(nodes):
            continue
        traces.append(
            scatter(
                x=_f32(layout.x[nodes]),
                y=_f32(layout.y[nodes]),
                mode="markers",
                marker={"color": colour, "size": marker_px},
                customdata=layout.ids[nodes],
                hovertext=hover[nodes],
                hoverinfo="text",
                name=escape(name),  # a sample's factor value: Plotly renders <a>, <b>
                legendgroup=name,
                showlegend=coloured,
            )
        )

    # Inner nodes and collapsed clades: invisible markers that still hover and click.
    inner = np.flatnonzero(~layout.is_tip)
    traces.append(
        scatter(
            x=_f32(layout.x[inner]),
            y=_f32(layout.y[inner]),
            mode="markers",
            marker={"color": "rgba(0,0,0,0)", "size": 10 if not big else 6},
            customdata=layout.ids[inner],
            hovertext=hover[inner],
            hoverinfo="text",
            name="nodes",
            showlegend=False,
        )
    )

    # Labels: tips (when shown) and collapsed clades ("name, N tips"; always).
    shown = labels_shown(layout, show_labels)
    # Labels start one em space from their tip, in pixels (clear of the search ring at any
    # figure width), plus a little in tree units for the WebGL traces of big trees.
    pad = 0.012 * max_depth if big else 0.0
    if shown and len(tip_idx):
        lx, ly, side = _label_points(layout, tip_idx, pad)
        traces.append(
            scatter(
                x=lx,
                y=ly,
                mode="text",
                text=[
                    _spaced(label_text(layout.names[i]), where)
                    for i, where in zip(tip_idx.tolist(), side, strict=True)
                ],
                textposition=side,
                textfont={"size": 11 if layout.slot_count <= 120 else 9},
                hoverinfo="skip",
                showlegend=False,
                name="tip labels",
                **({} if big else {"cliponaxis": False}),
            )
        )
    folded = np.flatnonzero(layout.is_collapsed)
    if len(folded):
        lx, ly, side = _label_points(layout, folded, pad)
        text = [
            _spaced(
                f"{label_text(layout.names[i])} ({layout.tips[i]:,} tips)"
                if layout.names[i]
                else f"{layout.tips[i]:,} tips",
                where,
            )
            for i, where in zip(folded.tolist(), side, strict=True)
        ]
        traces.append(
            go.Scatter(
                x=lx,
                y=ly,
                mode="text",
                text=text,
                textposition=side,
                textfont={"size": 11},
                hoverinfo="skip",
                showlegend=False,
                name="collapsed labels",
                cliponaxis=False,
            )
        )

    # Support values on inner nodes: placed once the figure's size is known (below).
    support_at = len(traces)

    # Search matches and the selected node: rings on top.
    if matched.any():
        hits = np.flatnonzero(on_path & layout.is_leaf)
        traces.append(
            scatter(
                x=layout.x[hits],
                y=layout.y[hits],
                mode="markers",
                marker={
                    "color": "rgba(0,0,0,0)",
                    "size": marker_px + 9,
                    "line": {"color": HIGHLIGHT, "width": 3},
                },
                customdata=layout.ids[hits],
                hovertext=hover[hits],
                hoverinfo="text",
                name=f"search: {int(matched.sum()):,} match{'es' if matched.sum() != 1 else ''}",
                showlegend=True,
            )
        )
    at = layout.position(selected) if selected is not None else None
    if at is not None:
        traces.append(
            go.Scatter(
                x=[layout.x[at]],
                y=[layout.y[at]],
                mode="markers",
                marker={
                    "color": "rgba(0,0,0,0)",
                    "size": 18,
                    "line": {"color": SELECTED, "width": 3},
                },
                customdata=[int(layout.ids[at])],
                hovertext=[hover[at]],
                hoverinfo="text",
                name="selected",
                showlegend=False,
            )
        )

    # Reach of the drawing, and room for labels beside the tips. SVG labels are drawn past
    # the axes into a margin sized in pixels, so they fit whatever the figure's width (a
    # phone's too); WebGL text cannot leave the axes, so big trees keep room in tree units.
    longest = max((len(label_text(name)) for name in layout.clade_tips), default=0) if shown else 0
    if len(folded):
        longest = max(longest, 12)
    label_px = min(LABEL_MARGIN_MAX_PX, int((longest + 2) * LABEL_PX + 8)) if longest else 0
    room = (min(0.6, label_px / 900.0) if big else 0.02) * max_depth
    side_px = 8 if big else max(8, label_px)
    bar = scale_length(max_depth) if scale_bar and layout.lengths else 0.0
    if radial:
        reach = max_depth + room
        x_range = [-reach, reach]
        y_range = [-reach * (1.12 if bar else 1.02), reach * 1.02]
        margin = {"l": side_px, "r": side_px}
    else:
        x_range = [-0.02 * max_depth, max_depth + room]
        y_range = [-2.0 if bar else -0.8, layout.slot_count - 0.2]
        margin = {"l": 8, "r": side_px}
    if bar:
        bx0 = -max_depth if radial else 0.0
        by = -max_depth * 1.07 if radial else -1.0
        traces.append(
            go.Scatter(
                x=[bx0, bx0 + bar],
                y=[by, by],
                mode="lines+text",
                line={"color": NEUTRAL, "width": 2},
                text=["", f"{bar:g} {scale_unit}"],
                textposition="middle right",
                hoverinfo="skip",
                showlegend=False,
                name="scale bar",
                cliponaxis=False,
            )
        )

    if radial:
        height = HEIGHT_RADIAL_PX
    elif shown:
        height = int(np.clip(60 + 15 * layout.slot_count, 360, LABELLED_HEIGHT_MAX_PX))
    else:
        height = int(np.clip(60 + 3 * layout.slot_count, 480, 900))
    top_px = 36 if coloured or matched.any() else 8
    support_note = ""
    if show_support:
        # Not on the view's root: it splits nothing (and an unrooted tree's root has none).
        known = np.flatnonzero(~layout.is_leaf & np.isfinite(layout.support))
        known = known[known != 0]
        plot_px = (SUPPORT_WIDTH_PX, height - top_px - 8 - 3 * NOTE_LINE_PX)
        written = support_nodes(layout, known, x_range, y_range, plot_px)
        if len(written):
            traces.insert(support_at, _support_trace(layout, written))
        if len(written) < len(known):
            support_note = (
                f"Support on {len(written):,} of {len(known):,} clades; hover or zoom in for more"
            )
    # Notes under the drawing, in a margin of their own (never over branches or values), in
    # lines short enough for a phone.
    notes = [support_note] if support_note else []
    if not shown and len(tip_idx):
        notes[:0] = [
            f"Tip labels hidden: {layout.slot_count:,} tips (shown up to {LABELS_AUTO_MAX:,});",
            "zoom into a clade or turn labels on",
        ]

    figure = go.Figure(traces)
    hidden_axis = {
        "visible": False,
        "showgrid": False,
        "zeroline": False,
        "showticklabels": False,
    }
    figure.update_layout(
        height=height,
        margin={**margin, "t": top_px, "b": 8 + NOTE_LINE_PX * len(notes)},
        hovermode="closest",
        uirevision=uirevision or layout.key,
        clickmode="event",
        legend={
            # The title above its entries: beside them, Plotly leaves it out when wrapping
            # the row, which then runs past a phone-wide figure.
            "title": {"text": escape(group_title), "side": "top"} if group_title else None,
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "itemsizing": "constant",
        },
        showlegend=coloured or bool(matched.any()),
        meta={"labels_shown": shown, "tips": layout.slot_count},
    )
    figure.update_xaxes(hidden_axis, range=x_range)
    figure.update_yaxes(hidden_axis, range=y_range)
    if radial:
        figure.update_yaxes(scaleanchor="x", scaleratio=1)
    if notes:
        figure.add_annotation(
            text="<br>".join(notes),
            align="right",
            xref="paper",
            yref="paper",
            x=1,
            y=0,
            xanchor="right",
            yanchor="top",
            yshift=-4,
            showarrow=False,
            font={"size": 11, "color": NEUTRAL},
        )
    return themed(figure, scheme)


def _filename(name: str) -> str:
    """A safe download name (letters, digits, dot, dash, underscore), never empty.

    >>> _filename("E. coli / flight lines"), _filename("../")
    ('E.-coli-flight-lines', 'tree')
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:100]
    return cleaned or "tree"


def tree_graph_config(filename: str, *, image_format: str = "svg") -> dict[str, Any]:
    """The ``dcc.Graph`` config of a tree: the camera button downloads ``image_format``
    ("svg" or "png", at twice the size on screen) named ``filename``; no Plotly logo or
    links; wheel zoom on. In SVG exports WebGL traces (trees over ``GL_TIPS`` tips) are
    embedded as a raster image (Plotly's behaviour); PNG is the same either way."""
    if image_format not in ("svg", "png"):
        raise ValueError(f"image format {image_format!r} is not svg or png")
    return {
        "displaylogo": False,
        "responsive": True,
        "scrollZoom": True,
        "showLink": False,
        "showEditInChartStudio": False,
        "showSendToCloud": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
        "toImageButtonOptions": {
            "format": image_format,
            "filename": _filename(filename),
            "scale": 2,
        },
    }
