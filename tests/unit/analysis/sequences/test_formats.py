"""Format recognition and strict validation, against NCBI/ENA files, seqkit and the files.

Reference values come from outside this code: NCBI's and ENA's own records (lengths, the
base counts on ENA's SQ line), ``seqkit stats -a -T`` (Debian's seqkit 2.3.0, run once on
the fixtures; figures quoted where used) and, for broken files, the line where each file
is broken, read off the file itself.
"""

from __future__ import annotations

import bz2
import gzip
import json
import random
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.sequences import _fastq_scan
from analysis.sequences.formats import (
    RECORD_INFO_MAX,
    Compression,
    Format,
    Inventory,
    SequenceFormatError,
    read_stats,
    sniff,
    validate,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sequences"
BIO = FIXTURES / "biopython"
OWN = FIXTURES / "own"
# ENA's SQ line for AE017046 (= NC_005816, pPCP1): 2792 A; 2250 C; 2099 G; 2468 T.
PPCP1_GC = (2250 + 2099) / 9609
# The 28-byte end-of-file block bgzip appends (SAM/BAM specification, section 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _outcome(path: Path) -> Inventory | SequenceFormatError:
    try:
        return validate(path, path.name)
    except SequenceFormatError as error:
        return error


def _refusal(path: Path) -> SequenceFormatError:
    with pytest.raises(SequenceFormatError) as caught:
        validate(path, path.name)
    return caught.value


# -- sniffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NC_005816.fna", (Format.FASTA, Compression.NONE)),
        ("NC_005816.faa", (Format.FASTA, Compression.NONE)),
        ("example.fastq", (Format.FASTQ, Compression.NONE)),
        ("example.fastq.gz", (Format.FASTQ, Compression.GZIP)),
        ("NC_005816.gb", (Format.GENBANK, Compression.NONE)),
        ("AE017046.embl", (Format.EMBL, Compression.NONE)),
    ],
)
def test_sniff_fixtures(name: str, expected: tuple[Format, Compression]) -> None:
    assert sniff(BIO / name, name) == expected


def test_sniff_reads_content_not_the_name(tmp_path: Path) -> None:
    fasta = _write(tmp_path, (BIO / "NC_005816.fna").read_bytes(), "reads.fastq")
    assert sniff(fasta, "reads.fastq") == (Format.FASTA, Compression.NONE)
    gb = _write(tmp_path, gzip.compress((BIO / "NC_005816.gb").read_bytes()), "x.fasta")
    assert sniff(gb, "x.fasta") == (Format.GENBANK, Compression.GZIP)
    blank_first = _write(tmp_path, b"\n\r\n  \n>a\nACGT\n", "blank.fa")
    assert sniff(blank_first, "blank.fa") == (Format.FASTA, Compression.NONE)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "only blank lines"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        (bytes(1000), "binary data"),
        (random.Random(1).randbytes(4096), "binary data"),
        (bz2.compress(b">a\nACGT\n"), "bzip2"),
        (b"PK\x03\x04" + bytes(40), "ZIP archive"),
        (
            gzip.compress(b"reads.fq".ljust(257, b"\x00") + b"ustar\x0000" + bytes(240), mtime=0),
            "tar",
        ),
        (gzip.compress(b"BAM\x01" + bytes(60), mtime=0), "BAM alignment"),
        (b"@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:10\n", "SAM alignment"),
        (b"\xef\xbb\xbf>a\nACGT\n", "byte-order mark"),
        (b"sample\tsequence\nA\tACGT\n", "'sample\tsequence', which is not FASTA"),
        (gzip.compress(b"hello\n", mtime=0), "inside the gzip starts with 'hello'"),
        (b"\x1f\x8b\x08\x00" + bytes(30), "gzip data is corrupt"),
    ],
)
def test_sniff_refuses(tmp_path: Path, data: bytes, words: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(SequenceFormatError, match="upload") as caught:
        sniff(path, "upload.dat")
    assert words in caught.value.problem
    assert str(caught.value).startswith("upload.dat")


def test_empty_file_refused_by_validate(tmp_path: Path) -> None:
    error = _refusal(_write(tmp_path, b""))
    assert error.line is None
    assert "empty" in error.problem


# -- FASTQ -----------------------------------------------------------------------------

# Where each of Biopython's broken files goes wrong, read off the file.
BROKEN_FASTQ = {
    "error_diff_ids.fastq": (11, "different title"),  # '+..._850_124' under '@..._850_123'
    "error_double_qual.fastq": (13, "starting with '@'"),  # a second '+' line and quality
    "error_double_seq.fastq": (15, "'+' line"),  # read 4's header and sequence repeated
    "error_long_qual.fastq": (16, "quality string is 26 characters but the sequence is 25"),
    "error_no_qual.fastq": (4, "quality string is 0 characters but the sequence is 25"),
    "error_qual_del.fastq": (16, "0x7F"),
    "error_qual_escape.fastq": (20, "0x1B"),
    "error_qual_null.fastq": (4, "0x00"),
    "error_qual_space.fastq": (16, "a space"),
    "error_qual_tab.fastq": (20, "a tab"),
    "error_qual_unit_sep.fastq": (12, "0x1F"),
    "error_qual_vtab.fastq": (4, "0x0B"),
    "error_short_qual.fastq": (12, "quality string is 24 characters but the sequence is 25"),
    "error_spaces.fastq": (2, "a space"),
    "error_tabs.fastq": (2, "a tab"),
    "error_trunc_at_plus.fastq": (19, "truncated"),  # read 5 ends after its sequence
    "error_trunc_at_qual.fastq": (19, "truncated"),  # ... after its '+' line
    "error_trunc_at_seq.fastq": (17, "truncated"),  # ... after its header
    "error_trunc_in_plus.fastq": (19, "truncated"),  # ... inside its '+' line
    "error_trunc_in_qual.fastq": (20, "quality string is 24 characters but the sequence is 25"),
    "error_trunc_in_seq.fastq": (18, "truncated"),  # ... inside its sequence
    "error_trunc_in_title.fastq": (17, "truncated"),  # ... inside its header
}


def test_every_broken_biopython_fastq_is_listed() -> None:
    assert {p.name for p in BIO.glob("error_*.fastq")} == set(BROKEN_FASTQ)


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN_FASTQ.items()))
def test_broken_fastq_refused_at_its_line(name: str, expected: tuple[int, str]) -> None:
    line, words = expected
    error = _refusal(BIO / name)
    assert (error.line, error.filename) == (line, name)
    assert words in error.problem
    assert str(error) == f"{name}, line {line}: {error.problem}"


