"""Compile the numba kernels ahead of the first tree a user builds.

Numba compiles on first call (several seconds from scratch) and caches the machine code
beside the modules; the server runs ``python -m analysis.phylo.warm`` in a low-priority
process at start, so the first build (in the server or a job worker) loads the cache.
"""

from __future__ import annotations

import os

import numpy as np

from .build import build_tree
from .matrix import check_matrix
from .minhash import sketch


def warm_up() -> None:
    """Run each compiled kernel once on a tiny input.

    >>> warm_up()
    """
    values = np.array([[0, 2, 4, 5], [2, 0, 4, 5], [4, 4, 0, 3], [5, 5, 3, 0]], dtype=float)
    matrix = check_matrix(["a", "b", "c", "d"], values)
    for method in ("nj", "upgma", "wpgma"):
        build_tree(matrix, method)
    sketch([b"ACGTTGCAAGGCTTACCGATACGATCGATCGTAGCTAGCTAGCATCGAT"])


if __name__ == "__main__":
    os.nice(10)  # behind the server and the tests that run beside it
    warm_up()
