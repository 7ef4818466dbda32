"""Records against the files' own text and NCBI's FASTA of the same plasmid."""

from __future__ import annotations

import gzip
import pickle
import re
import shutil
from pathlib import Path

import pytest
from Bio import SeqIO

from analysis.sequences.fasta import to_fasta
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


def feature_keys(path: Path, indent: str) -> list[str]:
    """Feature keys as written in a flat file's feature table (source left out)."""
    pattern = re.compile(rf"^{indent}([A-Za-z_][\w'-]*)\s+\S")
    keys = [m[1] for line in path.read_text().splitlines() if (m := pattern.match(line))]
    return [key for key in keys if key != "source"]


@pytest.fixture(scope="module")
def plasmid() -> Record:
    (record,) = load_records(BIO / "NC_005816.gb", "genbank", "none")
    return record


def test_genbank_header_and_sequence_match_ncbi_fasta(plasmid: Record) -> None:
    ((header, genome),) = read_fasta(BIO / "NC_005816.fna")
    assert "NC_005816.1" in header
    assert plasmid.id == "NC_005816.1"
    assert plasmid.description.startswith("Yersinia pestis biovar Microtus str. 91001 plasmid")
    assert plasmid.sequence == genome.upper()
    assert plasmid.length == 9609
    assert plasmid.topology == "circular"


def test_every_feature_but_source_is_kept_in_file_order(plasmid: Record) -> None:
    expected = feature_keys(BIO / "NC_005816.gb", " {5}")
    assert [f.type for f in plasmid.features] == expected
    assert {"repeat_region", "gene", "CDS", "misc_feature", "variation"} <= set(expected)


def test_cds_qualifiers_read_from_the_file(plasmid: Record) -> None:
    first = next(f for f in plasmid.features if f.type == "CDS")
    # GenBank text: CDS 87..1109, /locus_tag="YP_pPCP01", /protein_id="NP_995567.1".
    assert (first.start, first.end, first.strand) == (86, 1109, 1)
    assert first.parts == ((86, 1109, 1),)
    assert first.locus_tag == "YP_pPCP01"
    assert first.protein_id == "NP_995567.1"
    assert first.product == "putative transposase"
    assert first.transl_table == 11
    assert first.codon_start == 1
    assert first.annotated_translation.startswith("MVTFETVMEIKILHKQGMSSRAIARELGISRNTVKRYLQAK")
    assert " " not in first.annotated_translation


def test_minus_strand_and_fuzzy_ends(plasmid: Record) -> None:
    pesticin = next(f for f in plasmid.features if f.type == "CDS" and f.strand == -1)
    assert (pesticin.start, pesticin.end) == (4814, 5888)  # complement(4815..5888)
    fuzzy = {f.parts: f for f in plasmid.features if f.is_partial}
    # misc_feature <111..209, 1367..>1669 and complement(8091..>8357)
    assert set(fuzzy) == {((110, 209, 1),), ((1366, 1669, 1),), ((8090, 8357, -1),)}
    assert fuzzy[((110, 209, 1),)].is_5prime_partial
    assert fuzzy[((1366, 1669, 1),)].is_3prime_partial
    assert fuzzy[((8090, 8357, -1),)].is_5prime_partial  # the high end starts a minus feature
    assert not fuzzy[((8090, 8357, -1),)].is_3prime_partial


def test_insertion_site_between_bases_is_an_empty_part(plasmid: Record) -> None:
    # variation 5933^5934: a site between two bases.
    assert ((5933, 5933, 1),) in [f.parts for f in plasmid.features if f.type == "variation"]


def test_embl_gives_the_same_sequence_and_cds(plasmid: Record) -> None:
    (embl,) = load_records(BIO / "AE017046.embl", "embl", "none")
    assert embl.id == "AE017046.1"
    assert embl.sequence == plasmid.sequence
    assert embl.topology == "circular"
    assert [f.type for f in embl.features] == feature_keys(BIO / "AE017046.embl", "FT   ")
    spans = [(f.start, f.end, f.strand) for f in embl.features if f.type == "CDS"]
    assert spans == [(f.start, f.end, f.strand) for f in plasmid.features if f.type == "CDS"]


