"""The sequence explorer's work: parsed records, GC windows, CDS, ORFs, motifs, regions,
alignments, each computed once per file content and kept in a disk cache.

Cache keys start with the dataset's SHA-256, so a result can never be that of other bytes,
and every process (web threads, job workers) shares the same cache. The science is
:mod:`analysis.sequences`; this module checks the caller's input and fetches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import diskcache
from Bio.Seq import reverse_complement

from analysis.sequences import (
    ALIGN_MAX_BP,
    CdsRow,
    Feature,
    GcWindows,
    MotifResult,
    Orf,
    PairAlignment,
    Record,
    align_pair,
    cds_rows,
    feature_sequence,
    find_motif,
    find_orfs,
    gc_windows,
    load_records,
    to_fasta,
)
from dashboard.db import Database

from . import datasets
from .blobs import BlobStore
from .errors import NotFound, ValidationFailed

T = TypeVar("T")
CACHE_BYTES = 4 * 1024**3
WINDOW_MIN, WINDOW_MAX = 10, 1_000_000
ORF_MIN_NT, ORF_MAX_NT = 30, 100_000
REGION_MAX_BP = 10_000_000
GENETIC_CODES = (1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 21, 22, 23, 24, 25, 26)
START_CODONS = ("ATG", "GTG", "TTG", "CTG", "ATT", "ATC", "ATA")
CODON_RE = re.compile(r"^[ACGT]{3}$")
FEATURE_TYPES_SHOWN = ("gene", "CDS", "rRNA", "tRNA", "ncRNA", "tmRNA", "misc_RNA")
CACHE_VERSION = "1"  # bump when a cached result's shape changes


@dataclass(frozen=True)
class DataFiles:
    """Where datasets' bytes and the results computed from them are kept."""

    store: BlobStore
    cache: diskcache.Cache

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> DataFiles:
        """The files of an app whose data directory is ``data_dir``."""
        cache = diskcache.Cache(
            str(data_dir / "cache" / "sequences"),
            size_limit=CACHE_BYTES,
            eviction_policy="least-recently-used",
        )
        return cls(BlobStore.in_data_dir(data_dir), cache)


