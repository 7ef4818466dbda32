"""Length, GC and quality statistics of reads and of assemblies (pure computation, no I/O).

Definitions, chosen to agree with ``seqkit stats -a`` where both report a figure:

* **N50**: the length of the sequence at which the running total of lengths, longest first,
  first reaches at least half of all bases; **L50**: how many sequences that takes. (The
  "median of the length-weighted list" convention gives a different value for some inputs.)
* **Q20/Q30 fraction**: bases with Phred quality >= 20 (>= 30) over all bases.
* **Read GC fraction**: (G + C) over *all* bases, N included, as seqkit.
* **Assembly GC fraction**: (G + C) over the bases that are not N, so scaffold gaps do not
  dilute it; **N fraction**: N over all bases.
* **Mean quality**: the arithmetic mean of the Phred scores of all bases (as FastQC's
  per-position means), not the Phred value of the mean error probability.

Qualities are Sanger / Illumina 1.8+ Phred+33 (``!`` = 0 to ``~`` = 93).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

HISTOGRAM_BINS_MAX = 60
POSITION_BINS_MAX = 100_000
PHRED_OFFSET = 33

# Lengths below this are counted in a dense array, longer ones in a dict.
_DENSE_LENGTHS = 1 << 20
# Above this many padded cells per real base, per-position sums go read by read.
_PADDING_RATIO_MAX = 4
# Reads up to this long are summed position by position, then folded into bins.
_EXACT_POSITIONS_MAX = 1 << 20


@dataclass(frozen=True)
class ReadStats:
    """Summary of the reads of a FASTQ file.

    ``length_histogram`` holds ``(bin_start, bin_end_exclusive, count)`` for at most 60
    equal bins of a round width (1, 2, 5 × 10^k) covering ``min_length..max_length``.
    ``mean_quality_by_position[i]`` is the mean Phred score of the bases at positions
    ``i * w + 1 .. (i + 1) * w`` (1-based) with ``w = position_bin_width``: 1 while the
    longest read has at most 100,000 bases, else the smallest power of two that keeps the
    list within 100,000 values. Fractions are 0.0 when there are no bases.
    """

    reads: int
    bases: int
    min_length: int
    mean_length: float
    max_length: int
    n50: int
    gc_fraction: float
    q20_fraction: float
    q30_fraction: float
    mean_quality: float
    length_histogram: tuple[tuple[int, int, int], ...]
    mean_quality_by_position: tuple[float, ...]
    position_bin_width: int = 1

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-able dict (tuples become lists)."""
        out = asdict(self)
        out["length_histogram"] = [list(b) for b in self.length_histogram]
        out["mean_quality_by_position"] = list(self.mean_quality_by_position)
        return out


