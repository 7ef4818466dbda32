"""Tree building against independent references: textbook matrices with published trees,
scikit-bio's ``nj`` and ``upgma`` on random matrices, and Biopython's ``upgma`` (which is
WPGMA, Biopython issues #1208 and #4648)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from Bio import Phylo
from Bio.Phylo.TreeConstruction import DistanceMatrix as BioMatrix
from Bio.Phylo.TreeConstruction import DistanceTreeConstructor
from skbio import DistanceMatrix as SkbioMatrix
from skbio import TreeNode
from skbio.tree import nj as skbio_nj
from skbio.tree import upgma as skbio_upgma

from analysis.phylo import PhyloInputError, check_matrix
from analysis.phylo.build import build_tree, neighbor_joining, upgma, wpgma

Splits = dict[frozenset[str], float]


def edges(newick: str, *, rooted: bool) -> Splits:
    """Edge -> length, read with scikit-bio: rooted edges are clades; unrooted edges are
    splits written as the side without the alphabetically first tip."""
    tree = TreeNode.read(io.StringIO(newick), convert_underscores=False)
    everyone = frozenset(tip.name for tip in tree.tips())
    first = min(everyone)
    out: Splits = {}
    for node in tree.traverse(include_self=False):
        side = frozenset(t.name for t in node.tips(include_self=True))
        if not rooted and first in side:
            side = everyone - side
        out[side] = out.get(side, 0.0) + (node.length or 0.0)
    return out


def assert_same_tree(ours: str, reference: str, *, rooted: bool, tol: float = 1e-6) -> None:
    a, b = edges(ours, rooted=rooted), edges(reference, rooted=rooted)
    assert set(a) == set(b)  # Robinson–Foulds 0
    for split, length in b.items():
        assert a[split] == pytest.approx(length, abs=tol), sorted(split)


def random_matrix(n: int, seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).random((n, n))
    values = (values + values.T) / 2
    np.fill_diagonal(values, 0.0)
    return values


WIKIPEDIA_NJ = [
    [0, 5, 9, 9, 8],
    [5, 0, 10, 10, 9],
    [9, 10, 0, 8, 7],
    [9, 10, 8, 0, 3],
    [8, 9, 7, 3, 0],
]


def test_nj_wikipedia_example() -> None:
    # https://en.wikipedia.org/wiki/Neighbor_joining, worked example: a:2, b:3 joined (u);
    # u-v 3, c:4; v-w 2, d:2, e:1 (the matrix is additive, so NJ recovers it exactly).
    ours = neighbor_joining(check_matrix(list("abcde"), WIKIPEDIA_NJ))
    assert_same_tree(ours, "((d:2,e:1):2,c:4,(a:2,b:3):3);", rooted=False, tol=1e-12)


def test_nj_phylip_manual_example() -> None:
    # PHYLIP's `neighbor` documentation (Bovine ... Human), output printed to 5 decimals.
    labels = ["Bovine", "Mouse", "Gibbon", "Orang", "Gorilla", "Chimp", "Human"]
    values = [
        [0.0000, 1.6866, 1.7198, 1.6606, 1.5243, 1.6043, 1.5905],
        [1.6866, 0.0000, 1.5232, 1.4841, 1.4465, 1.4389, 1.4629],
        [1.7198, 1.5232, 0.0000, 0.7115, 0.5958, 0.6179, 0.5583],
        [1.6606, 1.4841, 0.7115, 0.0000, 0.4631, 0.5061, 0.4710],
        [1.5243, 1.4465, 0.5958, 0.4631, 0.0000, 0.3484, 0.3083],
        [1.6043, 1.4389, 0.6179, 0.5061, 0.3484, 0.0000, 0.2692],
        [1.5905, 1.4629, 0.5583, 0.4710, 0.3083, 0.2692, 0.0000],
    ]
    phylip = (
        "(Mouse:0.76891,(Gibbon:0.35793,(Orang:0.28469,(Gorilla:0.15393,"
        "(Chimp:0.15167,Human:0.11753):0.03982):0.02696):0.04648):0.42027,Bovine:0.91769);"
    )
    assert_same_tree(neighbor_joining(check_matrix(labels, values)), phylip, rooted=False, tol=6e-6)


@pytest.mark.parametrize(("n", "seed"), [(4, 1), (10, 2), (60, 3), (300, 4)])
def test_nj_matches_scikit_bio_on_random_matrices(n: int, seed: int) -> None:
    values = random_matrix(n, seed)
    labels = [f"t{i}" for i in range(n)]
    reference = str(skbio_nj(SkbioMatrix(values, labels)))
    assert_same_tree(neighbor_joining(check_matrix(labels, values)), reference, rooted=False)


def test_nj_breaks_ties_as_scikit_bio_does() -> None:
    # Small integer matrices are full of tied Q values; where a tie is broken decides the
    # topology, so these check that the tie-breaking matches scikit-bio's, not just the maths.
    for seed in range(100):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(4, 12))
        values = np.triu(rng.integers(1, 6, (n, n)).astype(float), 1)
        values += values.T
        labels = [f"t{i}" for i in range(n)]
        reference = str(skbio_nj(SkbioMatrix(values, labels)))
        ours = neighbor_joining(check_matrix(labels, values))
        assert set(edges(ours, rooted=False)) == set(edges(reference, rooted=False)), seed


def test_nj_on_clonal_lines_matches_scikit_bio() -> None:
    # Lines a few mutations from one ancestor: near-equal distances leave RapidNJ's bound
    # nothing to prune, so the builder falls back to scanning every pair. A 1e-9 jitter breaks
    # the exact ties (whose order is arbitrary) so the answer is unique.
    rng = np.random.default_rng(11)
    n = 400
    mutations = [set(rng.choice(100_000, int(rng.integers(1, 6)), replace=False)) for _ in range(n)]
    values = np.array([[len(a ^ b) for b in mutations] for a in mutations], dtype=float) / 1e5
    jitter = np.triu(rng.random((n, n)) * 1e-9, 1)
    values += jitter + jitter.T
    labels = [f"line{i}" for i in range(n)]
    reference = str(skbio_nj(SkbioMatrix(values, labels)))
    assert_same_tree(neighbor_joining(check_matrix(labels, values)), reference, rooted=False)


def test_nj_negative_lengths_become_zero_like_scikit_bio() -> None:
    values = [
        [0, 5, 9, 9, 800],
        [5, 0, 10, 10, 9],
        [9, 10, 0, 8, 7],
        [9, 10, 8, 0, 3],
        [800, 9, 7, 3, 0],
    ]  # scikit-bio's test matrix that yields negative lengths
    ours = neighbor_joining(check_matrix(list("abcde"), values))
    reference = str(skbio_nj(SkbioMatrix(values, list("abcde"))))
    assert min(edges(ours, rooted=False).values()) == 0.0
    assert_same_tree(ours, reference, rooted=False)


def test_nj_refuses_two_taxa() -> None:
    with pytest.raises(PhyloInputError, match="neighbour joining needs at least 3"):
        neighbor_joining(check_matrix(["a", "b"], [[0, 1], [1, 0]]))


# Wikipedia's UPGMA and WPGMA articles share this 5S rRNA matrix: a Bacillus subtilis,
# b Bacillus stearothermophilus, c Lactobacillus viridescens, d Acholeplasma modicum,
# e Micrococcus luteus.
FIVE_S = [
    [0, 17, 21, 31, 23],
    [17, 0, 30, 34, 21],
    [21, 30, 0, 28, 39],
    [31, 34, 28, 0, 43],
    [23, 21, 39, 43, 0],
]


def test_upgma_and_wpgma_on_the_5s_rrna_example() -> None:
    dm = check_matrix(list("abcde"), FIVE_S)
    # Hand computation (and the articles' trees): (a,b) at 8.5, then e at 11, then (c,d) at
    # 14. UPGMA: d((a,b,e),(c,d)) = (21+30+39+31+34+43)/6 = 33, root at 16.5.
    # WPGMA: d((a,b),c) = 25.5, d((a,b),d) = 32.5; d(((a,b),e),c) = (25.5+39)/2 = 32.25,
    # ... d = (32.5+43)/2 = 37.75; root at (32.25+37.75)/4 = 17.5.
    assert_same_tree(
        upgma(dm), "(((a:8.5,b:8.5):2.5,e:11):5.5,(c:14,d:14):2.5);", rooted=True, tol=1e-12
    )
    assert_same_tree(
        wpgma(dm), "(((a:8.5,b:8.5):2.5,e:11):6.5,(c:14,d:14):3.5);", rooted=True, tol=1e-12
    )


@pytest.mark.parametrize(("n", "seed"), [(5, 5), (40, 6), (400, 7)])
def test_upgma_and_wpgma_match_scikit_bio(n: int, seed: int) -> None:
    values = random_matrix(n, seed)
    labels = [f"t{i}" for i in range(n)]
    dm = check_matrix(labels, values)
    reference = SkbioMatrix(values, labels)
    assert_same_tree(upgma(dm), str(skbio_upgma(reference)), rooted=True)
    assert_same_tree(wpgma(dm), str(skbio_upgma(reference, weighted=True)), rooted=True)


def bio_tree(labels: list[str], values: list[list[float]], method: str) -> str:
    lower = [row[: i + 1] for i, row in enumerate(values)]
    tree = getattr(DistanceTreeConstructor(), method)(BioMatrix(labels, lower))
    for clade in tree.get_nonterminals():
        clade.name = None  # Biopython names inner nodes "Inner1", ...
    out = io.StringIO()
    Phylo.write(tree, out, "newick")
    return out.getvalue()


def test_biopython_upgma_is_our_wpgma_not_our_upgma() -> None:
    labels = list("abcde")
    dm = check_matrix(labels, FIVE_S)
    biopython = bio_tree(labels, [list(map(float, row)) for row in FIVE_S], "upgma")
    assert_same_tree(wpgma(dm), biopython, rooted=True)
    with pytest.raises(AssertionError):
        assert_same_tree(upgma(dm), biopython, rooted=True)


def test_nj_matches_biopython_nj() -> None:
    values = random_matrix(30, 8)
    labels = [f"t{i}" for i in range(30)]
    biopython = bio_tree(labels, values.tolist(), "nj")
    # Biopython roots its NJ tree on a bifurcation; compare unrooted splits only.
    ours = edges(neighbor_joining(check_matrix(labels, values)), rooted=False)
    assert set(ours) == set(edges(biopython, rooted=False))


def test_build_tree_dispatches_and_refuses_unknown_methods() -> None:
    dm = check_matrix(list("abcd"), random_matrix(4, 9))
    assert build_tree(dm, "upgma") == upgma(dm)
    assert build_tree(dm, "nj") == neighbor_joining(dm)
    with pytest.raises(PhyloInputError, match="'ml' is not one of nj, upgma, wpgma"):
        build_tree(dm, "ml")
