"""Downsample a time series for plotting: min/max per bucket, or LTTB.

A 7-day run sampled at 1 Hz holds about 600,000 points per parameter; a chart needs a few
thousand. Two reductions, both keeping real samples (no interpolated values):

* **min/max** (:func:`minmax`): the series is cut into buckets of equal *count* (bucket
  ``k`` of ``B`` holds samples ``k*n//B`` to ``(k+1)*n//B - 1``, so sizes differ by at most
  one) and each bucket contributes its minimum and its maximum sample, in time order. Every
  spike survives, which is what an operator looking for excursions needs. Equal-count rather
  than equal-width buckets: no empty buckets over gaps, and with a steady sample rate the
  two are the same.
* **LTTB** (:func:`lttb`), Largest-Triangle-Three-Buckets (S. Steinarsson, *Downsampling
  Time Series for Visual Representation*, MSc thesis, University of Iceland, 2013): first
  and last samples kept, and from each of ``n_out - 2`` equal-count buckets the sample that
  forms the largest triangle with the sample kept before it and the centroid of the next
  bucket. The shape is kept with one point per bucket. Computed by ``tsdownsample``
  (Rust); its centroid takes the *midpoint* of the next bucket's first and last times
  rather than their mean, which is the same for evenly sampled series (telemetry) and
  differs slightly for irregular ones.

Inputs are float64 arrays sorted by time. Samples whose time or value is NaN (gaps) are
dropped before anything else, so the output never holds NaN (and serialises as JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from tsdownsample import LTTBDownsampler

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.intp]

Method = Literal["minmax", "lttb"]
METHODS: tuple[Method, ...] = ("minmax", "lttb")
MIN_POINTS = 3

# tsdownsample types its downsample() but not the constructor.
_LTTB = LTTBDownsampler()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Downsampled:
    """A downsampled series: the kept points and, for min/max, each bucket's extremes.

    ``t`` and ``v`` are the kept samples in time order (``points`` gives them as
    ``[[t, v], ...]``). For ``method == "minmax"`` the four ``bucket_*`` arrays have one
    entry per bucket: the times of its first and last samples and its minimum and maximum
    value; for ``"lttb"`` and for a series returned whole (``method == "none"``) they are
    ``None``. ``n_in`` counts the input samples that were not NaN.
    """

    t: F64
    v: F64
    method: Literal["none", "minmax", "lttb"]
    n_in: int
    bucket_t_start: F64 | None = None
    bucket_t_end: F64 | None = None
    bucket_min: F64 | None = None
    bucket_max: F64 | None = None

    @property
    def is_downsampled(self) -> bool:
        """Whether points were dropped (``False``: the series came back whole)."""
        return self.method != "none"

    @property
    def points(self) -> list[list[float]]:
        """Return the kept samples as ``[[t, v], ...]`` (plain floats, JSON-ready)."""
        pairs: list[list[float]] = np.column_stack((self.t, self.v)).tolist()
        return pairs


def _clean(t: npt.ArrayLike, v: npt.ArrayLike) -> tuple[F64, F64]:
    """Return float64 copies of ``t`` and ``v`` without NaN rows; check shape and order."""
    t_arr = np.asarray(t, dtype=np.float64)
    v_arr = np.asarray(v, dtype=np.float64)
    if t_arr.ndim != 1 or v_arr.ndim != 1 or t_arr.shape != v_arr.shape:
        raise ValueError(
            f"t and v must be 1-D arrays of the same length, got shapes {t_arr.shape} "
            f"and {v_arr.shape}"
        )
    keep = ~(np.isnan(t_arr) | np.isnan(v_arr))
    if not keep.all():
        t_arr, v_arr = t_arr[keep], v_arr[keep]
    else:
        t_arr, v_arr = t_arr.copy(), v_arr.copy()
    if t_arr.size > 1 and bool((t_arr[1:] < t_arr[:-1]).any()):
        raise ValueError("t must be sorted in increasing order (sort the samples by time first)")
    return t_arr, v_arr


def _bucket_extremes(v: F64, n_buckets: int) -> tuple[I64, I64, I64, I64]:
    """Return per-bucket start, end (exclusive), argmin and argmax indices into ``v``.

    Buckets are equal-count: bucket ``k`` is ``v[k*n//B : (k+1)*n//B]``. Vectorised by
    gathering the buckets into a ``(B, ceil(n/B))`` array padded with +inf / -inf.
    """
    n = v.size
    bounds = (np.arange(n_buckets + 1, dtype=np.intp) * n) // n_buckets
    starts, ends = bounds[:-1], bounds[1:]
    width = int((ends - starts).max())
    offsets = np.arange(width, dtype=np.intp)
    index = starts[:, None] + offsets[None, :]
    inside = index < ends[:, None]
    np.minimum(index, n - 1, out=index)
    block = v[index]
    lows = np.where(inside, block, np.inf).argmin(axis=1)
    highs = np.where(inside, block, -np.inf).argmax(axis=1)
    return starts, ends, starts + lows, starts + highs


def _minmax(t: F64, v: F64, n_buckets: int) -> Downsampled:
    starts, ends, lows, highs = _bucket_extremes(v, n_buckets)
    kept = np.unique(np.concatenate((lows, highs)))  # sorted, so in time order
    return Downsampled(
        t=t[kept],
        v=v[kept],
        method="minmax",
        n_in=int(v.size),
        bucket_t_start=t[starts],
        bucket_t_end=t[ends - 1],
        bucket_min=v[lows],
        bucket_max=v[highs],
    )


def minmax(t: npt.ArrayLike, v: npt.ArrayLike, n_buckets: int) -> tuple[F64, F64]:
    """Keep the minimum and the maximum sample of each of ``n_buckets`` equal-count buckets.

    Parameters
    ----------
    t, v
        Times (sorted, increasing) and values; rows with a NaN are dropped.
    n_buckets
        How many buckets; at least 1. With ``n_buckets >= len(t)`` every sample is kept.

    Returns
    -------
    (t_out, v_out)
        At most ``2 * n_buckets`` samples in time order (one per bucket where its minimum
        and maximum are the same sample).

    Examples
    --------
    >>> t_out, v_out = minmax([0, 1, 2, 3, 4, 5], [5, 1, 3, 2, 9, 4], 2)
    >>> t_out.tolist(), v_out.tolist()
    ([0.0, 1.0, 3.0, 4.0], [5.0, 1.0, 2.0, 9.0])
    """
    if n_buckets < 1:
        raise ValueError(f"n_buckets must be at least 1, got {n_buckets}")
    t_arr, v_arr = _clean(t, v)
    if v_arr.size <= n_buckets:
        return t_arr, v_arr
    result = _minmax(t_arr, v_arr, n_buckets)
    return result.t, result.v


def _lttb_indices(t: F64, v: F64, n_out: int) -> I64:
    indices: I64 = _LTTB.downsample(t, v, n_out=n_out).astype(np.intp)
    return indices


def lttb(t: npt.ArrayLike, v: npt.ArrayLike, n_out: int) -> tuple[F64, F64]:
    """Keep ``n_out`` samples by Largest-Triangle-Three-Buckets (Steinarsson 2013).

    Parameters
    ----------
    t, v
        Times (sorted, increasing) and values; rows with a NaN are dropped.
    n_out
        How many samples to keep, at least 3 (the first, the last and one per bucket).

    Returns
    -------
    (t_out, v_out)
        The kept samples in time order; the whole series when it has at most ``n_out``.

    Examples
    --------
    >>> t_out, v_out = lttb([0, 1, 2, 3, 4, 5, 6], [0, 0, 5, 0, 0, -3, 0], 4)
    >>> t_out.tolist(), v_out.tolist()
    ([0.0, 2.0, 5.0, 6.0], [0.0, 5.0, -3.0, 0.0])
    """
    if n_out < MIN_POINTS:
        raise ValueError(f"n_out must be at least {MIN_POINTS}, got {n_out}")
    t_arr, v_arr = _clean(t, v)
    if v_arr.size <= n_out:
        return t_arr, v_arr
    kept = _lttb_indices(t_arr, v_arr, n_out)
    return t_arr[kept], v_arr[kept]


def downsample(
    t: npt.ArrayLike, v: npt.ArrayLike, max_points: int, method: Method = "minmax"
) -> Downsampled:
    """Reduce a series to at most ``max_points`` samples for a chart.

    Parameters
    ----------
    t, v
        Times (sorted, increasing) and values; rows with a NaN are dropped.
    max_points
        The most points to return, at least 3. A series that already fits comes back
        whole, with ``method == "none"``.
    method
        ``"minmax"``: ``max_points // 2`` equal-count buckets, each giving its minimum and
        maximum sample (and the per-bucket arrays of :class:`Downsampled`). ``"lttb"``:
        exactly ``max_points`` samples by Largest-Triangle-Three-Buckets.

    Examples
    --------
    >>> d = downsample([0, 1, 2, 3], [1, 3, 2, 0], max_points=3)
    >>> d.method, d.points, d.bucket_min.tolist(), d.bucket_max.tolist()
    ('minmax', [[1.0, 3.0], [3.0, 0.0]], [0.0], [3.0])
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if max_points < MIN_POINTS:
        raise ValueError(f"max_points must be at least {MIN_POINTS}, got {max_points}")
    t_arr, v_arr = _clean(t, v)
    n = int(v_arr.size)
    if n <= max_points:
        return Downsampled(t=t_arr, v=v_arr, method="none", n_in=n)
    if method == "minmax":
        return _minmax(t_arr, v_arr, max_points // 2)
    kept = _lttb_indices(t_arr, v_arr, max_points)
    return Downsampled(t=t_arr[kept], v=v_arr[kept], method="lttb", n_in=n)
