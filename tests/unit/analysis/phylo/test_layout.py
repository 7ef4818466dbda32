"""Tree layouts checked against geometry worked out by hand on tiny trees (tip order, depths,
connectors, radii and angles, collapse and zoom), and a 50,000-tip caterpillar that a
recursive layout could not walk."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.phylo import PhyloInputError, TreeLayout, tree_layout
from analysis.phylo.layout import ARC_STEP_RAD

SMALL = "((A:1,B:2)90:1,C:3);"  # ids: 0 root, 1 (A,B), 2 A, 3 B, 4 C


def elbows(lay: TreeLayout) -> dict[int, list[tuple[float, float]]]:
    """Each node's elbow as a list of points (the NaN separator dropped), by stable id."""
    out: dict[int, list[tuple[float, float]]] = {}
    for x, y, at in zip(lay.edge_x, lay.edge_y, lay.edge_node, strict=True):
        if not math.isnan(x):
            out.setdefault(int(lay.ids[at]), []).append((float(x), float(y)))
    return out


def test_rectangular_phylogram_by_hand() -> None:
    lay = tree_layout(SMALL)
    assert lay.shape == "rectangular"
    assert lay.lengths
    assert lay.ids.tolist() == [0, 1, 2, 3, 4]
    assert lay.names == ["", "", "A", "B", "C"]
    assert lay.parent.tolist() == [-1, 0, 1, 1, 0]
    assert lay.is_tip.tolist() == [False, False, True, True, True]
    assert lay.tips.tolist() == [3, 2, 1, 1, 1]
    assert lay.clade_tips == ("A", "B", "C")
    # Depth = sum of lengths from the root: (A,B) at 1, A at 1+1, B at 1+2, C at 3.
    assert lay.x.tolist() == [0.0, 1.0, 2.0, 3.0, 3.0]
    # Tips top to bottom in Newick order: A y=2, B y=1, C y=0; (A,B) halfway between A and
    # B (1.5); the root halfway between its first child (1.5) and its last (0): 0.75.
    assert lay.y.tolist() == [0.75, 1.5, 2.0, 1.0, 0.0]
    assert lay.slot_count == 3
    assert lay.max_depth == 3.0
    assert lay.support[1] == 90.0
    assert np.isnan(lay.support[[0, 2, 3, 4]]).all()
    assert lay.length.tolist()[1:] == [1.0, 1.0, 2.0, 3.0]
    # Elbows: along the parent's vertical connector to the node's height, then across.
    assert elbows(lay) == {
        1: [(0.0, 0.75), (0.0, 1.5), (1.0, 1.5)],
        2: [(1.0, 1.5), (1.0, 2.0), (2.0, 2.0)],
        3: [(1.0, 1.5), (1.0, 1.0), (3.0, 1.0)],
        4: [(0.0, 0.75), (0.0, 0.0), (3.0, 0.0)],
    }
    # The connector of (A,B) is the vertical from its first child (y 2) to its last (y 1).
    at_x1 = sorted({y for pts in elbows(lay).values() for x, y in pts[:2] if x == 1.0})
    assert at_x1 == [1.0, 1.5, 2.0]
    # NaN separators: one per elbow, so a plotted line breaks between branches.
    assert int(np.isnan(lay.edge_x).sum()) == 4


def test_cladogram_aligns_tips_and_uses_levels() -> None:
    lay = tree_layout(SMALL, lengths=False)
    assert not lay.lengths
    # Root level 0, (A,B) level 1, every tip at the deepest tip level (2).
    assert lay.depth.tolist() == [0.0, 1.0, 2.0, 2.0, 2.0]
    assert lay.y.tolist() == [0.75, 1.5, 2.0, 1.0, 0.0]


def test_tree_without_lengths_is_a_cladogram() -> None:
    lay = tree_layout("((A,B),C);")
    assert not lay.lengths
    assert lay.depth.tolist() == [0.0, 1.0, 2.0, 2.0, 2.0]


def test_negative_and_missing_lengths_count_as_zero() -> None:
    lay = tree_layout("((A:-0.5,B:2),C:3);")
    assert lay.lengths
    assert lay.depth.tolist() == [0.0, 0.0, 0.0, 2.0, 3.0]


