"""Read and assembly statistics against published examples, seqkit and hand counts."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from analysis.sequences.stats import (
    HISTOGRAM_BINS_MAX,
    POSITION_BINS_MAX,
    ReadTally,
    assembly_stats,
    length_histogram,
    n50_l50,
)


def _counts(lengths: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for length in lengths:
        out[length] = out.get(length, 0) + 1
    return out


@pytest.mark.parametrize(
    ("lengths", "n50", "l50"),
    [
        # Wikipedia, "N50, L50, and related statistics", Examples: 2..10 -> N50 8, L50 3.
        ([2, 3, 4, 5, 6, 7, 8, 9, 10], 8, 3),
        # El-Metwally et al. 2013, PLoS Comput Biol 9:e1003345, figure 8 (kb): N50 15.
        ([20, 15, 10, 5, 2], 15, 2),
        # metagenomics.wiki, "N50": contigs of 1, 2, 4 and 5 kb -> N50 4 kb.
        ([1, 2, 4, 5], 4, 2),
        # Broad Institute wiki, "N50": {2,2,2,3,3,4,8,8}. Its median-of-weighted-list
        # convention gives 6; the running-sum definition used here (and seqkit 2.3.0, run on
        # these lengths: N50 8) gives 8: the two 8s hold exactly half of the 32 bases.
        ([2, 2, 2, 3, 3, 4, 8, 8], 8, 2),
        ([7], 7, 1),
    ],
)
def test_n50_l50_published_examples(lengths: list[int], n50: int, l50: int) -> None:
    assert n50_l50(_counts(lengths)) == (n50, l50)


def test_n50_of_nothing_is_zero() -> None:
    assert n50_l50({}) == (0, 0)
    assert n50_l50({5: 0}) == (0, 0)


def test_l50_within_a_group_of_equal_lengths() -> None:
    # 10 reads of 100 and one of 1000: half of 2000 is reached by the 1000 alone.
    assert n50_l50({100: 10, 1000: 1}) == (1000, 1)
    # 10 reads of 100 and one of 500 (1500 bases): 500 + 3 x 100 = 800 >= 750.
    assert n50_l50({100: 10, 500: 1}) == (100, 4)


def test_assembly_stats_by_hand() -> None:
    # Two contigs (130 and 70 bp), 93 G/C and 5 N in all (tests/fixtures/.../two_records.gb).
    s = assembly_stats([130, 70], gc=93, n=5)
    assert (s.records, s.total_length, s.min_length, s.max_length) == (2, 200, 70, 130)
    assert (s.n50, s.l50) == (130, 1)
    assert s.gc_fraction == pytest.approx(93 / 195)  # N left out of the denominator
    assert s.n_fraction == pytest.approx(5 / 200)
    assert sum(b[2] for b in s.length_histogram) == 2


def test_assembly_stats_of_pPCP1_matches_ena_base_counts() -> None:
    # ENA's SQ line for AE017046 (pPCP1): 9609 BP; 2792 A; 2250 C; 2099 G; 2468 T; 0 other.
    s = assembly_stats([9609], gc=2250 + 2099, n=0)
    assert s.gc_fraction == pytest.approx(0.4526, abs=5e-5)  # seqkit stats: GC(%) 45.26
    assert s.length_histogram == ((9609, 9610, 1),)


def test_assembly_stats_refuses_counts_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        assembly_stats([10], gc=9, n=2)


def test_length_histogram_bins() -> None:
    bins = length_histogram({150: 98, 35: 2})
    # Span 35..150 is 116 lengths: width 2 (116/60 rounded up to 1-2-5), from 34.
    assert len(bins) == 59
    assert bins[0] == (34, 36, 2)
    assert bins[-1] == (150, 152, 98)
    assert all(b[1] == c[0] for b, c in itertools.pairwise(bins))
    assert sum(b[2] for b in bins) == 100


def test_length_histogram_single_length_and_wide_span() -> None:
    assert length_histogram({150: 7}) == ((150, 151, 7),)
    bins = length_histogram({1: 1, 1_000_000: 1})
    assert len(bins) <= HISTOGRAM_BINS_MAX
    widths = {b[1] - b[0] for b in bins}
    assert widths == {20_000}  # 1e6 / 60 = 16,667 -> the next of 1, 2, 5 x 10^k
    assert (bins[0][2], bins[-1][2]) == (1, 1)


def _add(tally: ReadTally, reads: list[tuple[str, str]]) -> None:
    tally.add(
        np.frombuffer("".join(s for s, _ in reads).encode(), dtype=np.uint8),
        np.frombuffer("".join(q for _, q in reads).encode(), dtype=np.uint8),
        np.array([len(s) for s, _ in reads], dtype=np.int64),
    )


def test_read_tally_by_hand() -> None:
    tally = ReadTally()
    # Phred+33: '!' 0, '+' 10, '5' 20, '?' 30, 'I' 40.
    _add(tally, [("ACGG", "!+5?"), ("GC", "II")])
    r = tally.result()
    assert (r.reads, r.bases, r.min_length, r.max_length, r.n50) == (2, 6, 2, 4, 4)
    assert r.mean_length == 3.0
    assert r.gc_fraction == pytest.approx(5 / 6)
    assert r.q20_fraction == pytest.approx(4 / 6)
    assert r.q30_fraction == pytest.approx(3 / 6)
    assert r.mean_quality == pytest.approx(140 / 6)
    assert r.mean_quality_by_position == (20.0, 25.0, 20.0, 30.0)
    assert r.position_bin_width == 1
    assert r.length_histogram == ((2, 3, 1), (3, 4, 0), (4, 5, 1))


def test_read_tally_gc_counts_lower_case_and_not_n() -> None:
    tally = ReadTally()
    _add(tally, [("gcNNatRY", "IIIIIIII")])
    assert tally.result().gc_fraction == pytest.approx(2 / 8)  # seqkit: G+C over all bases


def test_read_tally_few_long_reads_among_short_ones() -> None:
    # 10,000 bases at Q40 and ten 1-base reads at Q0: position 1 averages 40/11.
    tally = ReadTally()
    _add(tally, [("A" * 10_000, "I" * 10_000)] + [("C", "!")] * 10)
    r = tally.result()
    assert r.mean_quality_by_position[0] == pytest.approx(40 / 11)
    assert set(r.mean_quality_by_position[1:]) == {40.0}
    assert len(r.mean_quality_by_position) == 10_000
    assert r.n50 == 10_000


def test_read_tally_bins_positions_of_very_long_reads() -> None:
    # 250,000 bases: 125,000 bins of 2 would be too many, so bins of 4 (62,500 of them).
    # Qualities cycle 0, 10, 20, 30, so every bin of 4 averages 15.
    tally = ReadTally()
    _add(tally, [("A" * 250_000, "!+5?" * 62_500)])
    r = tally.result()
    assert r.position_bin_width == 4
    assert len(r.mean_quality_by_position) == 62_500 <= POSITION_BINS_MAX
    assert set(r.mean_quality_by_position) == {15.0}
    assert r.mean_quality == 15.0


def test_read_tally_coarsens_earlier_bins_when_a_longer_read_arrives() -> None:
    tally = ReadTally()
    _add(tally, [("A" * 8, "!!!!IIII")])  # positions 1-4 Q0, 5-8 Q40
    _add(tally, [("A" * 400_000, "5" * 400_000)])  # Q20 everywhere; needs bins of 4
    r = tally.result()
    assert r.position_bin_width == 4
    # Bin 1 (positions 1-4): four Q0 and four Q20 -> 10; bin 2: four Q40, four Q20 -> 30.
    assert r.mean_quality_by_position[:3] == (10.0, 30.0, 20.0)
    assert len(r.mean_quality_by_position) == 100_000


def test_read_tally_empty_reads() -> None:
    tally = ReadTally()
    _add(tally, [("", ""), ("", "")])
    r = tally.result()
    assert (r.reads, r.bases, r.max_length, r.n50) == (2, 0, 0, 0)
    assert (r.gc_fraction, r.q20_fraction, r.mean_quality) == (0.0, 0.0, 0.0)
    assert r.mean_quality_by_position == ()


def test_as_dict_is_json() -> None:
    tally = ReadTally()
    _add(tally, [("ACGT", "IIII")])
    text = json.dumps(tally.result().as_dict())
    assert '"length_histogram": [[4, 5, 1]]' in text
    assert json.loads(json.dumps(assembly_stats([5, 5], 2, 0).as_dict()))["n50"] == 5


def test_read_tally_reads_of_millions_of_bases_go_straight_to_bins() -> None:
    # 2,000,000 bases (Q20 then Q40 halves) and a 1-base Q0 read: bins of 32 positions
    # (2e6 / 32 = 62,500 bins); the first bin holds 32 Q20 bases and the Q0 base.
    tally = ReadTally()
    _add(tally, [("A" * 2_000_000, "5" * 1_000_000 + "I" * 1_000_000), ("C", "!")])
    r = tally.result()
    assert (r.position_bin_width, len(r.mean_quality_by_position)) == (32, 62_500)
    assert r.mean_quality_by_position[0] == pytest.approx(32 * 20 / 33)
    assert set(r.mean_quality_by_position[1:31_250]) == {20.0}
    assert set(r.mean_quality_by_position[31_250:]) == {40.0}
    assert r.mean_quality == pytest.approx((1_000_000 * 20 + 1_000_000 * 40) / 2_000_001)