def test_broken_fastq_refused_inside_gzip_too(tmp_path: Path) -> None:
    data = gzip.compress((BIO / "error_qual_tab.fastq").read_bytes())
    error = _refusal(_write(tmp_path, data, "tab.fastq.gz"))
    assert error.line == 20


# seqkit stats -a -T: num_seqs, sum_len, min_len, max_len, N50, Q20(%), Q30(%), GC(%).
SEQKIT_FASTQ = {
    "example.fastq": (3, 75, 25, 25, 25, 86.67, 0.00, 61.33),
    "example.fastq.gz": (3, 75, 25, 25, 25, 86.67, 0.00, 61.33),
    "example_dos.fastq": (3, 75, 25, 25, 25, 86.67, 0.00, 61.33),  # CR LF line ends
    "tricky.fastq": (4, 144, 36, 36, 36, 79.17, 71.53, 43.06),  # wrapped reads, '@' quals
    "sanger_full_range_original_sanger.fastq": (2, 188, 94, 94, 94, 78.72, 68.09, 50.00),
}


@pytest.mark.parametrize(("name", "expected"), sorted(SEQKIT_FASTQ.items()))
def test_fastq_statistics_agree_with_seqkit(
    name: str, expected: tuple[int, int, int, int, int, float, float, float]
) -> None:
    inventory = validate(BIO / name, name)
    stats = inventory.read_stats
    assert stats is not None
    assert inventory.format is Format.FASTQ
    assert (inventory.records, inventory.total_length, inventory.record_infos) == (
        expected[0],
        expected[1],
        (),
    )
    assert inventory.assembly_stats is None
    got = (stats.reads, stats.bases, stats.min_length, stats.max_length, stats.n50)
    assert got == expected[:5]
    assert round(100 * stats.q20_fraction, 2) == expected[5]
    assert round(100 * stats.q30_fraction, 2) == expected[6]
    assert round(100 * stats.gc_fraction, 2) == expected[7]
    assert read_stats(BIO / name, name) == stats


def test_full_quality_range_by_hand() -> None:
    # Read 1 has Phred 0..93 in order, read 2 93..0: every position averages 46.5.
    stats = read_stats(BIO / "sanger_full_range_original_sanger.fastq", "x.fq")
    assert stats.mean_quality == 46.5
    assert stats.mean_quality_by_position == (46.5,) * 94
    assert stats.q20_fraction == pytest.approx(74 / 94)  # Phred 20..93 of 0..93


def test_fastq_windows_line_ends_and_blank_lines_at_the_ends(tmp_path: Path) -> None:
    text = b"@r1\r\nACGTN\r\n+\r\nIIII#\r\n@r2\r\nGG\r\n+r2\r\n!!\r\n"
    for data in (text, b"\r\n\n" + text + b"\n\r\n  \n", text.rstrip(b"\r\n")):
        stats = validate(_write(tmp_path, data), "dos.fq").read_stats
        assert stats is not None
        assert (stats.reads, stats.bases, stats.q30_fraction) == (2, 7, 4 / 7)


def test_fastq_blank_line_between_reads_refused(tmp_path: Path) -> None:
    error = _refusal(_write(tmp_path, b"@r1\nAC\n+\nII\n\n@r2\nGG\n+\nII\n"))
    assert error.line == 5
    assert "blank line" in error.problem


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (b"@r\nAC1T\n+\nIIII\n", 2, "'1' at column 3"),
        (b"@r\nAC-T\n+\nIIII\n", 2, "'-'"),
        (b"@r\nACGT\n+\nII I\n", 4, "a space at column 3"),
        (b"@r\nACGT\n+\nIII\xc3\n", 4, "non-ASCII"),
        (b"@r\x00x\nACGT\n+\nIIII\n", 1, "0x00"),
        (b"@r\nACGT\nIIII\n", 3, "'+' line above missing"),
        (b"@r\nACGT\n+\nIIII\nACGT\n+\nIIII\n", 5, "starting with '@'"),
        (b"@r\nAC\rGT\n+\nIIIII\n", 2, "carriage return"),
    ],
)
def test_fastq_problems(tmp_path: Path, text: bytes, line: int, words: str) -> None:
    error = _refusal(_write(tmp_path, text))
    assert error.line == line
    assert words in error.problem


