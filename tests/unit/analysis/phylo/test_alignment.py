"""Reading alignments: the four formats agree, and every kind of bad input is refused with
a message that says where and what."""

from __future__ import annotations

import pytest

from analysis.phylo.alignment import (
    Alignment,
    alignment_from_records,
    detect_format,
    read_alignment,
)
from analysis.phylo.errors import PhyloInputError

SEQS = {"alpha": "ACGTACGTAC", "beta": "ACGTTCGTA-", "gamma_long_name": "ACGAACGNAC"}

FASTA = b">alpha first taxon\nACGTA\nCGTAC\n>beta\nACGTTCGTA-\n>gamma_long_name\nACGAACGNAC\n"
PHYLIP_RELAXED = b" 3 10\nalpha ACGTACGTAC\nbeta ACGTTCGTA-\ngamma_long_name ACGAACGNAC\n"
PHYLIP_INTERLEAVED = (
    b"3 10\nalpha ACGTA CG\nbeta ACGTT CG\ngamma_long_name ACGAA CG\n\nTAC\nTA-\nNAC\n"
)
CLUSTAL = (
    b"CLUSTAL W (1.83) multiple sequence alignment\n\n"
    b"alpha            ACGTACGTAC\n"
    b"beta             ACGTTCGTA-\n"
    b"gamma_long_name  ACGAACGNAC\n"
    b"                 *** **** \n"
)
NEXUS = b"""#NEXUS
begin data;
  dimensions ntax=3 nchar=10;
  format datatype=dna missing=? gap=-;
  matrix
    alpha            ACGTACGTAC
    beta             ACGTTCGTA-
    gamma_long_name  ACGAACGNAC
  ;
end;
"""


def as_dict(al: Alignment) -> dict[str, str]:
    return {label: row.tobytes().decode() for label, row in zip(al.labels, al.codes, strict=True)}


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (FASTA, "a.fasta"),
        (PHYLIP_RELAXED, "a.phy"),
        (PHYLIP_INTERLEAVED, "a.phylip"),
        (CLUSTAL, "a.aln"),
        (NEXUS, "a.nex"),
        # No telling extension: the content decides.
        (FASTA, "upload.txt"),
        (PHYLIP_RELAXED, "upload"),
        (CLUSTAL, "upload.txt"),
        (NEXUS, "upload.dat"),
    ],
)
def test_every_format_reads_the_same_alignment(data: bytes, filename: str) -> None:
    al = read_alignment(data, filename)
    assert as_dict(al) == SEQS
    assert al.codes.dtype.name == "uint8"
    assert al.codes.shape == (3, 10)


def test_strict_phylip_names_are_ten_characters_and_may_hold_spaces() -> None:
    data = b"2 8\nHomo sapieACGTACGT\nPan       ACGT ACGA\n"
    al = read_alignment(data, "primates.phy")
    assert as_dict(al) == {"Homo sapie": "ACGTACGT", "Pan": "ACGTACGA"}


def test_explicit_format_overrides_the_extension() -> None:
    assert as_dict(read_alignment(FASTA, "a.phy", fmt="fasta")) == SEQS


def test_lower_case_rna_and_gap_marks_are_normalised() -> None:
    al = alignment_from_records(["a", "b"], ["acgu.~?n", "ACGTACGT"], "datasets")
    assert as_dict(al)["a"] == "ACGT--NN"


def test_detect_format_by_extension_first() -> None:
    assert detect_format(b">a\nAC\n", "x.nex") == "nexus"
    assert detect_format(b"#NEXUS\n", "x.txt") == "nexus"


def refused(data: bytes, filename: str = "aln.fasta") -> PhyloInputError:
    with pytest.raises(PhyloInputError) as info:
        read_alignment(data, filename)
    return info.value


def test_empty_file() -> None:
    assert "is empty" in str(refused(b" \n\n"))


@pytest.mark.parametrize("data", [b"\x1f\x8b\x08\x00\x00\x00", b">a\nAC\x00GT\n"])
def test_binary_or_compressed(data: bytes) -> None:
    assert "binary" in str(refused(data))


def test_not_text() -> None:
    error = refused(b">a\nACGT\n>b\n\xff\xfeAC\n")
    assert error.where == "aln.fasta, line 4"


def test_unrecognised_content() -> None:
    assert "not a recognised alignment" in str(refused(b"hello world\n", "notes.txt"))


def test_unequal_lengths_name_the_sequence_and_both_lengths() -> None:
    error = refused(b">a\nACGTACGT\n>b\nACGTACGT\n>c\nACGTAC\n")
    assert "sequence 'c' is 6 columns, the first ('a') is 8" in error.problem
    assert "not aligned" in error.problem


def test_phylip_short_sequence() -> None:
    error = refused(b"3 8\na ACGTACGT\nb ACGTACGT\nc ACGTAC\n", "x.phy")
    assert "sequence 'c' is 6 columns, the header says 8" in error.problem


def test_phylip_truncated_sequence_count() -> None:
    error = refused(b"4 8\na ACGTACGT\nb ACGTACGT\nc ACGTACGT\n", "x.phy")
    assert "truncated" in error.problem
    assert "4 sequences" in error.problem


def test_phylip_without_header() -> None:
    assert refused(b"a ACGT\nb ACGT\n", "x.phy").where == "x.phy, line 1"


def test_clustal_short_sequence() -> None:
    data = CLUSTAL.replace(b"beta             ACGTTCGTA-", b"beta             ACGTTCG")
    assert "sequence 'beta' is 7 columns" in refused(data, "x.aln").problem


def test_nexus_short_sequence() -> None:
    data = NEXUS.replace(b"ACGTTCGTA-", b"ACGTTCG")
    assert "sequence 'beta' is 7 columns" in refused(data, "x.nex").problem


def test_nexus_truncated() -> None:
    assert "is the file complete" in refused(NEXUS[: NEXUS.index(b";\nend")], "x.nex").problem


def test_duplicate_labels() -> None:
    error = refused(b">a\nACGT\n>b\nACGT\n>a\nACGA\n")
    assert error.where == "aln.fasta, label 3"
    assert "also label 1" in error.problem


def test_fewer_than_two_sequences() -> None:
    assert "at least 2" in refused(b">only\nACGT\n").problem


def test_non_nucleotide_character_names_label_and_column() -> None:
    error = refused(b">a\nACGTACGT\n>b\nACGT*CGT\n")
    assert error.where == "aln.fasta, sequence 'b', column 5"
    assert "'*'" in error.problem


def test_protein_alignment_is_refused_clearly() -> None:
    error = refused(b">p1\nMKVLILACLVALALA\n>p2\nMKVLLLACLVAFALE\n")
    assert "protein" in error.problem
    assert "nucleotide" in error.problem


def test_from_records_checks_lengths_and_counts() -> None:
    with pytest.raises(PhyloInputError, match="sequence 'y' is 3 columns"):
        alignment_from_records(["x", "y"], ["ACGT", "ACG"], "datasets")
    with pytest.raises(PhyloInputError, match="2 labels for 3 sequences"):
        alignment_from_records(["x", "y"], ["ACGT", "ACGT", "ACGT"], "datasets")
    with pytest.raises(PhyloInputError, match="0 columns"):
        alignment_from_records(["x", "y"], ["", ""], "datasets")
