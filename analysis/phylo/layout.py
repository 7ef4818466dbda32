"""Where every node of a tree is drawn: rectangular or circular, phylogram or cladogram, with
clades collapsed or one clade zoomed into. Pure geometry over numpy arrays (no plotting).

Node ids are preorder indices of the parsed Newick (0 = root, a node before its children,
children in the order written), so the same Newick text always gives the same ids and a
URL can keep them. A layout holds only the *visible* nodes, in preorder; ``ids`` maps each
back to its stable id and ``parent`` points at the parent's position in the layout.

Geometry. Every tip and every collapsed clade takes one *slot*; slots are numbered 0, 1, ...
in preorder and an internal node sits halfway between its first and its last child (the
classic layout: a connector runs from the first child to the last). The *depth* of a node
is the sum of branch lengths from the layout's root (phylogram) or its level, with every
tip aligned at the deepest level (cladogram).

* rectangular: ``x = depth``, ``y = slots - 1 - slot`` (the first tip at the top).
* radial: the circular phylogram. Slots are evenly spaced in angle, clockwise, leaving a gap
  centred at the top (``RADIAL_GAP`` of the circle, or one step for small trees) so the
  first and last tips do not meet;
  ``radius = depth``; ``x, y`` are cartesian.

Branches are drawn as *elbows*: node ``i``'s polyline leaves its parent's point, runs along
the parent's connector (a vertical line, or an arc at the parent's radius sampled every
``ARC_STEP_RAD``) to the node's slot position, then out to the node. The union of the elbows
is the whole tree, and the elbows of the nodes above a tip are exactly its path to the root,
so a colour or a highlight is a mask over nodes. Polylines are concatenated into flat arrays
separated by NaN (a gap in a plotted line), with the owning node of each entry alongside.

Vectorised where the work is per node; the only Python loops walk the parsed tree once
(iteratively: a 50,000-tip caterpillar never meets the recursion limit) and settle the
internal nodes' slot positions bottom-up.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .errors import PhyloInputError
from .newick import Node, parse_newick

Shape = Literal["rectangular", "radial"]
SHAPES: tuple[Shape, ...] = ("rectangular", "radial")
RADIAL_GAP = 0.04  # of the circle, left empty between the last tip and the first
ARC_STEP_RAD = math.radians(2.0)  # an arc is sampled at least this finely...
ARC_POINTS_MAX = 200_000  # ...unless the whole tree would need more points than this
TRIANGLE_HALF_SLOT = 0.4  # a collapsed clade's triangle spans 0.8 of a slot

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Place = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


@dataclass(frozen=True, eq=False)
class TreeLayout:
    """Coordinates of the visible nodes of a tree, in preorder (index 0 = the layout's root).

    Per visible node ``i`` (numpy arrays of one length, ``names`` a list):

    ``ids``            the node's stable id (preorder index in the whole parsed tree)
    ``parent``         position of the parent in this layout, -1 for the layout's root
    ``is_tip``         a tip of the tree; ``is_collapsed``: a collapsed clade drawn as a
                       triangle (never both); ``is_leaf = is_tip | is_collapsed``
    ``names``          label ("" when none); ``support``, ``length``: NaN when none
    ``tips``           number of tips of the whole tree below the node (1 for a tip);
                       they are ``clade_tips[tip_start[i]: tip_start[i] + tips[i]]``
    ``depth``          distance from the layout's root (radius in the radial layout)
    ``extent``         depth of the far edge of a collapsed clade's triangle (its deepest
                       tip, or the aligned tips of a cladogram); ``depth`` for other nodes
    ``slot``           slot position (tips and collapsed clades 0, 1, ...; internal nodes
                       the midpoint of their first and last child)
    ``angle``          radians (radial layout; NaN in the rectangular one)
    ``x``, ``y``       where the node is drawn

    Polylines, flat and NaN-separated, with the owning node position per entry:
    ``edge_x``, ``edge_y``, ``edge_node`` (the elbow into each non-root node) and
    ``triangle_x``, ``triangle_y``, ``triangle_node`` (closed outlines of collapsed clades).
    """

    shape: Shape
    lengths: bool  # drawn as a phylogram (False: cladogram, or no branch lengths at all)
    root_id: int
    node_count: int  # nodes in the whole tree (ids run 0 .. node_count - 1)
    slot_count: int
    key: str  # tree, shape, lengths and zoom: a figure's uirevision (keeps the user's zoom)
    ids: IntArray
    parent: IntArray
    is_tip: BoolArray
    is_collapsed: BoolArray
    names: list[str]
    support: FloatArray
    length: FloatArray
    tips: IntArray
    tip_start: IntArray
    clade_tips: tuple[str, ...]
    depth: FloatArray
    extent: FloatArray
    slot: FloatArray
    angle: FloatArray
    x: FloatArray
    y: FloatArray
    edge_x: FloatArray
    edge_y: FloatArray
    edge_node: IntArray
    triangle_x: FloatArray
    triangle_y: FloatArray
    triangle_node: IntArray

    @property
    def is_leaf(self) -> BoolArray:
        """Nodes that take a slot: tips and collapsed clades."""
        return self.is_tip | self.is_collapsed

    @property
    def max_depth(self) -> float:
        """The deepest point drawn (the far edge of the tips and triangles)."""
        return float(self.extent.max()) if len(self.extent) else 0.0

    def position(self, node_id: int) -> int | None:
        """Position in this layout of the node with stable id ``node_id`` (None: not shown)."""
        found = np.searchsorted(self.ids, node_id)  # ids are increasing (preorder)
        if found < len(self.ids) and self.ids[found] == node_id:
            return int(found)
        return None


@dataclass(frozen=True)
class _Flat:
    """The whole parsed tree as preorder arrays."""

    parent: IntArray
    level: IntArray
    depth: FloatArray  # from the root, missing or negative lengths counted as 0
    length: FloatArray
    support: FloatArray
    names: list[str]
    end: IntArray  # the subtree of i is ids i .. end[i] - 1
    is_tip: BoolArray
    has_lengths: bool


def _flatten(root: Node) -> _Flat:
    """Preorder arrays of the tree under ``root`` (iterative: any depth)."""
    names: list[str] = []
    parents: list[int] = []
    levels: list[int] = []
    depths: list[float] = []
    lengths: list[float] = []
    supports: list[float] = []
    n_children: list[int] = []
    nan = math.nan
    stack: list[tuple[Node, int, int, float]] = [(root, -1, 0, 0.0)]
    while stack:
        node, parent, level, depth = stack.pop()
        i = len(names)
        length = node.length
        names.append(node.name or "")
        parents.append(parent)
        levels.append(level)
        depths.append(depth)
        lengths.append(nan if length is None else float(length))
        supports.append(nan if node.support is None else float(node.support))
        children = node.children
        n_children.append(len(children))
        for child in reversed(children):  # the first child is popped (numbered) first
            step = child.length
            stack.append(
                (child, i, level + 1, depth + (step if step is not None and step > 0 else 0.0))
            )
    n = len(names)
    # Subtree sizes bottom-up: a child always has a larger id than its parent.
    size = [1] * n
    for i in range(n - 1, 0, -1):
        size[parents[i]] += size[i]
    length_arr = np.array(lengths, dtype=np.float64)
    return _Flat(
        parent=np.array(parents, dtype=np.int64),
        level=np.array(levels, dtype=np.int64),
        depth=np.array(depths, dtype=np.float64),
        length=length_arr,
        support=np.array(supports, dtype=np.float64),
        names=names,
        end=np.arange(n, dtype=np.int64) + np.array(size, dtype=np.int64),
        is_tip=np.array(n_children, dtype=np.int64) == 0,
        has_lengths=bool(np.isfinite(length_arr[1:]).any()),
    )


def _view_key(nwk: str, shape: str, lengths: bool, root_id: int) -> str:
    digest = hashlib.sha256(nwk.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{digest}:{shape}:{'phylogram' if lengths else 'cladogram'}:{root_id}"


def tree_layout(
    nwk: str,
    *,
    shape: Shape = "rectangular",
    lengths: bool = True,
    collapsed: frozenset[int] = frozenset(),
    root_clade: int | None = None,
) -> TreeLayout:
    """Lay out the tree ``nwk`` (Newick text) for drawing.

    ``lengths``: a phylogram (branch lengths; a tree without any is drawn as a cladogram and
    says so in ``TreeLayout.lengths``) or a cladogram. ``collapsed``: ids of clades drawn as
    one triangle each (ids of tips, of nodes outside the view or inside another collapsed
    clade change nothing). ``root_clade``: id of the clade to zoom into (None: the whole tree).
    In a phylogram a missing branch length counts as 0, and so does a negative one (neighbour
    joining can give them; drawn backwards they would cross their sisters). A bad shape or
    zoom raises ``PhyloInputError``.

    >>> lay = tree_layout("((A:1,B:2):1,C:3);")
    >>> lay.names, lay.depth.tolist(), lay.y.tolist()
    (['', '', 'A', 'B', 'C'], [0.0, 1.0, 2.0, 3.0, 3.0], [0.75, 1.5, 2.0, 1.0, 0.0])
    """
    if shape not in SHAPES:
        raise PhyloInputError("layout", f"shape {shape!r} is not one of {', '.join(SHAPES)}")
    flat = _flatten(parse_newick(nwk))
    n_all = len(flat.names)
    root = 0 if root_clade is None else int(root_clade)
    if not 0 <= root < n_all:
        raise PhyloInputError(
            "zoom", f"node {root} is not in this tree (its nodes are 0 to {n_all - 1})"
        )
    if flat.is_tip[root]:
        raise PhyloInputError("zoom", f"node {root} is a tip; zoom into a clade (an inner node)")
    stop = int(flat.end[root])
    phylogram = lengths and flat.has_lengths

    # Collapsed clades inside the view: their descendants are hidden (nested ones vanish).
    folded = np.zeros(n_all, dtype=bool)
    picks = np.array(sorted(c for c in collapsed if root < c < stop), dtype=np.int64)
    if len(picks):
        picks = picks[~flat.is_tip[picks]]
    hidden = np.zeros(n_all + 1, dtype=np.int64)
    np.add.at(hidden, picks + 1, 1)
    np.add.at(hidden, flat.end[picks], -1)
    is_hidden = np.cumsum(hidden[:n_all]) > 0
    folded[picks] = True
    folded &= ~is_hidden

    span = np.arange(root, stop, dtype=np.int64)
    vis = span[~is_hidden[root:stop]]
    nv = len(vis)
    local = np.full(n_all, -1, dtype=np.int64)
    local[vis] = np.arange(nv, dtype=np.int64)
    parent = local[flat.parent[vis]]
    parent[0] = -1
    is_tip = flat.is_tip[vis]
    is_collapsed = folded[vis]
    is_leaf = is_tip | is_collapsed

    # Tips of the whole tree below each node, as a range of the view's tips in preorder.
    tips_before = np.concatenate(([0], np.cumsum(flat.is_tip)))
    tips = tips_before[flat.end[vis]] - tips_before[vis]
    tip_start = tips_before[vis] - tips_before[root]
    tip_ids = span[flat.is_tip[root:stop]]
    clade_tips = tuple(flat.names[i] for i in tip_ids)

    if phylogram:
        depth = flat.depth[vis] - flat.depth[root]
        # A triangle reaches the deepest tip of its clade.
        extent = depth.copy()
        for at in np.flatnonzero(is_collapsed):
            c = vis[at]
            extent[at] = flat.depth[c : flat.end[c]].max() - flat.depth[root]
    else:
        depth = (flat.level[vis] - flat.level[root]).astype(np.float64)
        aligned = max(
            float(depth[is_tip].max()) if is_tip.any() else 0.0,
            float(depth[is_collapsed].max()) + 1.0 if is_collapsed.any() else 0.0,
        )
        depth[is_tip] = aligned
        extent = depth.copy()
        extent[is_collapsed] = aligned

    # Slots: leaves numbered in preorder, inner nodes halfway between first and last child.
    slot_count = int(is_leaf.sum())
    slot = np.zeros(nv, dtype=np.float64)
    slot[is_leaf] = np.arange(slot_count, dtype=np.float64)
    last_child = np.full(nv, -1, dtype=np.int64)
    if nv > 1:
        np.maximum.at(last_child, parent[1:], np.arange(1, nv, dtype=np.int64))
    inner = np.flatnonzero(~is_leaf)
    slots = slot.tolist()
    lasts = last_child.tolist()
    for i in inner[::-1].tolist():  # children before parents
        slots[i] = (slots[i + 1] + slots[lasts[i]]) / 2.0
    slot = np.array(slots, dtype=np.float64)

    radial = shape == "radial"
    if radial:
        # Evenly spaced; the gap is RADIAL_GAP of the circle, or one step when that is more
        # (a small tree spreads its tips around the whole circle).
        step = min(
            2.0 * math.pi * (1.0 - RADIAL_GAP) / max(slot_count - 1, 1),
            2.0 * math.pi / max(slot_count, 1),
        )
        start = math.pi / 2.0 - (2.0 * math.pi - (slot_count - 1) * step) / 2.0
        along = start - slot * step  # clockwise from the top
        half = TRIANGLE_HALF_SLOT * step
    else:
        along = (slot_count - 1) - slot
        half = TRIANGLE_HALF_SLOT
    angle = along if radial else np.full(nv, np.nan)

    def place(d: FloatArray, a: FloatArray) -> tuple[FloatArray, FloatArray]:
        if radial:
            return d * np.cos(a), d * np.sin(a)
        return d.astype(np.float64, copy=True), a.astype(np.float64, copy=True)

    x, y = place(depth, along)
    edge_x, edge_y, edge_node = _elbows(parent, depth, along, radial, place)
    tri_x, tri_y, tri_node = _triangles(
        np.flatnonzero(is_collapsed), depth, extent, along, half, place
    )

    return TreeLayout(
        shape=shape,
        lengths=phylogram,
        root_id=root,
        node_count=n_all,
        slot_count=slot_count,
        key=_view_key(nwk, shape, phylogram, root),
        ids=vis,
        parent=parent,
        is_tip=is_tip,
        is_collapsed=is_collapsed,
        names=[flat.names[i] for i in vis.tolist()],
        support=flat.support[vis],
        length=flat.length[vis],
        tips=tips,
        tip_start=tip_start,
        clade_tips=clade_tips,
        depth=depth,
        extent=extent,
        slot=slot,
        angle=angle,
        x=x,
        y=y,
        edge_x=edge_x,
        edge_y=edge_y,
        edge_node=edge_node,
        triangle_x=tri_x,
        triangle_y=tri_y,
        triangle_node=tri_node,
    )


def _elbows(
    parent: IntArray,
    depth: FloatArray,
    along: FloatArray,
    radial: bool,
    place: Place,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Each non-root node's elbow: ``k + 1`` points along the parent's connector (k = 1 for
    a straight one), then the node, then a NaN gap."""
    nodes = np.arange(1, len(parent), dtype=np.int64)
    if not len(nodes):
        empty = np.zeros(0, dtype=np.float64)
        return empty, empty.copy(), np.zeros(0, dtype=np.int64)
    up = parent[nodes]
    a_from, a_to = along[up], along[nodes]
    if radial:
        sweep = np.abs(a_to - a_from)
        steps = np.maximum(np.ceil(sweep / ARC_STEP_RAD), 1).astype(np.int64)
        total = int(steps.sum())
        if total > ARC_POINTS_MAX:  # a huge caterpillar: coarser arcs, same shape
            steps = np.maximum((steps * (ARC_POINTS_MAX / total)).astype(np.int64), 1)
    else:
        steps = np.ones(len(nodes), dtype=np.int64)
    counts = steps + 3
    owner = np.repeat(nodes, counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.arange(int(counts.sum()), dtype=np.int64) - first
    k = np.repeat(steps, counts)
    frac = np.minimum(pos / k, 1.0)
    a_owner_from = along[parent[owner]]
    a = a_owner_from + (along[owner] - a_owner_from) * frac
    d = np.where(pos <= k, depth[parent[owner]], depth[owner])
    gap = pos == k + 2
    a[gap] = np.nan
    d[gap] = np.nan
    ex, ey = place(d, a)
    return ex, ey, owner


def _triangles(
    folded: IntArray,
    depth: FloatArray,
    extent: FloatArray,
    along: FloatArray,
    half: float,
    place: Place,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """A closed outline per collapsed clade: apex at the node, the far edge at its extent."""
    if not len(folded):
        empty = np.zeros(0, dtype=np.float64)
        return empty, empty.copy(), np.zeros(0, dtype=np.int64)
    a0, d0, d1 = along[folded], depth[folded], extent[folded]
    d1 = np.maximum(d1, d0 + 1e-12)  # a zero-length clade still shows an outline
    nan = np.full(len(folded), np.nan)
    d = np.stack([d0, d1, d1, d1, d0, nan], axis=1).ravel()
    a = np.stack([a0, a0 + half, a0, a0 - half, a0, nan], axis=1).ravel()
    tx, ty = place(d, a)
    return tx, ty, np.repeat(folded, 6)