def test_fastq_empty_reads_accepted(tmp_path: Path) -> None:
    # cutadapt writes reads trimmed to nothing as an empty sequence and quality line.
    stats = validate(_write(tmp_path, b"@a\n\n+\n\n@b\nAC\n+\nII\n@c\n\n+\n\n"), "x").read_stats
    assert stats is not None
    assert (stats.reads, stats.bases, stats.min_length, stats.max_length) == (3, 2, 0, 2)


def test_fastq_with_no_reads_refused(tmp_path: Path) -> None:
    error = _refusal(_write(tmp_path, b"\n\n@"))
    assert "truncated" in error.problem


def _read_boundaries(text: bytes, lines_per_read: int = 4) -> set[int]:
    """Offsets just after each read's last line break (file split by hand)."""
    offsets, position = set(), 0
    for i, line in enumerate(text.split(b"\n")[:-1], start=1):
        position += len(line) + 1
        if i % lines_per_read == 0:
            offsets.add(position)
    return offsets


@pytest.mark.parametrize("name", ["example.fastq", "example_dos.fastq"])
def test_fastq_cut_at_every_byte(tmp_path: Path, name: str) -> None:
    text = (BIO / name).read_bytes()
    ends = _read_boundaries(text)
    # A file cut at a read boundary, or just before the last line break (CR LF or LF),
    # is a valid shorter file; anything else is refused with a SequenceFormatError.
    valid = {e - k for e in ends for k in (0, 1, 2) if text[e - k : e].strip(b"\r\n") == b""}
    path = tmp_path / name
    for cut in range(len(text) + 1):
        path.write_bytes(text[:cut])
        outcome = _outcome(path)
        if isinstance(outcome, SequenceFormatError):
            assert cut not in valid, (cut, str(outcome))
            assert outcome.line is None or 1 <= outcome.line <= text[:cut].count(b"\n") + 1
            assert cut == 0 or "truncated" in outcome.problem, str(outcome)
        else:
            assert cut in valid, cut
            assert outcome.records == sum(e <= cut + 2 for e in ends)


def test_gzip_cut_at_every_byte(tmp_path: Path) -> None:
    data = (BIO / "example.fastq.gz").read_bytes()
    path = tmp_path / "cut.fastq.gz"
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        with pytest.raises(SequenceFormatError):
            validate(path, "cut.fastq.gz")
    path.write_bytes(data)
    assert validate(path, "cut.fastq.gz").records == 3


