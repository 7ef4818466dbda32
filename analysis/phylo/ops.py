"""Tree operations on Newick text, done with ete3: rooting, ladderizing, pruning,
collapsing weak nodes and Robinson–Foulds distances.

Trees move between Newick and ete3 through :mod:`.newick` (not ete3's own parser, which
cannot tell an internal support from an internal name and recurses on deep trees). In the
ete3 tree a missing support is NaN and a missing length 0; whether the input had lengths is
remembered, so a cladogram stays a cladogram. ete3's ``set_outgroup`` moves each edge's
support with the edge when the tree is re-rooted.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ete3 import TreeNode  # type: ignore[import-untyped]

from .errors import PhyloInputError
from .newick import Node, parse_newick, write_newick

NONE = math.nan


@dataclass(frozen=True)
class RFResult:
    """Robinson–Foulds distance on the tips two trees share (unrooted splits)."""

    rf: int
    max_rf: int
    normalized: float  # rf / max_rf, 0 when max_rf is 0
    common_tips: int


def _to_ete(root: Node) -> tuple[Any, bool]:
    """An ete3 tree and whether any branch has a length."""
    has_lengths = False
    top = TreeNode()
    stack: list[tuple[Node, Any]] = [(root, top)]
    while stack:
        node, ete = stack.pop()
        ete.name = node.name
        ete.dist = node.length if node.length is not None else 0.0
        ete.support = node.support if node.support is not None else NONE
        has_lengths = has_lengths or (node.length is not None and node is not root)
        for child in node.children:
            stack.append((child, ete.add_child()))
    return top, has_lengths


def _from_ete(top: Any, has_lengths: bool) -> Node:
    root = Node()
    stack: list[tuple[Any, Node]] = [(top, root)]
    while stack:
        ete, node = stack.pop()
        node.name = ete.name or ""
        if ete is not top and has_lengths:
            node.length = float(ete.dist)
        if ete.children and not math.isnan(ete.support):
            node.support = float(ete.support)
        for child in ete.children:
            node.children.append(Node())
            stack.append((child, node.children[-1]))
    return root


def _load(nwk: str) -> tuple[Any, bool]:
    return _to_ete(parse_newick(nwk))


def _dump(tree: Any, has_lengths: bool) -> str:
    return write_newick(_from_ete(tree, has_lengths))


def _tip_nodes(tree: Any, labels: Sequence[str], what: str) -> list[Any]:
    by_name = {leaf.name: leaf for leaf in tree.iter_leaves()}
    missing = [label for label in labels if label not in by_name]
    if missing:
        raise PhyloInputError(
            what, f"{', '.join(map(repr, missing[:5]))} not among the tree's tips"
        )
    return [by_name[label] for label in labels]


def midpoint_root(nwk: str) -> str:
    """Root halfway along the longest tip-to-tip path.

    (ete3's ``get_midpoint_outgroup`` only walks up from one end and its ``set_outgroup``
    puts the root in the middle of the chosen edge; the exact point is placed here.)
    """
    tree, has_lengths = _load(nwk)
    far_a, _ = tree.get_farthest_leaf()
    far_b, diameter = far_a.get_farthest_node()
    if not has_lengths or diameter <= 0:
        raise PhyloInputError("tree", "has no branch lengths; midpoint rooting needs them")
    half = diameter / 2
    top = tree.get_common_ancestor(far_a, far_b)
    edge, below = None, 0.0
    for end in (far_a, far_b):
        node, walked = end, 0.0
        while node is not top:
            if walked + node.dist >= half:
                edge, below = node, half - walked
                break
            walked += node.dist
            node = node.up
        if edge is not None:
            break
    if edge is None:  # the midpoint is the common ancestor itself (only at the root)
        return _dump(tree, has_lengths)
    if edge.up is tree and len(tree.children) == 2:
        sister = next(child for child in tree.children if child is not edge)
        total = edge.dist + sister.dist
    else:
        total = edge.dist
        tree.set_outgroup(edge)
        sister = next(child for child in tree.children if child is not edge)
    edge.dist, sister.dist = below, total - below
    return _dump(tree, has_lengths)


def root_on(nwk: str, outgroup: Sequence[str]) -> str:
    """Root on the branch above the most recent common ancestor of the ``outgroup`` tips.

    When that ancestor is the current root (the outgroup straddles it), the tree is first
    re-rooted on a tip outside the outgroup, so the outgroup becomes one side of the root.
    """
    tree, has_lengths = _load(nwk)
    if not outgroup:
        raise PhyloInputError("outgroup", "is empty; name one or more tips")
    tips = _tip_nodes(tree, list(dict.fromkeys(outgroup)), "outgroup")
    if len(tips) >= len(tree.get_leaves()):
        raise PhyloInputError("outgroup", "holds every tip; leave at least one outside it")
    ancestor = tips[0] if len(tips) == 1 else tree.get_common_ancestor(*tips)
    if ancestor is tree:
        inside = {id(tip) for tip in tips}
        other = next(leaf for leaf in tree.iter_leaves() if id(leaf) not in inside)
        tree.set_outgroup(other)
        ancestor = tips[0] if len(tips) == 1 else tree.get_common_ancestor(*tips)
    if ancestor is not tree and not (ancestor.up is tree and len(tree.children) == 2):
        tree.set_outgroup(ancestor)
    return _dump(tree, has_lengths)


def ladderize(nwk: str, *, descending: bool = True) -> str:
    """Order every node's children by clade size: the largest first (``descending``) or
    the smallest first."""
    tree, has_lengths = _load(nwk)
    tree.ladderize(direction=1 if descending else 0)
    return _dump(tree, has_lengths)


def prune(nwk: str, keep: Sequence[str]) -> str:
    """The tree restricted to the ``keep`` tips; branch lengths along removed nodes are
    summed so tip-to-tip distances are unchanged."""
    tree, has_lengths = _load(nwk)
    names = list(dict.fromkeys(keep))
    tips = _tip_nodes(tree, names, "keep")
    if len(tips) < 2:
        raise PhyloInputError("keep", f"names {len(tips)} tip; keep at least 2")
    tree.prune(tips, preserve_branch_length=True)
    return _dump(tree, has_lengths)


def collapse_below(nwk: str, threshold: float) -> str:
    """Collapse internal nodes whose support is below ``threshold`` into polytomies.

    A collapsed node's length is added to its children (as Bio.Phylo's ``collapse`` does),
    so every tip keeps its distance from the root. Nodes with no support value are kept."""
    if not math.isfinite(threshold):
        raise PhyloInputError("threshold", "must be a number")
    tree, has_lengths = _load(nwk)
    weak = [
        node
        for node in tree.traverse("postorder")
        if node.children and node is not tree and node.support < threshold
    ]  # NaN < threshold is False: unsupported nodes stay
    for node in weak:
        # ete3's preserve_branch_length adds the length to the parent's edge, which moves
        # the node's sisters away from the root; add it to the node's children instead.
        for child in node.children:
            child.dist += node.dist
        node.delete(prevent_nondicotomic=False, preserve_branch_length=False)
    return _dump(tree, has_lengths)


def _split_keys(root: Node, index: dict[str, int]) -> set[bytes]:
    """The tree's non-trivial unrooted splits of the ``index`` tips (others are ignored, as
    if pruned), each as a 16-byte digest of its bitset (the side without tip 0).

    Iterative, and a node's bitset is dropped once its parent has it, so a 100,000-tip
    ladder needs neither deep recursion nor its n^2 bits at once (ete3 needed both).
    """
    n = len(index)
    everyone = (1 << n) - 1
    width = (n + 7) // 8
    below: dict[int, int] = {}
    keys: set[bytes] = set()
    for node in root.postorder():
        if node.children:
            bits = 0
            for child in node.children:
                bits |= below.pop(id(child))
        else:
            position = index.get(node.name)
            bits = 0 if position is None else 1 << position
        below[id(node)] = bits
        side = everyone ^ bits if bits & 1 else bits
        if 2 <= side.bit_count() <= n - 2:
            keys.add(hashlib.blake2b(side.to_bytes(width, "little"), digest_size=16).digest())
    return keys


def robinson_foulds(a: str, b: str) -> RFResult:
    """Unrooted Robinson–Foulds distance between two trees on the tips they share.

    Trees with different tips are both restricted to the common ones first (``common_tips``
    says how many); fewer than three common tips cannot be compared. As ete3's
    ``robinson_foulds(unrooted_trees=True)`` counts: ``rf`` is the number of splits (both
    sides of at least two tips) in one tree only, ``max_rf`` the number in both together.
    """
    first, second = parse_newick(a), parse_newick(b)
    common = {tip.name for tip in first.tips()} & {tip.name for tip in second.tips()}
    if len(common) < 3:
        raise PhyloInputError(
            "trees", f"share {len(common)} tips; comparing them needs at least 3 in common"
        )
    index = {name: i for i, name in enumerate(sorted(common))}
    one, two = _split_keys(first, index), _split_keys(second, index)
    rf, max_rf = len(one ^ two), len(one) + len(two)
    return RFResult(rf, max_rf, rf / max_rf if max_rf else 0.0, len(common))
