"""Reads aligned to the reference with minimap2 (``mappy``), in flat batches for the pileup.

minimap2's short-read preset (k=21, w=11) loses many reads under 50 bp: for short reads the
index uses k=13, w=5 and lower chain and alignment score floors, which maps breseq's 36 bp
test reads at 99.8 % (the preset: 56 %). Each batch holds every primary alignment's read,
turned to the reference strand, with its qualities and CIGAR, so the numba pileup never
touches Python objects.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import os
import queue
import re
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mappy
import numpy as np
import numpy.typing as npt

from analysis.mutations.errors import MutationInputError
from analysis.mutations.reference import Reference, encode

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U8 = npt.NDArray[np.uint8]

SHORT_READS = 70  # bases: below this median length the short-read index is used
# Bases appended after a circular record for the index: longer than any read or pair span
# the caller expects, so reads across the origin align in one piece.
CIRCULAR_OVERHANG = 1_000
DEFAULT_QUALITY = 30  # for reads given as FASTA (no qualities)
_COMPLEMENT = bytes.maketrans(b"ACGTNacgtn", b"TGCANtgcan")
_COLUMNS = (
    "read_offset",
    "read_length",
    "query_start",
    "contig",
    "ref_start",
    "ref_end",
    "strand",
    "unique",
    "cigar_offset",
    "cigar_count",
    "clipped_left",
    "clipped_right",
)
CHUNK = 2_000  # reads (or pairs) a mapping thread takes at a time
_MATE_SUFFIX = re.compile(r"/[12]$")


@dataclass(frozen=True)
class IndexSettings:
    """minimap2 index and chaining settings (mappy.Aligner keyword arguments)."""

    k: int
    w: int
    min_cnt: int
    min_chain_score: int
    min_dp_score: int
    # match, mismatch, gap open, gap extension, long-gap open, long-gap extension. Lower gap
    # costs than the short-read preset's (2,8,12,2,24,1): with them, reads show a 9 bp
    # insertion as a gap twice as often instead of clipping it (breseq's lambda repeat case).
    scoring: tuple[int, ...] = (2, 6, 6, 1, 12, 1)

    @staticmethod
    def for_length(median_length: int) -> IndexSettings:
        if median_length < SHORT_READS:
            return IndexSettings(k=13, w=5, min_cnt=2, min_chain_score=20, min_dp_score=25)
        return IndexSettings(k=21, w=11, min_cnt=2, min_chain_score=25, min_dp_score=40)


@dataclass
class Batch:
    """Alignments of a run of reads, flattened. Per alignment ``i``: its read (turned to the
    reference strand) is ``codes[read_offset[i] : read_offset[i] + read_length[i]]``, the
    aligned part starts at ``query_start[i]`` and walks ``cigar_length/op`` entries
    ``cigar_offset[i] .. + cigar_count[i]`` (ops: 0 match, 1 insertion, 2 deletion) from
    ``ref_start[i]`` on ``contig[i]`` (0-based, on the indexed sequence: a circular record's
    positions past its end fold back)."""

    codes: U8
    qualities: U8
    read_offset: I64
    read_length: I32
    query_start: I32
    contig: I32
    ref_start: I64
    ref_end: I64
    strand: npt.NDArray[np.int8]
    unique: npt.NDArray[np.bool_]
    cigar_offset: I64
    cigar_count: I32
    cigar_length: I32
    cigar_op: U8
    clipped_left: npt.NDArray[np.bool_]
    clipped_right: npt.NDArray[np.bool_]
    reads: int = 0

    @property
    def size(self) -> int:
        return int(self.contig.size)


# One aligned read, as a mapping thread hands it over: its bases and qualities turned to
# the reference strand, and where and how it aligned.
_Aligned = tuple[bytes, bytes, int, int, int, int, bool, int, list[list[int]]]


@dataclass
class _Collector:
    """Grows one batch's columns in Python lists, then freezes them into arrays."""

    seqs: list[bytes] = field(default_factory=list)
    quals: list[bytes] = field(default_factory=list)
    columns: dict[str, list[int]] = field(default_factory=lambda: {name: [] for name in _COLUMNS})
    cigar_length: list[int] = field(default_factory=list)
    cigar_op: list[int] = field(default_factory=list)
    read_bases: int = 0
    reads: int = 0

    def add(self, aligned: _Aligned) -> None:
        raw, quality, contig, r_st, r_en, strand, unique, q_start, cigar = aligned
        length = len(raw)
        cols = self.columns
        q_end = q_start + sum(n for n, op in cigar if op != 2)
        for name, value in zip(
            _COLUMNS,
            (
                self.read_bases,
                length,
                q_start,
                contig,
                r_st,
                r_en,
                strand,
                unique,
                len(self.cigar_op),
                len(cigar),
                q_start > 0,
                q_end < length,
            ),
            strict=True,
        ):
            cols[name].append(value)
        for count, op in cigar:
            self.cigar_length.append(count)
            self.cigar_op.append(op)
        self.seqs.append(raw)
        self.quals.append(quality)
        self.read_bases += length

    def freeze(self) -> Batch:
        cols = self.columns

        def col(key: str, dtype: type) -> Any:
            return np.asarray(cols.get(key, []), dtype=dtype)

        qualities = np.frombuffer(b"".join(self.quals), dtype=np.uint8)
        return Batch(
            codes=encode(b"".join(self.seqs)),
            qualities=np.clip(qualities.astype(np.int16) - 33, 0, 93).astype(np.uint8),
            read_offset=col("read_offset", np.int64),
            read_length=col("read_length", np.int32),
            query_start=col("query_start", np.int32),
            contig=col("contig", np.int32),
            ref_start=col("ref_start", np.int64),
            ref_end=col("ref_end", np.int64),
            strand=col("strand", np.int8),
            unique=col("unique", np.bool_),
            cigar_offset=col("cigar_offset", np.int64),
            cigar_count=col("cigar_count", np.int32),
            cigar_length=np.asarray(self.cigar_length, dtype=np.int32),
            cigar_op=np.asarray(self.cigar_op, dtype=np.uint8),
            clipped_left=col("clipped_left", np.bool_),
            clipped_right=col("clipped_right", np.bool_),
            reads=self.reads,
        )


