"""SNPs and small indels from a pileup, in consensus or polymorphism mode.

Consensus (clonal isolates): the major allele differs from the reference in at least 60 %
of the reads at the site (breseq calls sites of real reads at 0.68). Polymorphism (mixed
populations): any allele whose count is more than sequencing error explains, tested with
the base qualities: the expected number of errors that turn a base into this allele is the
summed error probability of the site's bases over three; the count is tested against a
Poisson with that mean, Bonferroni-corrected over every base the reference could change to.
A strand-bias Fisher test and a minimum count on each strand guard against alignment
artefacts.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from analysis.mutations.model import Evidence, Kind, Mutation
from analysis.mutations.pileup import Pileup
from analysis.mutations.reference import BASES, Reference

CONSENSUS_FREQUENCY = 0.6  # majority allele; breseq calls real 454 sites at 0.68
MIN_SUPPORT = 3  # reads for any call
MIN_POLYMORPHISM_FREQUENCY = 0.05
MIN_POLYMORPHISM_STRAND = 1  # supporting reads on each strand in polymorphism mode
STRAND_BIAS_P = 0.001
ALPHA = 0.05  # family-wise error over the genome, polymorphism mode
INDEL_ERROR = 0.01  # per read and site
END_MARGIN = 6  # reference bases past an indel a read needs to show it (see event_margin)
MIN_INFORMATIVE = 2 * MIN_SUPPORT  # reads past the margin for it to be used
CONSENSUS_QUALITY = 20.0  # Phred: at most a 1 % chance that the call is sequencing error


@dataclass(frozen=True)
class Settings:
    polymorphism: bool = False


def _phred(p: float) -> float:
    return 99.0 if p <= 1e-99 else round(-10.0 * math.log10(p), 1)


def _strand_p(alt: tuple[int, int], ref: tuple[int, int]) -> float:
    if min(sum(alt), sum(ref)) == 0:
        return 1.0
    return float(stats.fisher_exact(np.array([alt, ref]))[1])


def snps(pileup: Pileup, settings: Settings) -> list[Mutation]:
    """One SNP per site whose best non-reference base passes the mode's tests."""
    reference = pileup.reference
    counts = pileup.counts
    by_base = counts[:, :4, :].sum(axis=2)  # N is never an allele
    total = by_base.sum(axis=1)
    ref_codes = reference.codes.astype(np.int64)
    alt_counts = by_base.copy()
    known = ref_codes < 4
    alt_counts[np.flatnonzero(known), ref_codes[known]] = -1  # the reference is no change
    alt = alt_counts.argmax(axis=1)
    support = alt_counts[np.arange(alt.size), alt]
    with np.errstate(divide="ignore", invalid="ignore"):
        frequency = np.where(total > 0, support / np.maximum(total, 1), 0.0)
    floor = CONSENSUS_FREQUENCY if not settings.polymorphism else MIN_POLYMORPHISM_FREQUENCY
    candidates = np.flatnonzero((support >= MIN_SUPPORT) & (frequency >= floor))
    limit = ALPHA / max(1, 3 * reference.total)
    calls = []
    for g in candidates:
        mutation = _snp(pileup, int(g), int(alt[g]), settings, limit)
        if mutation is not None:
            calls.append(mutation)
    return calls


def _snp(pileup: Pileup, g: int, alt: int, settings: Settings, limit: float) -> Mutation | None:
    counts = pileup.counts[g]
    ref_code = int(pileup.reference.codes[g])
    alt_strands = (int(counts[alt, 0]), int(counts[alt, 1]))
    ref_strands = (int(counts[ref_code, 0]), int(counts[ref_code, 1])) if ref_code < 4 else (0, 0)
    support = sum(alt_strands)
    total = int(counts[:4].sum())
    expected_errors = float(pileup.errors[g].sum()) / 3.0
    p_error = float(stats.poisson.sf(support - 1, expected_errors)) if expected_errors else 0.0
    strand_p = _strand_p(alt_strands, ref_strands)
    if settings.polymorphism:
        if p_error > limit or min(alt_strands) < MIN_POLYMORPHISM_STRAND:
            return None
        if strand_p < STRAND_BIAS_P:
            return None
    elif _phred(p_error) < CONSENSUS_QUALITY:
        return None
    contig, local = pileup.reference.locate(g)
    return Mutation(
        kind=Kind.SNP,
        seq_id=contig.id,
        position=local + 1,
        new_seq=BASES[alt],
        frequency=1.0 if not settings.polymorphism else round(support / total, 4),
        evidence=Evidence(
            depth=total,
            supporting=alt_strands,
            reference=ref_strands,
            quality=_phred(p_error),
            strand_p=strand_p,
        ),
    )


