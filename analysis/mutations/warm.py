"""Compile the mutation caller's numba kernels ahead of the first calling a user starts.

Numba compiles on first call (seconds from scratch) and caches the machine code beside the
modules; the server runs ``python -m analysis.mutations.warm`` in a low-priority process at
start (beside :mod:`analysis.phylo.warm`), so the first calling job loads the cache.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from analysis.mutations.call import ReadSet, call_mutations
from analysis.sequences.records import Record

READ_LENGTH = 60


def warm_up() -> None:
    """Call mutations once on a tiny genome and a few reads of it with one SNP.

    >>> warm_up()
    """
    rng = np.random.default_rng(0)
    genome = "".join("ACGT"[b] for b in rng.integers(0, 4, 3_000))
    mutant = genome[:1500] + ("A" if genome[1500] != "A" else "C") + genome[1501:]
    starts = range(0, len(mutant) - READ_LENGTH, 7)
    lines = [
        f"@w{i}\n{mutant[s : s + READ_LENGTH]}\n+\n{'I' * READ_LENGTH}\n"
        for i, s in enumerate(starts)
    ]
    with tempfile.TemporaryDirectory(prefix="warm-") as folder:
        reads = Path(folder, "warm.fastq")
        reads.write_text("".join(lines))
        reference = [Record("warm", "", genome, (), "linear", "warm")]
        call_mutations(reference, [ReadSet("warm", (reads,))])


if __name__ == "__main__":
    os.nice(10)  # behind the server and the tests that run beside it
    warm_up()