def test_compound_locations_in_biological_order() -> None:
    (chloroplast,) = load_records(BIO / "NC_000932.gb", "genbank", "none")
    assert chloroplast.length == 154478
    rps12 = [f for f in chloroplast.features if f.type == "CDS" and f.gene == "rps12"]
    # complement(join(97999..98024,98562..98793,69611..69724)): the last span is read first.
    assert rps12[0].parts == ((69610, 69724, -1), (98561, 98793, -1), (97998, 98024, -1))
    assert (rps12[0].start, rps12[0].end, rps12[0].strand) == (69610, 98793, -1)
    # join(complement(69611..69724),139856..140087,140625..140650): trans-spliced, mixed strands.
    assert rps12[1].parts == ((69610, 69724, -1), (139855, 140087, 1), (140624, 140650, 1))
    assert rps12[1].strand == 0
    assert rps12[1].length == 114 + 232 + 26
    edited = next(f for f in chloroplast.features if f.type == "CDS" and f.gene == "ndhD")
    assert edited.exception == "RNA editing"


def test_fasta_records(plasmid: Record) -> None:
    (fna,) = load_records(BIO / "NC_005816.fna", "fasta", "none")
    assert fna.id == "gi|45478711|ref|NC_005816.1|"
    assert fna.description.startswith("Yersinia pestis biovar Microtus")
    assert fna.sequence == plasmid.sequence
    assert (fna.features, fna.topology) == ((), "linear")
    reads = load_records(BIO / "example.fasta", "fasta", "none")
    assert [r.id for r in reads] == [h.split()[0] for h, _ in read_fasta(BIO / "example.fasta")]


def test_gzip_reads_like_plain(tmp_path: Path, plasmid: Record) -> None:
    packed = tmp_path / "plasmid.gb.gz"
    with (BIO / "NC_005816.gb").open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    assert load_records(packed, "genbank", "gzip") == [plasmid]


def test_own_cases_qualifiers_and_remote_parts() -> None:
    (record,) = load_records(OWN / "cds_cases.gb", "genbank", "none")
    assert (record.id, record.length, record.topology) == ("TEST_CDS.1", 103, "linear")
    by_tag = {f.locus_tag: f for f in record.features if f.type == "CDS"}
    assert by_tag["T_gtg"].note == "GTG start; read as M"
    assert by_tag["T_table"].transl_table == 99
    assert by_tag["T_pseudo"].is_pseudo
    assert by_tag["T_sec"].transl_except == ("(pos:6..8,aa:Sec)", "(pos:12..14,aa:Sec)")
    assert by_tag["T_partial"].codon_start == 2
    # join(93..101,OTHER1.1:1..9): the part on another record is dropped and marks both ends.
    remote = by_tag["T_remote"]
    assert remote.parts == ((92, 101, 1),)
    assert remote.is_5prime_partial
    assert remote.is_3prime_partial


def test_records_pickle(plasmid: Record) -> None:
    assert pickle.loads(pickle.dumps(plasmid)) == plasmid  # noqa: S301 (own bytes)


@pytest.mark.parametrize(("format", "compression"), [("fastq", "none"), ("genbank", "bzip2")])
def test_unknown_format_or_compression(format: str, compression: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        load_records(BIO / "NC_005816.gb", format, compression)


def test_to_fasta_reads_back_with_biopython(tmp_path: Path, plasmid: Record) -> None:
    text = to_fasta([("NC_005816.1 pPCP1", plasmid.sequence), (">short", "ACGT")], width=70)
    lines = text.splitlines()
    assert lines[0] == ">NC_005816.1 pPCP1"
    assert {len(line) for line in lines[1:138]} == {70}  # 9609 = 137 x 70 + 19
    assert len(lines[138]) == 19
    path = tmp_path / "out.fasta"
    path.write_text(text)
    parsed = [(r.description, str(r.seq)) for r in SeqIO.parse(path, "fasta")]
    assert parsed == [("NC_005816.1 pPCP1", plasmid.sequence), ("short", "ACGT")]
    assert to_fasta([]) == ""


@pytest.mark.parametrize(
    ("entries", "width"), [([("a", "ACGT")], 0), ([("", "ACGT")], 60), ([("a\nb", "AC")], 60)]
)
def test_to_fasta_refuses(entries: list[tuple[str, str]], width: int) -> None:
    with pytest.raises(ValueError, match=r"width|header"):
        to_fasta(entries, width)
