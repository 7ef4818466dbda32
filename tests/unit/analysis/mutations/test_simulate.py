"""The simulator: planted truth agrees with the mutated sequences, reads carry it as stated.

The truth is checked with an applier written here, slice by slice from the right, apart
from the simulator's own; read figures are counted from the FASTQ files.
"""

from __future__ import annotations

import gzip
import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from analysis.mutations.model import Category, Kind, Mutation
from analysis.mutations.simulate import (
    Haplotype,
    PlantPlan,
    apply_mutations,
    make_feature,
    mobile_elements,
    plant,
    random_genome,
    simulate_reads,
    simulated_reference,
    write_genbank,
)
from analysis.sequences.records import Record, load_records

COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def revcomp(text: str) -> str:
    return text.translate(COMPLEMENT)[::-1]


def applied(sequence: str, mutations: list[Mutation], elements: dict[str, str]) -> str:
    """The record after the mutations, applied from the rightmost (positions stay valid)."""
    length = len(sequence)
    head_cut = 0
    for m in sorted(mutations, key=lambda m: m.position, reverse=True):
        p = m.position
        if m.kind is Kind.SNP:
            sequence = sequence[: p - 1] + m.new_seq + sequence[p:]
        elif m.kind is Kind.SUB:
            sequence = sequence[: p - 1] + m.new_seq + sequence[p - 1 + m.size :]
        elif m.kind is Kind.DEL and p + m.size - 1 > length:  # across the origin
            sequence = sequence[: p - 1]
            head_cut = p + m.size - 1 - length
        elif m.kind is Kind.DEL:
            sequence = sequence[: p - 1] + sequence[p - 1 + m.size :]
        elif m.kind is Kind.INS:
            sequence = sequence[:p] + m.new_seq + sequence[p:]
        elif m.kind is Kind.AMP:
            unit = sequence[p - 1 : p - 1 + m.size]
            sequence = sequence[: p - 1] + unit * m.copy_number + sequence[p - 1 + m.size :]
        elif m.kind is Kind.MOB:
            element = elements[m.repeat_name]
            element = element if m.strand == 1 else revcomp(element)
            site = sequence[p - 1 : p - 1 + m.duplication_size]
            sequence = (
                sequence[: p - 1] + site + element + site + sequence[p - 1 + m.duplication_size :]
            )
    return sequence[head_cut:]


@pytest.fixture(scope="module")
def reference() -> list[Record]:
    return simulated_reference(400_000, 40_000, element_copies=4, seed=11)


@pytest.fixture(scope="module")
def plan() -> PlantPlan:
    return PlantPlan(
        snps=30,
        substitutions=6,
        small_insertions=15,
        small_deletions=15,
        repeat_indel_fraction=0.5,
        large_deletions=4,
        duplications=3,
        triplications=2,
        mobile_insertions=6,
        origin_deletions=1,
        large_deletion_size=(200, 8_000),
        amplification_size=(300, 3_000),
    )


def test_random_genome_is_deterministic_with_the_gc_asked() -> None:
    genome = random_genome(100_000, gc=0.6, seed=3)
    assert genome == random_genome(100_000, gc=0.6, seed=3)
    assert genome != random_genome(100_000, gc=0.6, seed=4)
    gc = (genome.count("G") + genome.count("C")) / len(genome)
    assert gc == pytest.approx(0.6, abs=0.01)
    assert set(genome) == set("ACGT")


def test_plant_is_deterministic_under_a_seed(reference: list[Record], plan: PlantPlan) -> None:
    first, again = plant(reference, plan, seed=5), plant(reference, plan, seed=5)
    assert first.truth == again.truth
    assert first.sequences == again.sequences
    assert plant(reference, plan, seed=6).truth != first.truth


def test_plant_plants_every_class_as_planned(reference: list[Record], plan: PlantPlan) -> None:
    truth = plant(reference, plan, seed=5).truth
    kinds = Counter(m.kind for m in truth)
    categories = Counter(m.category for m in truth)
    assert categories[Category.SNP] == 30
    assert kinds[Kind.SUB] == 6
    assert kinds[Kind.INS] == 15
    assert categories[Category.SMALL_INDEL] == 6 + 15 + 15
    assert categories[Category.LARGE_DELETION] == 4 + 1
    assert [m.copy_number for m in truth if m.kind is Kind.AMP].count(3) == 2
    assert kinds[Kind.AMP] == 5
    assert kinds[Kind.MOB] == 6
    for m in truth:
        assert m.frequency == 1.0
        if m.kind is Kind.SUB:
            assert 2 <= m.size <= 6
            assert len(m.new_seq) == m.size
        if m.category is Category.SMALL_INDEL and m.kind is not Kind.SUB:
            assert 1 <= max(m.size, len(m.new_seq)) <= 50
        if m.kind is Kind.MOB:
            assert m.repeat_name == "ISsim1"
            assert 4 <= m.duplication_size <= 9
            assert m.strand in (1, -1)
        if m.kind is Kind.AMP:
            assert 300 <= m.size <= 3_000


