"""Telemetry of runs: written by the controller in chunks, read back by time range with
server-side downsampling, exported as CSV.

A chunk holds up to :data:`CHUNK_POINTS` consecutive samples of one parameter as two
little-endian float64 arrays (epoch seconds, values). The controller rewrites the newest
chunk of each parameter once a tick (one transaction for all of them), so a week at 1 Hz is
about a thousand rows per parameter, and a query reads blobs, not 600,000 rows. Telemetry
stays out of the audit chain: it is measured, not decided.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from analysis.downsample import downsample
from dashboard.db import Database
from dashboard.models import Run, RunDevice, TelemetryChunk
from dashboard.observability import metrics

from .devices import Catalog
from .errors import NotFound, ValidationFailed

CHUNK_POINTS = 600
CSV_WINDOW_POINTS = 10_000
CSV_ROWS_PER_PIECE = 2_000
MAX_POINTS_LIMIT = 20_000
DEFAULT_MAX_POINTS = 2_000
# Derived series the controller computes (not read from a device): name → (label, unit).
DERIVED: Mapping[str, tuple[str, str]] = {"growth_rate_per_h": ("Growth rate", "1/h")}
_F8 = np.dtype("<f8")


@dataclass
class _OpenChunk:
    row_id: int | None
    times: bytearray = field(default_factory=bytearray)
    values: bytearray = field(default_factory=bytearray)

    @property
    def n(self) -> int:
        return len(self.times) // 8


class TelemetryWriter:
    """Appends samples to the open chunk of each (run, parameter); one per controller.

    Only the controller that holds a device's lease writes its series, so the open chunk
    can be kept here and written whole each tick.
    """

    def __init__(self) -> None:
        self._open: dict[tuple[int, str], _OpenChunk] = {}

    def _chunk(self, s: Session, run_id: int, parameter: str) -> _OpenChunk:
        key = (run_id, parameter)
        chunk = self._open.get(key)
        if chunk is None:
            row = s.scalars(
                select(TelemetryChunk)
                .where(
                    TelemetryChunk.run_id == run_id,
                    TelemetryChunk.parameter == parameter,
                    TelemetryChunk.is_open.is_(True),
                )
                .order_by(TelemetryChunk.id.desc())
                .limit(1)
            ).first()
            chunk = (
                _OpenChunk(row.id, bytearray(row.times), bytearray(row.values))
                if row is not None
                else _OpenChunk(None)
            )
            self._open[key] = chunk
        return chunk

    def append(
        self, s: Session, run_id: int, device_id: str, t: float, values: Mapping[str, float]
    ) -> int:
        """Add one sample per parameter at epoch second ``t``; return how many were written.

        One bulk UPDATE by primary key for every open chunk (and an INSERT for new ones):
        no chunk is read back from the database.
        """
        closed: list[int] = []
        updates: list[dict[str, object]] = []
        created: list[tuple[_OpenChunk, TelemetryChunk]] = []
        stamp = np.float64(t).astype(_F8).tobytes()
        for parameter, value in values.items():
            if value is None or not math.isfinite(float(value)):
                continue
            chunk = self._chunk(s, run_id, parameter)
            if chunk.n >= CHUNK_POINTS and chunk.row_id is not None:
                closed.append(chunk.row_id)
                chunk = self._open[(run_id, parameter)] = _OpenChunk(None)
            chunk.times += stamp
            chunk.values += np.float64(value).astype(_F8).tobytes()
            if chunk.row_id is None:
                row = TelemetryChunk(
                    run_id=run_id,
                    device_id=device_id,
                    parameter=parameter,
                    t0=float(t),
                    t1=float(t),
                    n=chunk.n,
                    times=bytes(chunk.times),
                    values=bytes(chunk.values),
                    is_open=True,
                )
                created.append((chunk, row))
            else:
                updates.append(
                    {
                        "id": chunk.row_id,
                        "t1": float(t),
                        "n": chunk.n,
                        "times": bytes(chunk.times),
                        "values": bytes(chunk.values),
                    }
                )
        if closed:
            s.execute(
                update(TelemetryChunk).where(TelemetryChunk.id.in_(closed)).values(is_open=False)
            )
        if updates:
            s.execute(update(TelemetryChunk), updates)
        if created:
            s.add_all([row for _, row in created])
            s.flush()
            for chunk, row in created:
                chunk.row_id = row.id
        metrics.TELEMETRY_SAMPLES.labels(device_id).inc(len(updates) + len(created))
        return len(updates) + len(created)

    def forget(self, run_id: int) -> None:
        """Drop the cached open chunks of a run (it ended, or its lease moved)."""
        for key in [k for k in self._open if k[0] == run_id]:
            del self._open[key]

    def close_run(self, s: Session, run_id: int) -> None:
        """Mark the open chunks of a finished run closed."""
        for chunk in s.scalars(
            select(TelemetryChunk).where(
                TelemetryChunk.run_id == run_id, TelemetryChunk.is_open.is_(True)
            )
        ):
            chunk.is_open = False
        self.forget(run_id)


def read_series(
    s: Session, run_id: int, parameter: str, since: float | None, until: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of one series in [since, until], in time order."""
    query = select(TelemetryChunk.times, TelemetryChunk.values).where(
        TelemetryChunk.run_id == run_id, TelemetryChunk.parameter == parameter
    )
    if since is not None:
        query = query.where(TelemetryChunk.t1 >= since)
    if until is not None:
        query = query.where(TelemetryChunk.t0 <= until)
    rows = s.execute(query.order_by(TelemetryChunk.t0, TelemetryChunk.id)).all()
    if not rows:
        return np.empty(0), np.empty(0)
    t = np.frombuffer(b"".join(r[0] for r in rows), _F8)
    v = np.frombuffer(b"".join(r[1] for r in rows), _F8)
    if since is not None or until is not None:
        lo = 0 if since is None else int(np.searchsorted(t, since, "left"))
        hi = len(t) if until is None else int(np.searchsorted(t, until, "right"))
        t, v = t[lo:hi], v[lo:hi]
    return t, v