def _cached(files: DataFiles, key: str, compute: Callable[[], T]) -> T:
    full = f"v{CACHE_VERSION}:{key}"
    found = files.cache.get(full, default=None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    files.cache.set(full, value)
    return value


def _annotated(db: Database, dataset_id: int) -> datasets.DatasetView:
    dataset = datasets.get_dataset(db, dataset_id)
    if dataset.is_reads:
        raise ValidationFailed(
            f"Dataset {dataset_id} holds reads (FASTQ): see its read statistics; the explorer "
            "shows genomes and assemblies.",
            field="dataset",
        )
    return dataset


def records(db: Database, files: DataFiles, dataset_id: int) -> list[Record]:
    """Every record of a genome or assembly, parsed once per file content."""
    dataset = _annotated(db, dataset_id)
    path = datasets.content_path(files.store, dataset)
    return _cached(
        files,
        f"{dataset.sha256}:records",
        lambda: load_records(path, dataset.format, dataset.compression),
    )


def record(db: Database, files: DataFiles, dataset_id: int, record_id: str | None) -> Record:
    """One record by id (the first when ``record_id`` is empty)."""
    found = records(db, files, dataset_id)
    if not found:
        raise NotFound(f"Dataset {dataset_id} has no records.")
    if not record_id:
        return found[0]
    for rec in found:
        if rec.id == record_id:
            return rec
    raise NotFound(f"Dataset {dataset_id} has no record {record_id[:80]!r}.")


def _sha(db: Database, dataset_id: int) -> str:
    return datasets.get_dataset(db, dataset_id).sha256


def _int(raw: object, label: str, low: int, high: int, key: str) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(f"{label} must be a whole number.", field=key) from None
    if not low <= value <= high:
        raise ValidationFailed(f"{label} must be between {low:,} and {high:,}.", field=key)
    return value


def gc(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    window: object,
    step: object,
) -> GcWindows:
    """GC content and skew in windows of ``window`` bp every ``step`` bp."""
    rec = record(db, files, dataset_id, record_id)
    size = _int(
        window, "Window", WINDOW_MIN, min(WINDOW_MAX, max(WINDOW_MIN, rec.length)), "window"
    )
    stride = _int(step, "Step", 1, WINDOW_MAX, "step")
    key = f"{_sha(db, dataset_id)}:gc:{rec.id}:{size}:{stride}"
    return _cached(files, key, lambda: gc_windows(rec.sequence, size, stride))


def features(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    feature_type: str | None = None,
) -> list[Feature]:
    """The record's annotated features, optionally of one type (``CDS``, ``tRNA``…)."""
    rec = record(db, files, dataset_id, record_id)
    if feature_type:
        return [f for f in rec.features if f.type == feature_type]
    return list(rec.features)


def cds(db: Database, files: DataFiles, dataset_id: int, record_id: str | None) -> list[CdsRow]:
    """Every CDS with its translation computed from the sequence and checked against the
    annotated one."""
    rec = record(db, files, dataset_id, record_id)
    return _cached(files, f"{_sha(db, dataset_id)}:cds:{rec.id}", lambda: cds_rows(rec))


def all_cds(db: Database, files: DataFiles, dataset_id: int) -> list[CdsRow]:
    """The CDS of every record of the dataset."""
    return [
        row for rec in records(db, files, dataset_id) for row in cds(db, files, dataset_id, rec.id)
    ]


def parse_starts(raw: object) -> tuple[str, ...]:
    """Start codons from a list or a comma-separated text."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not items:
        raise ValidationFailed("Give at least one start codon, e.g. ATG.", field="starts")
    codons = tuple(dict.fromkeys(str(c).strip().upper() for c in items))
    for codon in codons:
        if not CODON_RE.fullmatch(codon):
            raise ValidationFailed(
                f"{codon[:10]!r} is not a codon: three of A, C, G and T.", field="starts"
            )
    return codons


def genetic_code(raw: object) -> int:
    """An NCBI genetic code (translation table) number."""
    table = _int(raw, "Genetic code", 1, 33, "table")
    if table not in GENETIC_CODES:
        raise ValidationFailed(
            f"Genetic code {table} is not an NCBI translation table; use one of "
            f"{', '.join(map(str, GENETIC_CODES))} (11 for bacteria).",
            field="table",
        )
    return table


def orfs(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    *,
    min_length_nt: object = 300,
    table: object = 11,
    starts: object = ("ATG", "GTG", "TTG"),
) -> list[Orf]:
    """Open reading frames in all six frames."""
    rec = record(db, files, dataset_id, record_id)
    minimum = _int(min_length_nt, "Minimum length (nt)", ORF_MIN_NT, ORF_MAX_NT, "min_length")
    code = genetic_code(table)
    codons = parse_starts(starts)
    key = f"{_sha(db, dataset_id)}:orfs:{rec.id}:{minimum}:{code}:{','.join(codons)}"
    return _cached(
        files,
        key,
        lambda: find_orfs(rec.sequence, min_length_nt=minimum, table=code, starts=codons),
    )


def motif(
    db: Database, files: DataFiles, dataset_id: int, record_id: str | None, pattern: str
) -> MotifResult:
    """Hits of an IUPAC motif or primer on both strands."""
    rec = record(db, files, dataset_id, record_id)
    try:
        return find_motif(rec.sequence, pattern.strip())
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="motif") from None


def _span(rec: Record, start: object, end: object) -> tuple[int, int]:
    """1-based inclusive coordinates as people write them → 0-based half-open."""
    first = _int(start, "Start", 1, rec.length, "start")
    last = _int(end, "End", 1, rec.length, "end")
    if last < first:
        raise ValidationFailed(f"End ({last:,}) is before start ({first:,}).", field="end")
    if last - first + 1 > REGION_MAX_BP:
        raise ValidationFailed(f"A region may span at most {REGION_MAX_BP:,} bp.", field="end")
    return first - 1, last


def region_sequence(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    start: object,
    end: object,
) -> tuple[Record, int, int, str]:
    """The bases of ``start..end`` (1-based, inclusive) of a record."""
    rec = record(db, files, dataset_id, record_id)
    begin, stop = _span(rec, start, end)
    return rec, begin, stop, rec.sequence[begin:stop]


def region_fasta(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    start: object,
    end: object,
) -> str:
    """A region as FASTA, its header naming the record and 1-based coordinates."""
    rec, begin, stop, bases = region_sequence(db, files, dataset_id, record_id, start, end)
    return to_fasta([(f"{rec.id}:{begin + 1}-{stop}", bases)])


def orfs_fasta(rec: Record, found: list[Orf], *, protein: bool) -> str:
    """ORFs as FASTA: proteins, or nucleotides read on the ORF's own strand."""
    entries = []
    for orf in found:
        strand = "+" if orf.strand > 0 else "-"
        label = (
            f"{rec.id}:{orf.start + 1}-{orf.end}({strand}) frame {orf.frame:+d} {orf.length_nt} nt"
        )
        bases = rec.sequence[orf.start : orf.end]
        entries.append(
            (
                label,
                orf.protein
                if protein
                else (bases if orf.strand > 0 else reverse_complement(bases)),
            )
        )
    return to_fasta(entries)


def cds_fasta(rows: list[CdsRow], rec: Record | None, *, protein: bool) -> str:
    """CDS as FASTA: proteins (computed translations) or spliced nucleotides."""
    entries = []
    for row in rows:
        name = row.locus_tag or row.protein_id or f"{row.record}:{row.start + 1}-{row.end}"
        label = " ".join(x for x in (name, row.gene, row.product and f"[{row.product}]") if x)
        if protein:
            entries.append((label, row.translation))
        elif rec is not None:
            feature = _feature_at(rec, row)
            if feature is not None:
                entries.append((label, feature_sequence(rec, feature)))
    return to_fasta(entries)


def _feature_at(rec: Record, row: CdsRow) -> Feature | None:
    for f in rec.features:
        if f.type == "CDS" and f.start == row.start and f.end == row.end and f.strand == row.strand:
            return f
    return None


def align(
    db: Database,
    files: DataFiles,
    first: tuple[int, str | None, object, object],
    second: tuple[int, str | None, object, object],
) -> PairAlignment:
    """Align two regions (dataset, record, start, end; 1-based inclusive) globally."""
    seqs = []
    for dataset_id, record_id, start, end in (first, second):
        _rec, begin, stop, bases = region_sequence(db, files, dataset_id, record_id, start, end)
        if stop - begin > ALIGN_MAX_BP:
            raise ValidationFailed(
                f"Each region to align may span at most {ALIGN_MAX_BP:,} bp "
                f"(got {stop - begin:,}); pick a gene or a shorter region.",
                field="end",
            )
        seqs.append(bases)
    return align_pair(seqs[0], seqs[1])