def _span_counts(spans: npt.NDArray[np.int64], contig: int, start: int, end: int) -> int:
    """Uniquely placed reads on ``contig`` whose alignment covers [start, end)."""
    on = spans[:, 0] == contig
    return int(np.count_nonzero(on & (spans[:, 1] <= start) & (spans[:, 2] >= end)))


def _right_end(sequence: str, kind: Kind, start: int, ref_length: int, alt: str) -> int:
    """0-based end (exclusive) of the stretch a read must span to show this event: through
    the repeat the event could equally be placed anywhere in."""
    if kind is Kind.DEL:
        while (
            start + ref_length < len(sequence) and sequence[start] == sequence[start + ref_length]
        ):
            start += 1
        return start + ref_length
    if kind is Kind.INS:
        while start < len(sequence) and sequence[start] == alt[0]:
            alt = alt[1:] + alt[0]
            start += 1
        return start
    return start + ref_length


def normalised_event(
    sequence: str, start: int, ref_length: int, alt: str
) -> tuple[Kind, int, int, str] | None:
    """(kind, 0-based start, reference length, new bases) of reference[start : start +
    ref_length] read as ``alt``: shared ends trimmed, a pure indel placed leftmost."""
    ref = sequence[start : start + ref_length]
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, start = ref[1:], alt[1:], start + 1
    if not ref and not alt:
        return None
    if not alt:
        size = len(ref)
        while start > 0 and sequence[start - 1] == sequence[start + size - 1]:
            start -= 1
        return Kind.DEL, start, size, ""
    if not ref:
        while start > 0 and sequence[start - 1] == alt[-1]:
            alt = alt[-1] + alt[:-1]
            start -= 1
        return Kind.INS, start, 0, alt
    if len(ref) == len(alt) == 1:
        return Kind.SNP, start, 1, alt
    return Kind.SUB, start, len(ref), alt


def indels(pileup: Pileup, settings: Settings) -> list[Mutation]:
    """Indels (and substitutions next to them) seen in enough reads of the site."""
    spans = pileup.span_table()
    events = pileup.event_table()
    grouped: dict[tuple[int, Kind, int, int, str], list[tuple[int, int, int]]] = {}
    contigs = pileup.reference.contigs
    for row, bases in zip(events.tolist(), pileup.event_bases, strict=True):
        contig_index, start, ref_length, _, _, strand, kept_start, kept_end = row
        if "N" in bases:
            continue
        event = normalised_event(contigs[contig_index].sequence, start, ref_length, bases)
        if event is not None:
            grouped.setdefault((contig_index, *event), []).append((strand, kept_start, kept_end))
    calls = []
    for (contig_index, kind, start, ref_length, alt), reads in sorted(_folded(grouped).items()):
        if len(reads) < MIN_SUPPORT:
            continue
        contig = contigs[contig_index]
        end = _right_end(contig.sequence, kind, start, ref_length, alt)
        margin = event_margin(kind, ref_length, len(alt)) if settings.polymorphism else 0
        informative = _span_counts(spans, contig_index, start - 1 - margin, end + 1 + margin)
        if informative < MIN_INFORMATIVE:
            # Short reads (36 bp) across a repeat seldom reach that far past both ends:
            # count every read that spans the event, as consensus mode does.
            margin = 0
            informative = _span_counts(spans, contig_index, start - 1, end + 1)
        first, last = start - 1 - margin, end + 1 + margin
        support = [0, 0]
        for strand, kept_start, kept_end in reads:
            if kept_start <= first and kept_end >= last:
                support[strand] += 1
        position = start if kind is Kind.INS else start + 1
        size = 0 if kind in (Kind.INS, Kind.SNP) else ref_length
        call = _indel_call(
            Mutation(kind, contig.id, position, size=size, new_seq=alt),
            (support[0], support[1]),
            informative,
            settings,
        )
        if call is not None:
            calls.append(call)
    return calls