@dataclass(frozen=True)
class AssemblyStats:
    """Summary of the sequences of a FASTA, GenBank or EMBL file (contigs, chromosomes).

    ``gc_fraction`` is (G + C) / (bases that are not N); ``n_fraction`` is N / all bases.
    ``length_histogram`` is binned as in :class:`ReadStats`.
    """

    records: int
    total_length: int
    min_length: int
    max_length: int
    n50: int
    l50: int
    gc_fraction: float
    n_fraction: float
    length_histogram: tuple[tuple[int, int, int], ...]

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-able dict (tuples become lists)."""
        out = asdict(self)
        out["length_histogram"] = [list(b) for b in self.length_histogram]
        return out


def n50_l50(length_counts: Mapping[int, int]) -> tuple[int, int]:
    """N50 and L50 of sequences given as ``{length: how many}``; (0, 0) when there are none.

    Example of El-Metwally et al. (2013), PLoS Comput Biol 9:e1003345, figure 8: contigs of
    20, 15, 10, 5 and 2 kb have N50 15 kb, reached with 2 contigs.

    >>> n50_l50({20: 1, 15: 1, 10: 1, 5: 1, 2: 1})
    (15, 2)
    """
    items = sorted(((int(k), int(v)) for k, v in length_counts.items() if v > 0), reverse=True)
    total = sum(length * count for length, count in items)
    if total == 0:
        return (0, 0)
    running = 0
    before = 0
    for length, count in items:
        if 2 * (running + length * count) >= total:
            # Smallest k with 2 * (running + k * length) >= total.
            needed = -(-(total - 2 * running) // (2 * length))
            return (length, before + max(needed, 1))
        running += length * count
        before += count
    raise AssertionError("unreachable: the running total reaches the total")


def length_histogram(length_counts: Mapping[int, int]) -> tuple[tuple[int, int, int], ...]:
    """Bin ``{length: how many}`` into at most 60 equal bins of a round width.

    Bins are ``(start, end_exclusive, count)``, contiguous from the bin holding the shortest
    length to the bin holding the longest; empty bins in between are kept (count 0).

    >>> bins = length_histogram({150: 98, 35: 2})
    >>> len(bins), bins[0], bins[-1]
    (59, (34, 36, 2), (150, 152, 98))
    """
    lengths = np.fromiter((k for k, v in length_counts.items() if v > 0), dtype=np.int64)
    if lengths.size == 0:
        return ()
    counts = np.fromiter(
        (v for v in length_counts.values() if v > 0), dtype=np.int64, count=lengths.size
    )
    low, high = int(lengths.min()), int(lengths.max())
    for width in _round_widths():
        start = low // width * width
        n_bins = (high - start) // width + 1
        if n_bins <= HISTOGRAM_BINS_MAX:
            break
    hist = np.bincount((lengths - start) // width, weights=counts, minlength=n_bins)
    return tuple((start + i * width, start + (i + 1) * width, round(c)) for i, c in enumerate(hist))


def _round_widths() -> Iterator[int]:
    """1, 2, 5, 10, 20, 50, ..."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            yield step * magnitude
        magnitude *= 10


def assembly_stats(lengths: Sequence[int], gc: int, n: int) -> AssemblyStats:
    """Statistics of sequences of ``lengths`` holding ``gc`` G/C and ``n`` N bases in all.

    ``gc_fraction`` = gc / (total - n): the denominator is every base that is not N (other
    IUPAC ambiguity codes, rare in assemblies, stay in it). ``n_fraction`` = n / total.
    Wikipedia's example ("N50, L50, and related statistics"): contigs of 2, 3, ..., 10 bp
    have N50 8 and L50 3.

    >>> s = assembly_stats([2, 3, 4, 5, 6, 7, 8, 9, 10], gc=27, n=0)
    >>> (s.total_length, s.n50, s.l50, s.gc_fraction)
    (54, 8, 3, 0.5)
    """
    values, how_many = np.unique(np.asarray(lengths, dtype=np.int64), return_counts=True)
    counts = dict(zip(values.tolist(), how_many.tolist(), strict=True))
    total = sum(k * v for k, v in counts.items())
    if not 0 <= n <= total or not 0 <= gc <= total - n:
        raise ValueError(f"gc={gc} and n={n} do not fit in {total} bases")
    n50, l50 = n50_l50(counts)
    return AssemblyStats(
        records=sum(counts.values()),
        total_length=total,
        min_length=min(counts, default=0),
        max_length=max(counts, default=0),
        n50=n50,
        l50=l50,
        gc_fraction=gc / (total - n) if total > n else 0.0,
        n_fraction=n / total if total else 0.0,
        length_histogram=length_histogram(counts),
    )