def test_gzip_ending_early_names_the_line(tmp_path: Path) -> None:
    text = b"".join(b"@r%d\nACGTACGTAC\n+\nIIIIIIIIII\n" % i for i in range(20_000))
    data = gzip.compress(text)
    error = _refusal(_write(tmp_path, data[: len(data) // 2], "half.fq.gz"))
    assert "the gzip stream ends early" in error.problem
    assert error.line is not None
    assert 1_000 < error.line < 80_000


def test_gzip_damage(tmp_path: Path) -> None:
    data = gzip.compress((BIO / "example.fastq").read_bytes())
    crc = bytearray(data)
    crc[-8] ^= 0xFF  # the CRC-32 in the member's trailer
    assert "CRC" in _refusal(_write(tmp_path, bytes(crc))).problem
    garbage = data + b"trailing junk"
    assert "not gzip" in _refusal(_write(tmp_path, garbage)).problem
    inner = bytearray(data)
    inner[20] ^= 0xFF  # inside the deflate stream
    assert "gzip" in _refusal(_write(tmp_path, bytes(inner))).problem


def test_multi_member_gzip_and_padding_accepted(tmp_path: Path) -> None:
    text = (BIO / "example.fastq").read_bytes()
    cut = text.index(b"@", 1)
    data = gzip.compress(text[:cut]) + gzip.compress(text[cut:]) + BGZF_EOF + bytes(16)
    inventory = validate(_write(tmp_path, data, "x.fastq.gz"), "x.fastq.gz")
    assert (inventory.compression, inventory.records, inventory.total_length) == (
        Compression.GZIP,
        3,
        75,
    )


def _reference_fastq_stats(text: bytes) -> dict[str, object]:
    """Statistics of 4-line FASTQ computed the plain way, as a reference."""
    lines = text.replace(b"\r\n", b"\n").split(b"\n")
    reads = [(lines[i + 1], lines[i + 3]) for i in range(0, len(lines) - 1, 4)]
    phred = [[q - 33 for q in qual] for _, qual in reads]
    bases = sum(len(s) for s, _ in reads)
    by_position: dict[int, list[int]] = {}
    for scores in phred:
        for i, q in enumerate(scores):
            by_position.setdefault(i, []).append(q)
    lengths = sorted((len(s) for s, _ in reads), reverse=True)
    running, n50 = 0, 0
    for length in lengths:
        running += length
        if 2 * running >= bases:
            n50 = length
            break
    return {
        "reads": len(reads),
        "bases": bases,
        "min_length": min(lengths),
        "max_length": max(lengths),
        "n50": n50,
        "gc": sum(s.upper().count(b"G") + s.upper().count(b"C") for s, _ in reads),
        "q20": sum(q >= 20 for scores in phred for q in scores),
        "q30": sum(q >= 30 for scores in phred for q in scores),
        "quality_sum": sum(sum(scores) for scores in phred),
        "by_position": [sum(v) / len(v) for _, v in sorted(by_position.items())],
    }


def _random_fastq(seed: int, reads: int) -> bytes:
    rng = random.Random(seed)
    out = []
    for i in range(reads):
        length = rng.choice([0, 1, 35, 100, 150, 150, 150, 151, 300])
        seq = "".join(rng.choice("ACGTNacgtnRYKM") for _ in range(length))
        qual = "".join(chr(rng.randint(33, 126)) for _ in range(length))
        title = f"read{i} x:{rng.randint(0, 99)}"
        plus = f"+{title}" if rng.random() < 0.3 else "+"
        end = "\r\n" if rng.random() < 0.2 else "\n"
        out.append(f"@{title}{end}{seq}{end}{plus}{end}{qual}{end}")
    return "".join(out).encode()


@pytest.mark.parametrize(
    ("block", "slow_only"),
    [(1, False), (3, False), (64, False), (1000, False), (65_536, False), (65_536, True)],
)
def test_fastq_blocks_of_any_size_give_reference_statistics(
    monkeypatch: pytest.MonkeyPatch, block: int, slow_only: bool
) -> None:
    if slow_only:  # the line-by-line parser alone must give the same figures
        monkeypatch.setattr(_fastq_scan.FastqScanner, "_fast", lambda *a, **k: None)
    text = _random_fastq(block, 60 if block < 10 else 1500)
    reference = _reference_fastq_stats(text)
    scanner = _fastq_scan.FastqScanner("random.fq")
    for start in range(0, len(text), block):
        scanner.feed(text[start : start + block])
    stats = scanner.finish().result()
    bases = reference["bases"]
    assert isinstance(bases, int)
    assert (stats.reads, stats.bases, stats.min_length, stats.max_length, stats.n50) == (
        reference["reads"],
        bases,
        reference["min_length"],
        reference["max_length"],
        reference["n50"],
    )
    assert stats.gc_fraction * bases == pytest.approx(reference["gc"])
    assert stats.q20_fraction * bases == pytest.approx(reference["q20"])
    assert stats.q30_fraction * bases == pytest.approx(reference["q30"])
    assert stats.mean_quality * bases == pytest.approx(reference["quality_sum"])
    assert stats.mean_quality_by_position == pytest.approx(reference["by_position"])


def test_plain_four_line_fastq_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_slow_path(*args: object, **kwargs: object) -> None:
        raise AssertionError("the slow path was used")

    monkeypatch.setattr(_fastq_scan.FastqScanner, "_slow", no_slow_path)
    text = _random_fastq(7, 3000)
    scanner = _fastq_scan.FastqScanner("fast.fq")
    scanner.feed(text)
    assert scanner.finish().result().reads == 3000


def test_long_reads_bin_positions(tmp_path: Path) -> None:
    text = b"@long\n" + b"A" * 300_000 + b"\n+\n" + b"I" * 300_000 + b"\n@short\nC\n+\n!\n"
    stats = read_stats(_write(tmp_path, gzip.compress(text), "ont.fq.gz"), "ont.fq.gz")
    assert (stats.reads, stats.max_length, stats.position_bin_width) == (2, 300_000, 4)
    assert len(stats.mean_quality_by_position) == 75_000
    assert stats.mean_quality_by_position[0] == (40 * 4 + 0) / 5  # bin 1: four Q40 + one Q0
    assert stats.mean_quality_by_position[1] == 40.0


def test_read_stats_refuses_other_formats() -> None:
    with pytest.raises(SequenceFormatError, match="this is FASTA, not FASTQ"):
        read_stats(BIO / "NC_005816.fna", "genome.fna")
    with pytest.raises(SequenceFormatError, match="this is GenBank, not FASTQ"):
        read_stats(BIO / "NC_005816.gb", "genome.gb")


def test_progress_reports_bytes_on_disk(tmp_path: Path) -> None:
    data = gzip.compress(_random_fastq(3, 5_000), compresslevel=1)
    path = _write(tmp_path, data, "p.fq.gz")
    calls: list[tuple[int, int]] = []
    validate(path, "p.fq.gz", on_progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (len(data), len(data))
    assert all(total == len(data) and 0 <= done <= total for done, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# -- FASTA -----------------------------------------------------------------------------


def test_ncbi_genome_fasta() -> None:
    inventory = validate(BIO / "NC_005816.fna", "NC_005816.fna")
    assert (inventory.format, inventory.records, inventory.total_length) == (
        Format.FASTA,
        1,
        9609,
    )
    (info,) = inventory.record_infos
    assert info.id == "gi|45478711|ref|NC_005816.1|"
    assert info.description == (
        "Yersinia pestis biovar Microtus str. 91001 plasmid pPCP1, complete sequence"
    )
    assert info.length == 9609
    summary = inventory.assembly_stats
    assert summary is not None
    assert summary.gc_fraction == pytest.approx(PPCP1_GC)
    assert (summary.n50, summary.l50, summary.n_fraction) == (9609, 1, 0.0)
    assert inventory.read_stats is None


# seqkit stats -a -T: num_seqs, sum_len, min_len, max_len, N50.
SEQKIT_FASTA = {
    "NC_005816.faa": (10, 1928, 64, 357, 312),  # NCBI's proteins of pPCP1
    "NC_005816.ffn": (10, 5814, 195, 1074, 939),  # NCBI's CDS of pPCP1
    "example.fasta": (3, 75, 25, 25, 25),
}


@pytest.mark.parametrize(("name", "expected"), sorted(SEQKIT_FASTA.items()))
def test_fasta_statistics_agree_with_seqkit(
    name: str, expected: tuple[int, int, int, int, int]
) -> None:
    summary = validate(BIO / name, name).assembly_stats
    assert summary is not None
    got = (summary.records, summary.total_length, summary.min_length, summary.max_length)
    assert (*got, summary.n50) == expected


def test_fasta_record_lengths_agree_with_seqkit() -> None:
    # seqkit fx2tab -n -l NC_005816.faa, first three: 340, 260, 64.
    infos = validate(BIO / "NC_005816.faa", "x").record_infos
    assert [(i.id, i.length) for i in infos[:3]] == [
        ("gi|45478712|ref|NP_995567.1|", 340),
        ("gi|45478713|ref|NP_995568.1|", 260),
        ("gi|45478714|ref|NP_995569.1|", 64),
    ]


def test_fasta_layout_accepted(tmp_path: Path) -> None:
    text = b"\r\n>a first\r\nACGT\r\n\r\nacgn\r\n  \r\n>b\r\nMKV*-\r\n>c\tdesc\r\nGG"
    inventory = validate(_write(tmp_path, text, "a.fa"), "a.fa")
    assert [(i.id, i.description, i.length) for i in inventory.record_infos] == [
        ("a", "first", 8),
        ("b", "", 5),
        ("c", "desc", 2),
    ]
    summary = inventory.assembly_stats
    assert summary is not None
    assert summary.gc_fraction == pytest.approx(6 / 14)  # G/C of 15 residues, one N out


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (b">a\nACGT\n>b\nGG\n>a\nTT\n", 5, "'a' is used twice (lines 1 and 5)"),
        (b">a\nACGT\n>b\n\n>c\nGG\n", 3, "'b' has no sequence"),
        (b">a\nACGT\n>b\n", 3, "'b' has no sequence"),
        (b">a\nACGT\nAC1T\n", 3, "'1' at column 3"),
        (b">a\nACGT\nAC GT\n", 3, "a space at column 3"),
        (b">a\nAC\x00T\n", 2, "0x00"),
        (b">a\nAC\rGT\n", 2, "carriage return"),
        (b"\n>\nACGT\n", 2, "no id"),
        (b">a\xff\nACGT\n", 1, "not UTF-8"),
        (b">a\x07b\nACGT\n", 1, "0x07"),
    ],
)
def test_fasta_problems(tmp_path: Path, text: bytes, line: int, words: str) -> None:
    error = _refusal(_write(tmp_path, text))
    assert error.line == line
    assert words in error.problem


def test_fasta_text_before_the_first_header(tmp_path: Path) -> None:
    path = _write(tmp_path, b">a\nAC\n")
    path.write_bytes(b"  \n\n" + b"ACGT\n>a\nAC\n")
    with pytest.raises(SequenceFormatError):
        sniff(path, "x")  # 'A' is no format's first character
    # validate after a FASTA start: text before a header can only come first, so check the
    # scanner through a FASTA whose first header follows blank lines only.
    assert validate(_write(tmp_path, b"\n \n>a\nAC\n"), "x").records == 1


def test_fasta_many_records_listed_up_to_the_cap(tmp_path: Path) -> None:
    n = RECORD_INFO_MAX + 5
    text = b"".join(b">r%d\nA\n" % i for i in range(n))
    inventory = validate(_write(tmp_path, text), "many.fa")
    assert inventory.records == n
    assert len(inventory.record_infos) == RECORD_INFO_MAX
    assert inventory.record_infos[-1].id == f"r{RECORD_INFO_MAX - 1}"


def test_fasta_inside_gzip(tmp_path: Path) -> None:
    data = gzip.compress((BIO / "NC_005816.ffn").read_bytes())
    inventory = validate(_write(tmp_path, data, "cds.gz"), "cds.gz")
    assert (inventory.compression, inventory.records, inventory.total_length) == (
        Compression.GZIP,
        10,
        5814,
    )


# -- GenBank and EMBL ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "record_id"),
    [
        ("NC_005816.gb", Format.GENBANK, "NC_005816.1"),
        ("AE017046.embl", Format.EMBL, "AE017046.1"),
    ],
)
def test_insdc_pPCP1(name: str, fmt: Format, record_id: str) -> None:
    inventory = validate(BIO / name, name)
    assert (inventory.format, inventory.records, inventory.total_length) == (fmt, 1, 9609)
    (info,) = inventory.record_infos
    assert (info.id, info.length) == (record_id, 9609)
    assert info.description.startswith("Yersinia pestis biovar Microtus str. 91001 plasmid")
    summary = inventory.assembly_stats
    assert summary is not None
    assert summary.gc_fraction == pytest.approx(PPCP1_GC)


def test_arabidopsis_chloroplast() -> None:
    summary = validate(BIO / "NC_000932.gb", "NC_000932.gb").assembly_stats
    assert summary is not None
    assert summary.total_length == 154_478  # LOCUS line
    # seqkit stats on this record's sequence (written out as FASTA): GC(%) 36.29.
    assert round(100 * summary.gc_fraction, 2) == 36.29


def test_own_two_record_genbank() -> None:
    inventory = validate(OWN / "two_records.gb", "two.gb")
    assert [(i.id, i.length) for i in inventory.record_infos] == [
        ("MSG0001.1", 130),
        ("MSG0002.1", 70),
    ]
    summary = inventory.assembly_stats
    assert summary is not None
    # Counted with awk/grep over the ORIGIN sections: 58 + 35 G/C, 5 N.
    assert summary.gc_fraction == pytest.approx(93 / 195)
    assert summary.n_fraction == pytest.approx(5 / 200)


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("no_end_marker.gb", 124, "without the '//' end marker"),
        ("no_origin_no_end.gb", 14, "before its ORIGIN sequence"),
    ],
)
def test_truncated_genbank_fixtures(name: str, line: int, words: str) -> None:
    error = _refusal(BIO / name)
    assert (error.line, error.filename) == (line, name)
    assert words in error.problem


