"""Indel placement against hand-worked cases, breseq's own placement of the planted lambda
indels, and a brute-force search of every equivalent placement."""

from __future__ import annotations

import random
import warnings

import pytest

from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Kind, Mutation
from analysis.mutations.normalise import left_normalised, right_normalised, same_event
from analysis.sequences.records import load_records
from tests import peers


def ins(position: int, new_seq: str, seq_id: str = "c") -> Mutation:
    return Mutation(Kind.INS, seq_id, position, new_seq=new_seq)


def dele(position: int, size: int, seq_id: str = "c") -> Mutation:
    return Mutation(Kind.DEL, seq_id, position, size=size)


def placement(m: Mutation) -> tuple[int, int, str]:
    return (m.position, m.size, m.new_seq)


# Hand-worked: positions are 1-based; an INS goes after its position.
HOMOPOLYMER = "GATTTTC"  # T run at 3..6
DINUCLEOTIDE = "GCACACAT"  # CA repeat at 2..7


@pytest.mark.parametrize(
    ("sequence", "mutation", "left", "right"),
    [
        (HOMOPOLYMER, dele(5, 1), (3, 1, ""), (6, 1, "")),
        (HOMOPOLYMER, dele(3, 2), (3, 2, ""), (5, 2, "")),
        (HOMOPOLYMER, ins(4, "T"), (2, 0, "T"), (6, 0, "T")),
        (HOMOPOLYMER, ins(4, "TT"), (2, 0, "TT"), (6, 0, "TT")),
        (HOMOPOLYMER, ins(4, "A"), (4, 0, "A"), (4, 0, "A")),  # not in a repeat
        (DINUCLEOTIDE, dele(4, 2), (2, 2, ""), (6, 2, "")),
        (DINUCLEOTIDE, ins(4, "AC"), (1, 0, "CA"), (7, 0, "CA")),
        (DINUCLEOTIDE, ins(3, "CA"), (1, 0, "CA"), (7, 0, "CA")),
        ("AAAC", dele(2, 1), (1, 1, ""), (3, 1, "")),  # run reaches the record start
        ("AAAC", ins(2, "A"), (0, 0, "A"), (3, 0, "A")),
        ("CAAA", dele(2, 1), (2, 1, ""), (4, 1, "")),  # run reaches the record end
        ("CAAA", ins(2, "A"), (1, 0, "A"), (4, 0, "A")),
        ("CAAA", ins(4, "AA"), (1, 0, "AA"), (4, 0, "AA")),
        ("ACGT", dele(1, 4), (1, 4, ""), (1, 4, "")),  # the whole record
    ],
)
def test_hand_worked_placements(
    sequence: str, mutation: Mutation, left: tuple[int, int, str], right: tuple[int, int, str]
) -> None:
    assert placement(left_normalised(mutation, sequence)) == left
    assert placement(right_normalised(mutation, sequence)) == right


def test_circular_insertion_crosses_the_origin() -> None:
    # A before the first base of ACGA is after the last base (A), then after base 3 (G).
    assert placement(left_normalised(ins(0, "A"), "ACGA", circular=True)) == (3, 0, "A")
    assert placement(right_normalised(ins(4, "A"), "ACGA", circular=True)) == (1, 0, "A")
    assert placement(left_normalised(ins(0, "A"), "ACGA")) == (0, 0, "A")
    assert same_event(ins(0, "A"), ins(3, "A"), "ACGA", circular=True)
    assert not same_event(ins(0, "A"), ins(3, "A"), "ACGA")  # AACGA is not ACGAA


def test_circular_deletion_stops_at_the_record_ends() -> None:
    assert left_normalised(dele(1, 1), "AACA", circular=True).position == 1
    assert right_normalised(dele(4, 1), "AACA", circular=True).position == 4


def test_record_of_one_repeat_unit_terminates() -> None:
    assert placement(left_normalised(ins(2, "A"), "AAAA", circular=True))[2] == "A"
    assert placement(left_normalised(ins(2, "AC"), "ACACAC", circular=True))[2] in ("AC", "CA")


@pytest.mark.parametrize(
    "mutation",
    [
        Mutation(Kind.SNP, "c", 3, new_seq="A"),
        Mutation(Kind.SUB, "c", 3, size=2, new_seq="AA"),
        Mutation(Kind.MOB, "c", 3, repeat_name="IS1", strand=1, duplication_size=9),
        Mutation(Kind.AMP, "c", 3, size=3, copy_number=2),
    ],
)
def test_other_kinds_unchanged(mutation: Mutation) -> None:
    assert left_normalised(mutation, HOMOPOLYMER) is mutation
    assert right_normalised(mutation, HOMOPOLYMER) is mutation


@pytest.mark.parametrize(
    ("mutation", "words"),
    [
        (dele(6, 3), "DEL at c:6 of 3 bases"),
        (dele(0, 1), "positions 1..7"),
        (dele(2, 0), "size of at least 1"),
        (ins(8, "A"), "position 0..7"),
        (ins(-1, "A"), "position 0..7"),
        (ins(2, ""), "non-empty new_seq"),
    ],
)
def test_indels_off_the_record_are_refused(mutation: Mutation, words: str) -> None:
    with pytest.raises(MutationInputError, match=words):
        left_normalised(mutation, HOMOPOLYMER)
    with pytest.raises(MutationInputError):
        right_normalised(mutation, HOMOPOLYMER)


