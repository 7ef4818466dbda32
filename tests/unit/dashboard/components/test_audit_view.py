"""The audit page's filter, page requests, rows, event detail and chart, without a browser."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.components import audit_view
from dashboard.components.theme import PLOT_PALETTES
from dashboard.services import audit
from dashboard.services.audit import AuditEventDetail, AuditFilter, AuditRow, SortKey, TargetName


def test_filter_takes_empty_inputs_as_no_filter_and_the_end_day_whole() -> None:
    assert audit_view.audit_filter(None, "", None, None, None) == AuditFilter()
    assert audit_view.audit_filter(None, None, "bogus", "never", "2026-13-45", " ") == AuditFilter()
    assert audit_view.audit_filter(None, None, None, None, None, " coli ").text == "coli"
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
    ("request_", "expected"),
    [
        ({"startRow": 0, "endRow": 50}, (0, 50, ())),
        ({"startRow": 150, "endRow": 200}, (150, 50, ())),
        ({"startRow": -5, "endRow": 20}, (0, 20, ())),
        ({"startRow": 0, "endRow": 10**9}, (0, audit.MAX_PAGE, ())),
        ({"startRow": 10**30, "endRow": 10**30 + 5}, (0, 50, ())),
        ({"startRow": "0", "endRow": None}, (0, 50, ())),
        ({"startRow": True, "endRow": float("nan")}, (0, 50, ())),
        ({"startRow": 50.0, "endRow": 100.0}, (50, 50, ())),
        (None, (0, 50, ())),
        ([1, 2], (0, 50, ())),
        (
            {
                "startRow": 0,
                "endRow": 50,
                "sortModel": [
                    {"colId": "username", "sort": "asc"},
                    {"colId": "username", "sort": "desc"},
                    {"colId": "action", "sort": "desc"},
                    {"colId": "detail", "sort": "asc"},
                    {"colId": ["x"], "sort": "asc"},
                    "junk",
                ],
            },
            (0, 50, (SortKey("username"), SortKey("action", descending=True))),
        ),
    ],
)
def test_rows_request_is_read_defensively(request_: object, expected: tuple[object, ...]) -> None:
    assert audit_view.rows_request(request_) == expected


def test_events_info() -> None:
    assert audit_view.events_info(0) == "No events match these filters."
    assert audit_view.events_info(120) == "120 events match."


def _row(**changes: object) -> AuditRow:
    base = AuditRow(
        1,
        datetime(2026, 11, 26, 9, 58, 7, tzinfo=UTC),
        "ada",
        None,
        "web",
        "experiment.update",
        "ok",
        "experiment",
        "3",
        {"before": {"name": "a", "arms": ["x"]}, "after": {"name": "b", "arms": ["x"]}},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_grid_rows_name_targets_and_link_them() -> None:
    names = {
        ("experiment", "3"): TargetName("BRIC-23 <i>x</i>"),
        ("user", "5"): TargetName("bob", 5),
        ("token", "8"): TargetName("laptop (bob)", 5),
        ("job", "9"): TargetName("#9 audit.verify"),
    }
    rows = [
        _row(),
        _row(id=2, target_type="user", target_id="5", detail={}),
        _row(id=3, target_type="token", target_id="8", detail={}),
        _row(id=4, target_type="job", target_id="9", detail={}),
        _row(id=5, target_type="page", target_id="/admin/users", detail={}),
        _row(id=6, target_type="experiment", target_id="404", detail={}),
        _row(id=7, target_type=None, target_id=None, source_ip="10.0.0.1", detail={}),
    ]
    found = audit_view.grid_rows(rows, names)
    assert found[0]["occurred_at"] == "2026-11-26T09:58:07Z"
    assert (found[0]["target"], found[0]["target_href"]) == ("BRIC-23 <i>x</i>", "/experiments/3")
    assert found[0]["detail"] == "name: a → b"
    assert [(r["target"], r["target_href"]) for r in found[1:]] == [
        ("bob", "/admin/users?user=5"),
        ("token laptop (bob)", "/admin/users?user=5"),
        ("#9 audit.verify", "/jobs?job=9&everyone=1"),
        ("page /admin/users", None),
        ("experiment 404", None),  # gone: shown by type and id
        ("", None),
    ]
    assert (found[-1]["source_ip"], found[-1]["id"]) == ("10.0.0.1", 7)


def test_the_diff_of_an_update() -> None:
    assert audit_view.diff_rows(_row().detail) == [
        ("name", "a", "b", True),
        ("arms", "x", "x", False),
    ]
    added = {"before": {}, "after": {"mission": "SpaceX-21", "arms": [{"g": 0}]}}
    assert audit_view.diff_rows(added) == [
        ("mission", "—", "SpaceX-21", True),
        ("arms", "—", '[{"g": 0}]', True),
    ]
    assert audit_view.diff_rows({"before": "x", "after": {}}) == []


def test_event_detail_shows_every_field() -> None:
    event = AuditEventDetail(_row(source_ip="10.1.2.3"), 4, 17, "a" * 64, "b" * 64)
    parts = audit_view.event_detail(event, ("BRIC-23", "/experiments/3"))
    text = repr(parts)
    for shown in ("10.1.2.3", "experiment.update", "BRIC-23", "/experiments/3", "a" * 64, "b" * 64):
        assert shown in text
    assert "position 17" in text
    assert "table-warning" in text  # the changed field stands out


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
    # The axis starts on the first day with events: no empty padding day before it.
    assert list(figure.layout.xaxis.range) == ["2026-11-24", "2026-11-27"]


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


def test_chart_takes_the_page_colours() -> None:
    dark = audit_view.audit_chart({"2026-11-24": {"ok": 2}}, "dark")
    assert dark.layout.font.color == PLOT_PALETTES["dark"]["font"]
    assert dark.layout.plot_bgcolor == "rgba(0,0,0,0)"


def test_one_busy_day_is_a_bar_not_a_block_across_the_chart() -> None:
    figure = audit_view.audit_chart({"2026-11-26": {"ok": 40, "denied": 2}})
    for bar in figure.data:
        assert list(bar.width) == [pytest.approx(audit_view.DAY_MS * 0.8 / audit_view.MIN_SLOTS)]
    # ... and no padding day: the axis spans exactly that day.
    assert list(figure.layout.xaxis.range) == ["2026-11-26", "2026-11-27"]


def test_a_month_of_days_keeps_full_width_bars() -> None:
    counts = {f"2026-11-{day:02d}": {"ok": day} for day in range(1, 31)}
    (bar,) = audit_view.audit_chart(counts).data
    assert list(bar.width) == [pytest.approx(audit_view.DAY_MS * 0.8)] * 30
