"""Alignment distances against hand computation (textbook formulas written out), Biopython's
DistanceCalculator and scikit-bio's pdist/jc69/k2p (which also use pairwise deletion)."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest
from Bio.Align import MultipleSeqAlignment
from Bio.Phylo.TreeConstruction import DistanceCalculator
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from analysis.phylo.alignment import Alignment, alignment_from_records
from analysis.phylo.distances import (
    alignment_distances,
    alignment_distances_weighted,
    pair_counts,
    site_patterns,
)
from analysis.phylo.errors import PhyloInputError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from skbio.sequence import DNA
    from skbio.sequence import distance as skbio_distance

#        position: 1 2 3 4 5 6 7 8 9 10 11 12
HAND_A = "ACGTACGTACGT"
HAND_B = "GCGTACGTAAGT"  # pos 1 A->G (transition), pos 10 C->A (transversion)
HAND_C = "-CGTNCGTAAGT"  # gap at 1, N at 5; otherwise equal to B


@pytest.fixture
def hand() -> Alignment:
    return alignment_from_records(["a", "b", "c"], [HAND_A, HAND_B, HAND_C], "hand")


def test_hand_counts(hand: Alignment) -> None:
    counts = pair_counts(hand)
    # a-b: 12 columns, 1 transition, 1 transversion. a-c and b-c: columns 1 and 5 dropped.
    assert counts.compared.tolist() == [[12, 12, 10], [12, 12, 10], [10, 10, 10]]
    assert counts.transitions[0, 1] == 1
    assert counts.transversions[0, 1] == 1
    assert counts.transitions[0, 2] == 0
    assert counts.transversions[0, 2] == 1  # column 10: C vs A
    assert counts.transitions[1, 2] == counts.transversions[1, 2] == 0


def test_hand_p_distance(hand: Alignment) -> None:
    d = alignment_distances(hand, "p").values
    assert d[0, 1] == pytest.approx(2 / 12)  # 2 differences in 12 columns
    assert d[0, 2] == pytest.approx(1 / 10)  # 1 difference in the 10 columns both resolve
    assert d[1, 2] == 0.0
    assert np.all(np.diagonal(d) == 0)


def test_hand_jc69(hand: Alignment) -> None:
    d = alignment_distances(hand, "jc69").values
    # d = -3/4 ln(1 - 4/3 p); a-b: p = 1/6 -> 1 - 2/9 = 7/9; a-c: p = 1/10 -> 1 - 2/15 = 13/15
    assert d[0, 1] == pytest.approx(-0.75 * math.log(7 / 9), rel=1e-12)  # 0.188486
    assert d[0, 2] == pytest.approx(-0.75 * math.log(13 / 15), rel=1e-12)  # 0.107326
    assert d[0, 1] == pytest.approx(0.1884858, abs=1e-7)


def test_hand_k2p(hand: Alignment) -> None:
    d = alignment_distances(hand, "k2p").values
    # d = -1/2 ln(1 - 2P - Q) - 1/4 ln(1 - 2Q)
    # a-b: P = Q = 1/12 -> -1/2 ln(3/4) - 1/4 ln(5/6) = 0.1438410 + 0.0455804
    assert d[0, 1] == pytest.approx(-0.5 * math.log(3 / 4) - 0.25 * math.log(5 / 6), rel=1e-12)
    assert d[0, 1] == pytest.approx(0.1894214, abs=1e-7)
    # a-c: P = 0, Q = 1/10 -> -1/2 ln(9/10) - 1/4 ln(8/10)
    assert d[0, 2] == pytest.approx(-0.5 * math.log(0.9) - 0.25 * math.log(0.8), rel=1e-12)


def random_alignment(
    n: int, length: int, *, rate: float, gaps: float, seed: int
) -> tuple[list[str], list[str]]:
    """An ancestor and mutated copies, with gaps and Ns sprinkled in."""
    rng = np.random.default_rng(seed)
    ancestor = rng.integers(0, 4, length)
    alphabet = np.frombuffer(b"ACGT-N", dtype=np.uint8)
    labels, seqs = [], []
    for i in range(n):
        row = ancestor.copy()
        hit = rng.random(length) < rate * (1 + i / n)
        row[hit] = rng.integers(0, 4, int(hit.sum()))
        row[rng.random(length) < gaps] = 4
        row[rng.random(length) < gaps / 3] = 5
        labels.append(f"t{i}")
        seqs.append(alphabet[row].tobytes().decode())
    return labels, seqs


@pytest.mark.parametrize(
    ("model", "reference"),
    [("p", skbio_distance.pdist), ("jc69", skbio_distance.jc69), ("k2p", skbio_distance.k2p)],
)
def test_against_scikit_bio_with_gaps(model: str, reference: object) -> None:
    labels, seqs = random_alignment(12, 300, rate=0.15, gaps=0.1, seed=3)
    ours = alignment_distances(alignment_from_records(labels, seqs, "random"), model).values
    dna = [DNA(s) for s in seqs]
    for i in range(len(seqs)):
        for j in range(i + 1, len(seqs)):
            expected = reference(dna[i], dna[j])  # type: ignore[operator]
            assert ours[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_p_distance_against_biopython_identity() -> None:
    labels, seqs = random_alignment(10, 500, rate=0.2, gaps=0.0, seed=5)
    seqs = [s.replace("N", "A") for s in seqs]  # Biopython's identity counts every column
    ours = alignment_distances(alignment_from_records(labels, seqs, "random"), "p")
    msa = MultipleSeqAlignment(
        [SeqRecord(Seq(s), id=name) for name, s in zip(labels, seqs, strict=True)]
    )
    bio = DistanceCalculator("identity").get_distance(msa)
    for i, a in enumerate(labels):
        for j, b in enumerate(labels):
            assert ours.values[i, j] == pytest.approx(bio[a, b], abs=1e-12)


@pytest.mark.parametrize("model", ["p", "jc69", "k2p"])
def test_weights_equal_repeated_columns(model: str) -> None:
    labels, seqs = random_alignment(8, 200, rate=0.1, gaps=0.05, seed=7)
    al = alignment_from_records(labels, seqs, "random")
    counts = np.random.default_rng(0).multinomial(200, np.full(200, 1 / 200))
    weighted = alignment_distances_weighted(al, model, counts).values
    # Reference: scikit-bio on the alignment physically resampled (columns repeated).
    chosen = np.repeat(np.arange(200), counts)
    resampled = [
        DNA(np.frombuffer(s.encode(), dtype=np.uint8)[chosen].tobytes().decode()) for s in seqs
    ]
    reference = {"p": skbio_distance.pdist, "jc69": skbio_distance.jc69, "k2p": skbio_distance.k2p}
    for i in range(8):
        for j in range(i + 1, 8):
            expected = reference[model](resampled[i], resampled[j])
            assert weighted[i, j] == pytest.approx(expected, rel=1e-9)


def test_site_patterns_keep_the_distances() -> None:
    labels, seqs = random_alignment(6, 400, rate=0.05, gaps=0.02, seed=11)
    al = alignment_from_records(labels, seqs, "random")
    sp = site_patterns(al)
    assert sp.counts.sum() == 400
    assert sp.patterns.columns < 400
    assert np.array_equal(sp.patterns.codes[:, sp.index], al.codes)
    full = alignment_distances(al, "k2p").values
    assert np.allclose(alignment_distances(sp.patterns, "k2p", sp.counts).values, full)


def test_saturated_pair_is_named_and_p_suggested() -> None:
    # a-c differ at every column: p = 1 >= 3/4, beyond JC69 and K2P.
    al = alignment_from_records(["a", "b", "c"], ["ACGTAC", "ACGTAA", "CATGCA"], "aln")
    for model in ("jc69", "k2p"):
        with pytest.raises(PhyloInputError) as info:
            alignment_distances(al, model, where="aln")
        assert info.value.where == "aln, sequences 'a' and 'c'"
        assert "saturated" in info.value.problem
        assert "p-distance" in info.value.problem
    assert alignment_distances(al, "p", where="aln").values[0, 2] == 1.0


def test_k2p_saturates_on_transitions_alone() -> None:
    # P = 1/2, Q = 0: 1 - 2P - Q = 0 -> K2P undefined while JC69 (p = 1/2) is fine.
    al = alignment_from_records(["a", "b"], ["AACC", "GACT"], "aln")
    assert alignment_distances(al, "jc69").values[0, 1] == pytest.approx(
        -0.75 * math.log(1 - 4 / 3 * 0.5)
    )
    with pytest.raises(PhyloInputError, match="saturated"):
        alignment_distances(al, "k2p")


def test_no_comparable_columns() -> None:
    al = alignment_from_records(["a", "b", "c"], ["AC--", "--GT", "ACGT"], "aln")
    with pytest.raises(PhyloInputError) as info:
        alignment_distances(al, "p", where="aln")
    assert info.value.where == "aln, sequences 'a' and 'b'"
    assert "no column" in info.value.problem


def test_bad_model_and_weights() -> None:
    al = alignment_from_records(["a", "b"], ["ACGT", "ACGA"], "aln")
    with pytest.raises(PhyloInputError, match="unknown model"):
        alignment_distances(al, "tn93")
    with pytest.raises(PhyloInputError, match="4 columns"):
        alignment_distances(al, "p", [1, 1])
    with pytest.raises(PhyloInputError, match="non-negative"):
        alignment_distances(al, "p", [1, -1, 1, 1])


@pytest.mark.alone  # times a computation: no other test beside it
def test_fast_enough() -> None:
    # Issue target: 200 x 10,000 well under a second (about 0.05 s here); the bound is loose
    # so a busy machine does not fail it, but a per-character loop (minutes) would.
    labels, seqs = random_alignment(200, 10_000, rate=0.1, gaps=0.01, seed=1)
    al = alignment_from_records(labels, seqs, "big")
    small = alignment_from_records(labels[:3], [s[:50] for s in seqs[:3]], "small")
    alignment_distances(small, "k2p")  # compiled code loaded (a fresh clone compiles it)
    start = time.perf_counter()
    dm = alignment_distances(al, "k2p")
    assert time.perf_counter() - start < 1.0
    assert dm.values.shape == (200, 200)
