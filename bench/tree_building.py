"""Neighbour joining and UPGMA beside scikit-bio and Biopython, in one process run.

    python bench/tree_building.py [--sizes 500 1000 2000] [--repeats 3] [--seed 0]

Ours: ``analysis.phylo.build`` (numba; NJ with RapidNJ's exact bound over sorted rows).
Anchors on the same random matrices (uniform on [0, 1), symmetrised): scikit-bio 0.7.4's
``skbio.tree.nj`` (target: time ratio ours / scikit-bio <= 1.0 with the same topology,
Robinson–Foulds 0) at each size; Biopython's ``DistanceTreeConstructor().nj`` at 200 taxa;
``skbio.tree.upgma`` (SciPy average linkage) against our UPGMA at 1,000 taxa. An ablation
row times the plain full Q scan compiled with numba (scikit-bio's algorithm, no bound), to
show what the bound buys.

numba compiles on the first call: it is warmed up first and the first-call time (loading
the on-disk cache, or compiling when there is none) is reported separately, as is a compile
from scratch with the cache bypassed. Times are best and median of --repeats runs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from Bio import Phylo  # noqa: E402
from Bio.Phylo.TreeConstruction import DistanceMatrix as BioMatrix  # noqa: E402
from Bio.Phylo.TreeConstruction import DistanceTreeConstructor  # noqa: E402
from skbio import DistanceMatrix as SkbioMatrix  # noqa: E402
from skbio.tree import nj as skbio_nj  # noqa: E402
from skbio.tree import upgma as skbio_upgma  # noqa: E402

from analysis.phylo import build  # noqa: E402
from analysis.phylo.matrix import check_matrix  # noqa: E402
from analysis.phylo.ops import robinson_foulds  # noqa: E402


@njit(cache=True)
def full_scan_nj(dm: np.ndarray) -> np.ndarray:  # pragma: no cover - ablation only
    """scikit-bio's NJ loop compiled with numba: scan the whole upper triangle for min Q."""
    n = dm.shape[0]
    sums = dm.sum(axis=0)
    idx = np.arange(n)
    lm = np.empty((n - 1, 4))
    m = n
    while m > 3:
        best = np.inf
        bi = 0
        bj = 1
        coef = m - 2.0
        for i in range(m):
            best_plus = best + sums[i]
            for j in range(i + 1, m):
                q = dm[i, j] * coef - sums[j]
                if q < best_plus:
                    best_plus = q
                    best = q - sums[i]
                    bi = i
                    bj = j
        half = dm[bi, bj] / 2
        delta = (sums[bi] - sums[bj]) / (2 * m - 4)
        for k in range(m):
            dm[bi, k] = (dm[bi, k] + dm[bj, k]) / 2
        for k in range(m):
            sums[k] -= dm[bi, k] + half
        for k in range(m):
            dm[bi, k] -= half
            dm[k, bi] = dm[bi, k]
        last = m - 1
        dm[bj, :m] = dm[last, :m]
        dm[:m, bj] = dm[:m, last]
        sums[bj] = sums[last]
        sums[bi] = dm[bi, :last].sum()
        lm[n - m, 0] = idx[bi]
        lm[n - m, 1] = idx[bj]
        lm[n - m, 2] = half + delta
        lm[n - m, 3] = half - delta
        idx[bi] = 2 * n - m
        idx[bj] = idx[last]
        m = last
    return lm


def random_matrix(n: int, seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).random((n, n))
    values = (values + values.T) / 2
    np.fill_diagonal(values, 0.0)
    return values


def clonal_matrix(n: int, seed: int) -> np.ndarray:
    """Lines 1-5 mutations from one ancestor (counts of differences per 100 kb, jittered by
    1e-9 so that exact ties, whose order is arbitrary, do not decide the topology): the
    experiment's usual shape, and the worst case for RapidNJ's bound."""
    rng = np.random.default_rng(seed)
    mutations = [set(rng.choice(100_000, int(rng.integers(1, 6)), replace=False)) for _ in range(n)]
    values = np.array([[len(a ^ b) for b in mutations] for a in mutations], dtype=float) / 1e5
    jitter = np.triu(rng.random((n, n)) * 1e-9, 1)
    return values + jitter + jitter.T


