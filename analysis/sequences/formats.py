"""Which sequence format a file holds, and a strict check of the whole file with its summary.

:func:`sniff` recognises FASTA, FASTQ, GenBank and EMBL (plain or gzip) from the content,
never the file name. :func:`validate` reads the whole file once, in bounded memory
(whatever its size or line lengths), and either returns an :class:`Inventory` (record
count, lengths, statistics) or raises :class:`SequenceFormatError` at the first problem,
naming the line and the fix.
:func:`read_stats` is the FASTQ statistics alone. The rules each format must follow are in
the docstrings of the private scanners (``_fastq_scan``, ``_fasta_scan``, ``_insdc_scan``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from analysis.sequences._errors import SequenceFormatError
from analysis.sequences._fasta_scan import RECORD_INFO_MAX, FastaScanner
from analysis.sequences._fastq_scan import FastqScanner
from analysis.sequences._insdc_scan import Flavour, scan_insdc
from analysis.sequences._source import GZIP_MAGIC, Blocks, GzipDamage, gunzip_head
from analysis.sequences.stats import AssemblyStats, ReadStats, assembly_stats

__all__ = [
    "RECORD_INFO_MAX",
    "Compression",
    "Format",
    "Inventory",
    "RecordInfo",
    "SequenceFormatError",
    "read_stats",
    "sniff",
    "validate",
]

SNIFF_BYTES = 64 << 10

Progress = Callable[[int, int], None]


class Format(StrEnum):
    """A sequence file format."""

    FASTA = "fasta"
    FASTQ = "fastq"
    GENBANK = "genbank"
    EMBL = "embl"


_NAMES = {
    Format.FASTA: "FASTA",
    Format.FASTQ: "FASTQ",
    Format.GENBANK: "GenBank",
    Format.EMBL: "EMBL",
}


class Compression(StrEnum):
    """How a file is compressed."""

    NONE = "none"
    GZIP = "gzip"


@dataclass(frozen=True)
class RecordInfo:
    """One record of a FASTA, GenBank or EMBL file.

    ``description`` is the FASTA header after the id, or the GenBank DEFINITION / EMBL DE.
    """

    id: str
    description: str
    length: int


@dataclass(frozen=True)
class Inventory:
    """What a valid file holds.

    ``record_infos`` lists the records of a FASTA, GenBank or EMBL file in file order, the
    first ``RECORD_INFO_MAX`` (100,000) of them (``records`` counts them all); it is empty for
    FASTQ, whose reads are summarised in ``read_stats`` instead. ``assembly_stats`` is set
    for FASTA, GenBank and EMBL.
    """

    format: Format
    compression: Compression
    records: int
    total_length: int
    record_infos: tuple[RecordInfo, ...]
    read_stats: ReadStats | None
    assembly_stats: AssemblyStats | None

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-able dict (enums as their values, tuples as lists)."""
        return {
            "format": self.format.value,
            "compression": self.compression.value,
            "records": self.records,
            "total_length": self.total_length,
            "record_infos": [
                {"id": r.id, "description": r.description, "length": r.length}
                for r in self.record_infos
            ],
            "read_stats": self.read_stats.as_dict() if self.read_stats else None,
            "assembly_stats": self.assembly_stats.as_dict() if self.assembly_stats else None,
        }


# Recognisable non-sequence files: (magic at offset 0, what it is, what to do).
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG", "a PNG image", "upload the sequence file instead"),
    (b"\xff\xd8\xff", "a JPEG image", "upload the sequence file instead"),
    (b"%PDF", "a PDF document", "upload the sequence file instead"),
    (b"PK\x03\x04", "a ZIP archive", "unpack it and upload the sequence file (gzip is fine)"),
    (b"BZh", "bzip2-compressed", "recompress it with gzip or upload it uncompressed"),
    (b"\xfd7zXZ\x00", "xz-compressed", "recompress it with gzip or upload it uncompressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "recompress it with gzip or upload it uncompressed"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "unpack it and upload the sequence file"),
    (b"\x89HDF", "an HDF5 file (FAST5 raw signal?)", "upload basecalled FASTQ instead"),
    (b"SQLite format 3", "an SQLite database", "upload the sequence file instead"),
    (b"BAM\x01", "a BAM alignment file", "convert it to FASTQ (samtools fastq) first"),
    (b"CRAM", "a CRAM alignment file", "convert it to FASTQ (samtools fastq) first"),
    (b".sff", "an SFF flowgram file", "convert it to FASTQ first"),
    (b"\xef\xbb\xbf", "text with a byte-order mark", "save it as UTF-8 without BOM"),
    (b"\xff\xfe", "UTF-16 text", "save it as plain UTF-8 or ASCII text"),
    (b"\xfe\xff", "UTF-16 text", "save it as plain UTF-8 or ASCII text"),
    (b"##gff-version", "a GFF annotation file", "upload the GenBank/EMBL or FASTA instead"),
    (b"##fileformat=VCF", "a VCF variant file", "upload the reads or sequences instead"),
)
_SAM_HEADERS = (b"@HD\t", b"@SQ\t", b"@RG\t", b"@PG\t", b"@CO\t")
_TEXT_BYTES = frozenset(range(32, 127)) | {9, 10, 13}