@dataclass(frozen=True)
class Series:
    """One parameter's points over a time range, maybe downsampled."""

    run_id: int
    parameter: str
    label: str
    unit: str
    t: np.ndarray
    v: np.ndarray
    # Per bucket, when downsampled with min/max: first and last time, lowest and highest value.
    buckets: np.ndarray | None
    total: int  # points in the range before downsampling
    is_downsampled: bool


def _epoch(raw: object, name: str) -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.timestamp()
    text = str(raw)
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{name} must be epoch seconds or an ISO 8601 time, not {text[:40]!r}.", field=name
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def unit_of(cat: Catalog, device_ids: Iterable[str], parameter: str) -> tuple[str, str]:
    """Label and unit of ``parameter`` on one of ``device_ids`` (or a derived series)."""
    if parameter in DERIVED:
        return DERIVED[parameter]
    for device_id in device_ids:
        caps = cat.capabilities.get(device_id)
        if caps is None:
            continue
        try:
            p = caps.parameter(parameter)
        except KeyError:
            continue
        return p.label, p.unit
    raise KeyError(parameter)


def _checked(max_points: int | None, method: str) -> None:
    if max_points is not None and not 3 <= max_points <= MAX_POINTS_LIMIT:
        raise ValidationFailed(
            f"max_points must be between 3 and {MAX_POINTS_LIMIT}.", field="max_points"
        )
    if method not in ("minmax", "lttb"):
        raise ValidationFailed("method must be minmax or lttb.", field="method")


def _run_devices(s: Session, run_id: int) -> list[str]:
    if s.get(Run, run_id) is None:
        raise NotFound(f"No run with id {run_id}.")
    return list(s.scalars(select(RunDevice.device_id).where(RunDevice.run_id == run_id)))


def _series(
    run_id: int,
    parameter: str,
    named: tuple[str, str],
    t: np.ndarray,
    v: np.ndarray,
    max_points: int | None,
    method: Literal["minmax", "lttb"],
) -> Series:
    """A read series, downsampled on the server when it has more than ``max_points``."""
    label, unit = named
    total = len(t)
    if max_points is None or total <= max_points:
        return Series(run_id, parameter, label, unit, t, v, None, total, False)
    reduced = downsample(t, v, max_points, method=method)
    buckets = None
    if (
        reduced.bucket_t_start is not None
        and reduced.bucket_t_end is not None
        and reduced.bucket_min is not None
        and reduced.bucket_max is not None
    ):
        buckets = np.column_stack(
            [reduced.bucket_t_start, reduced.bucket_t_end, reduced.bucket_min, reduced.bucket_max]
        )
    return Series(run_id, parameter, label, unit, reduced.t, reduced.v, buckets, total, True)


def query(
    db: Database,
    cat: Catalog,
    run_id: int,
    parameter: str,
    *,
    since: object = None,
    until: object = None,
    max_points: int | None = DEFAULT_MAX_POINTS,
    method: Literal["minmax", "lttb"] = "minmax",
) -> Series:
    """One series of a run in a time range, downsampled on the server to ``max_points``."""
    start, end = _epoch(since, "since"), _epoch(until, "until")
    _checked(max_points, method)
    with db.read() as s:
        device_ids = _run_devices(s, run_id)
        try:
            named = unit_of(cat, device_ids, parameter)
        except KeyError:
            names = sorted(series_names(cat, device_ids))
            raise ValidationFailed(
                f"Run {run_id} has no parameter {parameter!r}; it has {', '.join(names)}.",
                field="parameter",
            ) from None
        t, v = read_series(s, run_id, parameter, start, end)
    return _series(run_id, parameter, named, t, v, max_points, method)


