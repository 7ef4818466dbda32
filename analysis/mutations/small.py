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

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from analysis.mutations.model import Evidence, Kind, Mutation
from analysis.mutations.pileup import Pileup
from analysis.mutations.reference import BASES, Reference

CONSENSUS_FREQUENCY = 0.6  # majority allele; breseq calls real 454 sites at 0.68
MIN_SUPPORT = 2  # reads for any call
MIN_POLYMORPHISM_FREQUENCY = 0.05
MIN_POLYMORPHISM_STRAND = 1  # supporting reads on each strand in polymorphism mode
STRAND_BIAS_P = 0.001
ALPHA = 0.05  # family-wise error over the genome, polymorphism mode
INDEL_ERROR = 0.01  # per read and site
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


def _right_shift_deletion(seq: str, start: int, length: int) -> int:
    while start + length < len(seq) and seq[start] == seq[start + length]:
        start += 1
    return start


def _right_shift_insertion(seq: str, position: int, bases: str) -> tuple[int, str]:
    while position < len(seq) and seq[position] == bases[0]:
        bases = bases[1:] + bases[0]
        position += 1
    return position, bases


def indels(pileup: Pileup, settings: Settings) -> list[Mutation]:
    """Small deletions and insertions seen in enough reads of the site."""
    calls = []
    spans = pileup.span_table()
    spans = spans[np.argsort(spans[:, 1], kind="stable")] if spans.size else spans
    deletions = pileup.deletion_events()
    keys, inverse = np.unique(deletions[:, :3], axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    for row, (contig_index, start, length) in enumerate(keys):
        strands = deletions[inverse == row, 3]
        support = (int(np.count_nonzero(strands == 0)), int(np.count_nonzero(strands == 1)))
        if sum(support) < MIN_SUPPORT:
            continue
        contig = pileup.reference.contigs[int(contig_index)]
        right = _right_shift_deletion(contig.sequence, int(start), int(length))
        informative = _span_counts(spans, int(contig_index), int(start) - 1, right + length + 1)
        call = _indel_call(
            Mutation(Kind.DEL, contig.id, int(start) + 1, size=int(length)),
            support,
            informative,
            settings,
        )
        if call is not None:
            calls.append(call)
    insertions = pileup.insertion_events()
    grouped: dict[tuple[int, int, str], list[int]] = {}
    for row, bases in zip(insertions, pileup.inserted, strict=True):
        grouped.setdefault((int(row[0]), int(row[1]), bases), [0, 0])[int(row[5])] += 1
    for (contig_index, position, bases), (forward, reverse) in sorted(grouped.items()):
        if forward + reverse < MIN_SUPPORT or "N" in bases:
            continue
        contig = pileup.reference.contigs[contig_index]
        right, _ = _right_shift_insertion(contig.sequence, position, bases)
        informative = _span_counts(spans, contig_index, position - 1, right + 1)
        call = _indel_call(
            Mutation(Kind.INS, contig.id, position, new_seq=bases),
            (forward, reverse),
            informative,
            settings,
        )
        if call is not None:
            calls.append(call)
    return calls


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


def merge_substitutions(calls: list[Mutation], reference: Reference) -> list[Mutation]:
    """Adjacent SNPs of one record (consensus) become one multi-base SUB, as breseq writes."""
    merged: list[Mutation] = []
    for call in sorted(calls, key=lambda m: (m.seq_id, m.position, m.kind)):
        last = merged[-1] if merged else None
        if (
            last is not None
            and call.kind is Kind.SNP
            and last.kind in (Kind.SNP, Kind.SUB)
            and last.seq_id == call.seq_id
            and last.end + 1 == call.position
            and abs(last.frequency - call.frequency) < 0.1
        ):
            size = (last.size or 1) + 1
            merged[-1] = Mutation(
                kind=Kind.SUB,
                seq_id=call.seq_id,
                position=last.position,
                size=size,
                new_seq=last.new_seq + call.new_seq,
                frequency=min(last.frequency, call.frequency),
                evidence=last.evidence,
            )
            continue
        merged.append(call)
    return merged