def test_ids_are_preorder_and_stable() -> None:
    text = "((A,B)X,(C,D)Y)R;"
    first = tree_layout(text)
    assert first.names == ["R", "X", "A", "B", "Y", "C", "D"]
    assert first.ids.tolist() == list(range(7))
    again = tree_layout(text, shape="radial", lengths=False)
    assert again.names == first.names
    assert first.key == tree_layout(text).key
    assert first.key != tree_layout(text, shape="radial").key
    assert first.key != tree_layout(text, root_clade=1).key
    assert first.key == tree_layout(text, collapsed=frozenset({1})).key  # zoom kept
    assert first.position(4) == 4
    assert first.position(99) is None


def test_radial_radius_is_depth_and_tips_are_evenly_spaced() -> None:
    text = "((A:1,B:2):1,(C:1,(D:1,E:2):1):1,F:2);"
    lay = tree_layout(text, shape="radial")
    assert np.allclose(np.hypot(lay.x, lay.y), lay.depth)
    flat = tree_layout(text)
    assert np.allclose(lay.depth, flat.depth)
    assert np.allclose(lay.x, lay.depth * np.cos(lay.angle))
    assert np.allclose(lay.y, lay.depth * np.sin(lay.angle))
    tips = lay.angle[lay.is_tip]
    steps = np.diff(tips)
    assert np.allclose(steps, steps[0])
    assert steps[0] < 0  # clockwise
    # A gap is left between the last tip and the first, at least one step wide.
    assert 2 * math.pi - (len(tips) - 1) * abs(steps[0]) >= abs(steps[0]) - 1e-12
    # 6 tips fit 6 steps around the circle (the gap is one step): 60 degrees each.
    assert math.isclose(abs(steps[0]), math.radians(60))
    # The gap is centred at the top: the first and last tip are mirror images about it.
    assert math.isclose(tips[0] - math.pi / 2, -(tips[-1] + 2 * math.pi - math.pi / 2))
    # An inner node sits at the mid-angle of its first and last child: (A,B) is node 1.
    assert math.isclose(lay.angle[1], (lay.angle[2] + lay.angle[3]) / 2)


def test_radial_big_tree_keeps_a_small_gap() -> None:
    tips = ",".join(f"t{i}:1" for i in range(400))
    lay = tree_layout(f"({tips});", shape="radial")
    step = abs(np.diff(lay.angle[lay.is_tip])).mean()
    gap = 2 * math.pi - 399 * step
    assert math.isclose(gap / (2 * math.pi), 0.04, rel_tol=1e-9)


def test_radial_connectors_are_arcs_at_the_parent_radius() -> None:
    lay = tree_layout("(((A:1,B:2):1,C:3):0.5,D:1);", shape="radial")
    for node, points in elbows(lay).items():
        at = lay.position(node)
        assert at is not None
        parent = lay.parent[at]
        radii = np.hypot(*np.array(points).T)
        # Every point but the last lies on the parent's circle; the last is the node.
        assert np.allclose(radii[:-1], lay.depth[parent])
        assert math.isclose(radii[-1], lay.depth[at])
        if lay.depth[parent] == 0:
            continue  # the root is a point: its arc has no angle to check
        angles = np.unwrap(np.arctan2(*np.array(points[:-1]).T[::-1]))
        assert math.isclose(angles[0] % (2 * math.pi), lay.angle[parent] % (2 * math.pi))
        assert math.isclose(angles[-1] % (2 * math.pi), lay.angle[at] % (2 * math.pi))
        # Sampled finely enough to look round: at most ARC_STEP_RAD between points.
        if len(angles) > 1:
            assert np.abs(np.diff(angles)).max() <= ARC_STEP_RAD + 1e-12