class ReadTally:
    """Running totals over batches of reads, from which :meth:`result` makes ReadStats.

    Memory stays bounded: lengths are counted (not kept) and per-position quality sums are
    folded into at most 100,000 bins.
    """

    def __init__(self) -> None:
        self.reads = 0
        self.bases = 0
        self.gc = 0
        self.q20 = 0
        self.q30 = 0
        self.min_length = -1
        self.max_length = 0
        self._dense = np.zeros(0, dtype=np.int64)
        self._sparse: dict[int, int] = {}
        self._bin_width = 1
        self._position_sums = np.zeros(0, dtype=np.int64)  # raw ASCII codes, offset later
        self._position_counts = np.zeros(0, dtype=np.int64)

    def add(self, sequences: U8, qualities: U8, lengths: I64) -> None:
        """Add reads whose bases and quality characters are concatenated in read order.

        ``sequences`` and ``qualities`` are ASCII codes (``qualities`` Phred+33, already
        checked to lie in ``!``..``~``); ``lengths[i]`` is the length of read ``i``.
        """
        n = int(lengths.size)
        if n == 0:
            return
        total = int(lengths.sum())
        if sequences.size != total or qualities.size != total:
            raise ValueError("lengths do not add up to the bases given")
        self.reads += n
        self.bases += total
        shortest, longest = int(lengths.min()), int(lengths.max())
        self.min_length = shortest if self.min_length < 0 else min(self.min_length, shortest)
        self.max_length = max(self.max_length, longest)
        # G, C, g, c are exactly the bytes equal to 0x43 once bits 0x20 and 0x04 are cleared.
        self.gc += int(np.count_nonzero((sequences & 0xDB) == 0x43))
        self.q20 += int(np.count_nonzero(qualities >= PHRED_OFFSET + 20))
        self.q30 += int(np.count_nonzero(qualities >= PHRED_OFFSET + 30))
        self._count_lengths(lengths, longest)
        if longest == 0:
            return
        while -(-longest // self._bin_width) > POSITION_BINS_MAX:
            self._coarsen()
        w = self._bin_width
        if longest <= _EXACT_POSITIONS_MAX:
            sums = _position_sums(qualities, lengths, shortest, longest, total)
            by_length = np.bincount(lengths, minlength=longest + 1)
            covering = n - np.cumsum(by_length)[:longest]  # reads longer than each position
            if w > 1:
                sums, covering = _fold(sums, w), _fold(covering, w)
        else:  # a read of millions of bases: never hold one number per position
            sums = _binned_position_sums(qualities, lengths, w)
            covering = _bases_per_bin(lengths, w, sums.size)
        self._add_positions(sums, covering.astype(np.int64))

    def _count_lengths(self, lengths: I64, longest: int) -> None:
        if longest < _DENSE_LENGTHS:
            counts = np.bincount(lengths)
            if counts.size > self._dense.size:
                self._dense = np.concatenate(
                    [self._dense, np.zeros(counts.size - self._dense.size, dtype=np.int64)]
                )
            self._dense[: counts.size] += counts
            return
        values, counts = np.unique(lengths, return_counts=True)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            if value < _DENSE_LENGTHS:
                if value >= self._dense.size:
                    grown = np.zeros(value + 1, dtype=np.int64)
                    grown[: self._dense.size] = self._dense
                    self._dense = grown
                self._dense[value] += count
            else:
                self._sparse[value] = self._sparse.get(value, 0) + count

    def _add_positions(self, sums: I64, counts: I64) -> None:
        """Add per-bin quality sums and base counts, already at the current bin width."""
        if sums.size > self._position_sums.size:
            grow = sums.size - self._position_sums.size
            self._position_sums = np.concatenate(
                [self._position_sums, np.zeros(grow, dtype=np.int64)]
            )
            self._position_counts = np.concatenate(
                [self._position_counts, np.zeros(grow, dtype=np.int64)]
            )
        self._position_sums[: sums.size] += sums
        self._position_counts[: counts.size] += counts

    def _coarsen(self) -> None:
        self._bin_width *= 2
        self._position_sums = _fold(self._position_sums, 2)
        self._position_counts = _fold(self._position_counts, 2)

    def length_counts(self) -> dict[int, int]:
        """``{length: how many reads}`` so far."""
        counts = {int(k): int(self._dense[k]) for k in np.flatnonzero(self._dense)}
        counts.update(self._sparse)
        return counts

    def result(self) -> ReadStats:
        """The statistics of all reads added so far."""
        counts = self.length_counts()
        bases = self.bases
        quality_sum = int(self._position_sums.sum()) - PHRED_OFFSET * bases
        with np.errstate(invalid="ignore", divide="ignore"):
            means = self._position_sums / self._position_counts - PHRED_OFFSET
        return ReadStats(
            reads=self.reads,
            bases=bases,
            min_length=max(self.min_length, 0),
            mean_length=bases / self.reads if self.reads else 0.0,
            max_length=self.max_length,
            n50=n50_l50(counts)[0],
            gc_fraction=self.gc / bases if bases else 0.0,
            q20_fraction=self.q20 / bases if bases else 0.0,
            q30_fraction=self.q30 / bases if bases else 0.0,
            mean_quality=quality_sum / bases if bases else 0.0,
            length_histogram=length_histogram(counts),
            mean_quality_by_position=tuple(float(m) for m in means.tolist()),
            position_bin_width=self._bin_width,
        )


def _fold(values: I64, width: int) -> I64:
    """Sum ``values`` in consecutive groups of ``width`` (the last group may be short)."""
    pad = -values.size % width
    if pad:
        values = np.concatenate([values, np.zeros(pad, dtype=values.dtype)])
    folded: I64 = values.reshape(-1, width).sum(axis=1)
    return folded


def _position_sums(qualities: U8, lengths: I64, shortest: int, longest: int, total: int) -> I64:
    """Sum of the quality codes at each position 0..longest-1 over all reads."""
    n = lengths.size
    # A uint32 sum cannot overflow below 2**32 / 126 reads; beyond that use 64 bits.
    acc = np.uint32 if n < 30_000_000 else np.uint64
    if shortest == longest:
        sums: I64 = qualities.reshape(n, longest).sum(axis=0, dtype=acc).astype(np.int64)
        return sums
    if n * longest <= _PADDING_RATIO_MAX * total + (1 << 16):
        padded = np.zeros((n, longest), dtype=np.uint8)
        padded[np.arange(longest) < lengths[:, None]] = qualities
        sums = padded.sum(axis=0, dtype=acc)
        return sums.astype(np.int64)
    # Few long reads among short ones (or long reads of very different lengths).
    sums = np.zeros(longest, dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        sums[: end - start] += qualities[start:end]
    return sums


def _binned_position_sums(qualities: U8, lengths: I64, width: int) -> I64:
    """Quality sums in bins of ``width`` positions, read by read (for very long reads)."""
    longest = int(lengths.max())
    sums = np.zeros(-(-longest // width), dtype=np.int64)
    ends = np.cumsum(lengths)
    for start, end in zip((ends - lengths).tolist(), ends.tolist(), strict=True):
        read = qualities[start:end]
        whole = read.size // width
        if whole:
            sums[:whole] += read[: whole * width].reshape(whole, width).sum(axis=1, dtype=np.int64)
        if read.size > whole * width:
            sums[whole] += int(read[whole * width :].sum())
    return sums


def _bases_per_bin(lengths: I64, width: int, n_bins: int) -> I64:
    """How many bases of all reads fall in each bin of ``width`` positions.

    With F(x) = sum of min(length, x) over the reads (bases before position x), bin b holds
    F((b + 1) * width) - F(b * width).
    """
    ordered = np.sort(lengths)
    before = np.concatenate([[0], np.cumsum(ordered)])
    edges = np.arange(n_bins + 1, dtype=np.int64) * width
    shorter = np.searchsorted(ordered, edges, side="left")  # reads shorter than each edge
    covered = before[shorter] + edges * (ordered.size - shorter)
    counts: I64 = np.diff(covered)
    return counts
