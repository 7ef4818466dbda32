"""The tree figure: a few traces whatever the tree's size, clickable node ids, legend and
branch colours by category worked out by hand, search paths, support, labels, scale bar."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest

from analysis.phylo import tree_layout
from dashboard.components.theme import PLOT_PALETTES
from dashboard.components.tree_figure import (
    CATEGORY_COLOURS,
    GL_TIPS,
    LABEL_CHARS_MAX,
    LABEL_MARGIN_MAX_PX,
    LABELS_AUTO_MAX,
    NEUTRAL,
    NOTE_LINE_PX,
    SUPPORT_CHAR_PX,
    SUPPORT_TEXT_MAX,
    SUPPORT_WIDTH_PX,
    UNKNOWN,
    labels_shown,
    scale_length,
    tree_figure,
    tree_graph_config,
)

SMALL = "((A:1,B:2)90:1,C:3);"  # ids: 0 root, 1 (A,B), 2 A, 3 B, 4 C
FOUR = "((A:1,B:1):1,(C:1,D:1):1);"  # ids: 0 root, 1 (A,B), 2 A, 3 B, 4 (C,D), 5 C, 6 D


def random_tree(n: int, seed: int = 0, support: bool = False) -> str:
    """A random coalescent-like tree of ``n`` tips t0..t{n-1} (random joins of two)."""
    rng = np.random.default_rng(seed)
    nodes = [f"t{i}:{rng.uniform(0.01, 1):.4f}" for i in range(n)]
    while len(nodes) > 1:
        i, j = sorted(rng.choice(len(nodes), 2, replace=False).tolist(), reverse=True)
        a, b = nodes.pop(i), nodes.pop(j)
        label = f"{rng.integers(0, 101)}" if support else ""
        nodes.append(f"({a},{b}){label}:{rng.uniform(0.01, 1):.4f}")
    return nodes[0] + ";"


def named(fig: go.Figure, name: str) -> list[Any]:
    return [t for t in fig.data if t.name == name]


def points(trace: Any) -> list[tuple[float, float]]:
    return [
        (float(x), float(y))
        for x, y in zip(trace.x, trace.y, strict=True)
        if not math.isnan(float(x))
    ]


def test_big_tree_is_a_few_traces_not_one_per_branch() -> None:
    n = 2_000
    lay = tree_layout(random_tree(n))
    groups = {f"t{i}": ("Spaceflight", "Ground Control", "Ancestor")[i % 3] for i in range(n)}
    fig = tree_figure(lay, tip_groups=groups, highlight={"t1", "t2"}, show_support=True)
    assert len(fig.data) <= 14  # the tree has 3,998 branches
    lines = [t for t in fig.data if t.mode == "lines" and t.name != "path to the root"]
    lines = [t for t in lines if t.name not in ("scale bar", "collapsed clades")]
    # Every branch is drawn exactly once across the branch traces.
    assert sum(len(t.x) for t in lines) == len(lay.edge_x)
    assert len(lines) <= 4  # neutral + one per category


def test_webgl_only_past_the_threshold() -> None:
    small = tree_figure(tree_layout(random_tree(GL_TIPS)))
    big = tree_figure(tree_layout(random_tree(GL_TIPS + 1)))
    assert named(small, "branches")[0].type == "scatter"
    assert named(big, "branches")[0].type == "scattergl"
    assert named(big, "tips")[0].type == "scattergl"


def test_every_node_is_clickable_with_its_stable_id() -> None:
    lay = tree_layout(random_tree(300), collapsed=frozenset({1}))
    fig = tree_figure(lay)
    clickable: list[int] = []
    for trace in fig.data:
        if trace.customdata is not None and trace.name in ("tips", "nodes"):
            clickable += [int(v) for v in trace.customdata]
    assert sorted(clickable) == lay.ids.tolist()
    nodes = named(fig, "nodes")[0]
    assert nodes.marker.color == "rgba(0,0,0,0)"  # invisible but hoverable and clickable
    assert nodes.hoverinfo == "text"
    # Branches never take a click meant for a node.
    assert all(t.hoverinfo == "skip" for t in fig.data if t.mode == "lines")


def test_legend_and_branch_colours_by_category() -> None:
    lay = tree_layout(FOUR)
    groups = {"A": "Spaceflight", "B": "Spaceflight", "C": "Spaceflight", "D": "Ground"}
    fig = tree_figure(lay, tip_groups=groups, group_title="Condition")
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == ["Spaceflight", "Ground"]
    assert fig.layout.legend.title.text == "Condition"
    # (A,B) is all Spaceflight: its branch and A's and B's are blue, and so is C's; the
    # root's children differ, so (C,D)'s branch is grey; D's is Ground. 4 entries an elbow.
    flight = next(t for t in fig.data if t.mode == "lines" and t.name == "Spaceflight")
    ground = next(t for t in fig.data if t.mode == "lines" and t.name == "Ground")
    grey = named(fig, "branches")[0]
    assert flight.line.color == CATEGORY_COLOURS[0]
    assert ground.line.color == CATEGORY_COLOURS[1]
    assert grey.line.color == NEUTRAL
    assert len(flight.x) == 4 * 4
    assert len(ground.x) == 4
    assert len(grey.x) == 4
    assert points(grey)[-1] == (1.0, 0.5)  # ends at (C,D): depth 1, between C (1) and D (0)
    tips = next(t for t in fig.data if t.mode == "markers" and t.name == "Spaceflight")
    assert sorted(int(v) for v in tips.customdata) == [2, 3, 5]


def test_tips_without_a_value_are_listed_as_not_known() -> None:
    fig = tree_figure(tree_layout(FOUR), tip_groups={"A": "Flight", "B": "Flight"})
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == ["Flight", UNKNOWN]
    unknown = next(t for t in fig.data if t.name == UNKNOWN)
    assert sorted(int(v) for v in unknown.customdata) == [5, 6]


def test_legend_entries_are_escaped_text() -> None:
    # A factor value is whatever an importer typed; Plotly renders <a> and <b> in legend names.
    crafted = '<a href="https://evil.example">Space Flight</a>'
    fig = tree_figure(tree_layout(FOUR), tip_groups=dict.fromkeys("ABCD", crafted))
    names = {t.name for t in fig.data if t.name}
    assert "&lt;a href=&quot;https://evil.example&quot;&gt;Space Flight&lt;/a&gt;" in names
    assert not any("<a" in name for name in names)


def test_no_colour_means_no_legend() -> None:
    fig = tree_figure(tree_layout(FOUR))
    assert not fig.layout.showlegend
    assert [t.name for t in fig.data if "lines" in t.mode] == ["branches", "scale bar"]


def test_search_highlights_the_tip_and_its_path_to_the_root() -> None:
    lay = tree_layout(SMALL)
    fig = tree_figure(lay, highlight={"B", "nobody"})
    halo = named(fig, "path to the root")[0]
    assert fig.data[0] is halo  # under the branches
    # B's path: the elbow into (A,B) and the elbow into B, nothing else.
    assert points(halo) == [
        (0.0, 0.75),
        (0.0, 1.5),
        (1.0, 1.5),
        (1.0, 1.5),
        (1.0, 1.0),
        (3.0, 1.0),
    ]
    ring = named(fig, "search: 1 match")[0]
    assert [int(v) for v in ring.customdata] == [3]
    assert ring.marker.size > named(fig, "tips")[0].marker.size
    assert not named(tree_figure(lay, highlight={"nobody"}), "path to the root")


def test_search_inside_a_collapsed_clade_rings_the_clade() -> None:
    lay = tree_layout(SMALL, collapsed=frozenset({1}))
    fig = tree_figure(lay, highlight={"A"})
    assert [int(v) for v in named(fig, "search: 1 match")[0].customdata] == [1]


def test_support_values_on_inner_nodes() -> None:
    lay = tree_layout(SMALL)
    assert not named(tree_figure(lay), "support")
    support = named(tree_figure(lay, show_support=True), "support")[0]
    assert list(support.text) == ["90"]
    assert points(support) == [(1.0, 1.5)]
    assert not named(tree_figure(tree_layout(FOUR), show_support=True), "support")


def _support_boxes(fig: go.Figure, lay: Any, nodes: list[int]) -> list[tuple[float, ...]]:
    """The pixel boxes of the support values of ``nodes`` (above and left of each node) in
    a figure as wide as SUPPORT_WIDTH_PX, as ``support_nodes`` lays them out."""
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    height = fig.layout.height - fig.layout.margin.t - 8 - 3 * NOTE_LINE_PX
    sx, sy = SUPPORT_WIDTH_PX / (x1 - x0), height / (y1 - y0)
    boxes = []
    for i in nodes:
        text = f"{lay.support[i]:.0f}"
        right, bottom = lay.x[i] * sx, lay.y[i] * sy
        boxes.append((right - len(text) * SUPPORT_CHAR_PX - 4, bottom, right, bottom + 14))
    return boxes


def test_support_values_on_a_big_tree_are_legible_and_never_written_over_each_other() -> None:
    # The walkthrough: values tiny, grey and piled on each other on a 1,000-tip tree.
    lay = tree_layout(random_tree(1_000, support=True))
    fig = tree_figure(lay, show_support=True)
    (support,) = named(fig, "support")
    assert support.type == "scatter"  # SVG text: sharp, haloed by the page's CSS
    assert support.textfont.size >= 11  # as large as tip labels
    assert support.textfont.color is None  # the theme's text colour, not a fixed grey
    inner = np.flatnonzero(~lay.is_leaf).tolist()
    at = set(zip(support.x, support.y, strict=True))
    written = [i for i in inner if (lay.x[i], lay.y[i]) in at]
    assert 20 <= len(written) <= SUPPORT_TEXT_MAX
    boxes = sorted(_support_boxes(fig, lay, written))
    for k, a in enumerate(boxes):
        for b in boxes[k + 1 :]:
            if b[0] >= a[2]:
                break
            assert not (a[1] < b[3] and b[1] < a[3]), (a, b)
    # The largest clades come first: the root's two (the root itself splits nothing).
    children = [i for i in range(1, len(lay.ids)) if lay.parent[i] == 0]
    assert set(children) <= set(written)
    # The figure says how many are written (every node's hover has its value).
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert f"Support on {len(written):,} of {len(inner) - 1:,} clades" in notes  # not the root


def test_support_values_stay_svg_text_on_a_webgl_tree() -> None:
    lay = tree_layout(random_tree(GL_TIPS + 10, support=True))
    (support,) = named(tree_figure(lay, show_support=True), "support")
    assert support.type == "scatter"
    assert 0 < len(support.text) <= SUPPORT_TEXT_MAX


def test_a_small_tree_has_every_support_value_and_no_note() -> None:
    lay = tree_layout(random_tree(8, support=True))
    fig = tree_figure(lay, show_support=True)
    (support,) = named(fig, "support")
    assert len(support.text) == 6  # every inner node but the root
    assert not fig.layout.annotations


def test_labels_automatic_forced_and_off() -> None:
    small = tree_layout(random_tree(50))
    big = tree_layout(random_tree(LABELS_AUTO_MAX + 1))
    assert labels_shown(small, None)
    assert not labels_shown(big, None)
    fig = tree_figure(small)
    labels = named(fig, "tip labels")[0]
    assert sorted(t.strip() for t in labels.text) == sorted(f"t{i}" for i in range(50))
    assert not fig.layout.annotations
    hidden = tree_figure(big)
    assert not named(hidden, "tip labels")
    assert "Tip labels hidden" in hidden.layout.annotations[0].text  # it says so
    assert named(tree_figure(big, show_labels=True), "tip labels")
    assert not named(tree_figure(small, show_labels=False), "tip labels")


def test_labels_are_escaped() -> None:
    fig = tree_figure(tree_layout("('<b>x</b>':1,y:1);"))
    assert "\u2003&lt;b&gt;x&lt;/b&gt;" in named(fig, "tip labels")[0].text


def test_labels_sit_in_a_pixel_margin_and_long_ones_are_cut() -> None:
    """Labels are drawn past the axes into a right margin sized in pixels (so they fit a
    phone-wide figure as well as a wide one); a 60-character label is cut to 40 with an
    ellipsis, while its hover keeps the whole name."""
    long = "Escherichia_coli_REL606_ISS_flight_line_07_passage_500_clone"
    assert len(long) == 60
    fig = tree_figure(tree_layout(f"({long}:1,B:2,C:3);"))
    labels = named(fig, "tip labels")[0]
    assert labels.cliponaxis is False
    # One em space keeps each label clear of its tip (and of a search ring) at any width.
    assert all(t.startswith("\u2003") for t in labels.text)
    cut = next(t.strip() for t in labels.text if "Escherichia" in t)
    assert len(cut) == LABEL_CHARS_MAX
    assert cut.endswith("…")
    hovers = [h for t in fig.data if t.hovertext is not None for h in t.hovertext]
    assert any(long in h for h in hovers)
    assert 250 <= fig.layout.margin.r <= LABEL_MARGIN_MAX_PX
    # The tips' reach stays within the axes: labels take the margin, not tree units.
    assert fig.layout.xaxis.range[1] < 3 * 1.05
    short = tree_figure(tree_layout("(A:1,B:2,C:3);"))
    assert short.layout.margin.r < 40
    assert tree_figure(tree_layout("(A:1,B:2,C:3);"), show_labels=False).layout.margin.r == 8


def test_radial_labels_face_outwards_and_axes_are_equal() -> None:
    lay = tree_layout("(A:1,B:1,C:1,D:1);", shape="radial")
    fig = tree_figure(lay)
    labels = named(fig, "tip labels")[0]
    sides = dict(zip(labels.text, labels.textposition, strict=True))
    # Four tips clockwise from the top: A and B on the right, C and D on the left; the em
    # space is on the side facing the tip.
    assert sides == {
        "\u2003A": "middle right",
        "\u2003B": "middle right",
        "C\u2003": "middle left",
        "D\u2003": "middle left",
    }
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.visible is False
    assert fig.layout.yaxis.showgrid is False


def test_collapsed_clade_says_how_many_tips() -> None:
    fig = tree_figure(tree_layout("((A:1,B:2)AB:1,C:3);", collapsed=frozenset({1})))
    assert list(named(fig, "collapsed labels")[0].text) == ["\u2003AB (2 tips)"]
    assert named(fig, "collapsed clades")[0].fill == "toself"


def test_scale_bar_for_phylograms_only() -> None:
    assert scale_length(0.37) == 0.05  # a fifth is 0.074: the largest 1-2-5 below it
    assert scale_length(3.0) == 0.5
    assert scale_length(0.0) == 0.0
    lay = tree_layout(SMALL)  # deepest tip at 3: a bar of 0.5
    bar = named(tree_figure(lay), "scale bar")[0]
    assert points(bar) == [(0.0, -1.0), (0.5, -1.0)]
    assert bar.text[-1] == "0.5 substitutions per site"
    assert not named(tree_figure(lay, scale_bar=False), "scale bar")
    assert not named(tree_figure(tree_layout(SMALL, lengths=False)), "scale bar")
    radial = named(tree_figure(tree_layout(SMALL, shape="radial")), "scale bar")[0]
    assert points(radial)[0][0] == -3.0  # bottom left of the circle


def test_selected_node_is_ringed() -> None:
    lay = tree_layout(SMALL)
    ring = named(tree_figure(lay, selected=1), "selected")[0]
    assert [int(v) for v in ring.customdata] == [1]
    assert (ring.x[0], ring.y[0]) == (1.0, 1.5)
    assert not named(tree_figure(tree_layout(SMALL, root_clade=1), selected=4), "selected")


def test_hover_names_length_support_and_tips() -> None:
    fig = tree_figure(tree_layout(SMALL), tip_groups={"A": "Flight", "B": "Flight"})
    nodes = named(fig, "nodes")[0]
    clade = list(nodes.hovertext)[list(nodes.customdata).index(1)]
    assert "2 tips" in clade
    assert "branch 1" in clade
    assert "support 90" in clade
    assert "Flight" in clade  # both its tips are
    tip = next(t for t in fig.data if t.mode == "markers" and t.name == "Flight")
    assert "<b>B</b>" in tip.hovertext[1]
    assert "branch 2" in tip.hovertext[1]


def test_zoom_survives_rerenders_but_not_a_new_view() -> None:
    lay = tree_layout(SMALL)
    first = tree_figure(lay, show_support=True)
    again = tree_figure(tree_layout(SMALL, collapsed=frozenset({1})), highlight={"A"})
    assert first.layout.uirevision == again.layout.uirevision == lay.key
    assert tree_figure(tree_layout(SMALL, root_clade=1)).layout.uirevision != lay.key
    assert tree_figure(lay, uirevision="mine").layout.uirevision == "mine"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_themed_for_the_scheme(scheme: str) -> None:
    fig = tree_figure(tree_layout(SMALL), scheme=scheme)
    assert fig.layout.font.color == PLOT_PALETTES[scheme]["font"]
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)"


def test_figure_is_json_and_compact() -> None:
    fig = tree_figure(tree_layout(random_tree(1_000)))
    text = fig.to_json()
    json.loads(text)
    assert len(text) < 400_000  # typed arrays, float32 coordinates


def test_graph_config_for_downloads() -> None:
    config = tree_graph_config("E. coli flight / ground")
    assert config["displaylogo"] is False
    assert config["toImageButtonOptions"] == {
        "format": "svg",
        "filename": "E.-coli-flight-ground",
        "scale": 2,
    }
    assert tree_graph_config("t", image_format="png")["toImageButtonOptions"]["format"] == "png"
    with pytest.raises(ValueError, match="jpeg"):
        tree_graph_config("t", image_format="jpeg")