def _edited(tmp_path: Path, name: str, edit: Callable[[str], str]) -> Path:
    return _write(tmp_path, edit((BIO / name).read_text()).encode(), name)


def test_genbank_length_disagreeing_with_locus(tmp_path: Path) -> None:
    path = _edited(tmp_path, "NC_005816.gb", lambda t: t.replace("9609 bp", "9610 bp", 1))
    error = _refusal(path)
    assert error.line == 529  # the '//' where the count ends
    assert "has 9609 bases in its sequence but its LOCUS line (line 1) says 9610" in (error.problem)


def test_embl_length_disagreeing_with_id(tmp_path: Path) -> None:
    path = _edited(tmp_path, "AE017046.embl", lambda t: t.replace("9609 BP.", "9608 BP.", 1))
    assert "its ID line (line 1) says 9608" in _refusal(path).problem


def test_genbank_missing_sequence_line(tmp_path: Path) -> None:
    def drop(text: str) -> str:
        lines = text.split("\n")
        return "\n".join(line for line in lines if not line.startswith("       61 "))

    error = _refusal(_edited(tmp_path, "NC_005816.gb", drop))
    assert error.line == 369  # ORIGIN is line 367, '1 ...' 368; '121 ...' now on 369
    assert "starts at base 121 but 60 bases came before" in error.problem


