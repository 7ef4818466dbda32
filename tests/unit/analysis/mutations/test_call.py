"""The caller on breseq's own test cases (planted truth, and breseq's calls on real reads)
and on bad input."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pytest

from analysis.mutations.call import CallResult, Mode, ReadSet, call_mutations
from analysis.mutations.errors import MutationInputError
from analysis.mutations.genomediff import mutations_from, parse
from analysis.mutations.model import Kind, Mutation
from analysis.mutations.normalise import same_event
from analysis.mutations.pileup import END_SKIP
from analysis.sequences.records import Record, load_records
from tests import peers


def _reference(path: Path) -> list[Record]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # breseq's files have short LOCUS lines
        return load_records(path, "genbank", "none")


def _case(name: str, reference: str, reads: str) -> tuple[list[Record], CallResult, Path]:
    root = peers.breseq() / "tests"
    records = _reference(root / "data" / reference)
    result = call_mutations(records, [ReadSet(name, (root / "data" / reads,))])
    return records, result, root / name


def _unmatched(
    calls: list[Mutation] | tuple[Mutation, ...], expected: list[Mutation], sequence: str
) -> tuple[list[Mutation], list[Mutation]]:
    """(calls matching nothing expected, expected matched by no call)."""
    extra = [c for c in calls if not any(same_event(c, e, sequence) for e in expected)]
    missed = [e for e in expected if not any(same_event(c, e, sequence) for c in calls)]
    return extra, missed


def test_indels_in_short_repeats_match_the_planted_truth_exactly() -> None:
    records, result, case = _case(
        "lambda_short_sequence_repeats",
        "lambda/lambda.5.gbk",
        "lambda/lambda.short_sequence_repeats.fastq.gz",
    )
    planted = mutations_from(parse((case / "input.gd").read_text(), "input.gd"))
    assert len(planted) == 4
    extra, missed = _unmatched(result.mutations, planted, records[0].sequence)
    assert (extra, missed) == ([], [])
    assert result.reads == 5000
    assert result.mapped >= 4950  # 50 bp reads all align
    for call in result.mutations:
        assert call.frequency == 1.0
        assert sum(call.evidence.supporting) >= 10


def test_is_mediated_deletions_and_an_is1_insertion_match_the_planted_truth() -> None:
    records, result, case = _case(
        "REL606_fragment_is_mediated_dels",
        "REL606/REL606.fragment.gbk",
        "REL606/REL606.fragment.3.fastq.gz",
    )
    # input.gd (= breseq's expected.gd): DEL 10535 15342 and DEL 28183 3119 beside IS1
    # copies, and IS1 inserted after 34999 where 35000..39999 were lost (MOB + DEL).
    planted = mutations_from(parse((case / "input.gd").read_text(), "input.gd"))
    assert [m.kind for m in planted] == [Kind.DEL, Kind.DEL, Kind.MOB, Kind.DEL]
    extra, missed = _unmatched(result.mutations, planted, records[0].sequence)
    assert (extra, missed) == ([], [])
    mob = next(m for m in result.mutations if m.kind is Kind.MOB)
    assert (mob.position, mob.repeat_name, mob.strand, mob.duplication_size) == (34999, "IS1", 1, 0)
    assert mob.evidence.junction_reads >= 4
    assert result.mapped / result.reads > 0.99  # 36 bp reads align


def test_real_454_reads_give_breseqs_snps_substitution_and_insertion() -> None:
    records, result, case = _case("bull_2", "bull/bull_2.gbk", "bull/bull_2.fastq.gz")
    expected = mutations_from(parse((case / "expected.gd").read_text(), "expected.gd"))
    kinds = [m.kind for m in expected]
    assert (kinds.count(Kind.SNP), kinds.count(Kind.SUB), kinds.count(Kind.INS)) == (38, 2, 1)
    extra, missed = _unmatched(result.mutations, expected, records[0].sequence)
    # breseq's SUB 6146 replaces 330 bases by 66: a complex event we show as its two edges.
    complex_event = next(m for m in expected if m.kind is Kind.SUB and m.size == 330)
    assert missed == [complex_event]
    assert all(6140 <= m.position <= 6146 + 330 for m in extra), extra


def _fastq(path: Path, reads: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"@{name}\n{seq}\n+\n{'I' * len(seq)}\n" for name, seq in reads))
    return path


@pytest.fixture(scope="module")
def lambda_reference() -> list[Record]:
    return _reference(peers.breseq() / "tests" / "data" / "lambda" / "lambda.5.gbk")


def test_an_empty_read_file_is_skipped_and_said(
    lambda_reference: list[Record], tmp_path: Path
) -> None:
    root = peers.breseq() / "tests" / "data" / "lambda"
    empty = tmp_path / "empty.fastq.gz"
    with gzip.open(empty, "wb"):
        pass
    reads = [
        ReadSet("empty", (empty,)),
        ReadSet("lambda", (root / "lambda.short_sequence_repeats.fastq.gz",)),
    ]
    result = call_mutations(lambda_reference, reads)
    assert result.skipped == ("empty: no reads in empty.fastq.gz; skipped",)
    assert len(result.mutations) == 4


def test_only_empty_read_files_are_an_error(lambda_reference: list[Record], tmp_path: Path) -> None:
    empty = _fastq(tmp_path / "empty.fastq", [])
    with pytest.raises(MutationInputError, match="none of the read files holds any read"):
        call_mutations(lambda_reference, [ReadSet("empty", (empty,))])


def test_reads_of_another_organism_are_an_error(
    lambda_reference: list[Record], tmp_path: Path
) -> None:
    foreign = _fastq(tmp_path / "foreign.fastq", [(f"r{i}", "ACGT" * 15) for i in range(50)])
    with pytest.raises(MutationInputError, match="none of the 50 reads aligns"):
        call_mutations(lambda_reference, [ReadSet("foreign", (foreign,))])


def test_mate_files_that_do_not_pair_are_an_error(
    lambda_reference: list[Record], tmp_path: Path
) -> None:
    sequence = lambda_reference[0].sequence
    one = _fastq(tmp_path / "r1.fastq", [("a/1", sequence[100:150]), ("b/1", sequence[300:350])])
    two = _fastq(tmp_path / "r2.fastq", [("a/2", sequence[400:450]), ("c/2", sequence[600:650])])
    with pytest.raises(MutationInputError, match="read 2 is 'b/1' in one and 'c/2'"):
        call_mutations(lambda_reference, [ReadSet("pair", (one, two))])
    short = _fastq(tmp_path / "r2short.fastq", [("a/2", sequence[400:450])])
    with pytest.raises(MutationInputError, match=r"r1\.fastq has more reads than its mate"):
        call_mutations(lambda_reference, [ReadSet("pair", (one, short))])


def test_a_reference_without_bases_is_an_error() -> None:
    empty = Record("chr", "", "", (), "linear")
    with pytest.raises(MutationInputError, match="record 'chr' has no bases"):
        call_mutations([empty], [ReadSet("x", (Path("unused.fastq"),))])
    with pytest.raises(MutationInputError, match="holds no sequence records"):
        call_mutations([], [ReadSet("x", (Path("unused.fastq"),))])


def test_polymorphism_mode_estimates_a_mixed_sites_frequency(
    lambda_reference: list[Record], tmp_path: Path
) -> None:
    """30 % of reads carry a SNP at 1,001 (a G->? change), 70 % do not, both strands."""
    sequence = lambda_reference[0].sequence
    site = 1000  # 0-based
    new = "A" if sequence[site] != "A" else "C"
    mutant = sequence[:site] + new + sequence[site + 1 :]
    reads = []
    for i in range(200):
        start = 900 + (i * 7) % 120
        source = mutant if i % 10 < 3 else sequence
        read = source[start : start + 100]
        if i % 2:  # the reverse strand
            read = read[::-1].translate(str.maketrans("ACGT", "TGCA"))
        reads.append((f"r{i}", read))
    path = _fastq(tmp_path / "mixed.fastq", reads)
    result = call_mutations(lambda_reference, [ReadSet("mixed", (path,))], Mode.POLYMORPHISM)
    (call,) = [m for m in result.mutations if m.kind is Kind.SNP]
    assert (call.position, call.new_seq) == (site + 1, new)

    # Reads are evidence for a site at least END_SKIP (4) bases from both of their ends.
    def counts(i: int) -> bool:
        start = 900 + (i * 7) % 120
        return start + END_SKIP <= site < start + 100 - END_SKIP

    covering = sum(1 for i in range(200) if counts(i))
    carrying = sum(1 for i in range(200) if i % 10 < 3 and counts(i))
    assert call.frequency == pytest.approx(carrying / covering, abs=1e-3)
    consensus = call_mutations(lambda_reference, [ReadSet("mixed", (path,))])
    assert not [m for m in consensus.mutations if m.kind is Kind.SNP]
