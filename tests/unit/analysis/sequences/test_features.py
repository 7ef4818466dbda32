"""CDS translations and feature sequences against NCBI's own protein and CDS FASTA."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from analysis.sequences.features import CdsRow, cds_rows, feature_sequence, region
from analysis.sequences.records import Record, load_records

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sequences"
BIO = FIXTURES / "biopython"
OWN = FIXTURES / "own"


def read_fasta(path: Path) -> list[tuple[str, str]]:
    """(header, sequence) pairs, read with plain string handling."""
    entries: list[tuple[str, str]] = []
    for block in path.read_text().split(">")[1:]:
        header, _, body = block.partition("\n")
        entries.append((header.strip(), "".join(body.split())))
    return entries


def ncbi_proteins() -> dict[str, str]:
    """NC_005816.faa by protein accession (``ref|NP_995567.1|``)."""
    found = {}
    for header, protein in read_fasta(BIO / "NC_005816.faa"):
        match = re.search(r"ref\|([^|]+)\|", header)
        assert match
        found[match[1]] = protein
    return found


def ncbi_cds() -> dict[tuple[int, int, int], str]:
    """NC_005816.ffn by 0-based (start, end, strand); ``:c5888-4815`` is the minus strand."""
    found = {}
    for header, bases in read_fasta(BIO / "NC_005816.ffn"):
        match = re.search(r":(c?)(\d+)-(\d+) ", header)
        assert match
        a, b = int(match[2]), int(match[3])
        found[(min(a, b) - 1, max(a, b), -1 if match[1] else 1)] = bases
    return found


def load(name: str, format: str = "genbank") -> Record:
    (record,) = load_records(BIO / name, format, "none")
    return record


@pytest.fixture(scope="module")
def plasmid() -> Record:
    return load("NC_005816.gb")


def test_plasmid_translations_equal_ncbi_proteins(plasmid: Record) -> None:
    rows = cds_rows(plasmid)
    proteins = ncbi_proteins()
    assert len(rows) == len(proteins) == 10
    for row in rows:
        assert row.translation == proteins[row.protein_id], row.protein_id
        assert row.translation == row.annotated_translation
        assert (row.agrees, row.problem) == (True, "")
        assert row.record == "NC_005816.1"


def test_embl_translations_equal_ncbi_proteins() -> None:
    rows = cds_rows(load("AE017046.embl", "embl"))
    # AE017046 carries the GenBank protein ids (AAS...), so compare in order.
    assert [r.translation for r in rows] == list(ncbi_proteins().values())
    assert all(r.agrees for r in rows)


def test_feature_sequence_equals_ncbi_cds_nucleotides(plasmid: Record) -> None:
    expected = ncbi_cds()
    cds = [f for f in plasmid.features if f.type == "CDS"]
    assert {(f.start, f.end, f.strand) for f in cds} == set(expected)
    for feature in cds:
        assert (
            feature_sequence(plasmid, feature)
            == expected[(feature.start, feature.end, feature.strand)]
        )


def test_chloroplast_spliced_cds_agree_except_the_rna_edited_one() -> None:
    chloroplast = load("NC_000932.gb")
    rows = cds_rows(chloroplast)
    assert len(rows) == 85  # CDS lines in the file
    spliced = [f for f in chloroplast.features if f.type == "CDS" and len(f.parts) > 1]
    assert len(spliced) == 15  # join(...) CDS lines in the file
    disagree = [r for r in rows if not r.agrees]
    assert [r.gene for r in disagree] == ["ndhD"]
    (ndhd,) = disagree
    # complement(115665..117167) starts ACG, read as AUG after editing (/exception).
    assert ndhd.annotated_translation.startswith("M")
    assert ndhd.translation == "T" + ndhd.annotated_translation[1:]
    assert "first codon ACG is not a start codon" in ndhd.problem
    assert "RNA editing" in ndhd.problem
    assert all(r.problem == "" for r in rows if r.agrees)


def test_trans_spliced_cds_uses_both_strands() -> None:
    chloroplast = load("NC_000932.gb")
    rps12 = [r for r in cds_rows(chloroplast) if r.gene == "rps12"]
    assert len(rps12) == 2
    assert all(r.agrees for r in rps12)
    assert rps12[1].strand == 0


@pytest.fixture(scope="module")
def cases() -> dict[str, CdsRow]:
    (record,) = load_records(OWN / "cds_cases.gb", "genbank", "none")
    return {row.locus_tag: row for row in cds_rows(record)}


def test_hand_made_cases(cases: dict[str, CdsRow]) -> None:
    # Sequences in tests/fixtures/sequences/own/cds_cases.gb, translated by hand (table 11).
    expected = {
        "T_sec": ("MUAUK", True),  # ATG TGA GCA TGA AAA TAA, both TGA made Sec
        "T_gtg": ("MK", True),  # GTG AAA TAG: alternative start read as M
        "T_pseudo": ("M*G", None),  # ATG TAA GGG TAA
        "T_frame": ("MKG", None),  # ATG AAA GGT AA
        "T_table": ("", False),  # /transl_table=99
        "T_polya": ("MK", True),  # ATG AAA TA + A from polyadenylation (/transl_except TERM)
        "T_partial": ("KW", True),  # rc(81..90)=GAAATGGTAA, codon_start 2: AAA TGG TAA
        "T_remote": ("MAA", None),  # ATG GCA GCA, the rest on another record
    }
    assert {tag: (row.translation, row.agrees) for tag, row in cases.items()} == expected


def test_hand_made_cases_problems(cases: dict[str, CdsRow]) -> None:
    assert cases["T_sec"].problem == ""
    assert cases["T_gtg"].problem == ""
    assert cases["T_polya"].problem == ""
    assert "pseudogene" in cases["T_pseudo"].problem
    assert "1 internal stop codon (first at codon 2)" in cases["T_pseudo"].problem
    assert "length 10 nt is not a whole number of codons" in cases["T_frame"].problem
    assert "no stop codon" in cases["T_frame"].problem
    assert "unknown genetic code /transl_table=99" in cases["T_table"].problem
    assert cases["T_partial"].problem == "partial at the 5′ end"
    assert "partial at the 3′ end" in cases["T_remote"].problem
    assert "no stop codon" not in cases["T_remote"].problem


def test_cds_across_the_origin_of_a_circular_record() -> None:
    # join(15..20,1..6) of CCCTAAGGTTACGGATGAAA: ATGAAA + CCCTAA = ATG AAA CCC TAA.
    (record,) = load_records(OWN / "across_origin.gb", "genbank", "none")
    (feature,) = record.features
    assert (record.topology, feature.parts) == ("circular", ((14, 20, 1), (0, 6, 1)))
    assert (feature.start, feature.end) == (0, 20)
    assert feature_sequence(record, feature) == "ATGAAACCCTAA"
    (row,) = cds_rows(record)
    assert (row.translation, row.agrees, row.problem) == ("MKP", True, "")


def test_rows_pickle(cases: dict[str, CdsRow]) -> None:
    assert pickle.loads(pickle.dumps(cases["T_sec"])) == cases["T_sec"]  # noqa: S301 (own bytes)


def test_region_is_a_slice_of_ncbi_genome(plasmid: Record) -> None:
    ((_, genome),) = read_fasta(BIO / "NC_005816.fna")
    # 1-based 87..1109 is the first CDS; its first codon is ATG.
    assert region(plasmid.sequence, 86, 1109) == genome[86:1109]
    assert region(plasmid.sequence, 86, 89) == "ATG"
    assert region(plasmid.sequence, 0, 9609) == genome


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (0, 9610), (10, 10), (20, 10)])
def test_region_refuses_out_of_range_or_empty(plasmid: Record, start: int, end: int) -> None:
    with pytest.raises(ValueError, match="region"):
        region(plasmid.sequence, start, end)
