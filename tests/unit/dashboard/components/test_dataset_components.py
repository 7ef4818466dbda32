"""The datasets pages' pieces: list rows, statistics figures and the import form's mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboard.components.dataset_charts import length_histogram, quality_by_position
from dashboard.components.dataset_form import arm_choices, fields_of, form_values, options
from dashboard.components.datasets_table import (
    DATASET_COLUMNS,
    HIDDEN_COLUMNS,
    SPACEFLIGHT_BADGES,
    dataset_rows,
    format_label,
)
from dashboard.components.grid import NAME_MIN_WIDTH
from dashboard.services.datasets import DatasetView
from dashboard.services.experiments import SPACEFLIGHT_VALUES, ArmView
from dashboard.services.samples import SampleView

NOW = datetime(2026, 11, 26, 9, 58, 12, tzinfo=UTC)
SHA = "f11a45c8abf0ae0b9340f3513595d50277ea2ae0f74acaef2666b2f42485fc0e"
DESKTOP_GRID_PX = 1260  # a 1,400 px window's card, less its padding


def _view(**changes: object) -> DatasetView:
    sample = SampleView(
        1, 3, "F1-day21", 2, "flight µg", "Escherichia coli", "REL606", 562, "Space Flight",
        0.0, 4.2, "day 21", "A", {"Medium": "LB"}, NOW,
    )  # fmt: skip
    fields: dict[str, object] = {
        "id": 12,
        "experiment_id": 3,
        "experiment_name": "BRIC-23",
        "sample": sample,
        "material": "reads",
        "instrument": "MiSeq",
        "filename": "F1_R1.fastq.gz",
        "format": "fastq",
        "compression": "gzip",
        "sha256": SHA,
        "size": 2_000_000_000,
        "record_count": 3_000_000,
        "total_length": 424_000_000,
        "stats": {},
        "source_run": "",
        "imported_by": "ada",
        "imported_at": NOW,
    }
    fields.update(changes)
    return DatasetView(**fields)  # type: ignore[arg-type]


def test_rows_keep_numbers_sortable_and_say_them_for_people() -> None:
    (row,) = dataset_rows([_view()])
    assert (row["href"], row["experiment_href"]) == ("/datasets/12", "/experiments/3")
    assert (row["records"], row["records_text"]) == (3_000_000, "3,000,000")
    assert (row["total_length"], row["total_text"]) == (424_000_000, "424 Mb")
    assert (row["size"], row["size_text"]) == (2_000_000_000, "2.0 GB")
    assert row["sha256"] == SHA  # whole: the cell shows 12 digits, the tooltip all of them
    assert (row["format"], row["spaceflight"]) == ("FASTQ.gz", "Space Flight")
    assert row["imported_at"] == "2026-11-26T09:58:12Z"
    assert format_label(_view()) == "FASTQ (gzip)"
    assert format_label(_view(format="genbank", compression="none")) == "GenBank"


def test_every_spaceflight_value_has_its_badge_and_the_default_columns_fit_a_desktop() -> None:
    assert set(SPACEFLIGHT_BADGES) == {str(v) for v in SPACEFLIGHT_VALUES}
    assert all(b.label == value for value, b in SPACEFLIGHT_BADGES.items())
    shown = [c for c in DATASET_COLUMNS if c["field"] not in HIDDEN_COLUMNS]
    widths = [c.get("width") or c.get("minWidth") or NAME_MIN_WIDTH for c in shown]
    assert sum(widths) <= DESKTOP_GRID_PX
    assert {"filename", "provenance", "experiment", "spaceflight", "sha256", "imported_at"} <= {
        c["field"] for c in shown
    }


def test_the_length_histogram_draws_the_stored_bins_and_nothing_else() -> None:
    figure = length_histogram([[100, 110, 3], [110, 120, 0], [120, 130, 7]], "reads", "dark")
    assert figure is not None
    (bars,) = figure.data
    assert list(bars.x) == [100, 110, 120]
    assert list(bars.y) == [3, 0, 7]
    assert list(bars.width) == [10, 10, 10]
    assert bars.customdata[0] == "100–109 bp"
    assert figure.layout.xaxis.range == (100, 130)
    assert figure.layout.xaxis.tickformat == ",d"
    assert length_histogram([], "reads", "light") is None
    assert length_histogram([["a", 1, 2], [1, 2]], "reads", "light") is None  # not bins
    assert length_histogram(None, "reads", "light") is None


def test_quality_by_position_marks_q20_and_q30_and_reads_binned_positions() -> None:
    figure = quality_by_position([36.0, 35.5, 30.0], "light", bin_width=4)
    assert figure is not None
    (line,) = figure.data
    assert list(line.x) == [1, 5, 9]
    assert list(line.customdata) == ["positions 1–4", "positions 5–8", "positions 9–12"]
    levels = sorted(shape.y0 for shape in figure.layout.shapes if shape.type == "line")
    assert levels == [20, 30]
    (band,) = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert (band.y0, band.y1) == (0, 20)
    assert quality_by_position([], "light") is None
    assert quality_by_position(["x"], "light") is None


def test_form_values_and_errors_follow_the_forms_field_paths() -> None:
    assert form_values({"experiment_id": 3, "factors": {"gravity_g": 1e-6, "replicate": "A"}}) == {
        "experiment_id": "3",
        "factors.gravity_g": "1e-06",
        "factors.replicate": "A",
    }
    assert fields_of({"spaceflight": "differs", "factors.Medium": "x", "file": "bad"}) == {
        "factors.spaceflight": "differs",
        "factors.Medium": "x",
        "file": "bad",
    }
    arms = [ArmView(4, "flight µg", "Space Flight", 0.0, "")]
    assert options(arm_choices(arms)) == [
        {"label": "No arm", "value": ""},
        {"label": "flight µg (Space Flight, µg)", "value": "4"},
    ]
    assert arm_choices(None) == [("", "Choose the experiment first")]
