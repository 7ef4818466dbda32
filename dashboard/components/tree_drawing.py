"""One drawing of a saved tree as the Trees page asks for it: the URL's view applied to the
tree's Newick and tip metadata, giving the figure and what the controls around it show
(labels on or off, search matches, the clicked node). Pure: plain values in, no data access.

A view that does not fit the tree (a zoom into a tip or a node the tree lacks, a colour the
tips know nothing of) falls back to the default for that part, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from analysis.phylo import PhyloInputError
from analysis.phylo.layout import TreeLayout, tree_layout

from .tree_figure import labels_shown, tree_figure
from .tree_state import TreeQuery, search_matches


@dataclass(frozen=True)
class NodeFacts:
    """The clicked node as the action bar describes it (ids are stable node ids)."""

    id: int
    name: str
    is_tip: bool
    is_collapsed: bool
    is_view_root: bool  # the root of what is drawn (the tree's, or the zoomed clade's)
    is_tree_root: bool
    tips: int
    support: float | None
    tip_names: tuple[str, ...]  # every tip of the whole tree below it


@dataclass(frozen=True)
class Drawing:
    """A figure and what the page shows around it."""

    figure: go.Figure
    query: TreeQuery  # the view actually drawn (impossible parts reset)
    labels: bool  # tip labels drawn
    labels_auto: bool  # what "automatic" would have given
    matches: tuple[str, ...]
    node: NodeFacts | None
    note: str  # why part of the view was reset ("" when nothing was)


def _node(layout: TreeLayout, full: TreeLayout, node_id: int | None) -> NodeFacts | None:
    """Facts of node ``node_id`` when it is drawn in ``layout`` (``full``: the whole tree)."""
    if node_id is None:
        return None
    at = layout.position(node_id)
    whole = full.position(node_id)
    if at is None or whole is None:
        return None
    start, count = int(full.tip_start[whole]), int(full.tips[whole])
    support = float(layout.support[at])
    return NodeFacts(
        id=node_id,
        name=layout.names[at],
        is_tip=bool(layout.is_tip[at]),
        is_collapsed=bool(layout.is_collapsed[at]),
        is_view_root=at == 0,
        is_tree_root=node_id == 0,
        tips=int(layout.tips[at]),
        support=None if np.isnan(support) else support,
        tip_names=tuple(full.clade_tips[start : start + count]),
    )


def draw(
    newick: str,
    q: TreeQuery,
    tip_groups: Mapping[str, str] | None,
    *,
    group_title: str = "",
    selected: int | None = None,
    scheme: str = "light",
) -> Drawing:
    """Lay out and draw ``newick`` as ``q`` says (``tip_groups``: tip -> category to colour
    by, None for no colour)."""
    note = ""
    try:
        layout = tree_layout(
            newick,
            shape="radial" if q.shape == "radial" else "rectangular",
            lengths=q.lengths,
            collapsed=frozenset(q.collapsed),
            root_clade=q.zoom,
        )
    except PhyloInputError as exc:
        if q.zoom is None:
            raise
        note = f"Showing the whole tree: {exc}."
        q = replace(q, zoom=None)
        layout = tree_layout(
            newick,
            shape="radial" if q.shape == "radial" else "rectangular",
            lengths=q.lengths,
            collapsed=frozenset(q.collapsed),
        )
    if q.lengths and not layout.lengths and len(layout.ids) > 1:
        note = " ".join(
            filter(None, [note, "This tree has no branch lengths: it is drawn as a cladogram."])
        )
    full = (
        layout
        if q.zoom is None and not q.collapsed
        else tree_layout(newick, shape="rectangular", lengths=False)
    )
    matches = tuple(search_matches(full.clade_tips, q.search))
    node = _node(layout, full, selected)
    figure = tree_figure(
        layout,
        tip_groups=tip_groups,
        group_title=group_title,
        show_labels=q.labels,
        highlight=matches,
        show_support=q.support,
        selected=node.id if node else None,
        scheme=scheme,
    )
    return Drawing(
        figure=figure,
        query=q,
        labels=labels_shown(layout, q.labels),
        labels_auto=labels_shown(layout, None),
        matches=matches,
        node=node,
        note=note,
    )


def common_ancestor(newick: str, tips: set[str]) -> int | None:
    """Stable id of the smallest clade holding every tip in ``tips`` (None: no such tip).

    >>> common_ancestor("((A,B),(C,D));", {"A", "B"}), common_ancestor("((A,B),C);", {"A"})
    (1, 2)
    >>> common_ancestor("((A,B),(C,D));", {"B", "C"}), common_ancestor("(A,B);", {"Z"})
    (0, None)
    """
    full = tree_layout(newick, shape="rectangular", lengths=False)
    wanted = np.array([name in tips for name in full.clade_tips], dtype=bool)
    if not wanted.any():
        return None
    first = int(np.argmax(wanted))
    last = len(wanted) - 1 - int(np.argmax(wanted[::-1]))
    # Nodes in preorder: the last (deepest) node whose tip range covers first..last.
    covers = (full.tip_start <= first) & (full.tip_start + full.tips - 1 >= last)
    return int(full.ids[np.flatnonzero(covers)[-1]])


def search_clade(newick: str, search: str) -> int | None:
    """Stable id of the smallest clade holding every tip the search finds (None: none).

    >>> search_clade("((Anc1,Anc2),(F1,G1));", "anc"), search_clade("(A,B);", "")
    (1, None)
    """
    full = tree_layout(newick, shape="rectangular", lengths=False)
    matches = search_matches(full.clade_tips, search)
    return common_ancestor(newick, set(matches)) if matches else None


def clade_tips(newick: str, node_id: int) -> tuple[str, ...]:
    """Every tip below node ``node_id`` (the tip itself for a tip; () for no such node).

    >>> clade_tips("((A,B),C);", 1), clade_tips("((A,B),C);", 4), clade_tips("(A,B);", 9)
    (('A', 'B'), ('C',), ())
    """
    full = tree_layout(newick, shape="rectangular", lengths=False)
    at = full.position(node_id)
    if at is None:
        return ()
    start = int(full.tip_start[at])
    return tuple(full.clade_tips[start : start + int(full.tips[at])])