def test_same_event() -> None:
    assert same_event(dele(3, 1), dele(6, 1), HOMOPOLYMER)
    assert same_event(ins(2, "T"), ins(5, "T"), HOMOPOLYMER)
    assert not same_event(ins(2, "T"), ins(2, "TT"), HOMOPOLYMER)
    assert not same_event(dele(3, 1), dele(3, 2), HOMOPOLYMER)
    assert not same_event(dele(3, 1), dele(3, 1, seq_id="other"), HOMOPOLYMER)
    assert not same_event(ins(3, "T"), dele(3, 1), HOMOPOLYMER)
    half = Mutation(Kind.DEL, "c", 6, size=1, frequency=0.5)
    assert same_event(dele(3, 1), half, HOMOPOLYMER)  # frequency measures, it does not name
    snp = Mutation(Kind.SNP, "c", 2, new_seq="C")
    assert same_event(snp, Mutation(Kind.SNP, "c", 2, new_seq="c"), HOMOPOLYMER)
    assert not same_event(snp, Mutation(Kind.SNP, "c", 2, new_seq="G"), HOMOPOLYMER)


# Brute force, independent of the shifting: every placement that gives the same genome.


def applied(m: Mutation, sequence: str) -> str:
    if m.kind is Kind.DEL:
        return sequence[: m.position - 1] + sequence[m.end :]
    return sequence[: m.position] + m.new_seq + sequence[m.position :]


def equivalent_placements(m: Mutation, sequence: str) -> list[tuple[int, int, str]]:
    genome = applied(m, sequence)
    if m.kind is Kind.DEL:
        return [
            (p, m.size, "")
            for p in range(1, len(sequence) - m.size + 2)
            if applied(dele(p, m.size), sequence) == genome
        ]
    k = len(m.new_seq)
    return [
        (p, 0, genome[p : p + k])
        for p in range(len(sequence) + 1)
        if genome[:p] + genome[p + k :] == sequence
    ]


def test_extremes_of_every_equivalent_placement() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        sequence = "".join(rng.choice(rng.choice(["AC", "ACG", "AT", "A"])) for _ in range(12))
        size = rng.randint(1, 4)
        if rng.random() < 0.5:
            m = dele(rng.randint(1, len(sequence) - size + 1), size)
        else:
            new = "".join(rng.choice("ACGT") for _ in range(size))
            m = ins(rng.randint(0, len(sequence)), new)
        placements = equivalent_placements(m, sequence)
        assert placement(left_normalised(m, sequence)) == placements[0], (sequence, m)
        assert placement(right_normalised(m, sequence)) == placements[-1], (sequence, m)


# breseq's lambda case: planted truth (input.gd) and breseq's call (expected.gd).


@pytest.fixture(scope="module")
def lambda_sequence() -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Biopython dislikes the file's short LOCUS line
        (record,) = load_records(
            peers.breseq() / "tests/data/lambda/lambda.5.gbk", "genbank", "none"
        )
    return record.sequence


LAMBDA = "NC_001416-4"


def test_lambda_planted_and_breseq_calls_are_the_same_events(lambda_sequence: str) -> None:
    planted_ins = ins(2602, "CGGCGGCGG", LAMBDA)
    breseq_ins = ins(2604, "GCGGCGGCG", LAMBDA)
    planted_del = dele(2799, 3, LAMBDA)
    breseq_del = dele(2800, 3, LAMBDA)
    assert same_event(planted_ins, breseq_ins, lambda_sequence)
    assert same_event(planted_del, breseq_del, lambda_sequence)
    assert not same_event(planted_del, dele(2803, 3, LAMBDA), lambda_sequence)


@pytest.mark.parametrize(
    ("planted", "breseq", "leftmost"),
    [
        # The bases around each site, read by hand from lambda.5.gbk:
        # 2591 ATACGT CGGCGGCGCG: CGG repeat from 2597, planted copies after 2602.
        (ins(2602, "CGGCGGCGG", LAMBDA), (2604, 0, "GCGGCGGCG"), (2596, 0, "CGGCGGCGG")),
        # 2791 GGAAG CAACAAC C: CAA/AAC repeat 2796..2802.
        (dele(2799, 3, LAMBDA), (2800, 3, ""), (2796, 3, "")),
        # 2906 GCGTG TTTTT A: T run 2911..2915.
        (ins(2915, "TTTT", LAMBDA), (2915, 0, "TTTT"), (2910, 0, "TTTT")),
        # 5266 ACGA CAAACAAAA G: CAAA repeat 5270..5278.
        (dele(5274, 4, LAMBDA), (5274, 4, ""), (5269, 4, "")),
    ],
)
def test_right_normalised_is_breseq_placement(
    lambda_sequence: str,
    planted: Mutation,
    breseq: tuple[int, int, str],
    leftmost: tuple[int, int, str],
) -> None:
    assert placement(right_normalised(planted, lambda_sequence)) == breseq
    assert placement(left_normalised(planted, lambda_sequence)) == leftmost
