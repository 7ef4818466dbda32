"""FASTQ read statistics: our read_stats and validate beside `seqkit stats -a`, same file, same run.

    python bench/read_stats.py [--work-dir /tmp/msg-bench] [--repeats 3] [--also-zlib]

Makes, once, a deterministic gzipped FASTQ of at least 200 MB (Illumina-like: 150-bp reads,
5% adapter-trimmed to 35-149 bp, Phred+33 qualities falling along the read with correlated
noise, Q2 tails on some reads, N at 0.2% of bases) and caches it in the work directory.
Then runs, alternately, `seqkit stats -a -T` (the anchor), read_stats and validate, keeps
the best of --repeats for each, prints the times, our time over seqkit's and MB/s, and
checks our reads/bases/min/max/N50/Q20/Q30/GC against seqkit's (exit status 1 if any
disagree). --also-zlib times read_stats again with the standard library's zlib in place
of python-isal, to show what isal buys.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.sequences import _source  # noqa: E402
from analysis.sequences.formats import read_stats, validate  # noqa: E402
from analysis.sequences.stats import ReadStats  # noqa: E402

SEED = 20240607
TARGET_BYTES = 200_000_000
BATCH_READS = 100_000
READ_LENGTH = 150
VERSION = 1  # bump when the generator changes, so an old cache is not reused


@dataclass(frozen=True)
class Dataset:
    path: Path
    reads: int
    fastq_bytes: int

    @property
    def gz_bytes(self) -> int:
        return self.path.stat().st_size


def _batch(rng: np.random.Generator, first: int, n: int) -> bytes:
    """``n`` Illumina-like reads, numbered from ``first``."""
    length = READ_LENGTH
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)[
        rng.choice(4, size=(n, length), p=[0.27, 0.23, 0.23, 0.27])
    ]
    # Quality: a mean curve falling along the read, a per-read offset, AR(1) noise.
    position = np.arange(length) / length
    curve = 37.5 - 8.0 * position**2
    offset = -np.abs(rng.normal(0.0, 2.5, size=(n, 1)))
    noise = np.empty((n, length))
    noise[:, 0] = rng.normal(0.0, 3.0, size=n)
    shocks = rng.normal(0.0, 3.0 * np.sqrt(1 - 0.7**2), size=(n, length))
    for t in range(1, length):
        noise[:, t] = 0.7 * noise[:, t - 1] + shocks[:, t]
    quality = np.rint(curve + offset + noise).clip(2, 41).astype(np.uint8)
    # Some reads end in a run of Q2 (Illumina's read-segment quality indicator).
    tails = rng.random(n) < 0.03
    tail_start = rng.integers(60, length, size=n)
    quality[tails[:, None] & (np.arange(length) >= tail_start[:, None])] = 2
    calls_n = rng.random((n, length)) < 0.002
    bases[calls_n] = ord("N")
    quality[calls_n] = 2
    quality += 33
    lengths = np.full(n, length)
    trimmed = rng.random(n) < 0.05
    lengths[trimmed] = rng.integers(35, length, size=int(trimmed.sum()))
    tiles = rng.integers(1101, 2229, size=n)
    xs = rng.integers(1000, 32000, size=n)
    ys = rng.integers(1000, 32000, size=n)
    seq_blob, qual_blob = bases.tobytes(), quality.tobytes()
    out = []
    for i in range(n):
        start = i * length
        end = start + int(lengths[i])
        out.append(
            b"@MSG:7:HBENCHXX:1:%d:%d:%d 1:N:0:ACGTTGCA\n%b\n+\n%b\n"
            % (tiles[i], xs[i], ys[i], seq_blob[start:end], qual_blob[start:end])
        )
    return b"".join(out)


def dataset(work_dir: Path) -> Dataset:
    """The cached benchmark FASTQ, made on first use (about a minute)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"illumina-like-v{VERSION}.fastq.gz"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        info = json.loads(meta.read_text())
        return Dataset(path, info["reads"], info["fastq_bytes"])
    print(f"making {path} (once) ...", flush=True)
    rng = np.random.default_rng(SEED)
    reads = fastq_bytes = 0
    partial = path.with_suffix(".partial")
    with (
        open(partial, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz,
    ):
        while raw.tell() < TARGET_BYTES:
            block = _batch(rng, reads, BATCH_READS)
            gz.write(block)
            reads += BATCH_READS
            fastq_bytes += len(block)
    partial.rename(path)
    meta.write_text(json.dumps({"reads": reads, "fastq_bytes": fastq_bytes}))
    return Dataset(path, reads, fastq_bytes)


def seqkit_stats(path: Path) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    out = subprocess.run(
        ["seqkit", "stats", "-a", "-T", str(path)], check=True, capture_output=True, text=True
    ).stdout
    elapsed = time.perf_counter() - started
    header, row = out.strip().split("\n")
    return elapsed, dict(zip(header.split("\t"), row.split("\t"), strict=True))


def timed(run: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def with_zlib(run: Callable[[], object]) -> Callable[[], object]:
    """``run`` with the standard library's inflater (bench only: swaps a module global)."""
    import zlib

    def wrapped() -> object:
        saved = _source._INFLATE_MODULE, _source._INFLATE_ERRORS
        _source._INFLATE_MODULE, _source._INFLATE_ERRORS = zlib, (zlib.error,)
        try:
            return run()
        finally:
            _source._INFLATE_MODULE, _source._INFLATE_ERRORS = saved

    return wrapped


def compare(ours: ReadStats, theirs: dict[str, str]) -> list[tuple[str, str, str, bool]]:
    """(figure, seqkit, ours, agree) for each figure both report."""
    rows = []
    for name, column, value in [
        ("reads", "num_seqs", ours.reads),
        ("bases", "sum_len", ours.bases),
        ("min length", "min_len", ours.min_length),
        ("max length", "max_len", ours.max_length),
        ("N50", "N50", ours.n50),
    ]:
        rows.append((name, theirs[column], str(value), int(theirs[column]) == value))
    for name, column, fraction in [
        ("Q20 %", "Q20(%)", ours.q20_fraction),
        ("Q30 %", "Q30(%)", ours.q30_fraction),
        ("GC %", "GC(%)", ours.gc_fraction),
    ]:
        shown = f"{100 * fraction:.2f}"
        rows.append((name, theirs[column], shown, float(theirs[column]) == float(shown)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "msg-bench")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--also-zlib", action="store_true")
    args = parser.parse_args()
    if shutil.which("seqkit") is None:
        raise SystemExit("seqkit is not installed (Debian: apt install seqkit)")
    data = dataset(args.work_dir)
    name = data.path.name
    runs: dict[str, Callable[[], object]] = {
        "read_stats": lambda: read_stats(data.path, name),
        "validate": lambda: validate(data.path, name),
    }
    if args.also_zlib:
        runs["read_stats, zlib"] = with_zlib(runs["read_stats"])
    best: dict[str, float] = {"seqkit stats -a": float("inf")} | {k: float("inf") for k in runs}
    theirs: dict[str, str] = {}
    ours: object = None
    for _ in range(args.repeats):
        elapsed, theirs = seqkit_stats(data.path)
        best["seqkit stats -a"] = min(best["seqkit stats -a"], elapsed)
        for label, run in runs.items():
            elapsed, result = timed(run)
            best[label] = min(best[label], elapsed)
            if label == "read_stats":
                ours = result
    assert isinstance(ours, ReadStats)
    anchor = best["seqkit stats -a"]
    inflater = _source._INFLATE_MODULE.__name__
    seqkit_version = subprocess.run(
        ["seqkit", "version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"{name}: {data.gz_bytes / 1e6:.1f} MB gzip, {data.fastq_bytes / 1e6:.1f} MB FASTQ, "
        f"{data.reads:,} reads; {seqkit_version}; our inflater {inflater}; "
        f"{os.cpu_count()} cores; best of {args.repeats}"
    )
    print(f"{'':<20}{'time':>9}{'vs seqkit':>11}{'gzip MB/s':>11}{'FASTQ MB/s':>12}")
    for label, seconds in best.items():
        print(
            f"{label:<20}{seconds:>7.2f} s{seconds / anchor:>10.2f}x"
            f"{data.gz_bytes / 1e6 / seconds:>11.0f}{data.fastq_bytes / 1e6 / seconds:>12.0f}"
        )
    rows = compare(ours, theirs)
    print(f"\n{'figure':<12}{'seqkit':>14}{'ours':>14}  agree")
    for figure, seqkit_value, our_value, agree in rows:
        print(f"{figure:<12}{seqkit_value:>14}{our_value:>14}  {'yes' if agree else 'NO'}")
    if not all(agree for *_, agree in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