class ReferenceIndex:
    """A minimap2 index of the reference (circular records with their overhang)."""

    def __init__(self, reference: Reference, settings: IndexSettings) -> None:
        self.reference = reference
        self.settings = settings
        with tempfile.TemporaryDirectory(prefix="msg-index-") as folder:
            fasta = Path(folder) / "reference.fa"
            with fasta.open("w", encoding="ascii") as out:
                for contig in reference.contigs:
                    seq = contig.sequence
                    if contig.circular:
                        seq += (seq * (1 + CIRCULAR_OVERHANG // len(seq)))[:CIRCULAR_OVERHANG]
                    out.write(f">c{contig.index}\n{seq}\n")
            self.aligner = mappy.Aligner(
                str(fasta),
                preset="sr",
                k=settings.k,
                w=settings.w,
                min_cnt=settings.min_cnt,
                min_chain_score=settings.min_chain_score,
                min_dp_score=settings.min_dp_score,
                scoring=list(settings.scoring),
                best_n=5,
            )
        if not self.aligner:
            raise MutationInputError("minimap2 could not index the reference")

    def _unique(self, primary: Any, hits: list[Any]) -> bool:
        """Whether the read has one place: mapq > 0, or its only equal rivals are the same
        place seen twice through a circular record's overhang."""
        if primary.mapq > 0:
            return True
        contig = self.reference.contigs[int(primary.ctg[1:])]
        if not contig.circular:
            return False
        here = contig.fold(primary.r_st)
        for hit in hits:
            if hit is primary or hit.blen < primary.blen - 2:
                continue
            if hit.ctg != primary.ctg or contig.fold(hit.r_st) != here:
                return False
        return True

    def _map_chunk(self, chunk: list[tuple[tuple[str, str | None], ...]]) -> list[_Aligned]:
        """Align a run of reads (in a worker thread: minimap2 releases the GIL)."""
        buffer = self._buffers.get()
        try:
            out: list[_Aligned] = []
            for mates in chunk:
                hits = list(self.aligner.map(*(seq for seq, _ in mates), buf=buffer))
                for number, (seq, qual) in enumerate(mates, start=1):
                    own = hits if len(mates) == 1 else [h for h in hits if h.read_num == number]
                    primary = next((h for h in own if h.is_primary), None)
                    if primary is not None and primary.cigar:
                        out.append(self._aligned(seq, qual, primary, self._unique(primary, own)))
            return out
        finally:
            self._buffers.put(buffer)

    @staticmethod
    def _aligned(seq: str, qual: str | None, hit: Any, unique: bool) -> _Aligned:
        raw = seq.encode("ascii", "replace")
        length = len(raw)
        quality = qual.encode("ascii", "replace") if qual else _default_quality(length)
        if hit.strand < 0:  # turn the read to the reference strand
            raw = raw.translate(_COMPLEMENT)[::-1]
            quality = quality[::-1]
            q_start = length - hit.q_en
        else:
            q_start = hit.q_st
        contig = int(hit.ctg[1:])
        return raw, quality, contig, hit.r_st, hit.r_en, hit.strand, unique, q_start, hit.cigar

    def batches(
        self,
        reads: Iterator[tuple[tuple[str, str | None], ...]],
        batch_size: int = 20_000,
        threads: int = 0,
    ) -> Iterator[Batch]:
        """Align reads (single: 1-tuples of (seq, qual); paired: 2-tuples) in batches,
        ``threads`` at a time (default: the machine's cores, at most 4), in read order."""
        workers = threads or min(4, os.cpu_count() or 1)
        self._buffers: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(workers):
            self._buffers.put(mappy.ThreadBuffer())
        collector = _Collector()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque[tuple[int, Future[list[_Aligned]]]] = deque()
            chunks = _chunks(reads, CHUNK)
            for chunk in itertools.islice(chunks, 2 * workers):
                pending.append((_count(chunk), pool.submit(self._map_chunk, chunk)))
            while pending:
                count, future = pending.popleft()
                for chunk in itertools.islice(chunks, 1):  # keep the workers busy
                    pending.append((_count(chunk), pool.submit(self._map_chunk, chunk)))
                collector.reads += count
                for aligned in future.result():
                    collector.add(aligned)
                if collector.reads >= batch_size:
                    yield collector.freeze()
                    collector = _Collector()
        if collector.reads:
            yield collector.freeze()


def _chunks(
    reads: Iterator[tuple[tuple[str, str | None], ...]], size: int
) -> Iterator[list[tuple[tuple[str, str | None], ...]]]:
    while chunk := list(itertools.islice(reads, size)):
        yield chunk


def _count(chunk: list[tuple[tuple[str, str | None], ...]]) -> int:
    return sum(len(mates) for mates in chunk)


@functools.lru_cache(maxsize=64)
def _default_quality(length: int) -> bytes:
    return bytes([DEFAULT_QUALITY + 33]) * length


def read_records(paths: tuple[Path, ...]) -> Iterator[tuple[tuple[str, str | None], ...]]:
    """Reads of a single-end file or mate pairs of two files, as (sequence, quality) tuples.

    Raises
    ------
    MutationInputError
        Two files whose records are not mates (different names, or one file ends first).
    """
    if len(paths) == 1:
        for _, seq, qual in mappy.fastx_read(os.fspath(paths[0])):
            yield ((seq, qual),)
        return
    first, second = (mappy.fastx_read(os.fspath(p)) for p in paths)
    number = 0
    while True:
        one, two = next(first, None), next(second, None)
        if one is None or two is None:
            break
        number += 1
        if _mate_name(one[0]) != _mate_name(two[0]):
            raise MutationInputError(
                f"{paths[0].name} and {paths[1].name} are not mate files: read {number} is "
                f"{one[0]!r} in one and {two[0]!r} in the other; give R1 and R2 of one run, "
                "in the same order"
            )
        yield ((one[1], one[2]), (two[1], two[2]))
    if (one is None) != (two is None):
        longer, shorter = (paths[0], paths[1]) if two is None else (paths[1], paths[0])
        raise MutationInputError(
            f"{longer.name} has more reads than its mate file {shorter.name} (which ends "
            f"after read {number}); give complete R1 and R2 files of one run"
        )


def _mate_name(name: str) -> str:
    return _MATE_SUFFIX.sub("", name.split()[0] if name else name)


def estimated_reads(path: Path, sample: int = 4 << 20) -> int:
    """About how many reads a FASTQ (plain or gzip) holds, from its first few megabytes:
    for progress, without reading the whole file twice."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            raw.seek(0)
            head, used = raw.read(sample), 0
        else:
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) as unzipped:
                try:
                    head = unzipped.read(sample)
                except (OSError, EOFError):
                    return 0
                used = raw.tell()
    records = head.count(b"\n") // 4
    if not records:
        return 0
    if used:  # compressed: scale by how far into the file the sample reached
        return max(records, round(records * size / used))
    return max(records, round(records * size / max(len(head), 1)))


def median_read_length(paths: tuple[Path, ...], sample: int = 2_000) -> int:
    """Median length of the first ``sample`` reads of the first file (0 when empty)."""
    lengths = []
    for _, seq, _ in mappy.fastx_read(os.fspath(paths[0])):
        lengths.append(len(seq))
        if len(lengths) >= sample:
            break
    return int(np.median(lengths)) if lengths else 0
