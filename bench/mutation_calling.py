"""Mutation calling on simulated reads: our caller beside minimap2 -> samtools -> bcftools.

    python bench/mutation_calling.py [--genome-size 4600000] [--plasmid-size 60000]
        [--clonal-coverage 40] [--mixed-coverage 100] [--threads 2] [--seed 0] [--work-dir D]

Builds a bacterial-size annotated reference (circular chromosome of --genome-size and a
circular plasmid, genes on both strands, 8+1 copies of an insertion sequence), plants the
default ``PlantPlan`` (SNPs, SUBs, small indels some in repeats, large deletions one of
them across the plasmid's origin, duplications and triplications, IS insertions) and
simulates 150-bp paired reads: a clonal isolate at --clonal-coverage, and a mixed
population at --mixed-coverage whose mutations have frequencies drawn from 0.1-1.0.

Then, per sample, in the same run on the same files:

- the anchor, Debian's tools: ``minimap2 -ax sr -t T | samtools sort``, ``samtools index``,
  ``bcftools mpileup -a AD,DP | bcftools call -mv [--ploidy 1] | bcftools norm -m -any``
  (consensus: haploid; mixed: the diploid model so intermediate alleles are called, their
  frequency from AD). Its VCF is read as SNP/SUB/INS/DEL (adjacent SNPs merged into a SUB;
  symbolic alleles skipped): it cannot report large deletions, AMP or MOB.
- ours: ``analysis.mutations.call.call_mutations`` in a child process.

Prints per-category TP/FP/FN, precision, recall and F1 for both (``analysis.mutations.score``),
the allele-frequency mean absolute error of the mixed sample, wall time, peak memory (RSS
summed over each run's process tree, polled) and the time ratio ours / anchor.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _mutation_anchor import Measured, anchor_script, measured, vcf_mutations  # noqa: E402

from analysis.mutations.model import Category, Evidence, Kind, Mutation  # noqa: E402
from analysis.mutations.score import Counts, frequency_error, match, score  # noqa: E402
from analysis.mutations.simulate import (  # noqa: E402
    Planted,
    PlantPlan,
    plant,
    simulate_reads,
    simulated_reference,
    write_fasta,
    write_genbank,
)
from analysis.sequences.records import Record  # noqa: E402

READ_LENGTH = 150
INSERT_MEAN, INSERT_SD = 400, 60
ERROR_RATE = 0.005
MIXED_FREQUENCY = (0.1, 1.0)


def our_caller_available() -> bool:
    try:
        from analysis.mutations import call  # noqa: F401
    except ImportError:
        return False
    return True


def sample(
    work: Path,
    name: str,
    reference: list[Record],
    plan: PlantPlan,
    coverage: float,
    seed: int,
) -> tuple[Planted, Path, Path, float]:
    planted = plant(reference, plan, seed=seed)
    r1, r2 = work / f"{name}_R1.fastq", work / f"{name}_R2.fastq"
    started = time.perf_counter()
    simulate_reads(
        planted.haplotypes,
        [r1, r2],
        coverage=coverage,
        read_length=READ_LENGTH,
        insert_mean=INSERT_MEAN,
        insert_sd=INSERT_SD,
        error_rate=ERROR_RATE,
        seed=seed + 1,
        name_prefix=name[:3],
    )
    return planted, r1, r2, time.perf_counter() - started


def run_anchor(
    work: Path, name: str, fasta: Path, r1: Path, r2: Path, *, haploid: bool, threads: int
) -> tuple[list[Mutation], Measured]:
    vcf = work / f"{name}.anchor.vcf"
    script = work / f"{name}.anchor.sh"
    script.write_text(anchor_script(fasta, r1, r2, vcf, haploid=haploid, threads=threads))
    run = measured(["bash", str(script)], work / f"{name}.anchor.log")
    return vcf_mutations(vcf, with_frequency=not haploid), run


def run_ours(
    work: Path, name: str, genbank: Path, r1: Path, r2: Path, mode: str
) -> tuple[list[Mutation], Measured]:
    out = work / f"{name}.ours.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "_mutation_caller.py"),
        str(genbank),
        str(r1),
        str(r2),
        mode,
        str(out),
    ]
    run = measured(command, work / f"{name}.ours.log")
    rows = json.loads(out.read_text())["mutations"]
    calls = [
        Mutation(**{**row, "kind": Kind(row["kind"]), "evidence": Evidence(**row["evidence"])})
        for row in rows
    ]
    return calls, run


def print_scores(label: str, counts: dict[str, dict[Category, Counts]], planted: Planted) -> None:
    planted_per = {c: sum(m.category is c for m in planted.truth) for c in Category}
    print(f"\n{label}: planted {len(planted.truth)} mutations")
    print(f"{'category':<26}{'n':>4}  " + "".join(f"{tool:>30}" for tool in counts))
    print(f"{'':<32}" + "".join(f"{'TP/FP/FN     P     R    F1':>30}" for _ in counts))
    for category in Category:
        cells = []
        for tool_counts in counts.values():
            c = tool_counts[category]
            cells.append(
                f"{c.true_positives:>5}/{c.false_positives}/{c.false_negatives:<4}"
                f"{c.precision:>6.3f}{c.recall:>6.3f}{c.f1:>6.3f}"
            )
        print(
            f"{category.value:<26}{planted_per[category]:>4}  " + "".join(f"{x:>30}" for x in cells)
        )


def print_frequency_errors(
    found: list[Mutation], planted: Planted, sequences: dict[str, str], circular: set[str]
) -> None:
    """MAE and mean signed error per category, beside the sampling floor: what a caller
    counting every read at the call's depth would miss by chance alone (the frequency of
    ``d`` reads drawn from a population at frequency ``f`` is Binomial(d, f) / d)."""
    pairs = match(found, planted.truth, sequences, circular=circular).pairs
    for category in Category:
        picked = [(c, t) for c, t in pairs if t.category is category]
        if not picked:
            continue
        errors = [c.frequency - t.frequency for c, t in picked]
        floors = [binomial_floor(c.evidence.depth, t.frequency) for c, t in picked]
        known = [f for f in floors if not math.isnan(f)]
        floor = f"{sum(known) / len(known):.4f}" if known else "n/a"
        mae = sum(map(abs, errors)) / len(errors)
        print(
            f"    {category.value:<26} n={len(picked):>3}  MAE {mae:.4f}"
            f"  mean error {sum(errors) / len(errors):+.4f}  sampling floor {floor}"
        )


def binomial_floor(depth: int, frequency: float) -> float:
    """E|Binomial(depth, frequency) / depth - frequency| (NaN without a depth)."""
    if depth <= 0:
        return math.nan
    k = np.arange(depth + 1)
    return float((stats.binom.pmf(k, depth, frequency) * np.abs(k / depth - frequency)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--genome-size", type=int, default=4_600_000)
    parser.add_argument("--plasmid-size", type=int, default=60_000)
    parser.add_argument("--clonal-coverage", type=float, default=40)
    parser.add_argument("--mixed-coverage", type=float, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args()
    for tool in ("minimap2", "samtools", "bcftools"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (Debian: apt install {tool})")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="msg-mutations-"))
    work.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    reference = simulated_reference(args.genome_size, args.plasmid_size, seed=args.seed)
    genbank, fasta = work / "reference.gbk", work / "reference.fa"
    write_genbank(reference, genbank)
    write_fasta(reference, fasta)
    subprocess.run(["samtools", "faidx", str(fasta)], check=True)
    print(
        f"reference: {', '.join(f'{r.id} {r.length:,} bp' for r in reference)}; "
        f"made in {time.perf_counter() - started:.1f} s; work dir {work}; "
        f"{os.cpu_count()} cores, --threads {args.threads}"
    )
    sequences = {r.id: r.sequence for r in reference}
    circular = {r.id for r in reference if r.topology == "circular"}
    has_ours = our_caller_available()
    if not has_ours:
        print("our caller: not available (analysis.mutations.call not importable); anchor only")

    runs = [
        ("clonal", PlantPlan(), args.clonal_coverage, True, "consensus"),
        ("mixed", PlantPlan(frequency=MIXED_FREQUENCY), args.mixed_coverage, False, "polymorphism"),
    ]
    for index, (name, plan, coverage, haploid, mode) in enumerate(runs):
        planted, r1, r2, simulated_s = sample(
            work, name, reference, plan, coverage, seed=args.seed + 10 * (index + 1)
        )
        print(
            f"\n== {name}: {coverage:g}x, {READ_LENGTH} bp pairs, simulated in {simulated_s:.1f} s"
        )
        calls: dict[str, list[Mutation]] = {}
        times: dict[str, Measured] = {}
        calls["bcftools pipeline"], times["bcftools pipeline"] = run_anchor(
            work, name, fasta, r1, r2, haploid=haploid, threads=args.threads
        )
        if has_ours:
            calls["ours"], times["ours"] = run_ours(work, name, genbank, r1, r2, mode)
        counts = {
            tool: score(found, planted.truth, sequences, circular=circular)
            for tool, found in calls.items()
        }
        print_scores(name, counts, planted)
        if not haploid:
            for tool, found in calls.items():
                error = frequency_error(found, planted.truth, sequences, circular=circular)
                shown = "n/a" if math.isnan(error) else f"{error:.4f}"
                print(f"allele-frequency MAE, {tool}: {shown}")
                print_frequency_errors(found, planted, sequences, circular)
        for tool, run in times.items():
            print(f"{tool:<20} wall {run.seconds:>8.1f} s   peak memory {run.peak_mb:>8.0f} MB")
        if "ours" in times:
            ratio = times["ours"].seconds / times["bcftools pipeline"].seconds
            print(f"time ratio ours / bcftools pipeline: {ratio:.2f}")


if __name__ == "__main__":
    main()