def test_some_small_indels_sit_in_repeats(reference: list[Record], plan: PlantPlan) -> None:
    """An indel in a repeat can slide one base (the base it passes equals the one it drops)."""
    planted = plant(reference, plan, seed=5)
    sequences = {r.id: r.sequence for r in reference}
    slidable = 0
    for m in planted.truth:
        seq = sequences[m.seq_id]
        if m.kind is Kind.DEL and m.category is Category.SMALL_INDEL:
            p = m.position - 1
            slidable += seq[p - 1] == seq[p + m.size - 1] or seq[p] == seq[p + m.size]
        if m.kind is Kind.INS:
            slidable += seq[m.position - 1] == m.new_seq[-1] or seq[m.position] == m.new_seq[0]
    assert slidable >= 8


def test_mutations_are_apart_and_clear_of_elements(
    reference: list[Record], plan: PlantPlan
) -> None:
    truth = plant(reference, plan, seed=5).truth
    for record in reference:
        spans = sorted(
            (m.position, max(m.end, m.position + m.duplication_size))
            for m in truth
            if m.seq_id == record.id and m.end <= record.length
        )
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start - end >= 200
        for feature in record.features:
            if feature.type == "repeat_region":
                for start, end in spans:
                    assert end < feature.start or start > feature.end + 1


def test_truth_applied_to_the_reference_gives_the_mutant(
    reference: list[Record], plan: PlantPlan
) -> None:
    planted = plant(reference, plan, seed=5)
    elements = mobile_elements(reference)
    assert set(elements) == {"ISsim1"}
    for record in reference:
        mine = [m for m in planted.truth if m.seq_id == record.id]
        assert applied(record.sequence, mine, elements) == planted.sequences[record.id]
    lengths = {r.id: r.length for r in reference}
    across = [m for m in planted.truth if m.kind is Kind.DEL and m.end > lengths[m.seq_id]]
    assert [m.seq_id for m in across] == ["plasmid"]  # the deletion across the origin


def test_apply_mutations_by_hand() -> None:
    #            1234567890123456
    sequence = "AACCGGTTAACCGGTT"
    elements = {"IS": "GAT"}
    mutations = [
        Mutation(Kind.SUB, "x", 2, size=2, new_seq="TT"),
        Mutation(Kind.MOB, "x", 6, repeat_name="IS", strand=-1, duplication_size=2),
        Mutation(Kind.AMP, "x", 9, size=2, copy_number=3),
        Mutation(Kind.DEL, "x", 15, size=3),  # 15, 16 and, past the origin, 1
    ]
    # A|TT|C|G|GT|ATC|GT|T|AA AA AA|CCGG, less the first A (the origin deletion's head):
    # the SUB; MOB -1 of GAT (ATC) with its site GT on both sides; AA three times.
    assert apply_mutations(sequence, mutations, elements) == "TTCGGTATCGTTAAAAAACCGG"
    assert applied(sequence, mutations, elements) == "TTCGGTATCGTTAAAAAACCGG"


def test_plant_refuses_mobile_insertions_without_elements() -> None:
    bare = [Record("x", "", random_genome(50_000, seed=1), (), "linear")]
    with pytest.raises(ValueError, match="mobile_element or repeat_region"):
        plant(bare, PlantPlan(mobile_insertions=1), seed=1)


