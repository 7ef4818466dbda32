"""Calling from files to files, for the command line and benchmarks.

Every input is checked strictly first (the same checks a dataset import makes), so a bad
file is refused with its name and line before any alignment starts. Results are written
into a new folder beside ``out`` and renamed into place only when all of them are complete:
on any failure ``out`` gets nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from analysis.mutations.call import CallResult, Mode, Progress, ReadSet, call_mutations
from analysis.mutations.errors import MutationInputError
from analysis.mutations.genomediff import to_genome_diff, write
from analysis.mutations.vcf import write_vcf
from analysis.sequences._errors import SequenceFormatError
from analysis.sequences.formats import Format, validate
from analysis.sequences.records import Record, load_records

OUTPUTS = ("output.vcf", "output.gd")


def _reference(path: Path) -> list[Record]:
    try:
        inventory = validate(path, path.name)
    except SequenceFormatError as error:
        raise MutationInputError(f"reference: {error}") from None
    if inventory.format not in (Format.FASTA, Format.GENBANK, Format.EMBL):
        raise MutationInputError(
            f"reference {path.name} is {inventory.format.value}, not a genome: give the "
            "reference as FASTA or GenBank"
        )
    return load_records(path, inventory.format.value, inventory.compression.value)


def _reads(paths: Sequence[Path]) -> None:
    for path in paths:
        try:
            inventory = validate(path, path.name)
        except SequenceFormatError as error:
            raise MutationInputError(f"reads: {error}") from None
        if inventory.format is not Format.FASTQ:
            raise MutationInputError(
                f"reads {path.name} are {inventory.format.value}, not FASTQ: give the "
                "sequencing reads as FASTQ (gzip allowed)"
            )


def call_to_folder(
    reference: Path,
    reads: Sequence[Path],
    mode: Mode,
    out: Path,
    *,
    progress: Progress | None = None,
) -> CallResult:
    """Call one sample's mutations and write ``out/output.vcf`` and ``out/output.gd``.

    Raises
    ------
    MutationInputError
        Bad input (named, with how to fix it), or ``out`` already holding results.
    """
    if len(reads) not in (1, 2):
        raise MutationInputError("give one FASTQ file (single-end) or two (R1 and R2)")
    taken = [name for name in OUTPUTS if (out / name).exists()]
    if taken:
        raise MutationInputError(
            f"{out / taken[0]} exists; results are never overwritten: give another --out"
        )
    for path in (reference, *reads):
        if not path.is_file():
            raise MutationInputError(f"{path} is not a file")
    records = _reference(reference)
    _reads(reads)
    result = call_mutations(
        records, [ReadSet(reads[0].name, tuple(reads))], mode, progress=progress
    )
    sequences = {r.name or r.id: r.sequence for r in records}
    metadata = {
        "PROGRAM": "MicroSpaceGen",
        "REFSEQ": reference.name,
        "READSEQ": "\n".join(p.name for p in reads),
        "MODE": mode.value,
        "INPUT-READS": str(result.reads),
        "MAPPED-READS": str(result.mapped),
    }
    texts = {
        "output.vcf": write_vcf(result.mutations, records, sample=reads[0].name),
        "output.gd": write(
            to_genome_diff(result.mutations, result.unresolved, metadata, sequences)
        ),
    }
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".calling-", dir=out))
    try:
        for name, text in texts.items():
            with (staging / name).open("w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        for name in texts:
            (staging / name).rename(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result
