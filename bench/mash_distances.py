"""Mash-style distances between 50 genomes of 1-5 Mb, ours beside Debian's ``mash``.

    python bench/mash_distances.py [--genomes 50] [--min-mb 1] [--max-mb 5] [--quick] [--seed 0]

Genomes are generated: a few random ancestors, each with mutated descendants (0.1-5 %
substitutions), written as FASTA to a temporary directory. Ours (analysis.phylo.minhash):
read each FASTA file, sketch it (k=21, s=1000) and compute all-pairs distances; one thread.
The anchor, in the same run on the same files: ``mash sketch`` then ``mash dist`` of the
sketch file against itself, with ``-p 1`` (Mash's default, and fair against our one thread)
and with ``-p`` = the CPU count. Prints times, the ratio, and agreement: the largest
|D_ours - D_mash| over all pairs and how many pairs share the same hash count.
``--quick`` runs 10 genomes of 0.2-1 Mb.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.phylo.minhash import SKETCH_SIZE, K, sketch, sketch_distances  # noqa: E402

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def generate(folder: Path, count: int, min_mb: float, max_mb: float, seed: int) -> list[Path]:
    """Write ``count`` genomes as FASTA: about one ancestor per 10, the rest descendants."""
    rng = np.random.default_rng(seed)
    ancestors = [
        rng.integers(0, 4, int(rng.uniform(min_mb, max_mb) * 1e6)).astype(np.uint8)
        for _ in range(max(1, count // 10))
    ]
    paths = []
    for i in range(count):
        parent = ancestors[i % len(ancestors)]
        genome = parent.copy()
        if i >= len(ancestors):
            rate = rng.uniform(0.001, 0.05)
            hit = np.flatnonzero(rng.random(genome.size) < rate)
            genome[hit] = (genome[hit] + rng.integers(1, 4, hit.size)) % 4
            # Descendants also lose or gain a little sequence at the end.
            genome = genome[: int(genome.size * rng.uniform(0.95, 1.0))]
        text = BASES[genome].tobytes()
        path = folder / f"genome{i:02d}.fa"
        lines = b"\n".join(text[j : j + 80] for j in range(0, len(text), 80))
        path.write_bytes(b">genome%d\n" % i + lines + b"\n")
        paths.append(path)
    return paths


def read_fasta(path: Path) -> list[bytes]:
    """The records of a FASTA file as bytes without line breaks."""
    records = []
    for chunk in path.read_bytes().split(b">")[1:]:
        _header, _, body = chunk.partition(b"\n")
        records.append(body.replace(b"\n", b"").replace(b"\r", b""))
    return records


def ours(paths: list[Path], threads: int = 1) -> tuple[float, float, np.ndarray]:
    """Read, sketch and compare; ``threads`` genomes at a time, as the trees service does
    (the numba k-mer loop releases the GIL)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        sketches = list(pool.map(lambda p: sketch(read_fasta(p), k=K, size=SKETCH_SIZE), paths))
    sketched = time.perf_counter()
    dm = sketch_distances([p.stem for p in paths], sketches)
    return sketched - start, time.perf_counter() - sketched, dm.values


def theirs(paths: list[Path], folder: Path, threads: int) -> tuple[float, float, np.ndarray]:
    out = folder / f"mash_p{threads}"
    start = time.perf_counter()
    subprocess.run(
        ["mash", "sketch", "-p", str(threads), "-k", str(K), "-s", str(SKETCH_SIZE), "-o", str(out)]
        + [str(p) for p in paths],
        check=True,
        capture_output=True,
    )
    sketched = time.perf_counter()
    table = subprocess.run(
        ["mash", "dist", "-p", str(threads), f"{out}.msh", f"{out}.msh"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    done = time.perf_counter()
    index = {str(p): i for i, p in enumerate(paths)}
    values = np.full((len(paths), len(paths)), np.nan)
    for line in table.splitlines():
        reference, query, distance, _p, _shared = line.split("\t")
        values[index[reference], index[query]] = float(distance)
    return sketched - start, done - sketched, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genomes", type=int, default=50)
    parser.add_argument("--min-mb", type=float, default=1.0)
    parser.add_argument("--max-mb", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="10 genomes of 0.2-1 Mb")
    args = parser.parse_args()
    if args.quick:
        args.genomes, args.min_mb, args.max_mb = 10, 0.2, 1.0
    if shutil.which("mash") is None:
        sys.exit("Debian's mash is not installed (apt-get install mash)")
    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = generate(folder, args.genomes, args.min_mb, args.max_mb, args.seed)
        total_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(
            f"{len(paths)} genomes, {args.min_mb:g}-{args.max_mb:g} Mb, {total_mb:.0f} MB of "
            f"FASTA; k={K}, sketch size {SKETCH_SIZE}; {len(paths) * (len(paths) - 1) // 2:,} pairs"
        )
        # Load (or compile) the numba kernels outside the timing.
        sketch_distances(["a", "b"], [sketch([b"ACGT" * 10]), sketch([b"ACGA" * 10])])
        our_sketch, our_dist, our_values = ours(paths)
        our_total = our_sketch + our_dist
        print(
            f"  ours            : sketch {our_sketch:7.2f} s + distances {our_dist:6.3f} s "
            f"= {our_total:7.2f} s  ({total_mb / our_sketch:.0f} MB/s sketched, one thread)"
        )
        for threads in sorted({1, cpus}):
            if threads > 1:
                our_sketch, our_dist, our_values = ours(paths, threads)
                our_total = our_sketch + our_dist
                print(
                    f"  ours, {threads} threads : sketch {our_sketch:7.2f} s + distances "
                    f"{our_dist:6.3f} s = {our_total:7.2f} s (as the trees service runs it)"
                )
            mash_sketch, mash_dist, mash_values = theirs(paths, folder, threads)
            mash_total = mash_sketch + mash_dist
            print(
                f"  mash -p {threads:<2}      : sketch {mash_sketch:7.2f} s + distances "
                f"{mash_dist:6.3f} s = {mash_total:7.2f} s"
            )
            print(
                f"  ratio (ours, {threads} thread{'s' if threads > 1 else ''} / mash -p {threads}) "
                f": {our_total / mash_total:.2f}"
            )
            difference = np.abs(our_values - mash_values)
            print(
                f"  agreement       : max |D_ours - D_mash| = {np.nanmax(difference):.2e} over "
                f"{np.isfinite(difference).sum():,} ordered pairs (mash prints 6 digits)"
            )
        related = our_values[np.triu_indices(len(paths), 1)]
        print(
            f"  distances range : {related.min():.4f} .. {related.max():.4f} "
            f"({(related >= 1).sum()} unrelated pairs at D = 1)"
        )


if __name__ == "__main__":
    main()
