"""GC windows against hand counts, seqkit's counts on the plasmid, and a naive scan."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sequences.composition import gc_windows

FNA = Path(__file__).resolve().parents[3] / "fixtures/sequences/biopython/NC_005816.fna"

# `seqkit sliding -W 1000 -s 500 NC_005816.fna | seqkit fx2tab -n -i -g -C G -C C`
# (seqkit v2.3.0): 1-based window start, G count, C count.
SEQKIT_WINDOWS = [
    (1, 262, 269), (501, 261, 266), (1001, 248, 248), (1501, 236, 245), (2001, 222, 236),
    (2501, 262, 241), (3001, 275, 287), (3501, 221, 248), (4001, 172, 188), (4501, 164, 205),
    (5001, 164, 216), (5501, 191, 232), (6001, 226, 210), (6501, 218, 179), (7001, 219, 210),
    (7501, 189, 252), (8001, 197, 258), (8501, 209, 227),
]  # fmt: skip


def genome() -> str:
    return "".join(FNA.read_text().split("\n", 1)[1].split())


def test_hand_example() -> None:
    # GGGC, GCCC, CCAT, ATAT
    w = gc_windows("GGGCCCATAT", window=4, step=2)
    assert w.starts.tolist() == [0, 2, 4, 6]
    assert w.gc.tolist() == [1.0, 1.0, 0.5, 0.0]
    assert w.skew.tolist() == [0.5, -0.5, -1.0, 0.0]  # (G-C)/(G+C); ATAT has no G or C
    assert w.cumulative_skew.tolist() == [0.5, 0.0, -1.0, -1.0]
    assert (w.window, w.step) == (4, 2)


def test_only_whole_windows() -> None:
    assert gc_windows("ACGTACGTAC", 4, 3).starts.tolist() == [0, 3, 6]
    assert gc_windows("ACGTACGTAC", 4, 4).starts.tolist() == [0, 4]
    assert gc_windows("ACGTACGTAC", 10, 1).starts.tolist() == [0]


def test_ambiguous_bases_as_biopython_gc_fraction_remove() -> None:
    # N is left out of the length; S counts as GC and W as AT; lower case is read.
    assert gc_windows("GCNN", 4, 1).gc.tolist() == [1.0]
    assert gc_windows("SSWW", 4, 1).gc.tolist() == [0.5]
    assert gc_windows("NNNN", 4, 1).gc.tolist() == [0.0]
    assert gc_windows("ggca", 4, 1).gc.tolist() == [0.75]


def test_whole_plasmid_against_seqkit() -> None:
    sequence = genome()
    whole = gc_windows(sequence, len(sequence), 1)
    # seqkit fx2tab -n -C G -C C -l: 9609 bases, G 2099, C 2250.
    assert whole.gc[0] == pytest.approx((2099 + 2250) / 9609)
    assert whole.skew[0] == pytest.approx((2099 - 2250) / (2099 + 2250))


def test_plasmid_windows_against_seqkit() -> None:
    w = gc_windows(genome(), 1000, 500)
    assert w.starts.tolist() == [start - 1 for start, _, _ in SEQKIT_WINDOWS]
    g = np.array([g for _, g, _ in SEQKIT_WINDOWS], dtype=float)
    c = np.array([c for _, _, c in SEQKIT_WINDOWS], dtype=float)
    np.testing.assert_allclose(w.gc, (g + c) / 1000)
    np.testing.assert_allclose(w.skew, (g - c) / (g + c))
    np.testing.assert_allclose(w.cumulative_skew, np.cumsum((g - c) / (g + c)))


@pytest.mark.parametrize(
    ("sequence", "window", "step", "message"),
    [
        ("ACGT", 0, 1, "at least 1"),
        ("ACGT", 2, 0, "at least 1"),
        ("ACGT", 5, 1, "longer than the sequence"),
        ("", 1, 1, "longer than the sequence"),
    ],
)
def test_refuses(sequence: str, window: int, step: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gc_windows(sequence, window, step)


def test_result_is_read_only_and_pickles() -> None:
    w = gc_windows("GGGCCCATAT", 4, 2)
    with pytest.raises(ValueError, match="read-only"):
        w.gc[0] = 0.0
    copy = pickle.loads(pickle.dumps(w))  # noqa: S301 (own bytes)
    assert copy.gc.tolist() == w.gc.tolist()


@settings(max_examples=150, deadline=None)
@given(
    sequence=st.text(alphabet="ACGTNSW", min_size=1, max_size=120),
    window=st.integers(1, 30),
    step=st.integers(1, 12),
)
def test_matches_a_naive_count(sequence: str, window: int, step: int) -> None:
    if window > len(sequence):
        return
    w = gc_windows(sequence, window, step)
    starts = list(range(0, len(sequence) - window + 1, step))
    assert w.starts.tolist() == starts
    running = 0.0
    for i, start in enumerate(starts):
        piece = sequence[start : start + window]
        strong = sum(piece.count(b) for b in "GCS")
        known = sum(piece.count(b) for b in "ACGTSW")
        g, c = piece.count("G"), piece.count("C")
        assert w.gc[i] == pytest.approx(strong / known if known else 0.0)
        skew = (g - c) / (g + c) if g + c else 0.0
        running += skew
        assert w.skew[i] == pytest.approx(skew)
        assert w.cumulative_skew[i] == pytest.approx(running)