def sniff(path: Path, filename: str) -> tuple[Format, Compression]:
    """Recognise the format and compression of ``path`` from its first bytes.

    Gzip is recognised by its magic bytes; the (decompressed) text by its first non-blank
    characters: ``>`` FASTA, ``@`` FASTQ, ``LOCUS`` GenBank, ``ID   `` EMBL. ``filename``
    (the user's name for the file) is only used in messages. Raises SequenceFormatError for
    an empty file, binary data, a known non-sequence format or unrecognised text.
    """
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head:
        raise SequenceFormatError(filename, None, "the file is empty (0 bytes): upload it again")
    compression = Compression.NONE
    text = head
    if head.startswith(GZIP_MAGIC):
        compression = Compression.GZIP
        try:
            text = gunzip_head(head, SNIFF_BYTES)
        except GzipDamage as damage:
            raise SequenceFormatError(filename, None, damage.problem) from None
        if not text:
            if len(head) < SNIFF_BYTES:
                raise SequenceFormatError(
                    filename, None, "the gzip file holds no data (or is cut off): upload it again"
                )
            raise SequenceFormatError(filename, None, "no data in the first part of the gzip")
    return _format_of(text, filename, compression), compression


def _format_of(text: bytes, filename: str, compression: Compression) -> Format:
    for magic, what, fix in _MAGIC:
        if text.startswith(magic):
            raise SequenceFormatError(filename, None, f"this is {what}, not a sequence file: {fix}")
    if text[257:262] == b"ustar":
        raise SequenceFormatError(
            filename,
            None,
            "this is a tar archive, not a sequence file: unpack it and upload the sequence "
            "file (gzip is fine)",
        )
    body = text.lstrip(b" \t\r\n")
    line = 1 + text.count(b"\n", 0, len(text) - len(body))
    if not body:
        raise SequenceFormatError(filename, None, "the file holds only blank lines")
    if body.startswith(b">"):
        return Format.FASTA
    if body.startswith(b"@"):
        if body.startswith(_SAM_HEADERS):
            raise SequenceFormatError(
                filename,
                line,
                "this is a SAM alignment file, not FASTQ: convert it (samtools fastq) first",
            )
        return Format.FASTQ
    if body.startswith(b"LOCUS"):
        return Format.GENBANK
    if body.startswith(b"ID   "):
        return Format.EMBL
    sample = body[:4096]
    if b"\x00" in sample or sum(b not in _TEXT_BYTES for b in sample) > len(sample) // 10:
        raise SequenceFormatError(
            filename,
            None,
            "this is binary data, not a sequence file: upload FASTA, FASTQ, GenBank or EMBL "
            "(plain or gzip)",
        )
    first = body.split(b"\n", 1)[0][:40].decode("utf-8", "replace").rstrip("\r")
    inside = " inside the gzip" if compression is Compression.GZIP else ""
    raise SequenceFormatError(
        filename,
        line,
        f"the text{inside} starts with '{first}', which is not FASTA ('>'), FASTQ ('@'), "
        "GenBank ('LOCUS') or EMBL ('ID   '): upload one of those formats",
    )


def validate(path: Path, filename: str, *, on_progress: Progress | None = None) -> Inventory:
    """Check the whole file strictly and summarise it; raise at the first problem.

    ``on_progress(bytes_read, file_size)`` is called at most ten times a second with the
    bytes of the file on disk read so far (compressed bytes for gzip), and once at the end;
    an exception it raises stops the check and propagates (a way to cancel). Memory does not
    grow with the file or its lines: text is read in blocks of 8 MiB; a FASTA sequence line
    is checked in pieces as it arrives; a FASTQ read is checked whole, so its text may be at
    most 32 MiB (``_fastq_scan.READ_BYTES_MAX``, reads of ~16 Mb); GenBank and EMBL sequence
    lines are counted here, never held, and a record may have at most 250,000 features and
    64 MiB of header and feature text, lines at most 16 MiB (``_insdc_scan``). FASTA,
    GenBank and EMBL keep one length and one id per record (ids for the duplicate check).
    """
    fmt, compression = sniff(path, filename)
    is_gzip = compression is Compression.GZIP
    if fmt is Format.FASTQ:
        stats = _fastq(path, filename, is_gzip, on_progress)
        return Inventory(fmt, compression, stats.reads, stats.bases, (), stats, None)
    with Blocks(path, is_gzip=is_gzip, on_progress=on_progress) as blocks:
        if fmt is Format.FASTA:
            scanner = FastaScanner(filename)
            try:
                for block in blocks:
                    scanner.feed(block)
            except GzipDamage as damage:
                raise SequenceFormatError(filename, scanner.line_reached, damage.problem) from None
            scanner.finish()
            infos, lengths, gc, n = scanner.record_infos, scanner.lengths, scanner.gc, scanner.n
        else:
            flavour: Flavour = "genbank" if fmt is Format.GENBANK else "embl"
            infos, lengths, gc, n = scan_insdc(filename, blocks, flavour)
    summary = assembly_stats(lengths, gc, n)
    return Inventory(
        fmt,
        compression,
        summary.records,
        summary.total_length,
        tuple(RecordInfo(*info) for info in infos),
        None,
        summary,
    )


def read_stats(path: Path, filename: str, *, on_progress: Progress | None = None) -> ReadStats:
    """Read statistics of a FASTQ file (plain or gzip), checking it as :func:`validate` does."""
    fmt, compression = sniff(path, filename)
    if fmt is not Format.FASTQ:
        raise SequenceFormatError(
            filename,
            None,
            f"this is {_NAMES[fmt]}, not FASTQ: read statistics need reads with qualities",
        )
    return _fastq(path, filename, compression is Compression.GZIP, on_progress)


def _fastq(path: Path, filename: str, is_gzip: bool, on_progress: Progress | None) -> ReadStats:
    scanner = FastqScanner(filename)
    with Blocks(path, is_gzip=is_gzip, on_progress=on_progress) as blocks:
        try:
            for block in blocks:
                scanner.feed(block)
        except GzipDamage as damage:
            raise SequenceFormatError(filename, scanner.line_reached, damage.problem) from None
        tally = scanner.finish()
    return tally.result()
