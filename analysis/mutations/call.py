"""Call mutations of sequenced isolates or populations against their reference.

``call_mutations`` aligns every read set with minimap2, piles the alignments up, and calls
SNPs, multi-base substitutions and small indels (``small``), then large events from
coverage and read junctions (``large``). Progress is reported as (stage, fraction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.mutations import large, small
from analysis.mutations.align import (
    IndexSettings,
    ReferenceIndex,
    estimated_reads,
    median_read_length,
    read_records,
)
from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Mutation, Unresolved
from analysis.mutations.pileup import Pileup
from analysis.mutations.reference import reference_from
from analysis.sequences.records import Record

Progress = Callable[[str, float], None]


class Mode(StrEnum):
    CONSENSUS = "consensus"
    POLYMORPHISM = "polymorphism"


@dataclass(frozen=True)
class ReadSet:
    """One sample's reads: one FASTQ (single-end) or two (R1, R2)."""

    name: str
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class CallResult:
    """Calls with what they rest on: per-record read depth, reads seen and aligned, and
    read sets that were skipped (with why)."""

    mutations: tuple[Mutation, ...]
    unresolved: tuple[Unresolved, ...]
    coverage: dict[str, npt.NDArray[np.int32]]
    reads: int
    mapped: int
    skipped: tuple[str, ...]


def _quiet(stage: str, fraction: float) -> None:
    return None


def call_mutations(
    reference: Sequence[Record],
    reads: Sequence[ReadSet],
    mode: Mode = Mode.CONSENSUS,
    *,
    progress: Progress | None = None,
) -> CallResult:
    """Mutations of one sample (all ``reads`` are pooled) against ``reference``.

    Raises
    ------
    MutationInputError
        A reference without sequence; mate files that do not pair; no read set with any
        read; reads that do not match the reference at all.
    """
    report = progress or _quiet
    genome = reference_from(reference)
    if not reads:
        raise MutationInputError("no read files given: give at least one FASTQ file")
    for read_set in reads:
        if len(read_set.paths) not in (1, 2):
            raise MutationInputError(
                f"{read_set.name}: give one FASTQ file (single-end) or two (R1 and R2)"
            )
    pileup = Pileup(genome)
    skipped: list[str] = []
    expected = {r.name: sum(map(estimated_reads, r.paths)) for r in reads}
    total = sum(expected.values()) or 1
    done = 0
    for read_set in reads:
        length = median_read_length(read_set.paths)
        if length == 0:
            skipped.append(f"{read_set.name}: no reads in {read_set.paths[0].name}; skipped")
            continue
        index = ReferenceIndex(genome, IndexSettings.for_length(length))
        before = pileup.reads
        for batch in index.batches(read_records(read_set.paths)):
            pileup.add(batch)
            seen = min(pileup.reads - before, expected[read_set.name])
            report("aligning", min(0.99, (done + seen) / total))
        done += expected[read_set.name]
        if pileup.reads == before:
            skipped.append(f"{read_set.name}: no readable reads; skipped")
    if pileup.reads == 0:
        raise MutationInputError(
            "none of the read files holds any read: " + "; ".join(skipped)
            if skipped
            else "no reads"
        )
    if pileup.aligned == 0:
        raise MutationInputError(
            f"none of the {pileup.reads} reads aligns to the reference: check that the reads "
            "and the reference are of the same organism"
        )
    report("calling", 0.0)
    settings = small.Settings(polymorphism=mode is Mode.POLYMORPHISM)
    calls = small.snps(pileup, settings) + small.indels(pileup, settings)
    report("calling", 0.5)
    events, unresolved = large.events(pileup, settings)
    calls = small.merge_clusters(calls, genome)
    events = large.not_called_already(events, calls)
    calls += events
    calls = large.without_inside(calls, events)
    unresolved = large.explained(unresolved, calls, genome.sequences())
    report("calling", 1.0)
    coverage = {c.id: pileup.depth[c.offset : c.offset + c.length].copy() for c in genome.contigs}
    ordered = sorted(calls, key=lambda m: (genome.by_id(m.seq_id).index, m.position, m.kind))
    return CallResult(
        mutations=tuple(ordered),
        unresolved=tuple(unresolved),
        coverage=coverage,
        reads=pileup.reads,
        mapped=pileup.aligned,
        skipped=tuple(skipped),
    )
