"""Tree operations: results checked by hand (tip-to-tip distances, splits and their supports,
which re-rooting must not change) and midpoint rooting against scikit-bio."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from skbio import TreeNode

from analysis.phylo import PhyloInputError
from analysis.phylo.newick import Node, parse_newick
from analysis.phylo.ops import (
    RFResult,
    collapse_below,
    ladderize,
    midpoint_root,
    prune,
    robinson_foulds,
    root_on,
)

# Unrooted, as NJ writes it: split {a,b} has support 80, split {d,e} support 70.
TREE = "((a:1,b:2)80:3,c:4,(d:2,e:1)70:2);"


def distances(newick: str) -> dict[frozenset[str], float]:
    """Tip-to-tip path lengths, by scikit-bio."""
    tree = TreeNode.read(io.StringIO(newick), convert_underscores=False)
    names = sorted(t.name for t in tree.tips())
    return {
        frozenset((x, y)): tree.find(x).distance(tree.find(y))
        for x, y in itertools.combinations(names, 2)
    }


def heights(newick: str) -> dict[str, float]:
    """Root-to-tip path lengths, by scikit-bio."""
    tree = TreeNode.read(io.StringIO(newick), convert_underscores=False)
    return {t.name: t.distance(tree) for t in tree.tips()}


def split_supports(newick: str) -> dict[frozenset[str], float | None]:
    """Unrooted split (side without the first tip) -> support, for non-trivial splits."""
    root = parse_newick(newick)
    everyone = frozenset(t.name for t in root.tips())
    first = min(everyone)
    out: dict[frozenset[str], float | None] = {}
    for node in root.preorder():
        if node is root or not node.children:
            continue
        side = frozenset(t.name for t in node.tips())
        side = everyone - side if first in side else side
        if 2 <= len(side) <= len(everyone) - 2:
            out[side] = node.support
    return out


def root_sides(newick: str) -> list[frozenset[str]]:
    root = parse_newick(newick)
    return sorted((frozenset(t.name for t in c.tips()) for c in root.children), key=len)


def test_midpoint_root_by_hand() -> None:
    # Longest paths: b-c and b-d, 9 each; the midpoint is 4.5 from b: 2.5 along the
    # (a,b) edge of length 3, leaving 0.5 on the other side.
    rooted = midpoint_root(TREE)
    assert root_sides(rooted) == [frozenset("ab"), frozenset("cde")]
    assert distances(rooted) == pytest.approx(distances(TREE))
    root = parse_newick(rooted)
    assert sorted(c.length for c in root.children) == [0.5, 2.5]
    assert split_supports(rooted) == split_supports(TREE)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_midpoint_root_matches_scikit_bio(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tree = TreeNode.read(io.StringIO("((a,b),c,((d,e),(f,(g,h))));"))
    for node in tree.traverse(include_self=False):
        node.length = float(rng.uniform(0.1, 3.0))
    newick = str(tree).strip()
    ours = TreeNode.read(io.StringIO(midpoint_root(newick)))
    reference = tree.root_at_midpoint()
    heights = {t.name: t.distance(ours) for t in ours.tips()}
    expected = {t.name: t.distance(reference) for t in reference.tips()}
    assert heights == pytest.approx(expected)


def test_root_on_a_clade_and_on_a_tip() -> None:
    on_ab = root_on(TREE, ["b", "a"])
    assert root_sides(on_ab) == [frozenset("ab"), frozenset("cde")]
    assert distances(on_ab) == pytest.approx(distances(TREE))
    on_c = root_on(TREE, ["c"])
    assert root_sides(on_c) == [frozenset("c"), frozenset("abde")]
    # Supports travel with their edges: every split keeps its value.
    assert split_supports(on_c) == split_supports(TREE)
    assert split_supports(on_ab) == split_supports(TREE)


def test_root_on_an_outgroup_that_straddles_the_root() -> None:
    # In TREE the MRCA of c, d, e is the root; rooted so, the outgroup is one side.
    rooted = root_on(TREE, ["c", "d", "e"])
    assert root_sides(rooted) == [frozenset("ab"), frozenset("cde")]
    assert distances(rooted) == pytest.approx(distances(TREE))
    assert split_supports(rooted) == split_supports(TREE)


def test_root_on_refuses_unknown_empty_and_everything() -> None:
    with pytest.raises(PhyloInputError, match="'zz' not among the tree's tips"):
        root_on(TREE, ["a", "zz"])
    with pytest.raises(PhyloInputError, match="is empty"):
        root_on(TREE, [])
    with pytest.raises(PhyloInputError, match="holds every tip"):
        root_on(TREE, list("abcde"))


def test_midpoint_needs_lengths() -> None:
    with pytest.raises(PhyloInputError, match="no branch lengths"):
        midpoint_root("((a,b),c,(d,e));")


def clade_sizes_in_order(node: Node) -> list[list[int]]:
    return [[len(c.tips()) for c in n.children] for n in node.preorder() if n.children]


def test_ladderize_orders_children_by_size() -> None:
    text = "(f,((d,((a,b),c)),e));"
    down = parse_newick(ladderize(text))
    up = parse_newick(ladderize(text, descending=False))
    assert all(sizes == sorted(sizes, reverse=True) for sizes in clade_sizes_in_order(down))
    assert all(sizes == sorted(sizes) for sizes in clade_sizes_in_order(up))
    assert split_supports(ladderize(TREE)) == split_supports(TREE)
    assert distances(ladderize(TREE)) == pytest.approx(distances(TREE))


def test_prune_keeps_tip_to_tip_distances() -> None:
    pruned = prune(TREE, ["a", "c", "d"])
    # By hand from TREE: a-c = 1+3+4, a-d = 1+3+2+2, c-d = 4+2+2.
    assert distances(pruned) == pytest.approx(
        {frozenset("ac"): 8.0, frozenset("ad"): 8.0, frozenset("cd"): 8.0}
    )
    with pytest.raises(PhyloInputError, match="keep at least 2"):
        prune(TREE, ["a"])
    with pytest.raises(PhyloInputError, match="'q' not among"):
        prune(TREE, ["a", "q"])


def test_collapse_below_threshold() -> None:
    text = "((a:1,(b:1,(c:1,d:1)10:1)20:1)90:1,e:1,f:1);"
    collapsed = collapse_below(text, 50)
    assert split_supports(collapsed) == {frozenset("ef"): 90.0}  # i.e. {a,b,c,d} | {e,f}
    # Lengths move to the children (as Bio.Phylo's collapse does): each tip keeps its
    # distance from the root; by hand, c = 1 + 1 + 1 + 1 (its stem now 3).
    assert heights(collapsed) == pytest.approx(heights(text))
    assert heights(collapsed)["c"] == 4.0
    assert collapse_below(text, 5) == text
    # Nodes without support are never collapsed.
    assert collapse_below("((a:1,b:1):1,c:1,d:1);", 50) == "((a:1,b:1):1,c:1,d:1);"


def test_robinson_foulds_by_hand() -> None:
    # Splits {a,b},{d,e} against {a,c},{d,e}: one each not shared -> 2 of 2(n-3) = 4.
    assert robinson_foulds(TREE, "((a,c),b,(d,e));") == RFResult(2, 4, 0.5, 5)
    assert robinson_foulds(TREE, "(((d,e),c),(b,a));") == RFResult(0, 4, 0.0, 5)  # rooting
    # Extra tips are dropped first: on a..e these trees agree.
    assert robinson_foulds(TREE, "((a,(b,x)),c,(d,(e,y)));").rf == 0
    assert robinson_foulds(TREE, "((a,(b,x)),c,(d,(e,y)));").common_tips == 5
    with pytest.raises(PhyloInputError, match="share 2 tips"):
        robinson_foulds(TREE, "(a,b,(x,y));")
