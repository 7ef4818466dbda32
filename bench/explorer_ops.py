"""Sequence-explorer operations on a bacterial-sized genome, beside Biopython's plain way.

    python bench/explorer_ops.py [--megabases 5] [--repeats 5] [--seed 1]

Each explorer interaction must answer in well under 300 ms once the parsed records are
cached. On a random genome of --megabases it times gc_windows (1 kb windows, 500 bp step),
find_orfs (default arguments, linear and circular) and find_motif('GAATTC'); on pPCP1
tiled to about the same size (~5,000 CDS), written as GenBank with Biopython, it times
load_records (done once per file, then cached) and cds_rows. The anchor of each is the
straightforward Biopython way of doing the same thing, timed in the same run:
gc_fraction over the windows in a loop, Seq.translate of each frame split on '*' (ATG
starts only, so both sides are run with ATG only for that comparison), nt_search on both
strands, SeqIO.read, and SeqFeature.translate(cds=True) per CDS. Figures are the median of
--repeats runs (the anchors, being slow, run twice); each pair is checked to agree.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from Bio import SeqIO  # noqa: E402
from Bio.Seq import Seq, reverse_complement  # noqa: E402
from Bio.SeqFeature import SeqFeature  # noqa: E402
from Bio.SeqRecord import SeqRecord  # noqa: E402
from Bio.SeqUtils import gc_fraction, nt_search  # noqa: E402

from analysis.sequences import (  # noqa: E402
    cds_rows,
    find_motif,
    find_orfs,
    gc_windows,
    load_records,
)

PLASMID = ROOT / "tests/fixtures/sequences/biopython/NC_005816.gb"
BUDGET_MS = 300.0
T = TypeVar("T")


@dataclass(frozen=True)
class Figures:
    operation: str
    ours_ms: float
    anchor_ms: float
    anchor: str
    agree: bool

    @property
    def speedup(self) -> float:
        return self.anchor_ms / self.ours_ms


def timed(function: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median milliseconds over ``repeats`` calls, and the last result."""
    times = []
    result: T
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def anchor_gc(sequence: str, window: int, step: int) -> list[tuple[float, float]]:
    out = []
    for start in range(0, len(sequence) - window + 1, step):
        piece = sequence[start : start + window]
        g, c = piece.count("G"), piece.count("C")
        out.append((gc_fraction(piece), (g - c) / (g + c) if g + c else 0.0))
    return out