EventKey = tuple[int, Kind, int, int, str]  # contig, kind, 0-based start, ref length, alt


def _folded(
    grouped: dict[EventKey, list[tuple[int, int, int]]],
) -> dict[EventKey, list[tuple[int, int, int]]]:
    """Reads whose event is a callable event with a sequencing error in or beside it (a
    changed inserted base, a mismatch within CLUSTER_GAP) counted for that event.

    Such a read's event differs from its neighbours' (another ``alt`` or a wider stretch)
    and alone it never reaches MIN_SUPPORT; left apart, every carrier with an error near
    the event would be lost from its frequency (at 0.5 % errors, one read in ten for a
    20-base insertion). It joins the best-supported callable event on its contig that
    overlaps it (within CLUSTER_GAP) and changes the length by as much.
    """
    callable_ = [k for k, reads in grouped.items() if len(reads) >= MIN_SUPPORT]
    if not callable_:
        return grouped
    by_contig: dict[int, list[EventKey]] = {}
    for key in sorted(callable_, key=lambda k: (k[0], k[2])):
        by_contig.setdefault(key[0], []).append(key)
    starts = {c: [k[2] for k in keys] for c, keys in by_contig.items()}
    out = {k: list(v) for k, v in grouped.items() if len(v) >= MIN_SUPPORT}
    reach = 2 * CLUSTER_GAP + 64  # the widest event a read's cluster can hold, and more
    for key, reads in grouped.items():
        if len(reads) >= MIN_SUPPORT:
            continue
        contig, _kind, start, ref_length, alt = key
        keys = by_contig.get(contig, [])
        low = bisect.bisect_left(starts.get(contig, []), start - reach)
        best: EventKey | None = None
        for other in keys[low:]:
            if other[2] > start + ref_length + CLUSTER_GAP:
                break
            overlaps = other[2] + other[3] + CLUSTER_GAP >= start
            same_change = len(other[4]) - other[3] == len(alt) - ref_length
            if overlaps and same_change and (best is None or len(out[other]) > len(out[best])):
                best = other
        if best is None:
            out[key] = list(reads)
        else:
            out[best] += reads
    return out


def event_margin(kind: Kind, ref_length: int, alt_length: int) -> int:
    """Reference bases a read must align beyond an event, on each side, to count for its
    frequency, carrying it or not. Near its end a read that carries the event is clipped
    there (or its changes fall outside its kept part) while a read without it aligns on:
    counting both near ends would undercount carriers. The aligner and the kept part pay
    for a gap once and for each mismatch ~3 matches (+1/-3), so a substitution needs three
    bases a changed base and an indel a few plus half its size."""
    if kind is Kind.SUB:
        return END_MARGIN + 3 * ref_length
    return END_MARGIN + (max(ref_length, alt_length) + 1) // 2


def _indel_call(
    mutation: Mutation, support: tuple[int, int], informative: int, settings: Settings
) -> Mutation | None:
    reads = sum(support)
    depth = max(informative, reads)
    frequency = reads / depth
    # How unlikely this many reads show the indel if each read had a 1 % chance of one
    # here by error (454 and Ion reads in homopolymers; Illumina's rate is far lower).
    p_error = float(stats.poisson.sf(reads - 1, depth * INDEL_ERROR))
    if settings.polymorphism:
        if frequency < MIN_POLYMORPHISM_FREQUENCY or min(support) < MIN_POLYMORPHISM_STRAND:
            return None
    elif frequency < CONSENSUS_FREQUENCY:
        return None
    return Mutation(
        kind=mutation.kind,
        seq_id=mutation.seq_id,
        position=mutation.position,
        size=mutation.size,
        new_seq=mutation.new_seq,
        frequency=1.0 if not settings.polymorphism else round(frequency, 4),
        evidence=Evidence(
            depth=depth,
            supporting=support,
            quality=_phred(p_error),
        ),
    )