def test_collapsed_clade_is_one_slot_with_a_triangle() -> None:
    lay = tree_layout(SMALL, collapsed=frozenset({1}))
    assert lay.ids.tolist() == [0, 1, 4]
    assert lay.names == ["", "", "C"]
    assert lay.is_collapsed.tolist() == [False, True, False]
    assert lay.is_leaf.tolist() == [False, True, True]
    assert lay.tips.tolist() == [3, 2, 1]  # the clade still counts its two hidden tips
    assert lay.clade_tips == ("A", "B", "C")
    assert lay.slot_count == 2
    assert lay.y.tolist() == [0.5, 1.0, 0.0]
    # The triangle reaches the clade's deepest tip (B at depth 3).
    assert lay.extent.tolist() == [0.0, 3.0, 3.0]
    outline = [
        (float(x), float(y))
        for x, y in zip(lay.triangle_x, lay.triangle_y, strict=True)
        if not math.isnan(x)
    ]
    assert outline[0] == outline[-1] == (1.0, 1.0)  # closed at the apex
    assert {x for x, _ in outline[1:-1]} == {3.0}
    assert math.isclose(max(y for _, y in outline), 1.4)
    assert math.isclose(min(y for _, y in outline), 0.6)
    assert set(lay.triangle_node.tolist()) == {1}


def test_nested_tip_and_outside_collapses_change_nothing_more() -> None:
    text = "(((A:1,B:1):1,C:1):1,D:1);"  # 0 root, 1 ((A,B),C), 2 (A,B), 3 A, 4 B, 5 C, 6 D
    outer = tree_layout(text, collapsed=frozenset({1}))
    both = tree_layout(text, collapsed=frozenset({1, 2, 6, 999}))
    assert both.ids.tolist() == outer.ids.tolist() == [0, 1, 6]
    assert both.is_collapsed.tolist() == [False, True, False]
    inner = tree_layout(text, collapsed=frozenset({2}))
    assert inner.ids.tolist() == [0, 1, 2, 5, 6]
    # Cladogram: tips and triangles end at the same aligned depth.
    clado = tree_layout(text, lengths=False, collapsed=frozenset({2}))
    assert clado.depth.tolist() == [0.0, 1.0, 2.0, 3.0, 3.0]
    assert clado.extent.tolist() == [0.0, 1.0, 3.0, 3.0, 3.0]


def test_zoom_lays_out_one_clade() -> None:
    lay = tree_layout(SMALL, root_clade=1)
    assert lay.root_id == 1
    assert lay.ids.tolist() == [1, 2, 3]
    assert lay.parent.tolist() == [-1, 0, 0]
    assert lay.depth.tolist() == [0.0, 1.0, 2.0]  # measured from the clade's root
    assert lay.y.tolist() == [0.5, 1.0, 0.0]
    assert lay.clade_tips == ("A", "B")
    assert lay.node_count == 5
    # A collapse outside the zoomed clade is ignored; one inside applies.
    text = "(((A:1,B:1):1,C:1):1,D:1);"
    zoomed = tree_layout(text, root_clade=1, collapsed=frozenset({2, 6}))
    assert zoomed.ids.tolist() == [1, 2, 5]
    assert zoomed.is_collapsed.tolist() == [False, True, False]
    # Collapsing the zoomed clade itself does not hide everything.
    assert tree_layout(text, root_clade=1, collapsed=frozenset({1})).ids.tolist() == [
        1,
        2,
        3,
        4,
        5,
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"root_clade": 2}, "node 2 is a tip"),
        ({"root_clade": 9}, "node 9 is not in this tree"),
        ({"root_clade": -1}, "node -1 is not in this tree"),
        ({"shape": "unrooted"}, "shape 'unrooted' is not one of"),
    ],
)
def test_bad_views_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PhyloInputError, match=message):
        tree_layout(SMALL, **kwargs)  # type: ignore[arg-type]


def test_deep_caterpillar_needs_no_recursion() -> None:
    n = 50_000
    # (((t0:1,t1:1):1,t2:1):1, ... t49999:1): every inner node and tip 1 from its parent.
    text = "(" * (n - 1) + "t0:1," + ",".join(f"t{i}:1):1" for i in range(1, n - 1))
    text += f",t{n - 1}:1);"
    lay = tree_layout(text)
    assert lay.slot_count == n
    assert len(lay.ids) == 2 * n - 1
    # t0 and t1 are n-1 branches deep, the last tip hangs off the root.
    assert lay.depth[lay.is_tip].max() == n - 1
    assert lay.depth[-1] == 1.0
    assert lay.tips[0] == n