def anchor_orfs(sequence: str, min_length_nt: int) -> set[tuple[int, int]]:
    """Biopython tutorial style: translate each frame, split on '*', first M of each piece."""
    found = set()
    n = len(sequence)
    for strand, nucleotides in ((1, Seq(sequence)), (-1, Seq(sequence).reverse_complement())):
        for frame in range(3):
            length = 3 * ((n - frame) // 3)
            protein = str(nucleotides[frame : frame + length].translate(table=11))
            position = 0
            for piece in protein.split("*")[:-1]:  # the last piece has no stop
                m = piece.find("M")
                if m >= 0 and 3 * (len(piece) - m + 1) >= min_length_nt:
                    stop_end = frame + 3 * (position + len(piece) + 1)
                    found.add((strand, stop_end if strand == 1 else n - stop_end))
                position += len(piece) + 1
    return found


def anchor_motif(sequence: str, motif: str) -> int:
    hits = nt_search(sequence, motif)[1:]
    reverse = nt_search(sequence, reverse_complement(motif))[1:]
    return len(hits) + len(reverse)


def tiled_genbank(path: Path, target_bp: int) -> int:
    """Write pPCP1 tiled to about ``target_bp`` with its features; return the CDS count."""
    plasmid = SeqIO.read(PLASMID, "genbank")
    copies = max(1, target_bp // len(plasmid))
    features = []
    for k in range(copies):
        shift = k * len(plasmid)
        for feature in plasmid.features:
            if feature.type == "source":
                continue
            qualifiers = dict(feature.qualifiers)
            if "locus_tag" in qualifiers:
                qualifiers["locus_tag"] = [f"{qualifiers['locus_tag'][0]}_{k}"]
            features.append(
                SeqFeature(feature.location + shift, type=feature.type, qualifiers=qualifiers)
            )
    record = SeqRecord(
        Seq(str(plasmid.seq) * copies),
        id="TILED.1",
        name="TILED",
        description=f"pPCP1 tiled {copies} times",
        features=features,
        annotations={"molecule_type": "DNA", "topology": "circular"},
    )
    SeqIO.write(record, path, "genbank")
    return sum(f.type == "CDS" for f in features)


def anchor_cds(path: Path) -> list[str]:
    record = SeqIO.read(path, "genbank")
    return [str(f.translate(record.seq, cds=True)) for f in record.features if f.type == "CDS"]


def measure(megabases: float, repeats: int, seed: int) -> tuple[list[Figures], dict[str, float]]:
    generator = random.Random(seed)
    genome = "".join(generator.choices("ACGT", k=int(megabases * 1_000_000)))
    figures = []
    extra = {}

    ours_ms, windows = timed(lambda: gc_windows(genome, 1000, 500), repeats)
    anchor_ms, expected = timed(lambda: anchor_gc(genome, 1000, 500), 2)
    agree = [(round(g, 12), round(s, 12)) for g, s in expected] == [
        (round(g, 12), round(s, 12))
        for g, s in zip(windows.gc.tolist(), windows.skew.tolist(), strict=True)
    ]
    figures.append(
        Figures("gc_windows 1 kb / 500 bp", ours_ms, anchor_ms, "gc_fraction loop", agree)
    )

    ours_ms, atg = timed(lambda: find_orfs(genome, starts=("ATG",)), repeats)
    anchor_ms, expected_orfs = timed(lambda: anchor_orfs(genome, 300), 2)
    agree = {(o.strand, o.end if o.strand == 1 else o.start) for o in atg} == expected_orfs
    figures.append(Figures("find_orfs ATG only", ours_ms, anchor_ms, "translate+split", agree))
    extra["find_orfs default (ms)"], default = timed(lambda: find_orfs(genome), repeats)
    extra["find_orfs default ORFs"] = len(default)
    extra["find_orfs circular (ms)"], _ = timed(lambda: find_orfs(genome, circular=True), repeats)

    ours_ms, result = timed(lambda: find_motif(genome, "GAATTC"), repeats)
    anchor_ms, count = timed(lambda: anchor_motif(genome, "GAATTC"), 2)
    figures.append(
        Figures("find_motif GAATTC", ours_ms, anchor_ms, "nt_search x2", len(result.hits) == count)
    )
    extra["find_motif N (ms)"], _ = timed(lambda: find_motif(genome, "N"), repeats)

    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as tmp:
        path = Path(tmp) / "tiled.gb"
        n_cds = tiled_genbank(path, int(megabases * 1_000_000))
        extra["tiled GenBank (MB)"] = path.stat().st_size / 1e6
        extra["tiled CDS"] = n_cds
        ours_ms, records = timed(lambda: load_records(path, "genbank", "none"), 2)
        anchor_ms, _ = timed(lambda: SeqIO.read(path, "genbank"), 2)
        figures.append(
            Figures("load_records (once)", ours_ms, anchor_ms, "SeqIO.read", len(records) == 1)
        )
        (record,) = records
        ours_ms, rows = timed(lambda: cds_rows(record), repeats)
        anchor_ms, proteins = timed(lambda: anchor_cds(path), 2)
        agree = [r.translation for r in rows] == proteins and all(r.agrees for r in rows)
        figures.append(
            Figures(f"cds_rows ({n_cds} CDS)", ours_ms, anchor_ms, "translate(cds=True)", agree)
        )
    return figures, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabases", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figures, extra = measure(args.megabases, args.repeats, args.seed)
    print(
        f"{args.megabases:g} Mb genome, median of {args.repeats} runs (anchors: 2), "
        f"{os.cpu_count()} cores, budget {BUDGET_MS:.0f} ms per interaction"
    )
    print(f"{'operation':<28}{'ours':>11}{'anchor':>12}  {'(anchor)':<22}{'speed-up':>9}  agree")
    for f in figures:
        print(
            f"{f.operation:<28}{f.ours_ms:>8.1f} ms{f.anchor_ms:>9.1f} ms  {f.anchor:<22}"
            f"{f.speedup:>8.1f}x  {'yes' if f.agree else 'NO'}"
        )
    for name, value in extra.items():
        print(f"  {name:<28}{value:>10.1f}")


if __name__ == "__main__":
    main()
