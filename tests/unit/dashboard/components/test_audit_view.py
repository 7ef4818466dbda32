"""The audit page's filter, paging, rows and chart, without a browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.components import audit_view
from dashboard.services.audit import AuditFilter, AuditRow

PREV, NEXT = "audit-prev", "audit-next"


def test_filter_takes_empty_inputs_as_no_filter_and_the_end_day_whole() -> None:
    assert audit_view.audit_filter(None, "", None, None, None) == AuditFilter()
    f = audit_view.audit_filter("ada", "user.", "denied", "2026-11-01", "2026-11-02T00:00:00")
    assert (f.username, f.action, f.result) == ("ada", "user.", "denied")
    assert f.since == datetime(2026, 11, 1, tzinfo=UTC)
    assert f.until == datetime(2026, 11, 3, tzinfo=UTC)


def test_export_params_leave_out_empty_fields() -> None:
    f = audit_view.audit_filter(None, "user.", None, "2026-11-01", None)
    assert audit_view.export_params(f) == {
        "action": "user.",
        "since": "2026-11-01T00:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("trigger", "offset", "expected"),
    [
        (NEXT, 0, 50),
        (NEXT, 50, 100),
        (PREV, 100, 50),
        (PREV, 20, 0),
        ("audit-apply", 150, 0),
        (None, None, 0),
        (NEXT, None, 50),
        (PREV, -5, 0),
    ],
)
def test_page_offset(trigger: str | None, offset: int | None, expected: int) -> None:
    assert audit_view.page_offset(trigger, offset, 50, prev=PREV, next_=NEXT) == expected


def test_paging_text_and_buttons() -> None:
    first = audit_view.paging(0, 50, 120, 50)
    assert (first.info, first.prev_disabled, first.next_disabled) == (
        "1–50 of 120 events",
        True,
        False,
    )
    last = audit_view.paging(100, 20, 120, 50)
    assert (last.info, last.prev_disabled, last.next_disabled) == (
        "101–120 of 120 events",
        False,
        True,
    )
    exact = audit_view.paging(50, 50, 100, 50)
    assert exact.next_disabled
    empty = audit_view.paging(0, 0, 0, 50)
    assert (empty.info, empty.prev_disabled, empty.next_disabled) == (
        "No events match these filters.",
        True,
        True,
    )


def test_grid_rows() -> None:
    row = AuditRow(
        1,
        datetime(2026, 11, 26, 9, 58, 7, tzinfo=UTC),
        "ada",
        None,
        "web",
        "experiment.update",
        "ok",
        "experiment",
        "3",
        {"changes": {"name": {"before": "a", "after": "b"}}},
    )
    bare = AuditRow(2, row.occurred_at, "bob", "10.0.0.1", "api", "x", "denied", None, None, {})
    first, second = audit_view.grid_rows([row, bare])
    assert first["occurred_at"] == "2026-11-26 09:58:07"
    assert (first["source_ip"], first["target"]) == ("", "experiment 3")
    assert "name" in first["detail"]
    assert (second["source_ip"], second["target"], second["detail"]) == ("10.0.0.1", "", "")


@pytest.mark.parametrize(
    ("days", "width"), [(0, 1), (31, 1), (32, 7), (366, 7), (367, 30), (3 * 365, 30)]
)
def test_bin_width_grows_with_the_span(days: int, width: int) -> None:
    first = date(2024, 1, 1)
    assert audit_view.bin_width_days(first, first + timedelta(days=days)) == width


def test_weekly_bins_start_on_monday_and_monthly_bins_on_the_first() -> None:
    counts = {"2026-11-23": {"ok": 1}, "2026-11-29": {"ok": 2}, "2026-11-30": {"denied": 4}}
    assert audit_view.binned_counts(counts, 7) == {
        date(2026, 11, 23): {"ok": 3},
        date(2026, 11, 30): {"denied": 4},
    }
    assert audit_view.binned_counts(counts, 30) == {date(2026, 11, 1): {"ok": 3, "denied": 4}}
    assert audit_view.binned_counts(counts, 1) == {
        date.fromisoformat(day): by_result for day, by_result in counts.items()
    }


def test_chart_of_a_few_days_has_a_bar_a_day_and_a_tick_a_day() -> None:
    figure = audit_view.audit_chart({"2026-11-24": {"ok": 2, "denied": 1}, "2026-11-26": {"ok": 5}})
    by_name = {trace.name: trace for trace in figure.data}
    assert set(by_name) == {"ok", "denied"}  # no empty traces for failed and error
    assert list(by_name["ok"].x) == ["2026-11-24T12:00:00", "2026-11-26T12:00:00"]
    assert list(by_name["ok"].y) == [2, 5]
    assert list(by_name["denied"].y) == [1, 0]
    assert figure.layout.xaxis.dtick == audit_view.DAY_MS
    assert list(figure.layout.xaxis.range) == ["2026-11-23", "2026-11-27"]


def test_chart_over_years_has_monthly_bars_and_no_daily_ticks() -> None:
    start = date(2023, 1, 1)
    counts = {str(start + timedelta(days=i)): {"ok": 1} for i in range(0, 3 * 365, 3)}
    figure = audit_view.audit_chart(counts)
    (ok,) = figure.data
    assert len(ok.x) == 36  # a bar a month, not a hairline a day
    assert sum(ok.y) == len(counts)
    assert figure.layout.xaxis.dtick is None
    assert ok.x[0] == "2023-01-16T12:00:00"  # the middle of January
    assert min(ok.width) == pytest.approx(28 * audit_view.DAY_MS * 0.8)


def test_chart_of_nothing_is_empty() -> None:
    assert audit_view.audit_chart({}).data == ()
