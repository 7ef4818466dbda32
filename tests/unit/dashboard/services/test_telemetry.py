"""The telemetry store: chunks written by the controller's writer, read back by range,
downsampled, and exported as CSV, against expectations built here by plain Python."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from dashboard.db import Database
from dashboard.models import Experiment, Run, RunDevice
from dashboard.services import devices, telemetry

CAT = "sim://chamber-1"


def _run(db: Database) -> int:
    with db.begin() as s:
        e = Experiment(name="Telemetry", name_key="telemetry", organism="E. coli")
        s.add(e)
        s.flush()
        run = Run(experiment_id=e.id, name="t", state="running", created_by="test")
        s.add(run)
        s.flush()
        s.add(RunDevice(run_id=run.id, device_id="chamber-1", kind="chamber"))
        return run.id


def _write(db: Database, run_id: int, samples: list[tuple[float, dict[str, float]]]) -> None:
    writer = telemetry.TelemetryWriter()
    for t, values in samples:
        with db.begin() as s:
            writer.append(s, run_id, "chamber-1", t, values)


def test_the_writer_keeps_every_sample_in_order_across_chunks(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry, "CHUNK_POINTS", 7)
    run_id = _run(db)
    samples = [(1000.0 + i, {"temperature_c": 20.0 + i / 10}) for i in range(50)]
    _write(db, run_id, samples)
    cat = devices.catalog(CAT)
    series = telemetry.query(db, cat, run_id, "temperature_c", max_points=None)
    assert series.t.tolist() == [t for t, _ in samples]
    assert series.v.tolist() == pytest.approx([v["temperature_c"] for _, v in samples])
    assert series.unit == "°C"
    window = telemetry.query(db, cat, run_id, "temperature_c", since=1010, until=1020)
    assert window.t.tolist() == [1000.0 + i for i in range(10, 21)]
    reduced = telemetry.query(db, cat, run_id, "temperature_c", max_points=10)
    assert reduced.is_downsampled
    assert len(reduced.t) <= 10
    assert reduced.v.min() == pytest.approx(20.0)  # min/max buckets keep the extremes
    assert reduced.v.max() == pytest.approx(24.9)


def test_csv_has_a_row_per_time_and_a_column_per_parameter_however_it_is_windowed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry, "CHUNK_POINTS", 5)
    monkeypatch.setattr(telemetry, "CSV_WINDOW_POINTS", 7)
    monkeypatch.setattr(telemetry, "CSV_ROWS_PER_PIECE", 3)
    run_id = _run(db)
    rng = np.random.default_rng(5)
    samples = []
    expected: dict[float, dict[str, str]] = {}
    for i in range(40):
        t = 1_800_000_000.0 + i * 0.5
        values = {"temperature_c": float(rng.normal(37, 1))}
        if i % 3:  # OD is missing at some times: an empty cell there
            values["od600"] = float(rng.uniform(0, 1))
        samples.append((t, values))
        expected[round(t, 3)] = {k: f"{v:.6g}" for k, v in values.items()}
    _write(db, run_id, samples)
    text = "".join(telemetry.export_csv(db, devices.catalog(CAT), run_id))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["time_utc", "epoch_s", "temperature_c [°C]", "od600 [OD]"]
    assert [float(r["epoch_s"]) for r in rows] == sorted(expected)  # each time once, in order
    for r in rows:
        want = expected[float(r["epoch_s"])]
        assert r["temperature_c [°C]"] == want["temperature_c"]
        assert r["od600 [OD]"] == want.get("od600", "")
    assert rows[0]["time_utc"] == "2027-01-15T08:00:00.000+00:00"


def test_csv_of_a_run_without_telemetry_is_its_header(db: Database) -> None:
    run_id = _run(db)
    assert "".join(telemetry.export_csv(db, devices.catalog(CAT), run_id)) == "time_utc,epoch_s\n"
