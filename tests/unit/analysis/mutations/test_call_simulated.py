"""The caller on simulated reads with planted mutations of every class, scored per class
against the planted truth (clonal and mixed, single and paired, a circular plasmid)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.mutations.call import Mode, ReadSet, call_mutations
from analysis.mutations.model import Category, Mutation
from analysis.mutations.score import frequency_error, match, score
from analysis.mutations.simulate import PlantPlan, plant, simulate_reads, simulated_reference
from analysis.sequences.records import Record

# Small enough to run in seconds, with room for every class on both records.
PLAN = PlantPlan(
    snps=15,
    substitutions=4,
    small_insertions=6,
    small_deletions=6,
    large_deletions=3,
    duplications=2,
    triplications=1,
    mobile_insertions=3,
    origin_deletions=1,
    large_deletion_size=(300, 3_000),
    amplification_size=(400, 2_000),
)


@pytest.fixture(scope="module")
def reference() -> list[Record]:
    return simulated_reference(200_000, 30_000, element_copies=3, seed=5)


def _sequences(reference: list[Record]) -> tuple[dict[str, str], set[str]]:
    return {r.id: r.sequence for r in reference}, {
        r.id for r in reference if r.topology == "circular"
    }


@pytest.mark.parametrize("paired", [True, False], ids=["paired", "single"])
def test_a_clonal_isolate_gives_every_planted_class_and_nothing_else(
    reference: list[Record], tmp_path: Path, paired: bool
) -> None:
    planted = plant(reference, PLAN, seed=11)
    paths = [tmp_path / "r1.fastq.gz", tmp_path / "r2.fastq.gz"][: 2 if paired else 1]
    simulate_reads(planted.haplotypes, paths, coverage=40, read_length=150, seed=12)
    result = call_mutations(reference, [ReadSet("clonal", tuple(paths))])
    sequences, circular = _sequences(reference)
    counts = score(result.mutations, planted.truth, sequences, circular=circular)
    assert {c: (k.false_positives, k.false_negatives) for c, k in counts.items()} == dict.fromkeys(
        Category, (0, 0)
    )
    assert all(counts[c].true_positives > 0 for c in Category)


def test_a_mixed_population_gives_small_changes_at_their_frequencies(
    reference: list[Record], tmp_path: Path
) -> None:
    planted = plant(reference, PlantPlan(**{**PLAN.__dict__, "frequency": (0.2, 1.0)}), seed=21)
    paths = [tmp_path / "r1.fastq", tmp_path / "r2.fastq"]
    simulate_reads(planted.haplotypes, paths, coverage=100, read_length=150, seed=22)
    result = call_mutations(reference, [ReadSet("mixed", tuple(paths))], Mode.POLYMORPHISM)
    sequences, circular = _sequences(reference)
    counts = score(result.mutations, planted.truth, sequences, circular=circular)
    for category in (Category.SNP, Category.SMALL_INDEL):
        assert counts[category].f1 >= 0.95, (category, counts[category])
    assert counts[Category.LARGE_DELETION].recall >= 0.75
    small = [m for m in planted.truth if m.category in (Category.SNP, Category.SMALL_INDEL)]
    calls = [m for m in result.mutations if m.category in (Category.SNP, Category.SMALL_INDEL)]
    # 100 reads give a frequency to about +-0.05 (binomial): the mean error stays below that.
    assert frequency_error(calls, small, sequences, circular=circular) <= 0.05


def _called_in_a_population(
    reference: list[Record], plan: PlantPlan, coverage: float, folder: Path
) -> tuple[tuple[Mutation, Mutation], ...]:
    """(call, planted) pairs of ``plan`` planted in a population and called from 150-bp
    pairs at ``coverage``."""
    planted = plant(reference, plan, seed=31)
    paths = [folder / "r1.fastq", folder / "r2.fastq"]
    simulate_reads(planted.haplotypes, paths, coverage=coverage, read_length=150, seed=32)
    result = call_mutations(reference, [ReadSet("mixed", tuple(paths))], Mode.POLYMORPHISM)
    sequences, circular = _sequences(reference)
    return match(result.mutations, planted.truth, sequences, circular=circular).pairs


def test_small_indel_frequencies_in_a_population_are_not_biased_low(tmp_path: Path) -> None:
    # Carriers with the event near a read end are clipped there while reads without it align
    # on, and carriers with an error in or beside the event show another event: both
    # undercount carriers unless handled (the mean error here was -0.035 before).
    reference = simulated_reference(120_000, 0, element_copies=0, seed=8)
    plan = PlantPlan.only(
        substitutions=10, small_insertions=20, small_deletions=20, frequency=(0.5, 0.5)
    )
    pairs = _called_in_a_population(reference, plan, 200, tmp_path)
    assert len(pairs) >= 45
    errors = [call.frequency - truth.frequency for call, truth in pairs]
    # ~150 informative reads each: a frequency to +-0.04, the mean of 45+ to +-0.006.
    assert abs(sum(errors) / len(errors)) <= 0.015


def test_amplifications_in_a_population_get_their_copy_number(tmp_path: Path) -> None:
    # Coverage gives 1 + f (copies - 1): a triplication in 70 % of the cells (ratio 2.4)
    # is not a duplication in all of them (nearest whole number: 2, f clipped to 1); the
    # baseline is wide enough that its noise does not decide (a 200-base flank moved the
    # ratio by +-10 %). Below ~2.15 the two cannot be told apart from coverage.
    reference = simulated_reference(150_000, 0, element_copies=0, seed=9)
    plan = PlantPlan.only(
        duplications=2, triplications=2, amplification_size=(1_000, 3_000), frequency=(0.7, 0.7)
    )
    pairs = _called_in_a_population(reference, plan, 100, tmp_path)
    assert sorted((t.copy_number, c.copy_number) for c, t in pairs) == [
        (2, 2),
        (2, 2),
        (3, 3),
        (3, 3),
    ]
    assert all(abs(c.frequency - 0.7) <= 0.15 for c, _t in pairs)
