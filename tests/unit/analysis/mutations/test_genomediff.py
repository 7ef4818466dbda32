"""GenomeDiff against breseq's own files: every peer file reads, the planted lambda truth
converts to its four mutations and, placed on the reference, writes breseq's positions."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from analysis.mutations.errors import MutationInputError
from analysis.mutations.genomediff import (
    MUTATION_TYPES,
    Entry,
    GenomeDiff,
    mutations_from,
    parse,
    to_genome_diff,
    write,
)
from analysis.mutations.model import Evidence, Kind, Mutation, Unresolved
from analysis.sequences.records import load_records
from tests import peers


def peer_file(name: str) -> Path:
    return peers.breseq() / "tests" / name


def sequence_of(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Biopython dislikes the peers' short LOCUS lines
        (record,) = load_records(peer_file(name), "genbank", "none")
    return record.sequence


PEER_FILES = [
    "lambda_short_sequence_repeats/input.gd",
    "lambda_short_sequence_repeats/expected.gd",
    "REL606_fragment_is_mediated_dels/input.gd",
    "REL606_fragment_is_mediated_dels/expected.gd",
    "bull_2/expected.gd",
    "gdtools_compare_1/input_1.gd",
    "gdtools_compare_1/input_2.gd",
    "gdtools_compare_1/input_3.gd",
    "gdtools_compare_1/expected.gd",
]


def data_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("name", PEER_FILES)
def test_every_peer_file_reads_and_round_trips(name: str) -> None:
    path = peer_file(name)
    gd = parse(path.read_bytes(), str(path))
    lines = data_lines(path)
    assert len(gd.entries) == len(lines)
    for entry, line in zip(gd.entries, lines, strict=True):
        assert entry.type == line.split("\t")[0]
    assert parse(write(gd)) == gd
    # Entry lines come back as the file wrote them (gdtools' empty parent column as '.').
    written = data_lines_of(write(gd))
    assert written == [_dotted(line) for line in lines]


def data_lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def _dotted(line: str) -> str:
    columns = line.split("\t")
    columns[2] = columns[2] or "."
    return "\t".join(columns)


def test_peer_file_counts_by_type() -> None:
    gd = parse(peer_file("bull_2/expected.gd").read_text())
    kinds = [e.type for e in gd.entries]
    # README: 38 SNP, 2 SUB, 1 INS among breseq's mutation lines.
    assert (kinds.count("SNP"), kinds.count("SUB"), kinds.count("INS")) == (38, 2, 1)
    assert gd.metadata["PROGRAM"] == "breseq 0.50.0 revision 2474edd9b66f"
    sub = gd.entries[2]
    assert (sub.type, sub.id, sub.parents) == ("SUB", "3", ("98", "101"))
    assert sub.fields["size"] == "330"
    assert sub.extra["gene_position"] == "intergenic (–/–)"


def test_lambda_planted_truth() -> None:
    gd = parse(peer_file("lambda_short_sequence_repeats/input.gd").read_text())
    assert gd.metadata == {}
    assert mutations_from(gd) == [
        Mutation(Kind.INS, "NC_001416-4", 2602, new_seq="CGGCGGCGG"),
        Mutation(Kind.DEL, "NC_001416-4", 2799, size=3),
        Mutation(Kind.INS, "NC_001416-4", 2915, new_seq="TTTT"),
        Mutation(Kind.DEL, "NC_001416-4", 5274, size=4),
    ]


def test_rel606_planted_truth() -> None:
    gd = parse(peer_file("REL606_fragment_is_mediated_dels/input.gd").read_text())
    mob = mutations_from(gd)[2]
    assert mob == Mutation(
        Kind.MOB, "REL606-5", 34999, repeat_name="IS1", strand=1, duplication_size=0
    )


@pytest.mark.parametrize(
    ("case", "reference", "seq_id"),
    [
        ("lambda_short_sequence_repeats", "data/lambda/lambda.5.gbk", "NC_001416-4"),
        ("REL606_fragment_is_mediated_dels", "data/REL606/REL606.fragment.gbk", "REL606-5"),
    ],
)
def test_planted_truth_written_at_breseq_positions(case: str, reference: str, seq_id: str) -> None:
    planted = mutations_from(parse(peer_file(f"{case}/input.gd").read_text()))
    written = to_genome_diff(planted, reference={seq_id: sequence_of(reference)})
    expected = parse(peer_file(f"{case}/expected.gd").read_text())
    assert [(e.type, e.fields) for e in written.entries] == [
        (e.type, e.fields) for e in expected.entries if e.type in MUTATION_TYPES
    ]


def test_breseq_calls_stay_where_breseq_put_them() -> None:
    # bull_2's record is LOCUS T7 (its ACCESSION is 'unknown').
    expected = parse(peer_file("bull_2/expected.gd").read_text())
    written = to_genome_diff(
        mutations_from(expected), reference={"T7": sequence_of("data/bull/bull_2.gbk")}
    )
    assert [(e.type, e.fields) for e in written.entries] == [
        (e.type, e.fields) for e in expected.entries if e.type in MUTATION_TYPES
    ]


# Writing from mutations, against lines written by hand.

EVIDENCE = Evidence(
    depth=30,
    supporting=(9, 5),
    reference=(10, 6),
    quality=38.4,
    strand_p=0.0123456789,
    junction_reads=0,
    coverage_ratio=0.0,
    notes=("near a repeat", "low mapping"),
)


def test_to_genome_diff_lines_by_hand() -> None:
    mutations = [
        Mutation(Kind.AMP, "b", 10, size=120, copy_number=3),
        Mutation(Kind.SNP, "a", 7, new_seq="T", frequency=14 / 30, evidence=EVIDENCE),
        Mutation(Kind.MOB, "a", 3, repeat_name="IS1", strand=-1, duplication_size=9),
        Mutation(
            Kind.DEL,
            "a",
            400,
            size=5000,
            evidence=Evidence(depth=40, junction_reads=12, coverage_ratio=0.01),
        ),
        Mutation(Kind.SUB, "a", 20, size=2, new_seq="TG"),
        Mutation(Kind.INS, "a", 0, new_seq="ACG"),
    ]
    unresolved = [Unresolved("b", 1, 6), Unresolved("a", 5000, 5010)]
    gd = to_genome_diff(mutations, unresolved, metadata={"TITLE": "run 7", "REFSEQ": "x\ny"})
    assert write(gd).splitlines() == [
        "#=GENOME_DIFF\t1.0",
        "#=TITLE\trun 7",
        "#=REFSEQ\tx",
        "#=REFSEQ\ty",
        # Records in order of first appearance (b first); by position within each.
        "AMP\t1\t.\tb\t10\t120\t3",
        "INS\t2\t.\ta\t0\tACG",
        "MOB\t3\t.\ta\t3\tIS1\t-1\t9",
        "SNP\t4\t.\ta\t7\tT\tfrequency=0.466667\tdepth=30\tnew_cov=9/5\tref_cov=10/6"
        "\tquality=38.4\tfisher_strand_p_value=0.0123457\tnotes=near a repeat; low mapping",
        "SUB\t5\t.\ta\t20\t2\tTG",
        "DEL\t6\t.\ta\t400\t5000\tdepth=40\tnew_junction_read_count=12\tcoverage_ratio=0.01",
        "UN\t7\t.\tb\t1\t6",
        "UN\t8\t.\ta\t5000\t5010",
    ]


def test_round_trip_keeps_mutations_and_evidence() -> None:
    mutations = [
        Mutation(Kind.SNP, "a", 7, new_seq="T", frequency=0.25, evidence=EVIDENCE),
        Mutation(Kind.DEL, "a", 400, size=5000, evidence=Evidence(depth=40, junction_reads=12)),
        Mutation(Kind.MOB, "a", 900, repeat_name="IS150", strand=1, duplication_size=-2),
        Mutation(Kind.AMP, "b", 10, size=120, copy_number=2, evidence=Evidence(coverage_ratio=2.1)),
    ]
    back = mutations_from(parse(write(to_genome_diff(mutations))))
    assert back == mutations
    snp = back[0].evidence
    assert snp.strand_p == pytest.approx(EVIDENCE.strand_p, rel=1e-5)
    assert (snp.depth, snp.supporting, snp.reference, snp.notes) == (
        30,
        (9, 5),
        (10, 6),
        EVIDENCE.notes,
    )
    assert [m.evidence for m in back[1:]] == [m.evidence for m in mutations[1:]]


def test_breseq_coverage_keys_become_evidence() -> None:
    text = "#=GENOME_DIFF\t1.0\nSNP\t1\t.\tc\t5\tA\ttotal_cov=9/5\tnew_cov=8/5\tref_cov=NA\n"
    (m,) = mutations_from(parse(text))
    assert (m.evidence.depth, m.evidence.supporting, m.evidence.reference) == (14, (8, 5), (0, 0))


def test_to_genome_diff_refuses_a_record_the_reference_lacks() -> None:
    with pytest.raises(MutationInputError, match=r"names record 'x'.*lacks \(a\)"):
        to_genome_diff([Mutation(Kind.DEL, "x", 2, size=1)], reference={"a": "ACGT"})


def test_to_genome_diff_right_normalises() -> None:
    gd = to_genome_diff(
        [Mutation(Kind.DEL, "a", 3, size=1), Mutation(Kind.INS, "a", 0, new_seq="GA")],
        reference={"b": "CCC", "a": "GATTTC"},
    )
    assert [e.fields for e in gd.entries] == [
        {"seq_id": "a", "position": "2", "new_seq": "GA"},  # GA|GATTTC is GA|GA|TTTC
        {"seq_id": "a", "position": "5", "size": "1"},  # the last T of the run
    ]


# Reading: what is accepted and what is refused, with the line.

HEADER = "#=GENOME_DIFF\t1.0\n"


def test_accepted_variations() -> None:
    text = (
        "\ufeff#=GENOME_DIFF 1.0\r\n"
        "#=REFSEQ\ta.gbk\r\n"
        "# a comment\r\n"
        "\r\n"
        "#=REFSEQ b.gbk\r\n"
        "#=TITLE\r\n"
        "DEL\t.\t.\tc\t40\t3\tfrequency=0.5\tgene_position=coding (1/3 nt)\t\r\n"
        "UN\t2\t\tc\t1\t9\r\n"
    )
    gd = parse(text, "sample.gd")
    assert gd.values("REFSEQ") == ["a.gbk", "b.gbk"]
    assert gd.values("TITLE") == [""]
    assert gd.values("MISSING") == []
    deletion, unresolved = gd.entries
    assert deletion == Entry(
        "DEL",
        ".",
        (),
        {"seq_id": "c", "position": "40", "size": "3"},
        {"frequency": "0.5", "gene_position": "coding (1/3 nt)"},
    )
    assert deletion.line == 7
    assert (unresolved.id, unresolved.parents, unresolved.line) == ("2", (), 8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "sample.gd is empty"),
        ("\n \n", "sample.gd is empty"),
        ("DEL\t1\t.\tc\t40\t3\n", "sample.gd, line 1: is 'DEL.*not the GenomeDiff header"),
        ("#=GENOME_DIFF\t2.0\n", "line 1: declares GenomeDiff version 2.0"),
        ("#=GENOME_DIFF\n", r"line 1: declares GenomeDiff version \(none\)"),
        (HEADER + "\nXYZ\t1\t.\tc\t4\n", "line 3: has unknown entry type 'XYZ'"),
        (HEADER + "del\t1\t.\tc\t4\t1\n", "line 2: has unknown entry type 'del'"),
        (HEADER + "DEL 1 . c 4 1\n", "line 2: has unknown entry type 'DEL 1 . c 4 1'.*tabs"),
        (HEADER + "DEL\t1\t.\tc\t40\n", "line 2: DEL lacks size"),
        (HEADER + "JC\t1\t.\tc\t4\n", "line 2: JC lacks side_1_strand, side_2_seq_id"),
        (HEADER + "SNP\t1\n", "line 2: SNP lacks parent_ids, seq_id, position, new_seq"),
        (HEADER + "SNP\t1\t.\tc\tforty\tA\n", "line 2: SNP position is 'forty', not a whole"),
        (HEADER + "SNP\t1\t.\tc\t-4\tA\n", "line 2: SNP position is '-4'"),
        (HEADER + "SNP\t1\t.\tc\t٤\tA\n", "line 2: SNP position is '٤'"),  # non-ASCII digit
        (HEADER + "SNP\t1\t.\tc\t\tA\n", "line 2: SNP has an empty position"),
        (HEADER + "MOB\t1\t.\tc\t4\tIS1\t+\t9\n", "line 2: MOB strand is '\\+': a strand is 1"),
        (HEADER + "MOB\t1\t.\tc\t4\tIS1\t1\tnine\n", "line 2: MOB duplication_size is 'nine'"),
        (HEADER + "DEL\t1\t.\tc\t40\t3\tfrequency\n", "line 2: has 'frequency' after the DEL"),
        (HEADER + "DEL\t1\t.\tc\t40\t3\t=5\n", "line 2: has '=5' after the DEL fields"),
        (HEADER + "DEL\t1\t.\tc\t40\t3\ta=1\ta=2\n", "line 2: gives a= twice"),
        (HEADER + "DEL\tx\t.\tc\t40\t3\n", "line 2: has id 'x'"),
        (HEADER + "DEL\t1\t2,b\tc\t40\t3\n", "line 2: has parent ids '2,b'"),
        (HEADER + "DEL\t4\t.\tc\t40\t3\nDEL\t4\t.\tc\t50\t3\n", "line 3: reuses id 4 of line 2"),
        (HEADER + "#=\tvalue\n", "line 2: has metadata .* without a one-word key"),
        (HEADER + "#=GENOME_DIFF\t1.0\n", "line 2: repeats the '#=GENOME_DIFF' header"),
        (HEADER + "SNP\t1\t.\tc\t4\tA\x00\n", "line 2: holds NUL bytes"),
        ("#=GENOME_DIFF\x00\t1.0\n", "line 1: holds NUL bytes"),
    ],
)
def test_hostile_text_is_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(MutationInputError, match=message):
        parse(text, "sample.gd")


def test_hostile_bytes() -> None:
    with pytest.raises(MutationInputError, match=r"x.gd, line 2: holds NUL bytes.*binary"):
        parse(HEADER.encode() + b"SNP\x00\x01\x02\n", "x.gd")
    with pytest.raises(MutationInputError, match=r"x.gd, line 3: is not UTF-8 text"):
        parse(HEADER.encode() + b"#=A\tb\n#=TITLE\t\xff\xfe\n", "x.gd")
    with pytest.raises(MutationInputError, match="GenomeDiff text is empty"):
        parse(b"")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("frequency=abc", "DEL on line 2: frequency=abc is not a number"),
        ("frequency=nan", "frequency=nan is not a number"),
        ("frequency=1.5", "frequency=1.5 is not between 0 and 1"),
        ("new_cov=5", "new_cov=5 is not forward/reverse read counts"),
        ("ref_cov=5/x", "ref_cov=5/x is not two whole numbers"),
        ("depth=-3", "depth=-3 is not a whole number"),
        ("quality=high", "quality=high is not a number"),
    ],
)
def test_bad_values_of_known_keys(extra: str, message: str) -> None:
    gd = parse(f"{HEADER}DEL\t1\t.\tc\t40\t3\t{extra}\n")
    with pytest.raises(MutationInputError, match=message):
        mutations_from(gd)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (Entry("XYZ", "1", (), {}), "entry type 'XYZ' cannot be written"),
        (Entry("DEL", "a", (), {"seq_id": "c", "position": "1", "size": "1"}), "ids are whole"),
        (Entry("DEL", "1", (), {"seq_id": "c", "position": "1"}), "give exactly seq_id"),
        (Entry("DEL", "1", (), {"seq_id": "c d", "position": "1", "size": "1"}), "'c d'"),
        (Entry("DEL", "1", (), {"seq_id": "c", "position": "x", "size": "1"}), "position is 'x'"),
        (
            Entry("DEL", "1", (), {"seq_id": "c", "position": "1", "size": "1"}, {"a b": "1"}),
            "key 'a b'",
        ),
        (
            Entry("DEL", "1", (), {"seq_id": "c", "position": "1", "size": "1"}, {"a": "x\ty"}),
            "cannot hold tabs",
        ),
    ],
)
def test_write_refuses_what_it_could_not_read_back(entry: Entry, message: str) -> None:
    with pytest.raises(MutationInputError, match=message):
        write(GenomeDiff({}, [entry]))


def test_write_refuses_a_bad_mutation() -> None:
    with pytest.raises(MutationInputError, match="seq_id is 'my chr'"):
        write(to_genome_diff([Mutation(Kind.SNP, "my chr", 3, new_seq="A")]))
