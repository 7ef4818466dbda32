"""Helpers of bench/mutation_calling.py: run a measured process tree, read bcftools' VCF.

``measured`` runs a command and polls its whole process tree (psutil), so a shell pipeline
(minimap2 | samtools sort, bcftools mpileup | call | norm) counts the memory of every
stage running at once; it also works for one Python process.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from analysis.mutations.model import Kind, Mutation


@dataclass(frozen=True)
class Measured:
    """Wall time and peak resident memory (sum over the process tree) of one run."""

    seconds: float
    peak_mb: float


def measured(command: list[str], log: Path, poll_s: float = 0.05) -> Measured:
    """Run ``command`` (stdout and stderr to ``log``); fail loudly on a non-zero exit."""
    started = time.perf_counter()
    peak = 0
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        while process.poll() is None:
            peak = max(peak, _tree_rss(root))
            time.sleep(poll_s)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(command[:3])} ... failed ({process.returncode}):\n{tail}")
    return Measured(seconds, peak / 1e6)


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def anchor_script(
    reference: Path, r1: Path, r2: Path, out_vcf: Path, *, haploid: bool, threads: int
) -> str:
    """The minimap2 -> samtools -> bcftools pipeline as one bash script.

    Consensus: ``bcftools call -mv --ploidy 1``. Mixed populations: the default diploid
    model, so an allele at an intermediate frequency is called (0/1); its frequency is then
    read from the AD counts. Max depth raised to 1,000 so amplified stretches are counted.
    """
    bam = out_vcf.with_suffix(".bam")
    ploidy = "--ploidy 1" if haploid else ""
    return (
        "set -euo pipefail\n"
        f"minimap2 -ax sr -t {threads} {reference} {r1} {r2} 2>/dev/null"
        f" | samtools sort -@ {max(0, threads - 1)} -o {bam} -\n"
        f"samtools index {bam}\n"
        f"bcftools mpileup -d 1000 -a AD,DP -f {reference} {bam} 2>/dev/null"
        f" | bcftools call -mv {ploidy} 2>/dev/null"
        f" | bcftools norm -m -any -f {reference} -o {out_vcf} 2>/dev/null\n"
    )


def vcf_mutations(path: Path, *, with_frequency: bool) -> list[Mutation]:
    """bcftools' records as mutations (symbolic alleles skipped), adjacent SNPs merged.

    A multi-base substitution comes out of bcftools as one SNP per base; merging
    neighbouring SNPs into a SUB (as breseq writes it) keeps the anchor from being charged
    a miss and several false calls for each.
    """
    calls: list[Mutation] = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        chrom, pos, ref, alt = fields[0], int(fields[1]), fields[3], fields[4]
        if alt.startswith("<") or alt in ("*", "."):
            continue
        sample = dict(zip(fields[8].split(":"), fields[9].split(":"), strict=False))
        if sample.get("GT", "1").replace("|", "/") in ("0", "0/0", ".", "./."):
            continue
        frequency = _allele_fraction(sample.get("AD", "")) if with_frequency else 1.0
        mutation = _from_alleles(chrom, pos, ref.upper(), alt.upper(), frequency)
        if mutation is not None:
            calls.append(mutation)
    return _merged_substitutions(calls)


def _allele_fraction(depths: str) -> float:
    try:
        counts = [int(x) for x in depths.split(",")]
    except ValueError:
        return 1.0
    total = sum(counts)
    return counts[1] / total if total and len(counts) > 1 else 1.0


def _from_alleles(chrom: str, pos: int, ref: str, alt: str, frequency: float) -> Mutation | None:
    """Trim the shared prefix and suffix of REF and ALT, then name what is left."""
    prefix = 0
    while prefix < min(len(ref), len(alt)) and ref[prefix] == alt[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(ref), len(alt)) - prefix
        and ref[len(ref) - 1 - suffix] == alt[len(alt) - 1 - suffix]
    ):
        suffix += 1
    old, new = ref[prefix : len(ref) - suffix], alt[prefix : len(alt) - suffix]
    start = pos + prefix
    if not old and not new:
        return None
    if not old:
        return Mutation(Kind.INS, chrom, start - 1, new_seq=new, frequency=frequency)
    if not new:
        return Mutation(Kind.DEL, chrom, start, size=len(old), frequency=frequency)
    if len(old) == len(new) == 1:
        return Mutation(Kind.SNP, chrom, start, new_seq=new, frequency=frequency)
    return Mutation(Kind.SUB, chrom, start, size=len(old), new_seq=new, frequency=frequency)


def _merged_substitutions(calls: list[Mutation]) -> list[Mutation]:
    merged: list[Mutation] = []
    for call in calls:
        last = merged[-1] if merged else None
        if (
            last is not None
            and call.kind is Kind.SNP
            and last.kind in (Kind.SNP, Kind.SUB)
            and last.seq_id == call.seq_id
            and last.position + max(1, last.size) == call.position
        ):
            size = max(1, last.size) + 1
            merged[-1] = Mutation(
                Kind.SUB,
                call.seq_id,
                last.position,
                size=size,
                new_seq=last.new_seq + call.new_seq,
                frequency=(last.frequency * (size - 1) + call.frequency) / size,
            )
        else:
            merged.append(call)
    return merged
