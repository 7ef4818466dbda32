"""The sequence explorer's work: parsed records, GC windows, CDS, ORFs, motifs, regions,
alignments, each computed once per file content and kept in a disk cache.

Cache keys start with the dataset's SHA-256, so a result can never be that of other bytes,
and every process (web threads, job workers) shares the same cache. The science is
:mod:`analysis.sequences`; this module checks the caller's input and fetches.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import diskcache
import numpy as np
import numpy.typing as npt
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
from .errors import FieldErrors, NotFound, ValidationFailed

T = TypeVar("T")
CACHE_BYTES = 4 * 1024**3
WINDOW_MIN, WINDOW_MAX = 10, 1_000_000
ORF_MIN_NT, ORF_MAX_NT = 30, 100_000
REGION_MAX_BP = 10_000_000
GENETIC_CODES = (1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 21, 22, 23, 24, 25, 26)
START_CODONS = ("ATG", "GTG", "TTG", "CTG", "ATT", "ATC", "ATA")
CODON_RE = re.compile(r"^[ACGT]{3}$")
FEATURE_TYPES_SHOWN = ("gene", "CDS", "rRNA", "tRNA", "ncRNA", "tmRNA", "misc_RNA")
log = logging.getLogger("microspacegen.explorer")
PREPARED_RECORDS = 20  # an assembly's first (longest, usually) contigs
# Parsing holds a record's bases several times over (~20 bytes a base at the peak), so the
# explorer stops at 20 Mb: the largest bacterial genomes are about 16 Mb.
EXPLORER_MAX_BP = 20_000_000
CACHE_VERSION = "1"  # bump when a cached result's shape changes
# Thousands separators people type or paste in positions: 1,234,567 / 1 234 567 / 1_234_567.
SEPARATORS = re.compile(r"(?<=\d)[,_\s\u00a0\u202f'](?=\d)")
GC_WINDOWS_MAX = 1_000_000  # windows per record (a step of 1 on a 5 Mb genome is 5 million)
REGION_SHOWN_MAX = 10_000  # bases a page shows of a region (downloads have them all)


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


def round_125(value: float) -> int:
    """The nearest of 1, 2, 5, 10, 20, 50 … (a round number people type).

    >>> [round_125(v) for v in (1, 3, 48, 140, 26_000, 4_200_000)]
    [1, 2, 50, 100, 20000, 5000000]
    """
    if value <= 1:
        return 1
    exponent = math.floor(math.log10(value))
    candidates = [m * 10**e for e in (exponent, exponent + 1) for m in (1, 2, 5)]
    return int(min(candidates, key=lambda c: (abs(math.log(c / value)), c)))


def default_window(length: int) -> tuple[int, int]:
    """A GC window about 1/200 of the record (a round number, at least 10 bp) and a step of
    a fifth of it, so a record shows about a thousand windows.

    >>> default_window(9_609), default_window(5_200_000), default_window(40)
    ((50, 10), (20000, 4000), (10, 2))
    """
    window = max(10, round_125(length / 200))
    window = min(window, max(length, 1))
    return window, max(1, window // 5)


def prepare(db: Database, files: DataFiles, dataset_id: int) -> None:
    """Parse a genome or assembly and compute what the explorer shows first (summary, map,
    CDS table) for its first records, so the page opens on cached data; run at import."""
    if not can_explore(datasets.get_dataset(db, dataset_id)):
        return
    for rec in datasets.records(db, dataset_id)[:PREPARED_RECORDS]:
        summary(db, files, dataset_id, rec.id)
        window, step = default_window(rec.length)
        if rec.length >= WINDOW_MIN:
            track(db, files, dataset_id, rec.id, window, step)
        cds(db, files, dataset_id, rec.id)


def warm(db: Database, files: DataFiles, dataset_id: int) -> bool:
    """:func:`prepare` after an import: a failure here must not undo the import (the
    explorer will say what is wrong when opened), so it is logged, not raised."""
    try:
        prepare(db, files, dataset_id)
    except Exception:  # the import stands whatever happens here
        log.warning("could not prepare dataset %s for the explorer", dataset_id, exc_info=True)
        return False
    return True


def _cached(files: DataFiles, key: str, compute: Callable[[], T]) -> T:
    full = f"v{CACHE_VERSION}:{key}"
    found = files.cache.get(full, default=None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    files.cache.set(full, value)
    return value


def can_explore(dataset: datasets.DatasetView) -> bool:
    """Whether the explorer opens this dataset (a genome or assembly it can hold)."""
    return dataset.is_sequence and not dataset.is_reads and dataset.total_length <= EXPLORER_MAX_BP


def _annotated(db: Database, dataset_id: int) -> datasets.DatasetView:
    dataset = datasets.get_dataset(db, dataset_id)
    if dataset.is_reads:
        raise ValidationFailed(
            f"Dataset {dataset_id} holds reads (FASTQ): see its read statistics; the explorer "
            "shows genomes and assemblies.",
            field="dataset",
        )
    if not dataset.is_sequence:
        raise ValidationFailed(
            f"Dataset {dataset_id} holds {dataset.material} ({dataset.format}), not sequences; "
            "the explorer shows genomes and assemblies.",
            field="dataset",
        )
    if dataset.total_length > EXPLORER_MAX_BP:
        # Parsing keeps the sequence in memory (about 20 bytes a base at the peak).
        raise ValidationFailed(
            f"Dataset {dataset_id} holds {dataset.total_length / 1e6:,.0f} Mb; the explorer "
            f"opens genomes and assemblies up to {EXPLORER_MAX_BP / 1e6:,.0f} Mb (microbes are "
            "under 20). Its statistics are on its dataset page.",
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


@dataclass(frozen=True)
class _Where:
    """A record located without parsing its file: the dataset (hence the bytes' SHA-256),
    the record's id and length."""

    dataset: datasets.DatasetView
    record_id: str
    length: int

    def key(self, what: str, *parts: object) -> str:
        """The cache key of ``what`` computed from this record's bytes."""
        return ":".join([self.dataset.sha256, what, self.record_id, *map(str, parts)])


def _where(db: Database, files: DataFiles, dataset_id: int, record_id: str | None) -> _Where:
    """Locate a record from the database's list of records (no parsing); parse only when
    the list cannot say (an id longer than the column keeps, a dataset without the list)."""
    dataset = _annotated(db, dataset_id)
    rows = datasets.records(db, dataset_id)
    if record_id:
        row = next((r for r in rows if r.id == record_id), None)
    else:
        row = rows[0] if rows else None
    if row is not None and len(row.id) < datasets.RECORD_ID_MAX:
        return _Where(dataset, row.id, row.length)
    rec = record(db, files, dataset_id, record_id)
    return _Where(dataset, rec.id, rec.length)


def _parsed(db: Database, files: DataFiles, where: _Where) -> Record:
    return record(db, files, where.dataset.id, where.record_id)


def _sequence(db: Database, files: DataFiles, where: _Where) -> str:
    """The record's bases, cached on their own (reading them back takes a millisecond;
    the parsed record with thousands of features takes tens)."""
    return _cached(files, where.key("sequence"), lambda: _parsed(db, files, where).sequence)


def _int(raw: object, label: str, low: int, high: int, key: str) -> int:
    text = SEPARATORS.sub("", str(raw)) if isinstance(raw, str) else str(raw)
    try:
        value = int(text.strip())
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
    return _gc(db, files, _where(db, files, dataset_id, record_id), window, step)


def _gc(db: Database, files: DataFiles, where: _Where, window: object, step: object) -> GcWindows:
    length = where.length
    size = _int(window, "Window", WINDOW_MIN, min(WINDOW_MAX, max(WINDOW_MIN, length)), "window")
    stride = _int(step, "Step", 1, WINDOW_MAX, "step")
    if size > length:
        raise ValidationFailed(
            f"{where.record_id} has only {length:,} bp: too short for GC windows of "
            f"{WINDOW_MIN} bp.",
            field="window",
        )
    count = (length - size) // stride + 1
    if count > GC_WINDOWS_MAX:
        least = -(-(length - size + 1) // GC_WINDOWS_MAX)
        raise ValidationFailed(
            f"A step of {stride:,} bp gives {count:,} windows on {where.record_id} "
            f"({length:,} bp); use a step of at least {least:,} bp.",
            field="step",
        )
    return _cached(
        files,
        where.key("gc", size, stride),
        lambda: gc_windows(_sequence(db, files, where), size, stride),
    )


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
    where = _where(db, files, dataset_id, record_id)
    return _cached(files, where.key("cds"), lambda: cds_rows(_parsed(db, files, where)))


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


def genetic_code_names() -> dict[int, str]:
    """The NCBI name of each genetic code offered (11: "Bacterial, Archaeal and Plant
    Plastid")."""
    from Bio.Data import CodonTable

    return {t: CodonTable.unambiguous_dna_by_id[t].names[0] for t in GENETIC_CODES}


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


@dataclass(frozen=True)
class OrfOptions:
    """What the ORF finder looks for (checked by :func:`orf_options`)."""

    min_length_nt: int = 300
    table: int = 11
    starts: tuple[str, ...] = ("ATG", "GTG", "TTG")


def orf_options(
    min_length_nt: object = 300,
    table: object = 11,
    starts: object = ("ATG", "GTG", "TTG"),
) -> OrfOptions:
    """Check the ORF finder's input; every bad field is named in one ValidationFailed."""
    found = FieldErrors()
    minimum = found.check(
        lambda: _int(min_length_nt, "Minimum length (nt)", ORF_MIN_NT, ORF_MAX_NT, "min_length"),
        0,
    )
    code = found.check(lambda: genetic_code(table), 0)
    none: tuple[str, ...] = ()
    codons = found.check(lambda: parse_starts(starts), none)
    found.raise_if_any()
    return OrfOptions(minimum, code, codons)


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
    where = _where(db, files, dataset_id, record_id)
    return _orfs(db, files, where, orf_options(min_length_nt, table, starts))


def _orfs(db: Database, files: DataFiles, where: _Where, options: OrfOptions) -> list[Orf]:
    return _cached(
        files,
        where.key("orfs", options.min_length_nt, options.table, ",".join(options.starts)),
        lambda: find_orfs(
            _sequence(db, files, where),
            min_length_nt=options.min_length_nt,
            table=options.table,
            starts=options.starts,
        ),
    )


def motif(
    db: Database, files: DataFiles, dataset_id: int, record_id: str | None, pattern: str
) -> MotifResult:
    """Hits of an IUPAC motif or primer on both strands."""
    where = _where(db, files, dataset_id, record_id)
    return _motif(db, files, where, check_motif(pattern))


def _motif(db: Database, files: DataFiles, where: _Where, motif: str) -> MotifResult:
    return _cached(
        files,
        where.key("motif", motif),
        lambda: find_motif(_sequence(db, files, where), motif),
    )


def _span(
    length: int, start: object, end: object, max_bp: int | None = REGION_MAX_BP
) -> tuple[int, int]:
    """1-based inclusive coordinates as people write them → 0-based half-open."""
    found = FieldErrors()
    first = found.check(lambda: _int(start, "Start", 1, length, "start"), 0)
    last = found.check(lambda: _int(end, "End", 1, length, "end"), 0)
    found.raise_if_any()
    if last < first:
        raise ValidationFailed(f"End ({last:,}) is before start ({first:,}).", field="end")
    if max_bp is not None and last - first + 1 > max_bp:
        raise ValidationFailed(f"A region may span at most {max_bp:,} bp.", field="end")
    return first - 1, last


def view_range(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    start: object,
    end: object,
) -> tuple[int, int]:
    """``start..end`` (1-based, inclusive, thousands separators allowed) checked against
    the record: the bases a page is asked to show."""
    where = _where(db, files, dataset_id, record_id)
    begin, stop = _span(where.length, start, end, max_bp=None)
    return begin + 1, stop


def check_motif(pattern: object) -> str:
    """A motif as searched (upper case, U as T), or ValidationFailed naming the bad letter."""
    text = pattern.strip() if isinstance(pattern, str) else ""
    if not text:
        raise ValidationFailed("Type a motif, e.g. GAATTC or TTGACA.", field="motif")
    try:
        return find_motif("", text).motif  # checks the motif; nothing to search
    except ValueError as exc:
        message = str(exc)
        raise ValidationFailed(message[:1].upper() + message[1:] + ".", field="motif") from None


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
    begin, stop = _span(rec.length, start, end)
    return rec, begin, stop, rec.sequence[begin:stop]


def _bases(
    db: Database,
    files: DataFiles,
    where: _Where,
    start: object,
    end: object,
    max_bp: int | None = REGION_MAX_BP,
) -> tuple[int, int, str]:
    """``start..end`` (1-based, inclusive) checked, as 0-based bounds and the bases."""
    begin, stop = _span(where.length, start, end, max_bp)
    return begin, stop, _sequence(db, files, where)[begin:stop]


def region_fasta(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    start: object,
    end: object,
) -> str:
    """A region as FASTA, its header naming the record and 1-based coordinates."""
    where = _where(db, files, dataset_id, record_id)
    begin, stop, bases = _bases(db, files, where, start, end)
    return to_fasta([(f"{where.record_id}:{begin + 1}-{stop}", bases)])


def orfs_fasta(rec: Record, found: list[Orf], *, protein: bool) -> str:
    """ORFs as FASTA: proteins, or nucleotides read on the ORF's own strand."""
    entries = []
    for orf in found:
        strand = "+" if orf.strand > 0 else "-"
        label = (
            f"{rec.id}:{orf.start + 1}-{orf.end}({strand}) frame {orf.frame:+d} {orf.length_nt} nt"
        )
        bases = rec.sequence[orf.start : orf.end]
        if orf.strand < 0:
            bases = reverse_complement(bases)  # type: ignore[no-untyped-call]
        entries.append((label, orf.protein if protein else bases))
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
    """Align two regions (dataset, record, start, end; 1-based inclusive) globally.

    A bad coordinate is named per region: ``first.start``, ``second.end``…
    """
    seqs = []
    for name, (dataset_id, record_id, start, end) in (("first", first), ("second", second)):
        label = "A" if name == "first" else "B"
        try:
            where = _where(db, files, dataset_id, record_id)
            begin, stop, bases = _bases(db, files, where, start, end)
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"Region {label}: {exc.message}", field=f"{name}.{exc.field or 'start'}"
            ) from None
        if stop - begin > ALIGN_MAX_BP:
            raise ValidationFailed(
                f"Region {label}: each region to align may span at most {ALIGN_MAX_BP:,} bp "
                f"(got {stop - begin:,}); pick a gene or a shorter region.",
                field=f"{name}.end",
            )
        seqs.append(bases)
    try:
        return align_pair(seqs[0], seqs[1])
    except ValueError as exc:  # the product of the lengths is past ALIGN_MAX_CELLS
        message = str(exc)
        raise ValidationFailed(
            message[:1].upper() + message[1:] + ".", field="second.end"
        ) from None


# --- what the explorer page shows at once --------------------------------------------------


@dataclass(frozen=True)
class RecordSummary:
    """A record at a glance: its size, GC and annotation by feature type."""

    id: str
    description: str
    length: int
    topology: str
    gc_fraction: float
    feature_counts: dict[str, int] = field(default_factory=dict)


def is_parsed(db: Database, files: DataFiles, dataset_id: int) -> bool:
    """Whether the dataset's records are cached already (the first open parses the file)."""
    dataset = datasets.get_dataset(db, dataset_id)
    return f"v{CACHE_VERSION}:{dataset.sha256}:records" in files.cache


def _gc_fraction(bases: str) -> float:
    """GC fraction as :func:`gc_windows` counts it (one window over all of ``bases``)."""
    if not bases:
        return 0.0
    return float(gc_windows(bases, len(bases), len(bases)).gc[0])


def summary(
    db: Database, files: DataFiles, dataset_id: int, record_id: str | None
) -> RecordSummary:
    """Length, topology, GC fraction and feature counts of a record (parsing it first)."""
    where = _where(db, files, dataset_id, record_id)

    def compute() -> RecordSummary:
        rec = _parsed(db, files, where)
        counts = Counter(f.type for f in rec.features)
        return RecordSummary(
            id=rec.id,
            description=rec.description,
            length=rec.length,
            topology=rec.topology,
            gc_fraction=_gc_fraction(rec.sequence),
            feature_counts=dict(counts.most_common()),
        )

    return _cached(files, where.key("summary"), compute)


I64 = npt.NDArray[np.int64]


def _ints(values: Sequence[int]) -> I64:
    return np.array(values, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class FeatureTable:
    """A record's features as columns: row ``i`` is ``record.features[i]``.

    Columns of numbers and tuples of text cache and read back in a millisecond, where
    thousands of :class:`Feature` objects take tens. Coordinates are 0-based half-open as
    in :class:`Feature`; ``spliced`` is the bases its parts cover, ``parts`` how many there
    are; ``cds_index`` is a CDS's place in :func:`cds` (-1 for other types).
    """

    type: tuple[str, ...]
    start: I64
    end: I64
    strand: I64
    spliced: I64
    parts: I64
    cds_index: I64
    locus_tag: tuple[str, ...]
    gene: tuple[str, ...]
    product: tuple[str, ...]
    protein_id: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.type)

    @classmethod
    def of(cls, features: Sequence[Feature]) -> FeatureTable:
        """The columns of ``features``."""
        is_cds = np.array([f.type == "CDS" for f in features], dtype=bool)
        numbers = np.cumsum(is_cds, dtype=np.int64) - 1
        return cls(
            type=tuple(f.type for f in features),
            start=_ints([f.start for f in features]),
            end=_ints([f.end for f in features]),
            strand=_ints([f.strand for f in features]),
            spliced=_ints([f.length for f in features]),
            parts=_ints([len(f.parts) for f in features]),
            cds_index=np.where(is_cds, numbers, -1).astype(np.int64),
            locus_tag=tuple(f.locus_tag for f in features),
            gene=tuple(f.gene for f in features),
            product=tuple(f.product for f in features),
            protein_id=tuple(f.protein_id for f in features),
        )


def feature_table(
    db: Database, files: DataFiles, dataset_id: int, record_id: str | None
) -> FeatureTable:
    """The record's features as columns (for drawing thousands of them quickly)."""
    return _feature_table(db, files, _where(db, files, dataset_id, record_id))


def _feature_table(db: Database, files: DataFiles, where: _Where) -> FeatureTable:
    return _cached(
        files,
        where.key("feature_table"),
        lambda: FeatureTable.of(_parsed(db, files, where).features),
    )


@dataclass(frozen=True, eq=False)
class SpanTable:
    """ORFs or motif hits as columns, 0-based half-open: where they are, on which strand,
    and one line of text each (an ORF's frame and length, a hit's bases)."""

    start: I64
    end: I64
    strand: I64
    text: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.text)