def timed(run: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """(best, median, last result) over ``repeats`` calls."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def row(label: str, ours: tuple[float, float], anchor: tuple[float, float], rf: str) -> None:
    ratio = ours[0] / anchor[0]
    print(
        f"{label:<38} {ours[0]:>9.3f} {ours[1]:>9.3f} {anchor[0]:>9.3f} {anchor[1]:>9.3f}"
        f" {ratio:>7.2f} {rf:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    small = check_matrix([f"t{i}" for i in range(10)], random_matrix(10, 1))
    start = time.perf_counter()
    build.neighbor_joining(small)
    build.upgma(small)
    first_call = time.perf_counter() - start
    fresh_nj = njit(build._nj_linkage.py_func)  # no cache: a real compile
    start = time.perf_counter()
    fresh_nj(random_matrix(10, 1))
    compile_s = time.perf_counter() - start
    full_scan_nj(random_matrix(10, 1))
    print("numba JIT warmed up before timing:")
    print(f"  first call of NJ + UPGMA here (numba cache load or compile): {first_call:.2f} s")
    print(f"  NJ compiled from scratch (cache bypassed): {compile_s:.2f} s")
    print(f"  times in seconds; best and median of {args.repeats}; ratio = ours / anchor (best)\n")
    print(
        f"{'case':<38} {'ours':>9} {'median':>9} {'anchor':>9} {'median':>9} {'ratio':>7} {'RF':>6}"
    )

    for n in args.sizes:
        values = random_matrix(n, args.seed + n)
        labels = [f"t{i}" for i in range(n)]
        dm = check_matrix(labels, values)
        sk = SkbioMatrix(values, labels)
        ob, om, ours = timed(lambda dm=dm: build.neighbor_joining(dm), args.repeats)
        sb, sm, ref = timed(lambda sk=sk: skbio_nj(sk), args.repeats)
        rf = robinson_foulds(ours, str(ref)).rf
        row(f"NJ {n:,} taxa vs scikit-bio nj", (ob, om), (sb, sm), str(rf))
        fb, fm, _ = timed(lambda v=values: full_scan_nj(v.copy()), args.repeats)
        row("  ablation: numba full Q scan", (fb, fm), (sb, sm), "")

    for n in args.sizes[-2:]:
        values = clonal_matrix(n, args.seed + n)
        labels = [f"t{i}" for i in range(n)]
        dm = check_matrix(labels, values)
        sk = SkbioMatrix(values, labels)
        ob, om, ours = timed(lambda dm=dm: build.neighbor_joining(dm), args.repeats)
        sb, sm, ref = timed(lambda sk=sk: skbio_nj(sk), args.repeats)
        rf = robinson_foulds(ours, str(ref)).rf
        row(f"NJ {n:,} clonal lines vs scikit-bio nj", (ob, om), (sb, sm), str(rf))

    n = 200
    values = random_matrix(n, args.seed + n)
    labels = [f"t{i}" for i in range(n)]
    dm = check_matrix(labels, values)
    bio = BioMatrix(labels, [list(r[: i + 1]) for i, r in enumerate(values.tolist())])
    ob, om, ours = timed(lambda: build.neighbor_joining(dm), args.repeats)
    bb, bm, tree = timed(lambda: DistanceTreeConstructor().nj(bio), 1)
    for clade in tree.get_nonterminals():
        clade.name = None
    out = io.StringIO()
    Phylo.write(tree, out, "newick")
    rf = robinson_foulds(ours, out.getvalue()).rf
    row(f"NJ {n} taxa vs Biopython nj", (ob, om), (bb, bm), str(rf))

    n = 1000
    values = random_matrix(n, args.seed + n + 1)
    labels = [f"t{i}" for i in range(n)]
    dm = check_matrix(labels, values)
    sk = SkbioMatrix(values, labels)
    ob, om, ours = timed(lambda: build.upgma(dm), args.repeats)
    sb, sm, ref = timed(lambda: skbio_upgma(sk), args.repeats)
    rf = robinson_foulds(ours, str(ref)).rf
    row(f"UPGMA {n:,} taxa vs scikit-bio upgma", (ob, om), (sb, sm), str(rf))
    ob, om, ours = timed(lambda: build.wpgma(dm), args.repeats)
    sb, sm, ref = timed(lambda: skbio_upgma(sk, weighted=True), args.repeats)
    rf = robinson_foulds(ours, str(ref)).rf
    row(f"WPGMA {n:,} taxa vs scikit-bio wpgma", (ob, om), (sb, sm), str(rf))
    print("\nRF: Robinson–Foulds distance between our tree and the anchor's (0 = same topology).")
    print("Biopython's NJ is timed once (it is pure Python).")


if __name__ == "__main__":
    main()