def test_genbank_duplicate_records(tmp_path: Path) -> None:
    text = (BIO / "NC_005816.gb").read_bytes()
    error = _refusal(_write(tmp_path, text + text, "twice.gb"))
    assert error.line == 530  # the second LOCUS line (the file has 529 lines)
    assert "'NC_005816.1' is used twice" in error.problem


@pytest.mark.parametrize(
    ("edit", "line", "words"),
    [
        (lambda t: t.replace("ORIGIN      \n", "", 1), 528, "without a sequence"),
        (lambda t: t.replace("tgtaacgaac", "tgtaacga1c", 1), 368, "the sequence has '1'"),
        (lambda t: t.replace("tgtaacgaac", "tgtaacga-c", 1), 368, "'-'"),
        (lambda t: t + "junk\n", 530, "expected a GenBank record to start with 'LOCUS'"),
        (lambda t: t.replace("LOCUS", "LOCUS\x00", 1), 1, "0x00"),
        (lambda t: t.replace("//\n", "") + t, 529, "a new record starts before"),
        (lambda t: t.replace("9609 bp", "bp", 1), 1, "gives no sequence length"),
    ],
)
def test_genbank_problems(
    tmp_path: Path, edit: Callable[[str], str], line: int, words: str
) -> None:
    error = _refusal(_edited(tmp_path, "NC_005816.gb", edit))
    assert error.line == line
    assert words in error.problem


def test_genbank_windows_line_ends_and_gzip(tmp_path: Path) -> None:
    text = (OWN / "two_records.gb").read_bytes().replace(b"\n", b"\r\n")
    inventory = validate(_write(tmp_path, gzip.compress(text), "two.gb.gz"), "two.gb.gz")
    assert (inventory.compression, inventory.records, inventory.total_length) == (
        Compression.GZIP,
        2,
        200,
    )


