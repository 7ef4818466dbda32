"""The phylogenetics fed what an attacker or a careless user sends: bombs, deep trees,
absurd numbers and labels that spoof or break. Each is refused quickly with a
:class:`PhyloInputError`, or handled; never a RecursionError, an OverflowError or minutes of
CPU and gigabytes of memory."""

from __future__ import annotations

import random
import time

import pytest

from analysis.phylo import PhyloInputError, check_matrix
from analysis.phylo.build import build_tree
from analysis.phylo.ops import RFResult, robinson_foulds
from analysis.phylo.tree_io import read_tree, write_tree


def _caterpillar(n: int) -> str:
    """A ladder of ``n`` tips: the deepest tree there is (depth n - 1)."""
    return "(" * (n - 1) + "t0:1," + ",".join(f"t{i}:1):1" for i in range(1, n)) + ";"


def _quick(seconds: float, make: object) -> None:
    started = time.perf_counter()
    with pytest.raises(PhyloInputError):
        make()  # type: ignore[operator]
    assert time.perf_counter() - started < seconds


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        # 3 MB of parentheses: a million one-child nodes (17 s and 500 MB to accept before).
        (b"(" * 1_000_000 + b"A,B" + b")" * 1_000_000 + b";", "paren-bomb.nwk"),
        # Two million tips in 8 MB: tens of seconds and gigabytes before the tip limit said no.
        (b"(" + b"a," * 2_000_000 + b"b);", "comma-bomb.nwk"),
        (
            b'<phyloxml xmlns="http://www.phyloxml.org"><phylogeny rooted="false"><clade>'
            + b"<clade><name>x</name></clade>" * 400_000
            + b"</clade></phylogeny></phyloxml>",
            "clade-bomb.xml",
        ),
    ],
)
def test_tree_bombs_are_refused_before_they_are_parsed(content: bytes, filename: str) -> None:
    _quick(2.0, lambda: read_tree(content, filename))


@pytest.mark.parametrize(
    "label",
    [
        "A" * 10_000,  # a 10 MB label was accepted and drawn
        "\u202eevil",  # right-to-left override: spoofs what the page shows
        "bell\x07",  # control characters
        "two\nlines",  # a quoted newline breaks readers of the exported file
    ],
)
def test_tree_labels_are_bounded_and_printable(label: str) -> None:
    quoted = "'" + label.replace("'", "''") + "'"
    with pytest.raises(PhyloInputError):
        read_tree(f"({quoted},b,c);".encode(), "t.nwk")


def test_matrix_labels_are_printable() -> None:
    with pytest.raises(PhyloInputError):
        check_matrix(["a", "b\u202e", "c"], [[0, 1, 1], [1, 0, 1], [1, 1, 0]])


def test_deep_trees_export_and_compare_without_recursion_errors() -> None:
    deep = read_tree(_caterpillar(3000).encode(), "ladder.nwk")
    for fmt in ("newick", "nexus"):
        assert write_tree(deep, fmt)
    # Written, or refused in words (it was a RecursionError: a 500 from the API).
    with pytest.raises(PhyloInputError, match="Newick or Nexus"):
        write_tree(deep, "phyloxml")
    assert robinson_foulds(deep, deep) == RFResult(0, 2 * 2997, 0.0, 3000)


def test_robinson_foulds_agrees_with_ete3_on_random_trees() -> None:
    from ete3 import Tree  # type: ignore[import-untyped]

    rng = random.Random(5)

    def random_tree(tips: list[str]) -> str:
        nodes = list(tips)
        while len(nodes) > 3:
            k = rng.choice([2, 2, 2, 3])
            picked = [nodes.pop(rng.randrange(len(nodes))) for _ in range(min(k, len(nodes) - 1))]
            nodes.append("(" + ",".join(picked) + ")")
        return "(" + ",".join(nodes) + ");"

    for _ in range(30):
        names = [f"t{i}" for i in range(rng.randint(4, 25))]
        a = random_tree(names)
        b = random_tree([*rng.sample(names, len(names) - rng.randint(0, 3)), "x", "y"])
        ours = robinson_foulds(a, b)
        first, second = Tree(a), Tree(b)
        common = set(first.get_leaf_names()) & set(second.get_leaf_names())
        first.prune(list(common))
        second.prune(list(common))
        rf, max_rf = first.robinson_foulds(second, unrooted_trees=True)[:2]
        assert (ours.rf, ours.max_rf, ours.common_tips) == (rf, max_rf, len(common))


def test_robinson_foulds_on_a_deep_30k_tip_tree_is_bounded() -> None:
    deep = _caterpillar(30_000)
    started = time.perf_counter()
    assert robinson_foulds(deep, deep).rf == 0
    assert time.perf_counter() - started < 15


@pytest.mark.parametrize("method", ["nj", "upgma", "wpgma"])
def test_huge_distances_are_refused_not_overflowed(method: str) -> None:
    big = 1e308
    with pytest.raises(PhyloInputError, match="row 1, column 2"):
        build_tree(check_matrix(["a", "b", "c"], [[0, big, 1], [big, 0, 1], [1, 1, 0]]), method)
