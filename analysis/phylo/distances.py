"""Pairwise distances between aligned nucleotide sequences: p-distance, Jukes–Cantor (JC69)
and Kimura 2-parameter (K2P).

Gaps and ambiguity codes are handled by *pairwise deletion*: a column counts for a pair only
where both sequences have A, C, G or T there (as MEGA's "pairwise deletion" and scikit-bio's
``pdist``/``jc69``/``k2p`` do). With ``C`` compared columns, of which ``P`` are transitions
(A<->G, C<->T) and ``Q`` transversions:

* p-distance ``p = (P + Q) / C``
* JC69 ``d = -3/4 ln(1 - 4p/3)``
* K2P ``d = -1/2 ln(1 - 2P/C - Q/C) - 1/4 ln(1 - 2Q/C)``

All pairs are counted at once with matrix products of one-hot encodings (BLAS does the work;
there is no loop over characters or pairs). Per column, purines ``R`` and pyrimidines ``Y``
are 0/1 indicators and ``U = [a - g, c - t]`` signed codes within each class (A=+1, G=-1 in
the purine half, C=+1, T=-1 in the pyrimidine half); then over a pair

* ``[R Y]·[R Y]ᵀ`` counts columns where both are in the same class (identical or transition),
* ``U·Uᵀ`` counts identical minus transitions within a class, so their difference is 2P,
* ``R·Yᵀ + Y·Rᵀ`` counts transversions.

Column weights (a bootstrap replicate's resample counts) scale both sides by ``sqrt(w)``, so
a replicate costs no copy of the alignment and the products stay symmetric (BLAS ``syrk``).
Columns are processed in blocks to bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .alignment import Alignment
from .errors import PhyloInputError
from .matrix import DistanceMatrix, check_matrix

DISTANCES = ("p", "jc69", "k2p")
# Floats per operand block: n rows x (2 x block columns) x 4 bytes stays near 32 MB.
_BLOCK_VALUES = 8_000_000
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PairCounts:
    """Per pair of sequences: compared columns, transitions and transversions (float64,
    ``(n, n)``; whole numbers unless weights were fractional)."""

    compared: F64
    transitions: F64
    transversions: F64


@dataclass(frozen=True)
class SitePatterns:
    """The distinct columns of an alignment: ``patterns`` holds each once, ``counts`` how
    often it occurs and ``index`` which pattern each original column is.

    A bootstrap replicate's column counts become pattern weights with
    ``np.bincount(index, weights=column_counts, minlength=len(counts))``.
    """

    patterns: Alignment
    counts: npt.NDArray[np.int64]
    index: npt.NDArray[np.intp]


def site_patterns(al: Alignment) -> SitePatterns:
    """Collapse identical columns (distances on ``patterns`` weighted by ``counts`` equal
    the distances on ``al``).

    >>> from analysis.phylo.alignment import alignment_from_records
    >>> sp = site_patterns(alignment_from_records(["a", "b"], ["AAGA", "ACGC"], "x"))
    >>> sp.patterns.codes.tobytes(), sp.counts.tolist(), sp.index.tolist()
    (b'AAGACG', [1, 2, 1], [0, 1, 2, 1])
    """
    unique, index, counts = np.unique(
        np.ascontiguousarray(al.codes.T), axis=0, return_inverse=True, return_counts=True
    )
    codes = np.ascontiguousarray(unique.T)
    codes.setflags(write=False)
    return SitePatterns(
        Alignment(al.labels, codes), counts.astype(np.int64), index.reshape(-1).astype(np.intp)
    )


def pair_counts(al: Alignment, weights: npt.ArrayLike | None = None) -> PairCounts:
    """Count compared columns, transitions and transversions for every pair at once.

    ``weights`` (one non-negative number per column) multiplies each column's contribution.
    """
    codes = al.codes
    n, length = codes.shape
    root: F32 | None = None
    whole = True
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (length,):
            raise PhyloInputError(
                "column weights", f"has shape {w.shape}; the alignment has {length} columns"
            )
        if not np.isfinite(w).all() or (w < 0).any():
            raise PhyloInputError("column weights", "must be finite and non-negative")
        whole = bool(np.all(w == np.rint(w)))
        root = np.sqrt(w).astype(np.float32)
    same = np.zeros((n, n))
    signed = np.zeros((n, n))
    cross = np.zeros((n, n))
    block = max(64, _BLOCK_VALUES // (2 * max(n, 1)))
    for start in range(0, length, block):
        part = codes[:, start : start + block]
        is_a, is_c = part == ord("A"), part == ord("C")
        is_g, is_t = part == ord("G"), part == ord("T")
        purine = (is_a | is_g).astype(np.float32)
        pyrimidine = (is_c | is_t).astype(np.float32)
        # Within each class +1 / -1 (A / G, C / T): a product of +1 means identical.
        sign = np.concatenate(
            [
                is_a.astype(np.float32) - is_g.astype(np.float32),
                is_c.astype(np.float32) - is_t.astype(np.float32),
            ],
            axis=1,
        )
        if root is not None:
            scale = root[start : start + block]
            purine *= scale
            pyrimidine *= scale
            sign *= np.concatenate([scale, scale])
        classes = np.concatenate([purine, pyrimidine], axis=1)
        same += classes @ classes.T
        signed += sign @ sign.T
        cross += purine @ pyrimidine.T
    transversions = cross + cross.T
    compared = same + transversions
    transitions = (same - signed) / 2
    if whole:
        # float32 products of 0/1 (or sqrt-weighted) entries: snap back to the exact counts.
        compared, transitions, transversions = (
            np.rint(m) for m in (compared, transitions, transversions)
        )
    return PairCounts(compared, transitions, transversions)


def alignment_distances(
    al: Alignment, model: str, weights: npt.ArrayLike | None = None, *, where: str = "alignment"
) -> DistanceMatrix:
    """Distances between all sequences of ``al`` under ``model`` (one of :data:`DISTANCES`).

    ``weights`` gives each column's multiplicity (a bootstrap resample) without copying.
    Raises :class:`PhyloInputError` naming the first pair with no comparable column, or
    whose difference is too large for the model's correction (saturation).

    >>> from analysis.phylo.alignment import alignment_from_records
    >>> seqs = ["ACGTACGTAC", "ACGTACGTAA", "AC-TAC--AA"]
    >>> al = alignment_from_records(["a", "b", "c"], seqs, "x")
    >>> alignment_distances(al, "p").values[0].tolist()
    [0.0, 0.1, 0.14285714285714285]
    """
    if model not in DISTANCES:
        raise PhyloInputError(
            "distance", f"unknown model {model!r}; choose one of {', '.join(DISTANCES)}"
        )
    counts = pair_counts(al, weights)
    compared = counts.compared
    np.fill_diagonal(compared, 1.0)  # a sequence against itself: distance 0, never refused
    empty = compared <= 0
    if empty.any():
        i, j = _first_pair(empty)
        raise PhyloInputError(
            f"{where}, sequences {al.labels[i]!r} and {al.labels[j]!r}",
            "share no column where both have A, C, G or T, so no distance can be measured; "
            "remove one of them or use a longer alignment",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        big_p = counts.transitions / compared
        big_q = counts.transversions / compared
        p = big_p + big_q
        if model == "p":
            values = p
        elif model == "jc69":
            values = _corrected(-0.75 * np.log(1 - 4 * p / 3), p, 1 - 4 * p / 3, al, model, where)
        else:
            first, second = 1 - 2 * big_p - big_q, 1 - 2 * big_q
            values = _corrected(
                -0.5 * np.log(first) - 0.25 * np.log(second),
                p,
                np.minimum(first, second),
                al,
                model,
                where,
            )
    values = values + 0.0  # no -0.0 on the diagonal
    np.fill_diagonal(values, 0.0)
    return check_matrix(al.labels, values, where=where)


def alignment_distances_weighted(
    al: Alignment, model: str, weights: npt.ArrayLike, *, where: str = "alignment"
) -> DistanceMatrix:
    """:func:`alignment_distances` with per-column ``weights`` (bootstrap column counts)."""
    return alignment_distances(al, model, weights, where=where)


def _corrected(values: F64, p: F64, argument: F64, al: Alignment, model: str, where: str) -> F64:
    """``values``, or the first saturated pair (log argument <= 0) refused."""
    saturated = ~(argument > 0)
    np.fill_diagonal(saturated, False)
    if saturated.any():
        i, j = _first_pair(saturated)
        raise PhyloInputError(
            f"{where}, sequences {al.labels[i]!r} and {al.labels[j]!r}",
            f"differ at {p[i, j]:.1%} of compared columns, too many for the {model.upper()} "
            "correction (saturated); use the p-distance, or remove the divergent sequence",
        )
    return values


def _first_pair(mask: npt.NDArray[np.bool_]) -> tuple[int, int]:
    i, j = np.argwhere(np.triu(mask, 1) | np.tril(mask, -1).T)[0]
    return int(i), int(j)