CLUSTER_GAP = 3  # reference bases between changes that are read as one event


def _span(m: Mutation) -> tuple[int, int]:
    """0-based half-open reference bases a small call replaces (empty for INS)."""
    if m.kind is Kind.INS:
        return m.position, m.position
    return m.position - 1, m.position - 1 + max(m.size, 1)


def _replacement(m: Mutation) -> str:
    return "" if m.kind is Kind.DEL else m.new_seq


def _merged(group: list[Mutation], sequence: str) -> Mutation | None:
    """One event for changes so close that reads carry them together (a multi-base
    substitution aligned as a deletion beside a SNP beside an insertion, say): the
    reference stretch they span and what replaces it, trimmed of shared ends."""
    lo = _span(group[0])[0]
    cursor, pieces = lo, []
    for call in group:
        start, end = _span(call)
        if start < cursor:
            return None  # overlapping alleles: not one haplotype
        pieces.append(sequence[cursor:start] + _replacement(call))
        cursor = end
    ref, alt = sequence[lo:cursor], "".join(pieces)
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, lo = ref[1:], alt[1:], lo + 1
    first = max(group, key=lambda m: sum(m.evidence.supporting))
    common = {
        "seq_id": first.seq_id,
        "frequency": min(m.frequency for m in group),
        "evidence": first.evidence,
    }
    if not ref and not alt:
        return None
    if not alt:
        return Mutation(Kind.DEL, position=lo + 1, size=len(ref), **common)  # type: ignore[arg-type]
    if not ref:
        return Mutation(Kind.INS, position=lo, new_seq=alt, **common)  # type: ignore[arg-type]
    if len(ref) == len(alt) == 1:
        return Mutation(Kind.SNP, position=lo + 1, new_seq=alt, **common)  # type: ignore[arg-type]
    return Mutation(Kind.SUB, position=lo + 1, size=len(ref), new_seq=alt, **common)  # type: ignore[arg-type]


def _part_of(snp: Mutation, wide: Mutation) -> bool:
    """Whether ``snp`` is one base of ``wide``'s change (same record, inside it, and for a
    same-length SUB the same new base there)."""
    if snp.seq_id != wide.seq_id or not wide.position <= snp.position <= wide.end:
        return False
    if abs(wide.frequency - snp.frequency) < 0.1:
        return True
    if wide.kind is Kind.SUB and len(wide.new_seq) == wide.size:
        return wide.new_seq[snp.position - wide.position] == snp.new_seq
    return False


def merge_clusters(calls: list[Mutation], reference: Reference) -> list[Mutation]:
    """Calls of one record within CLUSTER_GAP bases of each other and of like frequency
    become one event (adjacent SNPs a SUB, as breseq writes them); duplicates go."""
    unique = list({(m.kind, m.seq_id, m.position, m.size, m.new_seq): m for m in calls}.values())
    # A SNP inside a substitution or deletion that reads show whole is part of it.
    wide = [m for m in unique if m.kind in (Kind.SUB, Kind.DEL)]
    unique = [m for m in unique if m.kind is not Kind.SNP or not any(_part_of(m, w) for w in wide)]
    ordered = sorted(unique, key=lambda m: (m.seq_id, _span(m), m.kind is not Kind.INS))
    groups: list[list[Mutation]] = []
    for call in ordered:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and last.seq_id == call.seq_id
            and _span(call)[0] - _span(last)[1] <= CLUSTER_GAP
            and abs(last.frequency - call.frequency) < 0.1
        ):
            groups[-1].append(call)
        else:
            groups.append([call])
    merged: list[Mutation] = []
    for group in groups:
        one = _merged(group, reference.by_id(group[0].seq_id).sequence) if len(group) > 1 else None
        merged.extend([one] if one is not None else group)
    return merged
