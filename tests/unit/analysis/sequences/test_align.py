"""Pairwise alignment: hand examples, planted changes, and an independent Gotoh DP score."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sequences.align import (
    ALIGN_MAX_BP,
    ALIGN_MAX_CELLS,
    Difference,
    PairAlignment,
    align_pair,
)

MATCH, MISMATCH, OPEN, EXTEND = 2, -3, 5, 2  # blastn: a gap of k bases costs 5 + 2k


def rescore(alignment: PairAlignment) -> float:
    """Score the reported rows column by column with blastn's affine gaps."""
    score = 0.0
    gap_in = ""
    for x, y in zip(alignment.aligned_a, alignment.aligned_b, strict=True):
        if x == "-" or y == "-":
            row = "a" if x == "-" else "b"
            score -= EXTEND + (OPEN if gap_in != row else 0)
            gap_in = row
        else:
            score += MATCH if x == y else MISMATCH
            gap_in = ""
    return score


def gotoh_global(a: str, b: str) -> float:
    """Best global score by Gotoh's three-matrix recursion, written out plainly."""
    inf = float("-inf")
    n, m = len(a), len(b)
    best = [[inf] * (m + 1) for _ in range(n + 1)]  # ends in a match/mismatch column
    del_a = [[inf] * (m + 1) for _ in range(n + 1)]  # ends with a base of a against a gap
    ins_b = [[inf] * (m + 1) for _ in range(n + 1)]  # ends with a base of b against a gap
    best[0][0] = 0.0
    for i in range(1, n + 1):
        del_a[i][0] = -(OPEN + EXTEND * i)
    for j in range(1, m + 1):
        ins_b[0][j] = -(OPEN + EXTEND * j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            pair = MATCH if a[i - 1] == b[j - 1] else MISMATCH
            best[i][j] = pair + max(best[i - 1][j - 1], del_a[i - 1][j - 1], ins_b[i - 1][j - 1])
            del_a[i][j] = max(
                best[i - 1][j] - OPEN - EXTEND,
                del_a[i - 1][j] - EXTEND,
                ins_b[i - 1][j] - OPEN - EXTEND,
            )
            ins_b[i][j] = max(
                best[i][j - 1] - OPEN - EXTEND,
                ins_b[i][j - 1] - EXTEND,
                del_a[i][j - 1] - OPEN - EXTEND,
            )
    return max(best[n][m], del_a[n][m], ins_b[n][m])


def apply(a: str, differences: tuple[Difference, ...]) -> str:
    """Rebuild b from a and the reported differences."""
    out, cursor = [], 0
    for d in differences:
        out.append(a[cursor : d.position_a])
        out.append(d.b)
        cursor = d.position_a + len(d.a)
    out.append(a[cursor:])
    return "".join(out)


def random_dna(n: int, seed: int) -> str:
    generator = random.Random(seed)
    return "".join(generator.choice("ACGT") for _ in range(n))


def test_hand_example() -> None:
    # GGACGTA-CCA / GGACTTAGCCA: G>T at 4, G inserted before a[7]; 9 x 2 - 3 - (5 + 2) = 8.
    alignment = align_pair("GGACGTACCA", "GGACTTAGCCA")
    assert (alignment.aligned_a, alignment.aligned_b) == ("GGACGTA-CCA", "GGACTTAGCCA")
    assert alignment.differences == (
        Difference("substitution", 4, 4, "G", "T"),
        Difference("insertion", 7, 7, "", "G"),
    )
    assert alignment.score == 8.0
    assert (alignment.matches, alignment.aligned_length) == (9, 11)
    assert alignment.identity == pytest.approx(9 / 11)


def test_identical_sequences() -> None:
    sequence = random_dna(500, 1)
    alignment = align_pair(sequence, sequence.lower())
    assert alignment.identity == 1.0
    assert alignment.differences == ()
    assert alignment.score == 2 * 500
    assert alignment.aligned_length == alignment.matches == 500


def test_planted_snp_insertion_and_deletion() -> None:
    a = random_dna(2000, 2)
    # Changes placed where they cannot slide along a repeat: the changed bases differ from
    # the neighbours they could trade places with.
    snp, ins = 400, 1000
    dele = next(p for p in range(1500, 1600) if a[p] != a[p + 4] and a[p - 1] != a[p + 3])
    substitute = next(x for x in "ACGT" if x != a[snp])
    inserted = next(
        x + y + z for x in "ACGT" for y in "ACGT" for z in "ACGT" if x != a[ins] and z != a[ins - 1]
    )
    b = a[:snp] + substitute + a[snp + 1 : ins] + inserted + a[ins:dele] + a[dele + 4 :]
    alignment = align_pair(a, b)
    assert alignment.differences == (
        Difference("substitution", snp, snp, a[snp], substitute),
        Difference("insertion", ins, ins, "", inserted),
        Difference("deletion", dele, dele + 3, a[dele : dele + 4], ""),
    )
    # 2000 - 1 (SNP) - 4 (deleted) = 1995 matching columns.
    assert alignment.matches == 1995
    assert alignment.aligned_length == 2000 + 3
    assert alignment.score == 1995 * 2 - 3 - (5 + 2 * 3) - (5 + 2 * 4)


def test_local_mode_keeps_the_shared_stretch() -> None:
    alignment = align_pair("AAAAAAGATTACACCCCCC", "GGGGGGATTACAGGGG", mode="local")
    assert (alignment.aligned_a, alignment.aligned_b) == ("GATTACA", "GATTACA")
    assert (alignment.score, alignment.identity, alignment.differences) == (14.0, 1.0, ())


def test_local_mode_with_nothing_in_common() -> None:
    alignment = align_pair("AAAA", "CCCC", mode="local")
    assert (alignment.score, alignment.aligned_length, alignment.identity) == (0.0, 0, 0.0)


@pytest.mark.parametrize(
    ("a", "b", "mode", "message"),
    [
        ("", "ACGT", "global", "sequence a is empty"),
        ("ACGT", "", "global", "sequence b is empty"),
        ("A" * (ALIGN_MAX_BP + 1), "ACGT", "global", "ALIGN_MAX_BP"),
        ("A" * 10_000, "C" * (ALIGN_MAX_CELLS // 10_000 + 1), "global", "ALIGN_MAX_CELLS"),
        ("ACGT", "ACGT", "semiglobal", "unknown alignment mode"),
    ],
)
def test_refuses(a: str, b: str, mode: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        align_pair(a, b, mode=mode)


@settings(max_examples=150, deadline=None)
@given(
    a=st.text(alphabet="ACGT", min_size=1, max_size=25), b=st.text("ACGT", min_size=1, max_size=25)
)
def test_global_score_is_optimal_and_rows_are_consistent(a: str, b: str) -> None:
    alignment = align_pair(a, b)
    assert alignment.score == gotoh_global(a, b)
    assert rescore(alignment) == alignment.score
    assert alignment.aligned_a.replace("-", "") == a
    assert alignment.aligned_b.replace("-", "") == b
    assert apply(a, alignment.differences) == b
    columns = list(zip(alignment.aligned_a, alignment.aligned_b, strict=True))
    assert alignment.matches == sum(x == y for x, y in columns)
    assert alignment.aligned_length == len(columns)
    for d in alignment.differences:
        assert a[d.position_a : d.position_a + len(d.a)] == d.a
        assert b[d.position_b : d.position_b + len(d.b)] == d.b