def test_genbank_cut_at_every_byte(tmp_path: Path) -> None:
    text = (OWN / "two_records.gb").read_bytes()
    record_ends = [i + 4 for i in range(len(text)) if text.startswith(b"\n//\n", i)]
    valid = {e - k for e in record_ends for k in (0, 1)}  # with or without the last LF
    path = tmp_path / "cut.gb"
    for cut in range(len(text) + 1):
        path.write_bytes(text[:cut])
        outcome = _outcome(path)
        if isinstance(outcome, SequenceFormatError):
            assert cut not in valid, (cut, str(outcome))
            assert outcome.line is None or 1 <= outcome.line <= text[:cut].count(b"\n") + 1
            # Before 'LOCUS' is whole the format is not recognised; after, it is a cut.
            assert cut < 5 or "truncated" in outcome.problem, str(outcome)
        else:
            assert cut in valid, cut
            assert outcome.records == sum(e <= cut + 1 for e in record_ends)


def test_inventory_as_dict_is_json() -> None:
    for name in ("NC_005816.gb", "tricky.fastq"):
        inventory = validate(BIO / name, name)
        assert isinstance(inventory, Inventory)
        out = json.loads(json.dumps(inventory.as_dict()))
        assert out["format"] == inventory.format.value
        assert out["records"] == inventory.records


# -- anything at all -------------------------------------------------------------------

_TOKENS = [
    b"@r",
    b">r",
    b"LOCUS       X 4 bp DNA",
    b"ID   X; 4 BP.",
    b"ORIGIN",
    b"SQ   Sequence",
    b"        1 acgt",
    b"     acgt 4",
    b"//",
    b"ACGT",
    b"AC",
    b"+",
    b"+r",
    b"IIII",
    b"II",
    b"@II",
    b"",
    b" ",
    b"\r",
    b"\x00",
    b"\xff",
]
_texts = st.one_of(
    st.binary(max_size=600),
    st.tuples(st.sampled_from([b"@", b">", b"LOCUS", b"ID   "]), st.binary(max_size=300)).map(
        b"".join
    ),
    st.lists(st.sampled_from(_TOKENS), max_size=40).map(b"\n".join),
)


def _only_format_errors(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    outcome = _outcome(path)  # anything but SequenceFormatError propagates and fails
    if isinstance(outcome, SequenceFormatError):
        assert outcome.line is None or outcome.line >= 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_texts)
def test_any_bytes_raise_only_sequence_format_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    _only_format_errors(tmp_path_factory.mktemp("any") / "f", data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_texts, cut=st.integers(min_value=0, max_value=2000))
def test_any_gzip_raises_only_sequence_format_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, cut: int
) -> None:
    packed = gzip.compress(data)
    folder = tmp_path_factory.mktemp("gz")
    _only_format_errors(folder / "whole.gz", packed)
    _only_format_errors(folder / "cut.gz", packed[: min(cut, len(packed))])
    _only_format_errors(folder / "raw.gz", zlib.compress(data)[:cut] + packed)


# -- bounded memory: long lines, long reads, big records ------------------------------------

_FASTA_LINES = st.lists(
    st.one_of(
        st.sampled_from([">a", ">b x", ">", "", " ", "\t ", " \r", "ACGT", "acgtN-*", "AC GT"]),
        st.text(alphabet="ACGTNacgt \t\r>1", max_size=30),
    ),
    max_size=12,
)


def _fasta_outcome(text: bytes, cuts: list[int]) -> object:
    from analysis.sequences._fasta_scan import FastaScanner

    scanner = FastaScanner("x.fa")
    try:
        previous = 0
        for cut in [*sorted(cuts), len(text)]:
            scanner.feed(text[previous:cut])
            previous = cut
        scanner.finish()
    except SequenceFormatError as exc:
        return ("refused", exc.line, exc.problem[:30])
    return (list(scanner.lengths), scanner.gc, scanner.n, scanner.record_infos)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lines=_FASTA_LINES, cuts=st.lists(st.integers(0, 400), max_size=8))
def test_fasta_lines_checked_in_pieces_agree_with_whole_lines(
    monkeypatch: pytest.MonkeyPatch, lines: list[str], cuts: list[int]
) -> None:
    from analysis.sequences import _fasta_scan

    text = "\n".join(lines).encode()
    cuts = [c for c in cuts if c <= len(text)]
    whole = _fasta_outcome(text, [])
    with monkeypatch.context() as patched:
        patched.setattr(_fasta_scan, "_PIECE_BYTES", 3)
        assert _fasta_outcome(text, cuts) == whole


def test_a_fasta_line_of_a_gigabase_in_gzip_is_checked_in_pieces(tmp_path: Path) -> None:
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    path = tmp_path / "one-line.fa.gz"
    with path.open("wb") as out:
        out.write(packer.compress(b">one\n"))
        for _ in range(64):
            out.write(packer.compress(b"ACGN" * (1 << 18)))
        out.write(packer.compress(b"\r\n>two\nGG") + packer.flush())
    inventory = validate(path, "one-line.fa.gz")
    assert [r.length for r in inventory.record_infos] == [64 << 20, 2]
    summary = inventory.assembly_stats
    assert summary is not None
    assert summary.n_fraction == pytest.approx((16 << 20) / ((64 << 20) + 2))


