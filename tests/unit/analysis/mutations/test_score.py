"""Scoring calls against planted truth: hand-made call sets, counts worked out by hand."""

from __future__ import annotations

import math

import pytest

from analysis.mutations.model import Category, Kind, Mutation
from analysis.mutations.score import Counts, frequency_error, match, same_change, score
from analysis.mutations.simulate import random_genome

# A reference built from named pieces, so positions below can be read off it.
FLANK = "GATCCGTAGC"  # 1..10
HOMOPOLYMER = "AAAAA"  # 11..15
SPACER = "CGTTGCAGCT"  # 16..25
DINUCLEOTIDE = "CACACA"  # 26..31
UNIQUE = "GTTAGCGCTTAGGATCGCTA" * 3  # 32..91
REPEAT = "TGCATCCGAGGT"  # 92..103, and again at 164..175
MIDDLE = "CCTTAGGACTGATTCAGCGGAATTCAGGCTACGGATCAGTACGTGCTCAACTGGATACCT"  # 104..163
TAIL = random_genome(440, seed=7)  # 176..615
PERIODIC = "GGACCTTGACCAAGTCGTTACGAAGTCAAGTCCTAGGCTTAACG" * 5  # 616..835, period 44
SEQUENCE = (
    FLANK + HOMOPOLYMER + SPACER + DINUCLEOTIDE + UNIQUE + REPEAT + MIDDLE + REPEAT + TAIL
) + PERIODIC
REFERENCE = {"x": SEQUENCE}


def snp(position: int, base: str, frequency: float = 1.0) -> Mutation:
    return Mutation(Kind.SNP, "x", position, new_seq=base, frequency=frequency)


def test_the_reference_is_laid_out_as_the_comments_say() -> None:
    assert SEQUENCE[10:15] == "AAAAA"
    assert SEQUENCE[25:31] == "CACACA"
    assert SEQUENCE[91:103] == REPEAT == SEQUENCE[163:175]
    assert len(MIDDLE) == 60
    assert SEQUENCE[615:659] == SEQUENCE[659:703]
    assert len(SEQUENCE) == 835


def test_snps_match_only_position_and_base() -> None:
    truth = [snp(5, "G"), snp(20, "T")]
    calls = [snp(5, "G"), snp(20, "A"), snp(30, "G")]
    counts = score(calls, truth, REFERENCE)[Category.SNP]
    assert counts == Counts(true_positives=1, false_positives=2, false_negatives=1)
    assert counts.precision == pytest.approx(1 / 3)
    assert counts.recall == pytest.approx(1 / 2)
    assert counts.f1 == pytest.approx(0.4)


def test_small_indels_match_anywhere_in_their_repeat() -> None:
    truth = [
        Mutation(Kind.DEL, "x", 11, size=1),  # the first A of AAAAA
        Mutation(Kind.INS, "x", 27, new_seq="CA"),  # one more CA, after CA|CACA
        Mutation(Kind.SUB, "x", 40, size=3, new_seq="CCC"),
        Mutation(Kind.INS, "x", 60, new_seq="GGG"),
    ]
    calls = [
        Mutation(Kind.DEL, "x", 15, size=1),  # the last A: the same genome
        Mutation(Kind.INS, "x", 25, new_seq="CA"),  # before the repeat: the same genome
        Mutation(Kind.SUB, "x", 40, size=3, new_seq="CCC"),
        Mutation(Kind.INS, "x", 60, new_seq="GGT"),  # another sequence
    ]
    counts = score(calls, truth, REFERENCE)[Category.SMALL_INDEL]
    assert counts == Counts(true_positives=3, false_positives=1, false_negatives=1)


def test_an_is_mediated_deletion_matches_at_either_copy_of_the_repeat() -> None:
    # Deleting REPEAT+MIDDLE (92..163) leaves what deleting MIDDLE+REPEAT (104..175) leaves.
    truth = [Mutation(Kind.DEL, "x", 92, size=72)]
    assert score([Mutation(Kind.DEL, "x", 104, size=72)], truth, REFERENCE)[
        Category.LARGE_DELETION
    ] == Counts(1, 0, 0)
    # Any start from 92 to 104 is the same deletion; 90 is not (base 91 is not base 163).
    assert score([Mutation(Kind.DEL, "x", 97, size=72)], truth, REFERENCE)[
        Category.LARGE_DELETION
    ] == Counts(1, 0, 0)
    off_by_two = [Mutation(Kind.DEL, "x", 90, size=72)]
    assert score(off_by_two, truth, REFERENCE)[Category.LARGE_DELETION] == Counts(0, 1, 1)
    assert score(off_by_two, truth, REFERENCE, deletion_tolerance=2)[
        Category.LARGE_DELETION
    ] == Counts(1, 0, 0)