def _orf_table(db: Database, files: DataFiles, where: _Where, options: OrfOptions) -> SpanTable:
    def compute() -> SpanTable:
        found = _orfs(db, files, where, options)
        return SpanTable(
            start=_ints([o.start for o in found]),
            end=_ints([o.end for o in found]),
            strand=_ints([o.strand for o in found]),
            text=tuple(
                f"ORF, frame {o.frame:+d} · {o.length_nt:,} nt, {len(o.protein):,} aa"
                for o in found
            ),
        )

    starts = ",".join(options.starts)
    key = where.key("orf_table", options.min_length_nt, options.table, starts)
    return _cached(files, key, compute)


def _hit_table(db: Database, files: DataFiles, where: _Where, motif: str) -> SpanTable:
    def compute() -> SpanTable:
        hits = _motif(db, files, where, motif).hits
        return SpanTable(
            start=_ints([h.start for h in hits]),
            end=_ints([h.end for h in hits]),
            strand=_ints([h.strand for h in hits]),
            text=tuple(h.matched for h in hits),
        )

    return _cached(files, where.key("hit_table", motif), compute)


@dataclass(frozen=True)
class Track:
    """Everything the explorer's genome map draws for one record."""

    record_id: str
    length: int
    gc: GcWindows
    gc_fraction: float
    features: FeatureTable
    orfs: SpanTable | None = None
    hits: SpanTable | None = None