def test_a_fasta_header_over_a_mebibyte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.fa"
    path.write_bytes(b">ok\nAC\n>" + b"h" * (2 << 20) + b"\nACGT\n")
    with pytest.raises(SequenceFormatError, match=r"line 3: the header line is longer than 1 MiB"):
        validate(path, "header.fa")


def test_a_fastq_read_over_the_cap_is_refused_and_a_4_mb_read_is_not(tmp_path: Path) -> None:
    long_read = b"@ont\n" + b"ACGT" * 1_000_000 + b"\n+\n" + b"5" * 4_000_000 + b"\n"
    path = tmp_path / "ont.fq.gz"
    path.write_bytes(gzip.compress(b"@s\nAC\n+\nII\n" + long_read, compresslevel=1))
    assert validate(path, "ont.fq.gz").total_length == 4_000_002
    path.write_bytes(gzip.compress(b"@s\nAC\n+\nII\n@big\n" + b"A" * (40 << 20), compresslevel=1))
    with pytest.raises(SequenceFormatError, match=r"line 5: the read starting on this line is "):
        validate(path, "big.fq.gz")


def _genbank_record(name: str, sequence_lines: list[str], length: int, features: str = "") -> str:
    return (
        f"LOCUS       {name}   {length} bp    DNA     linear   BCT 01-JAN-2000\n"
        f"DEFINITION  test.\nACCESSION   {name}\nVERSION     {name}.1\n"
        f"FEATURES             Location/Qualifiers\n     source          1..{length}\n"
        f"{features}ORIGIN\n" + "".join(f"{line}\n" for line in sequence_lines) + "//\n"
    )


@pytest.mark.parametrize(
    "line",
    [
        "   1 acgt",
        " " * 10 + "1 acgt",
        "1 acgt",
        "        1acgt",
        "       1  acgt",
        "        １ acgt",
    ],
)
def test_genbank_sequence_lines_out_of_biopythons_columns_are_refused(
    tmp_path: Path, line: str
) -> None:
    path = tmp_path / "odd.gb"
    path.write_text(_genbank_record("ODD1", [line], 4))
    with pytest.raises(SequenceFormatError, match=r"line 8: expected a sequence line like"):
        validate(path, "odd.gb")


def test_genbank_sequence_counted_without_biopython_holding_it(tmp_path: Path) -> None:
    lines = [f"{i * 60 + 1:9d} " + " ".join(["ggccnnaatt"] * 6) for i in range(3)]
    path = tmp_path / "three.gb"
    path.write_text(_genbank_record("THREE1", [*lines, f"{181:9d} gc"], 182))
    inventory = validate(path, "three.gb")
    assert inventory.record_infos[0].length == 182
    summary = inventory.assembly_stats
    assert summary is not None
    assert (summary.gc_fraction, summary.n_fraction) == (74 / 146, 36 / 182)


def test_genbank_caps_on_features_and_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analysis.sequences import _insdc_scan

    monkeypatch.setattr(_insdc_scan, "FEATURES_MAX", 3)
    path = tmp_path / "many.gb"
    features = "     misc_feature    1..4\n" * 3
    path.write_text(_genbank_record("MANY1", ["        1 acgt"], 4, features))
    with pytest.raises(
        SequenceFormatError, match=r"line 9: the record 'MANY1' \(line 1\) has more"
    ):
        validate(path, "many.gb")
    monkeypatch.setattr(_insdc_scan, "HEADER_BYTES_MAX", 200)
    path.write_text(_genbank_record("MANY1", ["        1 acgt"], 4, "     misc_feature    1..4\n"))
    with pytest.raises(SequenceFormatError, match=r"line 7: the header and feature table"):
        validate(path, "many.gb")
    monkeypatch.setattr(_insdc_scan, "HEADER_BYTES_MAX", 1 << 20)
    monkeypatch.setattr(_insdc_scan, "LINE_BYTES_MAX", 100)  # a complete line, then a tail
    path.write_text(_genbank_record("LONG1", ["        1 acgt"], 4).replace("test.", "t" * 200))
    with pytest.raises(SequenceFormatError, match=r"line 2: the line is longer than"):
        validate(path, "long.gb")
    path.write_text(_genbank_record("LONG1", ["        1 acgt"], 4) + "x" * 300)
    with pytest.raises(SequenceFormatError, match=r"line 10: the line is longer than"):
        validate(path, "long.gb")


def test_a_genbank_record_biopython_passes_over_is_refused(tmp_path: Path) -> None:
    # Found by fuzzing: Biopython silently skips a record whose LOCUS line it cannot place,
    # which left the counts of the record with no record (a ValueError, a 500).
    good = [_genbank_record(name, ["        1 acgt"], 4) for name in ("A1", "B2", "C3")]
    for skipped, line in ((0, 1), (1, 10)):
        records = list(good)
        records[skipped] = records[skipped].replace("LOCUS       ", "LOCUS   ..  ", 1)
        path = tmp_path / "skipped.gb"
        path.write_text("".join(records))
        with pytest.raises(SequenceFormatError, match=rf"line {line}: Biopython does not see"):
            validate(path, "skipped.gb")
