"""Per-base evidence from aligned reads: base counts by strand, error mass, depth, indels.

The walk over CIGARs runs in numba (compiled once, cached on disk): a 4.6 Mb genome at 40x
is ~190 million aligned bases. Only uniquely placed reads count as evidence for a base or an
indel; every aligned read counts towards ``depth``, so a repeat is covered, not "missing".
Each read's indels, with the mismatches and other indels within a few bases of them, are
kept as one event (the reference stretch and the read's bases for it): an aligner may show
one change as a 2 bp deletion in some reads and as two 1 bp deletions around a mismatch in
others, and events compare equal once trimmed and placed leftmost (``small``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np
import numpy.typing as npt

from analysis.mutations.align import Batch
from analysis.mutations.reference import Reference

I64 = npt.NDArray[np.int64]
MIN_QUALITY = 13  # bases below this Phred quality are not evidence (bcftools' default)
_ERROR_OF = (10.0 ** (-np.arange(94) / 10.0)).astype(np.float32)  # Phred -> P(error)
_MAX_EVENTS_PER_READ = 8  # room reserved per alignment for indel events

END_SKIP = 4  # bases at each end of an alignment that are no evidence
CLUSTER_GAP = 3  # reference bases between changes one read carries as one event
# Columns of the event table: reference[start, start + length) reads as the event's bases;
# the read's kept stretch [kept_start, kept_end) is where it is evidence (as its span).
EVENT_COLUMNS = (
    "contig",
    "start",
    "length",
    "read_index",
    "read_length",
    "strand",
    "kept_start",
    "kept_end",
)


@numba.njit(cache=True, nogil=True)
def _emit(events, n_events, contig, ref_start, ref_end, read_start, read_end, strand, clen, kept):  # type: ignore[no-untyped-def]
    if n_events < events.shape[0]:
        row = events[n_events]
        row[0] = contig
        row[1] = ref_start % clen
        row[2] = ref_end - ref_start
        row[3] = read_start
        row[4] = read_end - read_start
        row[5] = strand
        row[6] = kept[0]
        row[7] = kept[1]
        return n_events + 1
    return n_events


@numba.njit(cache=True, nogil=True)
def _kept(ref, off, clen, circ, codes, qp, rp, first_op, last_op, cigar_length, cigar_op):  # type: ignore[no-untyped-def]
    """The reference stretch [start, end) of an alignment's best-scoring part: +1 a match,
    -3 a mismatch, -(4 + up to 4) a gap. A read that crosses a junction is aligned on past
    it with clustered mismatches until the aligner gives up; those ends score below zero
    and are left out (and so are a read's last bases: breseq, too, does not trust read
    ends)."""
    first_rp = rp
    score = 0
    low = 0
    low_rp = rp
    low_qp = qp
    best = -1
    start = rp
    end = rp
    q_start = qp
    q_end = qp
    for j in range(first_op, last_op):
        n = cigar_length[j]
        op = cigar_op[j]
        if op == 0 or op == 7 or op == 8:
            for k in range(n):
                lp = rp + k
                if circ:
                    lp %= clen
                score += 1 if codes[qp + k] == ref[off + lp] else -3
                if score - low > best:
                    best = score - low
                    start = low_rp
                    end = rp + k + 1
                    q_start = low_qp
                    q_end = qp + k + 1
                if score < low:
                    low = score
                    low_rp = rp + k + 1
                    low_qp = qp + k + 1
            rp += n
            qp += n
        elif op == 1 or op == 2:
            score -= 4 + min(n, 4)
            if op == 2:
                rp += n
            else:
                qp += n
            if score < low:
                low = score
                low_rp = rp
                low_qp = qp
    # A change in a read's last END_SKIP bases never beats the matches after it, so those
    # bases are dropped from every read alike (else carriers would be undercounted).
    return max(start, first_rp + END_SKIP), min(end, rp - END_SKIP), start, end, q_start, q_end


@numba.njit(cache=True, nogil=True)
def _walk(  # type: ignore[no-untyped-def]
    ref,
    contig_offset,
    contig_length,
    contig_circular,
    codes,
    qualities,
    read_offset,
    query_start,
    contig,
    ref_start,
    strand,
    unique,
    cigar_offset,
    cigar_count,
    cigar_length,
    cigar_op,
    min_quality,
    error_of,
    gap,
    counts,
    errors,
    depth,
    events,
    kept,
):
    n_events = 0
    for i in range(contig.size):
        c = contig[i]
        off = contig_offset[c]
        clen = contig_length[c]
        circ = contig_circular[c]
        rp = ref_start[i]
        qp = read_offset[i] + query_start[i]
        s = 0 if strand[i] > 0 else 1
        first_op = cigar_offset[i]
        last_op = first_op + cigar_count[i]
        keep_start, keep_end, best_start, best_end, q_best_start, q_best_end = _kept(
            ref, off, clen, circ, codes, qp, rp, first_op, last_op, cigar_length, cigar_op
        )
        kept[i, 0] = keep_start
        kept[i, 1] = keep_end
        kept[i, 2] = best_start
        kept[i, 3] = best_end
        kept[i, 4] = q_best_start
        kept[i, 5] = q_best_end
        # The open cluster of changes (mismatches and indels no more than ``gap`` reference
        # bases apart): reference [c_rs, c_re) read as read [c_qs, c_qe).
        c_rs = -1
        c_re = -1
        c_qs = -1
        c_qe = -1
        has_indel = False  # or more than one change: a cluster worth an event
        for j in range(first_op, last_op):
            n = cigar_length[j]
            op = cigar_op[j]
            if op == 0 or op == 7 or op == 8:  # M, =, X
                for k in range(n):
                    lp = rp + k
                    if circ:
                        lp %= clen
                    g = off + lp
                    depth[g] += 1
                    b = codes[qp + k]
                    if unique[i] and keep_start <= rp + k < keep_end:
                        q = qualities[qp + k]
                        if q >= min_quality:
                            counts[g, b, s] += 1
                            errors[g, b] += error_of[q]
                        if b != ref[g]:
                            if c_rs >= 0 and rp + k - c_re <= gap:
                                c_re = rp + k + 1
                                c_qe = qp + k + 1
                                has_indel = True  # two changes: a multi-base substitution
                            else:
                                if c_rs >= 0 and has_indel:
                                    n_events = _emit(
                                        events,
                                        n_events,
                                        c,
                                        c_rs,
                                        c_re,
                                        c_qs,
                                        c_qe,
                                        s,
                                        clen,
                                        kept[i],
                                    )
                                c_rs, c_re, c_qs, c_qe = rp + k, rp + k + 1, qp + k, qp + k + 1
                                has_indel = False
                rp += n
                qp += n
            elif op == 1 or op == 2:  # insertion of read bases / deletion of reference bases
                r_end = rp + (n if op == 2 else 0)
                q_end = qp + (n if op == 1 else 0)
                if unique[i] and keep_start < rp and r_end < keep_end:
                    if c_rs >= 0 and rp - c_re <= gap:
                        c_re = r_end
                        c_qe = q_end
                    else:
                        if c_rs >= 0 and has_indel:
                            n_events = _emit(
                                events, n_events, c, c_rs, c_re, c_qs, c_qe, s, clen, kept[i]
                            )
                        c_rs, c_re, c_qs, c_qe = rp, r_end, qp, q_end
                    has_indel = True
                rp = r_end
                qp = q_end
            # N (3) and clips never appear inside mappy's CIGARs
        if c_rs >= 0 and has_indel:
            n_events = _emit(events, n_events, c, c_rs, c_re, c_qs, c_qe, s, clen, kept[i])
    return n_events


@dataclass(frozen=True)
class Clip:
    """A read whose alignment stops short of its end: evidence of a new junction.

    ``side`` is "right" when the read's end past ``position`` did not align (``position``:
    0-based end of the alignment, exclusive) and "left" when its start before ``position``
    did not (``position``: 0-based first aligned base). ``bases`` are the unaligned bases
    next to the alignment, nearest first for "right", in read order for both.
    """

    contig: int
    position: int
    side: str
    bases: str


MIN_CLIP = 8  # unaligned bases: shorter clips are mostly sequencing errors near read ends


@dataclass
class Pileup:
    """Evidence of every read added so far, over the whole reference.

    ``counts[g, base, strand]``: bases of quality >= ``min_quality`` from uniquely placed
    reads at global position ``g`` (base codes A C G T N; strand 0 forward, 1 reverse);
    ``errors[g, base]`` the summed error probabilities of those bases (their expected number
    of sequencing errors); ``depth[g]`` every aligned read base. ``events`` are each read's
    indels with the changes beside them (columns EVENT_COLUMNS); ``event_bases`` holds the
    read's bases for each, as text. ``spans`` holds (contig, start, end)
    of the kept stretch of every uniquely placed alignment (0-based half-open, on the indexed
    sequence): what the read is evidence for.
    """

    reference: Reference
    min_quality: int = MIN_QUALITY
    counts: npt.NDArray[np.int32] = field(init=False)
    errors: npt.NDArray[np.float32] = field(init=False)
    depth: npt.NDArray[np.int32] = field(init=False)
    events: list[I64] = field(default_factory=list)
    event_bases: list[str] = field(default_factory=list)
    spans: list[I64] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    reads: int = 0
    aligned: int = 0

    def __post_init__(self) -> None:
        total = self.reference.total
        self.counts = np.zeros((total, 5, 2), dtype=np.int32)
        self.errors = np.zeros((total, 5), dtype=np.float32)
        self.depth = np.zeros(total, dtype=np.int32)
        contigs = self.reference.contigs
        self._offsets = np.array([c.offset for c in contigs], dtype=np.int64)
        self._lengths = np.array([c.length for c in contigs], dtype=np.int64)
        self._circular = np.array([c.circular for c in contigs], dtype=np.bool_)

    def add(self, batch: Batch) -> None:
        """Walk one batch of alignments into the evidence."""
        self.reads += batch.reads
        self.aligned += batch.size
        if not batch.size:
            return
        room = batch.size * _MAX_EVENTS_PER_READ
        events = np.zeros((room, len(EVENT_COLUMNS)), dtype=np.int64)
        kept = np.zeros((batch.size, 6), dtype=np.int64)
        n_events = _walk(
            self.reference.codes,
            self._offsets,
            self._lengths,
            self._circular,
            batch.codes,
            batch.qualities,
            batch.read_offset,
            batch.query_start,
            batch.contig,
            batch.ref_start,
            batch.strand,
            batch.unique,
            batch.cigar_offset,
            batch.cigar_count,
            batch.cigar_length,
            batch.cigar_op,
            self.min_quality,
            _ERROR_OF,
            CLUSTER_GAP,
            self.counts,
            self.errors,
            self.depth,
            events,
            kept,
        )
        found = events[:n_events]
        self.events.append(found)
        for row in found.tolist():
            self.event_bases.append(_text(batch.codes[row[3] : row[3] + row[4]]))
        self._clips(batch, kept)
        unique = batch.unique
        # What each read is evidence for: its kept stretch (for an indel's informative reads).
        self.spans.append(np.stack([batch.contig[unique], kept[unique, 0], kept[unique, 1]], 1))

    def _clips(self, batch: Batch, kept: I64) -> None:
        """Reads whose best-scoring part stops short of their ends (clipped by the aligner,
        or aligned on through a junction with mismatches the best part leaves out)."""
        starts, lengths = batch.read_offset, batch.read_length.astype(np.int64)
        q_first, q_last = kept[:, 4] - starts, kept[:, 5] - starts
        left = np.flatnonzero(q_first >= MIN_CLIP)
        right = np.flatnonzero(lengths - q_last >= MIN_CLIP)
        for i in left.tolist():
            bases = _text(batch.codes[starts[i] : kept[i, 4]])
            self.clips.append(Clip(int(batch.contig[i]), int(kept[i, 2]), "left", bases))
        for i in right.tolist():
            bases = _text(batch.codes[kept[i, 5] : starts[i] + lengths[i]])
            self.clips.append(Clip(int(batch.contig[i]), int(kept[i, 3]), "right", bases))

    def event_table(self) -> I64:
        """Every read's indel events (EVENT_COLUMNS), aligned with ``event_bases``."""
        return _stacked(self.events, len(EVENT_COLUMNS))

    def span_table(self) -> I64:
        return _stacked(self.spans, 3)


def _stacked(parts: list[I64], width: int) -> I64:
    if not parts:
        return np.zeros((0, width), dtype=np.int64)
    return np.concatenate(parts).astype(np.int64, copy=False)


def _text(codes: npt.NDArray[np.uint8]) -> str:
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[codes].tobytes().decode("ascii")
