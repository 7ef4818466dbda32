"""Min/max buckets against a plain loop; LTTB against Steinarsson's algorithm written out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.downsample import downsample, lttb, minmax


def _series(n: int, seed: int, *, even: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = 1.7e9 + (np.arange(n, dtype=float) if even else np.sort(rng.uniform(0, n, n)))
    v = rng.normal(size=n).cumsum() + 5 * (rng.random(n) < 0.002)  # a walk with spikes
    return t, v


def _reference_lttb(x: list[float], y: list[float], n_out: int, *, midpoint: bool = False):
    """Steinarsson 2013, section 4.2, as his reference JavaScript: a plain loop.

    With ``midpoint`` the next bucket's centroid time is the midpoint of its first and last
    times instead of their mean (the documented variant; equal for evenly spaced times).
    """
    n = len(x)
    every = (n - 2) / (n_out - 2)
    a = 0
    kept = [0]
    for i in range(n_out - 2):
        avg_start = math.floor((i + 1) * every) + 1
        avg_end = min(math.floor((i + 2) * every) + 1, n)
        length = avg_end - avg_start
        if midpoint:
            avg_x = (x[avg_start] + x[avg_end - 1]) / 2
        else:
            avg_x = sum(x[avg_start:avg_end]) / length
        avg_y = sum(y[avg_start:avg_end]) / length
        range_start = math.floor(i * every) + 1
        range_end = math.floor((i + 1) * every) + 1
        max_area, chosen = -1.0, -1
        for j in range(range_start, range_end):
            area = abs((x[a] - avg_x) * (y[j] - y[a]) - (x[a] - x[j]) * (avg_y - y[a])) * 0.5
            if area > max_area:
                max_area, chosen = area, j
        kept.append(chosen)
        a = chosen
    kept.append(n - 1)
    return kept


# ----------------------------------------------------------------------------- minmax


@pytest.mark.parametrize(("n", "buckets"), [(10_007, 97), (1000, 1000 // 3), (50, 1)])
def test_minmax_keeps_each_buckets_extremes(n: int, buckets: int) -> None:
    t, v = _series(n, seed=n)
    t_out, v_out = minmax(t, v, buckets)
    expected: set[int] = set()
    for k in range(buckets):
        lo, hi = k * n // buckets, (k + 1) * n // buckets
        values = list(v[lo:hi])
        expected.add(lo + values.index(min(values)))
        expected.add(lo + values.index(max(values)))
    assert t_out.tolist() == [t[i] for i in sorted(expected)]
    assert v_out.tolist() == [v[i] for i in sorted(expected)]
    assert v.min() in v_out
    assert v.max() in v_out


def test_downsample_minmax_reports_per_bucket_min_and_max() -> None:
    t, v = _series(6000, seed=1)
    result = downsample(t, v, max_points=200, method="minmax")
    assert result.method == "minmax"
    assert result.is_downsampled
    assert result.n_in == 6000
    assert len(result.t) <= 200
    buckets = 100
    assert result.bucket_min is not None
    assert result.bucket_max is not None
    assert result.bucket_t_start is not None
    assert result.bucket_t_end is not None
    for k in range(buckets):
        lo, hi = k * 6000 // buckets, (k + 1) * 6000 // buckets
        assert result.bucket_min[k] == min(v[lo:hi])
        assert result.bucket_max[k] == max(v[lo:hi])
        assert result.bucket_t_start[k] == t[lo]
        assert result.bucket_t_end[k] == t[hi - 1]
    points = result.points
    assert points[0] == [float(result.t[0]), float(result.v[0])]
    assert all(isinstance(x, float) for pair in points for x in pair)


def test_nan_samples_are_dropped() -> None:
    t, v = _series(3000, seed=2)
    v[100:140] = np.nan
    t_nan = t.copy()
    t_nan[7] = np.nan
    for method in ("minmax", "lttb"):
        result = downsample(t_nan, v, max_points=101, method=method)
        assert result.n_in == 3000 - 41
        assert not np.isnan(result.v).any()
        assert not np.isnan(result.t).any()
    small = downsample(t[:50], v[:50].copy() * np.where(np.arange(50) == 3, np.nan, 1), 100)
    assert small.method == "none"
    assert small.n_in == 49


# ------------------------------------------------------------------------------- LTTB


@pytest.mark.parametrize(("n", "n_out", "seed"), [(3000, 100, 0), (5000, 333, 1), (4001, 3, 2)])
def test_lttb_matches_the_reference_algorithm(n: int, n_out: int, seed: int) -> None:
    t, v = _series(n, seed)
    expected = _reference_lttb(t.tolist(), v.tolist(), n_out)
    t_out, v_out = lttb(t, v, n_out)
    assert len(t_out) == n_out
    assert t_out.tolist() == [t[i] for i in expected]
    assert v_out.tolist() == [v[i] for i in expected]
    assert t_out[0] == t[0]
    assert t_out[-1] == t[-1]


def test_lttb_on_uneven_times_takes_the_midpoint_centroid() -> None:
    t, v = _series(4000, seed=3, even=False)
    expected = _reference_lttb(t.tolist(), v.tolist(), 150, midpoint=True)
    result = downsample(t, v, max_points=150, method="lttb")
    assert result.method == "lttb"
    assert result.bucket_min is None
    assert result.t.tolist() == [t[i] for i in expected]


# ------------------------------------------------------------------------------ edges


def test_short_series_come_back_whole() -> None:
    t, v = _series(10, seed=4)
    result = downsample(t, v, max_points=10)
    assert result.method == "none"
    assert not result.is_downsampled
    assert result.t.tolist() == t.tolist()
    assert result.v.tolist() == v.tolist()
    assert result.bucket_min is None
    assert lttb(t, v, 10)[0].tolist() == t.tolist()


def test_large_series_is_reduced_with_its_extremes() -> None:
    t, v = _series(600_000, seed=5)
    result = downsample(t, v, max_points=2000)
    assert 1000 < len(result.t) <= 2000
    assert v.min() in result.v
    assert v.max() in result.v
    assert np.all(np.diff(result.t) > 0)
    assert len(downsample(t, v, max_points=2000, method="lttb").t) == 2000


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: downsample([0, 1, 2, 3], [0, 1, 2, 3], max_points=2), "at least 3"),
        (lambda: downsample([0, 1, 2, 3], [0, 1, 2, 3], 3, method="m4"), "method must be"),
        (lambda: downsample([0, 2, 1, 3], [0, 1, 2, 3], 3), "sorted"),
        (lambda: downsample([0, 1, 2], [0, 1], 3), "same length"),
        (lambda: lttb([0, 1, 2, 3], [0, 1, 2, 3], 2), "at least 3"),
        (lambda: minmax([0, 1, 2, 3], [0, 1, 2, 3], 0), "at least 1"),
    ],
)
def test_bad_arguments_are_refused(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
