"""One sample's calling turned into what is kept: GenomeDiff, VCF, CSV, annotated calls and a
coverage track (no database, no files: texts and plain values).

Calls are listed as the GenomeDiff places them (indels in repeats rightmost, as breseq
does), and annotated there, so the table, the CSV and the GenomeDiff agree line for line;
the VCF left-normalises them, as VCF requires.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from analysis.mutations.annotate import Annotation, annotate, as_fields
from analysis.mutations.call import CallResult
from analysis.mutations.genomediff import GenomeDiff, mutations_from, to_genome_diff, write
from analysis.mutations.model import Category, Kind, Mutation
from analysis.mutations.vcf import write_vcf
from analysis.sequences.records import Record

from .spreadsheet import SafeWriter

COVERAGE_BUCKETS = 10_000  # per record: ~500 bp a bucket on a 5 Mb chromosome
_VCF_NAME = re.compile(r"[^\w.\-]")


class CallRow(TypedDict):
    """One call as the table, the CSV and the API show it."""

    id: int  # its line in the GenomeDiff (1, 2, ...)
    kind: str  # GenomeDiff type: SNP, SUB, DEL, INS, MOB, AMP
    category: str  # snp, small_indel, large_deletion, amplification, mobile_element_insertion
    seq_id: str
    position: int  # 1-based; INS and MOB go after it
    end: int  # the last reference base affected
    size: int
    reference: str  # the reference bases replaced (SNP, SUB, small DEL; "" otherwise)
    new_seq: str
    change: str  # in breseq's words: A→G, Δ3 bp, +TTTT, IS1 (+) +4 bp, 1,200 bp ×2
    repeat_name: str
    strand: int
    duplication_size: int
    copy_number: int
    frequency: float
    depth: int
    supporting_forward: int
    supporting_reverse: int
    reference_forward: int
    reference_reverse: int
    quality: float
    strand_p: float
    junction_reads: int
    coverage_ratio: float
    notes: str
    effect: str  # synonymous, nonsynonymous, frameshift, intergenic ...
    mutation_category: str  # breseq's, e.g. snp_nonsynonymous
    gene: str
    locus_tag: str
    product: str
    gene_position: str
    codon_change: str
    aa_change: str
    genes: str  # every gene touched, comma-separated


CSV_COLUMNS: tuple[str, ...] = tuple(CallRow.__annotations__)


@dataclass(frozen=True)
class Outputs:
    """Everything one sample's calling keeps."""

    genome_diff: str
    vcf: str
    csv: str
    calls: list[CallRow]
    coverage: dict[str, object]
    counts: dict[str, int]

    def calls_json(self) -> bytes:
        return json.dumps(self.calls, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def coverage_json(self) -> bytes:
        return json.dumps(self.coverage, separators=(",", ":")).encode("utf-8")


def vcf_sample_name(name: str) -> str:
    """A sample name VCF can carry in its header and column (no spaces, commas, <>=).

    >>> vcf_sample_name("flight line 1, day 21")
    'flight_line_1__day_21'
    """
    return _VCF_NAME.sub("_", name) or "sample"


def build(
    result: CallResult, records: Sequence[Record], sample: str, metadata: Mapping[str, str]
) -> Outputs:
    """The kept outputs of ``result`` (called against ``records``) for sample ``sample``."""
    sequences = {r.name or r.id: r.sequence for r in records}
    genome_diff = to_genome_diff(result.mutations, result.unresolved, metadata, sequences)
    placed = mutations_from(genome_diff)
    annotations = annotate(placed, records)
    genome_diff = _annotated(genome_diff, annotations)
    rows = [
        call_row(number, m, a, sequences)
        for number, (m, a) in enumerate(zip(placed, annotations, strict=True), start=1)
    ]
    return Outputs(
        genome_diff=write(genome_diff),
        vcf=write_vcf(result.mutations, records, sample=vcf_sample_name(sample)),
        csv=calls_csv(rows, sample),
        calls=rows,
        coverage=coverage_buckets(result.coverage),
        counts=counts(placed, len(result.unresolved)),
    )


def _annotated(genome_diff: GenomeDiff, annotations: Sequence[Annotation]) -> GenomeDiff:
    """The GenomeDiff with breseq's annotation keys on each mutation line (as breseq writes
    them), evidence keys kept."""
    found = iter(annotations)
    entries = [
        replace(e, extra={**e.extra, **as_fields(next(found))}) if e.type in Kind.__members__ else e
        for e in genome_diff.entries
    ]
    return GenomeDiff(genome_diff.metadata, entries)


def _reference_bases(m: Mutation, sequences: Mapping[str, str]) -> str:
    if m.kind not in (Kind.SNP, Kind.SUB, Kind.DEL) or m.size > 50:
        return ""
    sequence = sequences.get(m.seq_id, "")
    start = m.position - 1
    return sequence[start : start + max(m.size, 1)] if sequence else ""


def change_text(m: Mutation, reference: str) -> str:
    """What happened, in breseq's words.

    >>> change_text(Mutation(Kind.DEL, "c", 5, size=3), "")
    'Δ3 bp'
    >>> change_text(Mutation(Kind.AMP, "c", 5, size=1200, copy_number=2), "")
    '1,200 bp ×2'
    """
    if m.kind is Kind.SNP:
        return f"{reference or '?'}→{m.new_seq}"
    if m.kind is Kind.SUB:
        return f"{m.size:,} bp→{m.new_seq}"
    if m.kind is Kind.DEL:
        return f"Δ{m.size:,} bp"
    if m.kind is Kind.INS:
        return f"+{m.new_seq}" if len(m.new_seq) <= 20 else f"+{len(m.new_seq):,} bp"
    if m.kind is Kind.MOB:
        strand = "+" if m.strand >= 0 else "−"
        return f"{m.repeat_name} ({strand}) +{m.duplication_size} bp"
    return f"{m.size:,} bp ×{m.copy_number}"


def call_row(number: int, m: Mutation, a: Annotation, sequences: Mapping[str, str]) -> CallRow:
    e = m.evidence
    reference = _reference_bases(m, sequences)
    return CallRow(
        id=number,
        kind=m.kind.value,
        category=m.category.value,
        seq_id=m.seq_id,
        position=m.position,
        end=m.end,
        size=m.size,
        reference=reference,
        new_seq=m.new_seq,
        change=change_text(m, reference),
        repeat_name=m.repeat_name,
        strand=m.strand,
        duplication_size=m.duplication_size,
        copy_number=m.copy_number,
        frequency=m.frequency,
        depth=e.depth,
        supporting_forward=e.supporting[0],
        supporting_reverse=e.supporting[1],
        reference_forward=e.reference[0],
        reference_reverse=e.reference[1],
        quality=e.quality,
        strand_p=e.strand_p,
        junction_reads=e.junction_reads,
        coverage_ratio=e.coverage_ratio,
        notes="; ".join(e.notes),
        effect=a.effect.value,
        mutation_category=a.category,
        gene=a.gene,
        locus_tag=a.locus_tag,
        product=a.product,
        gene_position=a.gene_position,
        codon_change=a.codon_change,
        aa_change=a.aa_change,
        genes=",".join(g.name for g in a.genes),
    )


def calls_csv(rows: Sequence[CallRow], sample: str) -> str:
    """One line per call with its evidence and annotation; text cells that a spreadsheet
    would run as a formula (``=``, ``+``, ``-``, ``@``...) are quoted inert."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["sample", *CSV_COLUMNS])
    for row in rows:
        writer.writerow([sample, *(row[c] for c in CSV_COLUMNS)])  # type: ignore[literal-required]
    return out.getvalue()


def counts(mutations: Sequence[Mutation], unresolved: int) -> dict[str, int]:
    """Calls per category and per GenomeDiff type, the total and the unresolved stretches."""
    by_category = Counter(m.category.value for m in mutations)
    by_kind = Counter(m.kind.value for m in mutations)
    out = {c.value: by_category.get(c.value, 0) for c in Category}
    out |= {k.value: by_kind.get(k.value, 0) for k in Kind}
    return {**out, "total": len(mutations), "unresolved": unresolved}


def coverage_buckets(
    depths: Mapping[str, npt.NDArray[np.int32]], buckets: int = COVERAGE_BUCKETS
) -> dict[str, object]:
    """Each record's read depth in at most ``buckets`` equal-count buckets: first and last
    base (1-based), minimum, maximum and mean depth, so a chart shows every gap and spike."""
    records = []
    for seq_id, depth in depths.items():
        n = int(depth.size)
        if n == 0:
            continue
        count = min(buckets, n)
        starts = (np.arange(count, dtype=np.int64) * n) // count
        ends = np.append(starts[1:], n)
        values = depth.astype(np.int64)
        records.append(
            {
                "seq_id": seq_id,
                "length": n,
                "start": (starts + 1).tolist(),
                "end": ends.tolist(),
                "min": np.minimum.reduceat(values, starts).tolist(),
                "max": np.maximum.reduceat(values, starts).tolist(),
                "mean": np.round(np.add.reduceat(values, starts) / (ends - starts), 2).tolist(),
            }
        )
    return {"records": records}
