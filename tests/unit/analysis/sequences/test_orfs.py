"""ORFs against a straightforward codon-by-codon scan and the plasmid's annotated CDS."""

from __future__ import annotations

from pathlib import Path

import pytest
from Bio.Data import CodonTable
from Bio.Seq import Seq
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sequences.orfs import Orf, find_orfs
from analysis.sequences.records import load_records

BIO = Path(__file__).resolve().parents[3] / "fixtures" / "sequences" / "biopython"
PAIR = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}
Key = tuple[int, int, int, int, str]


def naive_orfs(
    sequence: str, min_length: int, table: int, starts: tuple[str, ...], circular: bool
) -> set[Key]:
    """Walk every frame codon by codon; on a circle, walk back from each stop instead."""
    stops = set(CodonTable.unambiguous_dna_by_id[table].stop_codons)
    n = len(sequence)
    found: set[Key] = set()
    for strand in (1, -1):
        s = sequence if strand == 1 else "".join(PAIR[b] for b in reversed(sequence))
        orfs = _walk_circle(s, stops, starts) if circular else _walk_line(s, stops, starts)
        for begin, end in orfs:
            if end - begin < min_length:
                continue
            wrapped = (s + s)[begin:end]
            protein = "M" + str(Seq(wrapped[3:-3]).translate(table=table))
            if strand == 1:
                start, stop, frame = begin, end, begin % 3 + 1
            else:
                start, stop, frame = n - end, n - begin, -(begin % 3 + 1)
                if start < 0:
                    start, stop = start + n, stop + n
            found.add((start, stop, strand, frame, protein))
    return found


def _walk_line(s: str, stops: set[str], starts: tuple[str, ...]) -> list[tuple[int, int]]:
    orfs = []
    for frame in range(3):
        open_at = None
        for i in range(frame, len(s) - 2, 3):
            codon = s[i : i + 3]
            if codon in stops:
                if open_at is not None:
                    orfs.append((open_at, i + 3))
                open_at = None
            elif open_at is None and codon in starts:
                open_at = i
    return orfs


def _walk_circle(s: str, stops: set[str], starts: tuple[str, ...]) -> list[tuple[int, int]]:
    n = len(s)
    ring = s + s + s

    def codon(position: int) -> str:
        return ring[position % n : position % n + 3]

    orfs = []
    for p in range(n):
        if codon(p) not in stops:
            continue
        earliest = None
        for back in range(3, n - 2, 3):  # an ORF, stop included, is at most one turn long
            q = p - back
            if codon(q) in stops:
                break
            if codon(q) in starts:
                earliest = q
        if earliest is not None:
            begin = earliest % n
            orfs.append((begin, begin + (p - earliest) + 3))
    return orfs


def keys(orfs: list[Orf]) -> set[Key]:
    return {(o.start, o.end, o.strand, o.frame, o.protein) for o in orfs}


@pytest.fixture(scope="module")
def genome() -> str:
    (record,) = load_records(BIO / "NC_005816.gb", "genbank", "none")
    return record.sequence


def test_hand_example() -> None:
    # + : ATG AAA TAG at 2..11. - : reverse complement GGATGCCCTGAGC... ATG CCC TGA at
    # rc 2..11, forward 12..21, frame -3 (rc position 2).
    orfs = find_orfs("CCATGAAATAGCTCAGGGCATCC", min_length_nt=9)
    assert [(o.start, o.end, o.strand, o.frame, o.length_nt, o.protein) for o in orfs] == [
        (2, 11, 1, 3, 9, "MK"),
        (12, 21, -1, -3, 9, "MP"),
    ]


def test_longest_orf_per_stop_and_alternative_starts() -> None:
    # CTG isn't a start here; TTG at 3, ATG at 6 in the same frame: the ORF starts at TTG.
    orfs = find_orfs("CTGTTGATGAAATAA", min_length_nt=6)
    assert [(o.start, o.end, o.protein) for o in orfs if o.strand == 1] == [(3, 15, "MMK")]
    only_atg = find_orfs("CTGTTGATGAAATAA", min_length_nt=6, starts=("ATG",))
    assert [(o.start, o.end) for o in only_atg if o.strand == 1] == [(6, 15)]


def test_orf_running_off_the_end_is_not_reported_on_a_line() -> None:
    assert find_orfs("ATGAAAAAAAAA", min_length_nt=3) == []


def test_circular_orf_crosses_the_origin() -> None:
    # ATG at 9, then C A | A across the origin, then TAA at 1..4: 14 + 4 = end 18.
    sequence = "ATAAGGGGGATGCA"
    assert find_orfs(sequence, min_length_nt=6) == []
    (orf,) = find_orfs(sequence, min_length_nt=6, circular=True)
    assert (orf.start, orf.end, orf.strand, orf.frame, orf.protein) == (9, 18, 1, 1, "MQ")
    assert sequence[orf.start :] + sequence[: orf.end - len(sequence)] == "ATGCAATAA"


