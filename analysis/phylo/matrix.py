"""Distance matrices: the checked type every tree builder takes.

Reading and writing them (PHYLIP square or lower-triangular, CSV) lives here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .errors import PhyloInputError

LABEL_MAX = 200
# Asymmetry tolerated as rounding (relative to the largest distance): files written with
# six decimals round d(a,b) and d(b,a) the same way, so anything larger is a real mistake.
SYMMETRY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class DistanceMatrix:
    """Pairwise distances between labelled taxa: square, symmetric, zero diagonal, finite and
    non-negative (made only through :func:`check_matrix`)."""

    labels: tuple[str, ...]
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def check_labels(labels: Sequence[str], where: str) -> tuple[str, ...]:
    """``labels`` as a tuple, or the first empty, over-long or repeated one named."""
    seen: dict[str, int] = {}
    for i, label in enumerate(labels, start=1):
        if not isinstance(label, str) or not label.strip():
            raise PhyloInputError(f"{where}, label {i}", "is empty; give every taxon a name")
        if len(label) > LABEL_MAX:
            raise PhyloInputError(
                f"{where}, label {i}", f"is {len(label)} characters; at most {LABEL_MAX}"
            )
        if label in seen:
            raise PhyloInputError(
                f"{where}, label {i}",
                f"{label[:60]!r} is also label {seen[label]}; taxon names must be unique",
            )
        seen[label] = i
    return tuple(labels)


def check_matrix(
    labels: Sequence[str], values: ArrayLike, *, where: str = "matrix"
) -> DistanceMatrix:
    """A :class:`DistanceMatrix`, or :class:`PhyloInputError` naming the first bad cell.

    >>> dm = check_matrix(["a", "b", "c"], [[0, 1, 2], [1, 0, 3], [2, 3, 0]])
    >>> dm.values[1, 2]
    np.float64(3.0)
    >>> try:
    ...     check_matrix(["a", "b"], [[0, 1], [2, 0]])
    ... except PhyloInputError as exc:
    ...     print(exc.where)
    matrix, row 2, column 1
    """
    names = check_labels(labels, where)
    try:
        array = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        raise PhyloInputError(
            where, "is not a table of numbers (rows of equal length, numbers only)"
        ) from None
    n = len(names)
    if n < 2:
        raise PhyloInputError(where, f"has {n} taxon; a tree needs at least 2 (3 for NJ)")
    if array.ndim != 2 or array.shape != (n, n):
        raise PhyloInputError(
            where, f"is {'x'.join(map(str, array.shape))} for {n} labels; it must be {n}x{n}"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {j + 1}", f"is {array[i, j]}; distances must be numbers"
        )
    if (array < 0).any():
        i, j = np.argwhere(array < 0)[0]
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {j + 1}",
            f"is {array[i, j]:g}; distances cannot be negative",
        )
    diagonal = np.flatnonzero(np.diagonal(array))
    if diagonal.size:
        i = int(diagonal[0])
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {i + 1}",
            f"is {array[i, i]:g}; a taxon's distance to itself must be 0",
        )
    scale = float(array.max()) or 1.0
    skew = np.abs(array - array.T) > SYMMETRY_TOLERANCE * scale
    if skew.any():
        i, j = np.argwhere(np.tril(skew))[0]
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {j + 1}",
            f"is {array[i, j]:g} but row {j + 1}, column {i + 1} is {array[j, i]:g}; "
            "a distance matrix must be symmetric",
        )
    symmetric = (array + array.T) / 2  # rounding differences below the tolerance averaged out
    symmetric.setflags(write=False)
    return DistanceMatrix(names, symmetric)
