"""Motif search against hand examples, seqkit locate on the plasmid, and a naive scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sequences.motifs import MotifResult, find_motif

FNA = Path(__file__).resolve().parents[3] / "fixtures/sequences/biopython/NC_005816.fna"
IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T", "U": "T", "R": "AG", "Y": "CT", "S": "CG",
    "W": "AT", "K": "GT", "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG",
    "N": "ACGT",
}  # fmt: skip
PAIR = {"A": "T", "C": "G", "G": "C", "T": "A", "R": "Y", "Y": "R", "S": "S", "W": "W",
        "K": "M", "M": "K", "B": "V", "V": "B", "D": "H", "H": "D", "N": "N"}  # fmt: skip
Hit = tuple[int, int, int, str]


def hits(result: MotifResult) -> list[Hit]:
    return [(h.start, h.end, h.strand, h.matched) for h in result.hits]


def genome() -> str:
    return "".join(FNA.read_text().split("\n", 1)[1].split())


def seqkit(rows: list[tuple[int, int, int, str]]) -> list[Hit]:
    """seqkit rows (1-based start, strand, end, matched) as sorted 0-based hits."""
    return sorted(((s - 1, e, strand, m) for s, strand, e, m in rows), key=lambda h: (h[0], -h[2]))


def test_hand_iupac_example() -> None:
    # GRC: GAC at 0, GGC at 3; its reverse complement GYC: GTC at 6, read GAC on the minus.
    assert hits(find_motif("GACGGCGTC", "GRC")) == [
        (0, 3, 1, "GAC"),
        (3, 6, 1, "GGC"),
        (6, 9, -1, "GAC"),
    ]


def test_overlapping_hits() -> None:
    assert hits(find_motif("AAAAA", "AAA")) == [
        (0, 3, 1, "AAA"),
        (1, 4, 1, "AAA"),
        (2, 5, 1, "AAA"),
    ]
    assert hits(find_motif("TTTT", "AAA")) == [(0, 3, -1, "AAA"), (1, 4, -1, "AAA")]


def test_palindrome_hits_both_strands() -> None:
    assert hits(find_motif("CCGAATTCGG", "GAATTC")) == [(2, 8, 1, "GAATTC"), (2, 8, -1, "GAATTC")]


def test_ambiguous_sequence_letters_match_only_wider_motif_letters() -> None:
    assert hits(find_motif("CCGANTCC", "GAATC")) == []
    assert hits(find_motif("CCGANTCC", "GANTC")) == [(2, 7, 1, "GANTC"), (2, 7, -1, "GANTC")]
    assert hits(find_motif("CCGARTCC", "GANTC"))[0] == (2, 7, 1, "GARTC")


def test_case_and_uracil() -> None:
    result = find_motif("ccgatcgg", "gauc")
    assert result.motif == "GATC"
    assert hits(result) == [(2, 6, 1, "GATC"), (2, 6, -1, "GATC")]


def test_truncation() -> None:
    result = find_motif("A" * 10, "A", max_hits=3)
    assert [h.start for h in result.hits] == [0, 1, 2]
    assert result.is_truncated
    full = find_motif("A" * 10, "A", max_hits=10)
    assert len(full.hits) == 10
    assert not full.is_truncated


def test_motif_longer_than_sequence() -> None:
    assert find_motif("ACG", "ACGT") == MotifResult("ACGT", (), False)


@pytest.mark.parametrize(
    ("motif", "message"),
    [
        ("GAXTTC", "'X' at position 3 is not an IUPAC nucleotide code"),
        ("GA TC", "' ' at position 3"),
        ("", "1 to 200 characters"),
        ("A" * 201, "1 to 200 characters"),
    ],
)
def test_refuses_bad_motifs(motif: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        find_motif("ACGT", motif)


def test_refuses_max_hits_below_one() -> None:
    with pytest.raises(ValueError, match="max_hits"):
        find_motif("ACGT", "A", max_hits=0)


def test_plasmid_against_seqkit() -> None:
    sequence = genome()
    # seqkit locate -i -d -p GAATTC NC_005816.fna (seqkit v2.3.0): start, strand, end, matched
    assert hits(find_motif(sequence, "GAATTC")) == seqkit(
        [(546, 1, 551, "GAATTC"), (1962, 1, 1967, "GAATTC"), (8753, 1, 8758, "GAATTC"),
         (8753, -1, 8758, "GAATTC"), (1962, -1, 1967, "GAATTC"), (546, -1, 551, "GAATTC")]
    )  # fmt: skip
    # seqkit locate -i -d -p TTGACR NC_005816.fna
    assert hits(find_motif(sequence, "TTGACR")) == seqkit(
        [(1949, 1, 1954, "TTGACA"), (2464, 1, 2469, "TTGACA"), (7748, 1, 7753, "TTGACA"),
         (9576, 1, 9581, "TTGACG"), (8402, -1, 8407, "TTGACG"), (5995, -1, 6000, "TTGACA"),
         (5435, -1, 5440, "TTGACA"), (279, -1, 284, "TTGACG")]
    )  # fmt: skip
    # seqkit locate -i -d -p RGATCY (GANTC, TTNNAA) NC_005816.fna | tail -n +2 | wc -l
    assert len(find_motif(sequence, "RGATCY").hits) == 20
    assert len(find_motif(sequence, "GANTC").hits) == 38
    assert len(find_motif(sequence, "TTNNAA").hits) == 120


def naive(sequence: str, motif: str) -> list[Hit]:
    def fits(piece: str, pattern: str) -> bool:
        return all(set(IUPAC[s]) <= set(IUPAC[m]) for s, m in zip(piece, pattern, strict=True))

    reverse = "".join(PAIR[m] for m in reversed(motif))
    found = []
    for i in range(len(sequence) - len(motif) + 1):
        piece = sequence[i : i + len(motif)]
        if fits(piece, motif):
            found.append((i, i + len(motif), 1, piece))
        if fits(piece, reverse):
            found.append((i, i + len(motif), -1, "".join(PAIR[b] for b in reversed(piece))))
    return found


@settings(max_examples=200, deadline=None)
@given(
    sequence=st.text(alphabet="ACGT", max_size=200) | st.text(alphabet="ACGTNRY", max_size=60),
    motif=st.text(alphabet="ACGTRYSWKMBDHVN", min_size=1, max_size=6),
)
def test_random_sequences_match_a_naive_scan(sequence: str, motif: str) -> None:
    assert hits(find_motif(sequence, motif, max_hits=10_000)) == naive(sequence, motif)