def read_fastq(path: Path) -> list[tuple[str, str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        lines = handle.read().splitlines()
    return [(lines[i][1:], lines[i + 1], lines[i + 3]) for i in range(0, len(lines), 4)]


def test_paired_reads_have_matching_names_and_lengths(tmp_path: Path) -> None:
    genome = random_genome(30_000, seed=2)
    source = Haplotype("g", genome, True, np.arange(len(genome), dtype=np.int64))
    r1, r2 = tmp_path / "r1.fq", tmp_path / "r2.fq"
    summary = simulate_reads([source], [r1, r2], coverage=10, read_length=100, seed=1)
    first, second = read_fastq(r1), read_fastq(r2)
    assert len(first) == len(second) == summary.reads // 2 == 1_500
    names = [name.split()[0] for name, _, _ in first]
    assert len(set(names)) == len(names)
    for (name1, seq1, qual1), (name2, seq2, qual2) in zip(first, second, strict=True):
        assert name1.split()[0][:-2] == name2.split()[0][:-2]
        assert name1.split()[0].endswith("/1")
        assert name2.split()[0].endswith("/2")
        assert len(seq1) == len(qual1) == len(seq2) == len(qual2) == 100


def test_reads_cross_the_origin_of_a_circular_record(tmp_path: Path) -> None:
    genome = random_genome(5_000, seed=4)
    source = Haplotype("g", genome, True, np.arange(len(genome), dtype=np.int64))
    path = tmp_path / "r.fq"
    simulate_reads([source], [path], coverage=30, read_length=60, error_rate=0, seed=2)
    junction = genome[-10:] + genome[:10]
    reads = [seq for _, seq, _ in read_fastq(path)]
    across = sum(junction in seq or revcomp(junction) in seq for seq in reads)
    assert across >= 5  # ~30x: about 30 * 40 / 60 reads hold the 20 bases around the origin


def test_errors_follow_the_qualities(tmp_path: Path) -> None:
    genome = random_genome(200_000, seed=8)
    source = Haplotype("g", genome, False, np.arange(len(genome), dtype=np.int64))
    path = tmp_path / "r.fq"
    summary = simulate_reads(
        [source], [path], coverage=20, read_length=150, error_rate=0.01, seed=3
    )
    wrong = np.zeros(150)
    expected = np.zeros(150)
    for name, seq, qual in read_fastq(path):
        where = name.split()[1]  # h000:<start>:<strand>
        start, strand = int(where[5:15]), where[15]
        truth = genome[start : start + 150]
        if strand == "-":
            truth = revcomp(truth)
        wrong += np.frombuffer(seq.encode(), np.uint8) != np.frombuffer(truth.encode(), np.uint8)
        phred = np.frombuffer(qual.encode(), np.uint8).astype(np.float64) - 33
        expected += 10 ** (-phred / 10)
    assert wrong.sum() == summary.errors
    assert wrong.sum() / expected.sum() == pytest.approx(1.0, rel=0.05)  # calibrated
    assert wrong.sum() / summary.bases == pytest.approx(0.01, rel=0.25)
    assert wrong[-30:].sum() > 3 * wrong[:30].sum()  # worse towards the 3' end


def test_mixed_population_reads_carry_each_mutation_at_its_frequency(tmp_path: Path) -> None:
    genome = random_genome(40_000, seed=9)
    reference = [Record("g", "", genome, (), "linear")]
    plan = PlantPlan.only(snps=12, frequency=(0.1, 0.9))
    planted = plant(reference, plan, seed=4)
    assert len(planted.haplotypes) == 2  # the mutant and the reference beside it
    path = tmp_path / "r.fq.gz"
    simulate_reads(planted.haplotypes, [path], coverage=200, read_length=100, error_rate=0, seed=5)
    reads = [seq for _, seq, _ in read_fastq(path)]
    text = "\n".join(reads + [revcomp(r) for r in reads])
    errors = []
    for m in planted.truth:
        p = m.position - 1
        alt = genome[p - 15 : p] + m.new_seq + genome[p + 1 : p + 16]
        ref = genome[p - 15 : p + 16]
        carried, not_carried = text.count(alt), text.count(ref)
        assert carried + not_carried > 80
        errors.append(abs(carried / (carried + not_carried) - m.frequency))
    assert max(errors) < 0.15
    assert float(np.mean(errors)) < 0.05


def test_reads_are_deterministic_under_a_seed(tmp_path: Path) -> None:
    genome = random_genome(20_000, seed=2)
    source = Haplotype("g", genome, True, np.arange(len(genome), dtype=np.int64))
    paths = [tmp_path / f"{name}.fq.gz" for name in ("a1", "a2", "b1", "b2")]
    simulate_reads([source], paths[:2], coverage=5, seed=7)
    simulate_reads([source], paths[2:], coverage=5, seed=7)
    assert paths[0].read_bytes() == paths[2].read_bytes()
    assert paths[1].read_bytes() == paths[3].read_bytes()


def test_simulated_reference_round_trips_through_genbank(tmp_path: Path) -> None:
    records = simulated_reference(60_000, 8_000, element_copies=2, seed=3)
    path = tmp_path / "ref.gbk"
    write_genbank(records, path)
    loaded = load_records(path, "genbank", "none")
    assert [(r.id, r.topology, r.sequence) for r in loaded] == [
        (r.id, "circular", r.sequence) for r in records
    ]
    elements = [f for f in loaded[0].features if f.type == "repeat_region"]
    assert len(elements) == 2
    assert elements[0].mobile_element == "insertion sequence:ISsim1"
    cds = [f for f in loaded[0].features if f.type == "CDS"]
    assert len(cds) > 30
    for feature in cds[:10]:
        gene = loaded[0].sequence[feature.start : feature.end]
        gene = gene if feature.strand == 1 else revcomp(gene)
        assert gene.startswith("ATG")
        assert gene[-3:] in ("TAA", "TAG", "TGA")


def test_make_feature_is_one_simple_part() -> None:
    feature = make_feature("CDS", 10, 40, -1, locus_tag="b1")
    assert feature.parts == ((10, 40, -1),)
    assert feature.length == 30