def track(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    window: object,
    step: object,
    *,
    orf_search: OrfOptions | None = None,
    motif_pattern: str | None = None,
) -> Track:
    """The record's features, GC windows, and the ORFs and motif hits asked for, in one
    call; once cached, nothing here parses or reads the whole record."""
    where = _where(db, files, dataset_id, record_id)
    windows = _gc(db, files, where, window, step)
    gc_fraction = _cached(
        files, where.key("gc_fraction"), lambda: _gc_fraction(_sequence(db, files, where))
    )
    orf_spans = _orf_table(db, files, where, orf_search) if orf_search is not None else None
    hit_spans = _hit_table(db, files, where, check_motif(motif_pattern)) if motif_pattern else None
    return Track(
        record_id=where.record_id,
        length=where.length,
        gc=windows,
        gc_fraction=gc_fraction,
        features=_feature_table(db, files, where),
        orfs=orf_spans,
        hits=hit_spans,
    )


@dataclass(frozen=True)
class RegionView:
    """A region as a page shows it: 1-based inclusive bounds, GC, and its first bases."""

    record_id: str
    start: int
    end: int
    gc_fraction: float
    bases: str  # at most REGION_SHOWN_MAX bases from ``start``
    is_truncated: bool

    @property
    def length(self) -> int:
        """Bases in the region."""
        return self.end - self.start + 1


def region_view(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    record_id: str | None,
    start: object,
    end: object,
) -> RegionView:
    """``start..end`` (1-based, inclusive) of a record: its GC and up to
    ``REGION_SHOWN_MAX`` of its bases (any span: the whole of a large chromosome too)."""
    where = _where(db, files, dataset_id, record_id)
    begin, stop, bases = _bases(db, files, where, start, end, max_bp=None)
    return RegionView(
        record_id=where.record_id,
        start=begin + 1,
        end=stop,
        gc_fraction=_gc_fraction(bases),
        bases=bases[:REGION_SHOWN_MAX],
        is_truncated=len(bases) > REGION_SHOWN_MAX,
    )


def cds_protein_fasta(
    db: Database, files: DataFiles, dataset_id: int, record_id: str | None, index: object
) -> tuple[CdsRow, str]:
    """One CDS (by its place in :func:`cds`) and its computed protein as FASTA."""
    rows = cds(db, files, dataset_id, record_id)
    if not rows:
        raise NotFound(f"Record {record_id or ''} of dataset {dataset_id} has no CDS.")
    row = rows[_int(index, "CDS", 0, len(rows) - 1, "cds")]
    return row, cds_fasta([row], None, protein=True)
