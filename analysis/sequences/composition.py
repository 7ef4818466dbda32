"""Base composition along a sequence: GC content and GC skew in sliding windows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.sequences._codes import as_bytes

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


# ASCII codes, upper case: clearing bit 5 upper-cases a letter and maps nothing else onto one.
_A, _C, _G, _S, _T, _U, _W = (ord(x) for x in "ACGSTUW")
_UPPER = np.uint8(0xDF)


@dataclass(frozen=True, eq=False)
class GcWindows:
    """GC content and skew of windows ``[starts[i], starts[i] + window)``.

    Windows start every ``step`` bases from 0 and only whole windows are kept, so up to
    ``step - 1`` trailing bases (more when ``step > window``) are in none. Arrays are
    read-only numpy arrays of equal length (compare with ``numpy.array_equal``, hence no
    ``==`` on the dataclass); the object pickles.

    ``gc``: (G + C + S) / (A + C + G + T + U + S + W) in the window, 0.0 when the window has
    no such base (all N), as Biopython's ``gc_fraction`` with ``ambiguous="remove"``.
    ``skew``: (G − C) / (G + C), 0.0 where G + C is 0.
    ``cumulative_skew``: running sum of ``skew`` over the windows (its minimum and maximum
    point at the origin and terminus of replication in bacterial chromosomes).
    """

    window: int
    step: int
    starts: I64
    gc: F64
    skew: F64
    cumulative_skew: F64


def gc_windows(sequence: str, window: int, step: int) -> GcWindows:
    """GC fraction and GC skew of every whole window of ``window`` bases, ``step`` apart.

    One pass of cumulative sums: a 5 Mb genome takes about 30 ms whatever the window.

    >>> w = gc_windows("GGGCCCATAT", window=4, step=2)
    >>> w.starts.tolist(), w.gc.tolist(), w.skew.tolist()
    ([0, 2, 4, 6], [1.0, 1.0, 0.5, 0.0], [0.5, -0.5, -1.0, 0.0])

    Raises
    ------
    ValueError
        When ``window`` or ``step`` is below 1, or ``window`` exceeds the sequence length.
    """
    if window < 1 or step < 1:
        raise ValueError(f"window and step must be at least 1 (got window={window}, step={step})")
    if window > len(sequence):
        raise ValueError(
            f"window of {window} bases is longer than the sequence ({len(sequence)} bases)"
        )
    letters = as_bytes(sequence) & _UPPER
    starts = np.arange(0, len(sequence) - window + 1, step, dtype=np.int64)
    ends = starts + window

    def window_sums(mask: npt.NDArray[np.bool_]) -> I64:
        running = np.zeros(letters.size + 1, dtype=np.int64)
        np.cumsum(mask, dtype=np.int64, out=running[1:])
        sums: I64 = running[ends] - running[starts]
        return sums

    is_g, is_c, is_s = letters == _G, letters == _C, letters == _S
    g = window_sums(is_g)
    c = window_sums(is_c)
    gc_count = g + c + window_sums(is_s) if is_s.any() else g + c
    # As Biopython's gc_fraction(ambiguous="remove"): only bases whose strength is known
    # (A C G T U S W) count towards the length.
    unknown = ~(
        is_g | is_c | is_s | (letters == _A) | (letters == _T) | (letters == _U) | (letters == _W)
    )
    definite = window - window_sums(unknown) if unknown.any() else np.full(starts.size, window)
    gc = np.divide(gc_count, definite, out=np.zeros(starts.size), where=definite > 0)
    skew = np.divide(g - c, g + c, out=np.zeros(starts.size), where=(g + c) > 0)
    cumulative = np.cumsum(skew)
    for array in (starts, gc, skew, cumulative):
        array.flags.writeable = False
    return GcWindows(window, step, starts, gc, skew, cumulative)