def query_many(
    db: Database,
    cat: Catalog,
    run_id: int,
    *,
    since: float | None = None,
    max_points: int | None = DEFAULT_MAX_POINTS,
) -> dict[str, Series]:
    """Every series a run records, over one range, read in one session (what the run
    page's charts draw, once a second per open page)."""
    _checked(max_points, "minmax")
    with db.read() as s:
        device_ids = _run_devices(s, run_id)
        names = series_names(cat, device_ids)
        read = {n: read_series(s, run_id, n, since, None) for n in names}
    return {
        n: _series(run_id, n, unit_of(cat, device_ids, n), *read[n], max_points, "minmax")
        for n in names
    }


def series_names(cat: Catalog, device_ids: Iterable[str]) -> list[str]:
    """Every series a run on ``device_ids`` records, in device order."""
    names: list[str] = []
    kinds = set()
    for device_id in device_ids:
        caps = cat.capabilities.get(device_id)
        if caps is None:
            continue
        kinds.add(caps.kind)
        names.extend(p.name for p in caps.parameters if p.is_readable)
    if "chamber" in kinds:
        names.extend(DERIVED)
    return names


def to_json(series: Series) -> dict[str, object]:
    """The API's telemetry document: points as [epoch seconds, value]."""
    doc: dict[str, object] = {
        "run_id": series.run_id,
        "parameter": series.parameter,
        "unit": series.unit,
        "total_points": series.total,
        "downsampled": series.is_downsampled,
        "points": np.column_stack([series.t, series.v]).tolist(),
    }
    if series.buckets is not None:
        doc["buckets"] = series.buckets.tolist()  # [t_start, t_end, min, max] each
    return doc


def export_csv(db: Database, cat: Catalog, run_id: int) -> Iterator[str]:
    """A run's telemetry as CSV: one row per sample time, one column per parameter, the
    units in the header (``temperature_c [°C]``). Yields text in pieces, reading the run in
    time windows of about :data:`CSV_WINDOW_POINTS` samples, so a month-long run is never
    held in memory whole."""
    with db.read() as s:
        if s.get(Run, run_id) is None:
            raise NotFound(f"No run with id {run_id}.")
        device_ids = list(s.scalars(select(RunDevice.device_id).where(RunDevice.run_id == run_id)))
        extent = {
            row[0]: (float(row[1]), float(row[2]), int(row[3]))
            for row in s.execute(
                select(
                    TelemetryChunk.parameter,
                    func.min(TelemetryChunk.t0),
                    func.max(TelemetryChunk.t1),
                    func.sum(TelemetryChunk.n),
                )
                .where(TelemetryChunk.run_id == run_id)
                .group_by(TelemetryChunk.parameter)
            )
        }
    names = [n for n in series_names(cat, device_ids) if n in extent]
    header = ["time_utc", "epoch_s"]
    for n in names:
        _, unit = unit_of(cat, device_ids, n)
        header.append(f"{n} [{unit}]" if unit else n)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(header)
    yield out.getvalue()
    if not names:
        return
    start = min(extent[n][0] for n in names)
    end = max(extent[n][1] for n in names)
    windows = max(1, math.ceil(max(extent[n][2] for n in names) / CSV_WINDOW_POINTS))
    width = (end - start) / windows
    for k in range(windows):
        low = start + k * width
        high = end if k == windows - 1 else start + (k + 1) * width
        with db.read() as s:
            series = {n: read_series(s, run_id, n, low, high) for n in names}
        if k < windows - 1:  # windows are [low, high) but the last, which ends at the end
            series = {n: (t[t < high], v[t < high]) for n, (t, v) in series.items()}
        yield from _csv_rows([series[n] for n in names])


def _csv_rows(columns_in: list[tuple[np.ndarray, np.ndarray]]) -> Iterator[str]:
    """CSV rows for series sharing (mostly) their sample times: one row per distinct time."""
    parts = [t for t, _ in columns_in if len(t)]
    if not parts:
        return
    stamps = np.unique(np.concatenate(parts))
    columns = []
    for t, v in columns_in:
        column = np.full(len(stamps), np.nan)
        column[np.searchsorted(stamps, t)] = v
        columns.append(column)
    for first in range(0, len(stamps), CSV_ROWS_PER_PIECE):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for i in range(first, min(first + CSV_ROWS_PER_PIECE, len(stamps))):
            stamp = float(stamps[i])
            row: list[object] = [
                datetime.fromtimestamp(stamp, UTC).isoformat(timespec="milliseconds"),
                f"{stamp:.3f}",
            ]
            row.extend("" if math.isnan(c[i]) else f"{c[i]:.6g}" for c in columns)
            writer.writerow(row)
        yield out.getvalue()