def test_amplifications_match_within_tolerance_and_on_copy_number() -> None:
    truth = [Mutation(Kind.AMP, "x", 200, size=300, copy_number=2)]
    cases = {
        Mutation(Kind.AMP, "x", 204, size=300, copy_number=2): Counts(1, 0, 0),
        Mutation(Kind.AMP, "x", 200, size=300, copy_number=3): Counts(0, 1, 1),
        Mutation(Kind.AMP, "x", 230, size=300, copy_number=2): Counts(0, 1, 1),
        Mutation(Kind.AMP, "x", 200, size=285, copy_number=2): Counts(0, 1, 1),
    }
    for call, expected in cases.items():
        assert score([call], truth, REFERENCE)[Category.AMPLIFICATION] == expected, call
    # Two periods of PERIODIC duplicated, written one period further on: the same genome.
    periodic = [Mutation(Kind.AMP, "x", 620, size=88, copy_number=2)]
    later = [Mutation(Kind.AMP, "x", 664, size=88, copy_number=2)]
    assert score(later, periodic, REFERENCE)[Category.AMPLIFICATION] == Counts(1, 0, 0)


def test_mobile_element_insertions_match_within_the_duplication() -> None:
    truth = [Mutation(Kind.MOB, "x", 300, repeat_name="IS1", strand=1, duplication_size=5)]

    def mob(position: int, name: str = "IS1", strand: int = 1) -> Mutation:
        return Mutation(
            Kind.MOB, "x", position, repeat_name=name, strand=strand, duplication_size=5
        )

    assert score([mob(304, "is1")], truth, REFERENCE)[Category.MOBILE_ELEMENT] == Counts(1, 0, 0)
    assert score([mob(295)], truth, REFERENCE)[Category.MOBILE_ELEMENT] == Counts(1, 0, 0)
    for call in (mob(306), mob(300, strand=-1), mob(300, "IS5")):
        assert score([call], truth, REFERENCE)[Category.MOBILE_ELEMENT] == Counts(0, 1, 1)


def test_a_deletion_across_the_origin_matches_on_a_circular_record() -> None:
    length = len(SEQUENCE)
    truth = [Mutation(Kind.DEL, "x", length - 29, size=80)]  # 30 bases at the end, 50 at 1
    same = [Mutation(Kind.DEL, "x", length - 29, size=80)]
    shifted = [Mutation(Kind.DEL, "x", length - 28, size=80)]
    counts = score(same, truth, REFERENCE, circular={"x"})
    assert counts[Category.LARGE_DELETION] == Counts(1, 0, 0)
    assert score(shifted, truth, REFERENCE, circular={"x"})[Category.LARGE_DELETION] == Counts(
        0, 1, 1
    )


def test_each_truth_matches_one_call_and_categories_do_not_mix() -> None:
    truth = [snp(5, "G"), Mutation(Kind.DEL, "x", 200, size=50)]
    calls = [snp(5, "G"), snp(5, "G"), Mutation(Kind.DEL, "x", 200, size=51)]
    counts = score(calls, truth, REFERENCE)
    assert counts[Category.SNP] == Counts(1, 1, 0)
    assert counts[Category.SMALL_INDEL] == Counts(0, 0, 1)
    assert counts[Category.LARGE_DELETION] == Counts(0, 1, 0)
    assert set(counts) == set(Category)
    assert counts[Category.AMPLIFICATION] == Counts(0, 0, 0)
    assert counts[Category.AMPLIFICATION].f1 == 1.0  # nothing planted, nothing called


def test_match_reports_pairs_and_leftovers() -> None:
    truth = [snp(5, "G"), snp(20, "T")]
    result = match([snp(5, "G"), snp(30, "C")], truth, REFERENCE)
    assert result.pairs == ((snp(5, "G"), snp(5, "G")),)
    assert result.unmatched_calls == (snp(30, "C"),)
    assert result.unmatched_truth == (snp(20, "T"),)


def test_frequency_error_is_the_mean_over_matched_calls() -> None:
    truth = [snp(5, "G", 0.4), snp(20, "T", 0.5), snp(40, "A", 0.9)]
    calls = [snp(5, "G", 0.5), snp(20, "T", 0.8), snp(60, "T", 0.1)]
    assert frequency_error(calls, truth, REFERENCE) == pytest.approx(0.2)  # (0.1 + 0.3) / 2
    assert math.isnan(frequency_error([snp(60, "T")], truth, REFERENCE))


def test_same_change_compares_the_genomes() -> None:
    # AA -> AC at 11..12 changes one base: the SNP at 12, written as a SUB.
    assert same_change(Mutation(Kind.SUB, "x", 11, size=2, new_seq="AC"), snp(12, "C"), SEQUENCE)
    assert not same_change(snp(12, "C"), snp(12, "G"), SEQUENCE)