def test_annotated_cds_across_the_origin_is_a_circular_orf() -> None:
    # tests/fixtures/sequences/own/across_origin.gb: CDS join(15..20,1..6), translation MKP.
    (record,) = load_records(BIO.parent / "own" / "across_origin.gb", "genbank", "none")
    orfs = find_orfs(record.sequence, min_length_nt=12, circular=True)
    assert [(o.start, o.end, o.strand, o.protein) for o in orfs] == [(14, 26, 1, "MKP")]


def test_circular_stop_straddling_the_origin_in_a_frame_without_other_stops() -> None:
    # Reverse complement AGGATGGCAT read round: ATG at 3, GCA, then T|AG across the origin.
    orfs = find_orfs("ATGCCATCCT", min_length_nt=6, circular=True)
    assert [(o.start, o.end, o.strand, o.frame, o.protein) for o in orfs] == [(8, 17, -1, -1, "MA")]


def test_ambiguous_codons_resolved_as_ncbi() -> None:
    # GCN is alanine whatever N is; NNN is unknown; neither is a start or a stop.
    (orf,) = find_orfs("ATGGCNNNNTAA", min_length_nt=6)
    assert orf.protein == "MAX"


def test_other_genetic_code() -> None:
    # TGA is tryptophan in table 4 (Mycoplasma): the ORF runs on to TAA.
    sequence = "ATGTGAAAATAA"
    assert [(o.end, o.protein) for o in find_orfs(sequence, min_length_nt=6)] == [(6, "M")]
    table4 = [(o.end, o.protein) for o in find_orfs(sequence, min_length_nt=6, table=4)]
    assert table4 == [(12, "MWK")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"table": 7}, "unknown genetic code 7"),
        ({"starts": ("ATGA",)}, "not three of A, C, G, T"),
        ({"starts": ("NTG",)}, "not three of A, C, G, T"),
        ({"starts": ("TAA",)}, "is a stop codon"),
        ({"min_length_nt": -1}, "at least 0"),
    ],
)
def test_refuses(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        find_orfs("ATGAAATAA", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("circular", [False, True])
def test_plasmid_matches_the_naive_scan(genome: str, circular: bool) -> None:
    starts = ("ATG", "GTG", "TTG")
    expected = naive_orfs(genome, 150, 11, starts, circular)
    assert keys(find_orfs(genome, min_length_nt=150, circular=circular)) == expected
    assert len(expected) > 20


def test_annotated_cds_end_at_an_orf_stop(genome: str) -> None:
    (record,) = load_records(BIO / "NC_005816.gb", "genbank", "none")
    orfs = find_orfs(genome, min_length_nt=90)
    by_stop = {(o.end if o.strand == 1 else o.start, o.strand): o for o in orfs}
    checked = 0
    for cds in (f for f in record.features if f.type == "CDS"):
        if not cds.annotated_translation.startswith("M"):
            continue
        stop = cds.end if cds.strand == 1 else cds.start
        orf = by_stop[(stop, cds.strand)]
        assert orf.start <= cds.start
        assert orf.end >= cds.end  # the longest ORF may start upstream of the annotated start
        assert orf.protein.endswith(cds.annotated_translation[1:])
        checked += 1
    assert checked == 10


def test_sorted_by_start(genome: str) -> None:
    orfs = find_orfs(genome)
    assert [o.start for o in orfs] == sorted(o.start for o in orfs)
    assert all(o.length_nt >= 300 for o in orfs)


@settings(max_examples=400, deadline=None)
@given(
    sequence=st.text(alphabet="ACGT", max_size=240)
    | st.text(alphabet="ACGTTAAN", max_size=120)
    | st.text(alphabet="AAACCCGGGTTGA", max_size=60)  # few stops: long frames, wrap-arounds
    | st.text(alphabet="AAACCCGGGTTGA", min_size=6, max_size=24),
    min_length=st.integers(0, 40),
    table=st.sampled_from([11, 1, 4, 2]),
    starts=st.sampled_from([("ATG",), ("ATG", "GTG", "TTG"), ("ATG", "CTG", "ATA")]),
    circular=st.booleans(),
)
def test_random_sequences_match_the_naive_scan(
    sequence: str, min_length: int, table: int, starts: tuple[str, ...], circular: bool
) -> None:
    if table == 2 and "ATA" in starts:
        starts = ("ATG",)
    found = find_orfs(
        sequence, min_length_nt=min_length, table=table, starts=starts, circular=circular
    )
    assert keys(found) == naive_orfs(sequence, min_length, table, starts, circular)
