"""The audit page's pieces with logic in them: filter, paging, grid rows and the chart.

Kept out of the page module (which registers itself on import) so they can be unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import plotly.graph_objects as go

from dashboard.services.audit import AuditFilter, AuditRow

from .formatting import change_lines

DAY_MS = 86_400_000
RESULT_COLORS = {"ok": "#2e9d5b", "denied": "#d9822b", "failed": "#c0392b", "error": "#6c3483"}
# Bars per day while the span is at most a month, per week up to about a year, then per month:
# a bar a day over years is thousands of hairlines (and ticks that freeze the browser).
DAILY_MAX_DAYS = 31
WEEKLY_MAX_DAYS = 366


def audit_filter(
    username: str | None,
    action: str | None,
    result: str | None,
    start: str | None,
    end: str | None,
) -> AuditFilter:
    """The filter for the page's inputs; the end date counts as a whole UTC day.

    >>> audit_filter("ada", "", None, "2026-11-01", "2026-11-02T00:00:00").until
    datetime.datetime(2026, 11, 3, 0, 0, tzinfo=datetime.timezone.utc)
    """
    since = datetime.fromisoformat(start[:10]).replace(tzinfo=UTC) if start else None
    until = (
        datetime.fromisoformat(end[:10]).replace(tzinfo=UTC) + timedelta(days=1) if end else None
    )
    return AuditFilter(
        username=username or None,
        action=action or None,
        result=result or None,
        since=since,
        until=until,
    )


def export_params(f: AuditFilter) -> dict[str, object]:
    """The filter as the parameters of an ``audit.export`` job (empty fields left out)."""
    params = {
        "username": f.username,
        "action": f.action,
        "result": f.result,
        "since": f.since.isoformat() if f.since else None,
        "until": f.until.isoformat() if f.until else None,
    }
    return {key: value for key, value in params.items() if value}


def action_options(actions: Iterable[str]) -> list[dict[str, str]]:
    """Dropdown options: a group per prefix (``user.*``), then every action.

    >>> [o["value"] for o in action_options(["user.create", "user.update", "job.start"])]
    ['job.', 'user.', 'user.create', 'user.update', 'job.start']
    """
    actions = list(actions)
    groups = sorted({a.split(".")[0] + "." for a in actions})
    return [{"label": f"{g}* (all)", "value": g} for g in groups] + [
        {"label": a, "value": a} for a in actions
    ]


@dataclass(frozen=True)
class Paging:
    """Where a page of events starts, what the pager says, and which buttons work."""

    offset: int
    info: str
    prev_disabled: bool
    next_disabled: bool


def page_offset(
    trigger: str | None, offset: int | None, page_size: int, *, prev: str, next_: str
) -> int:
    """The first event to show after ``trigger``: a page back, a page on, or the start.

    >>> page_offset("next", 50, 50, prev="prev", next_="next")
    100
    >>> page_offset("prev", 20, 50, prev="prev", next_="next")
    0
    >>> page_offset("apply", 100, 50, prev="prev", next_="next")
    0
    """
    offset = max(0, int(offset or 0))
    if trigger == prev:
        return max(0, offset - page_size)
    if trigger == next_:
        return offset + page_size
    return 0


def paging(offset: int, shown: int, total: int, page_size: int) -> Paging:
    """The pager's text and buttons for ``shown`` events from ``offset`` of ``total``."""
    if total:
        info = f"{offset + 1}–{offset + shown} of {total} events"
    else:
        info = "No events match these filters."
    return Paging(offset, info, offset == 0, offset + page_size >= total)


def grid_rows(rows: Iterable[AuditRow]) -> list[dict[str, str]]:
    """Audit events as rows of the page's grid."""
    return [
        {
            "occurred_at": r.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            "username": r.username,
            "source_ip": r.source_ip or "",
            "channel": r.channel,
            "action": r.action,
            "result": r.result,
            "target": f"{r.target_type} {r.target_id}" if r.target_type else "",
            "detail": "; ".join(change_lines(r.detail)),
        }
        for r in rows
    ]


def bin_width_days(first: date, last: date) -> int:
    """Days per bar for a span: 1 (a month or less), 7 (up to a year), else a month (30)."""
    span = (last - first).days
    if span <= DAILY_MAX_DAYS:
        return 1
    if span <= WEEKLY_MAX_DAYS:
        return 7
    return 30


def _bin_start(day: date, width_days: int) -> date:
    if width_days == 1:
        return day
    if width_days == 7:
        return day - timedelta(days=day.weekday())  # weeks start on Monday (ISO)
    return day.replace(day=1)


def _bin_end(start: date, width_days: int) -> date:
    """The first day after the bin that starts on ``start``."""
    if width_days in (1, 7):
        return start + timedelta(days=width_days)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def binned_counts(
    counts: Mapping[str, Mapping[str, int]], width_days: int
) -> dict[date, dict[str, int]]:
    """Per-day counts summed into bins of ``width_days`` (1, 7 or 30: a calendar month).

    >>> binned_counts({"2026-01-30": {"ok": 1}, "2026-02-02": {"ok": 2, "denied": 1}}, 30)
    {datetime.date(2026, 1, 1): {'ok': 1}, datetime.date(2026, 2, 1): {'ok': 2, 'denied': 1}}
    """
    bins: dict[date, dict[str, int]] = {}
    for day, by_result in counts.items():
        start = _bin_start(date.fromisoformat(day), width_days)
        into = bins.setdefault(start, {})
        for result, count in by_result.items():
            into[result] = into.get(result, 0) + count
    return dict(sorted(bins.items()))


def audit_chart(counts: Mapping[str, Mapping[str, int]]) -> go.Figure:
    """Stacked bars of events per result, a bar a day, week or month depending on the span."""
    figure = go.Figure()
    figure.update_layout(
        barmode="stack",
        showlegend=True,
        height=220,
        margin={"l": 40, "r": 10, "t": 10, "b": 30},
        legend={"orientation": "h", "y": 1.15},
        yaxis_title="events",
        plot_bgcolor="white",
    )
    if not counts:
        return figure
    days = sorted(date.fromisoformat(d) for d in counts)
    width_days = bin_width_days(days[0], days[-1])
    bins = binned_counts(counts, width_days)
    starts = list(bins)
    ends = [_bin_end(start, width_days) for start in starts]
    # Each bar centred in its period and 80 % as wide, so neighbours stay apart.
    centres = [
        datetime.combine(s, datetime.min.time()) + (e - s) / 2
        for s, e in zip(starts, ends, strict=True)
    ]
    widths = [(e - s).days * DAY_MS * 0.8 for s, e in zip(starts, ends, strict=True)]
    for result, colour in RESULT_COLORS.items():
        values = [bins[s].get(result, 0) for s in starts]
        if any(values):
            figure.add_bar(
                x=[c.isoformat() for c in centres],
                y=values,
                name=result,
                marker_color=colour,
                width=widths,
            )
    daily = width_days == 1
    # A date axis with a day of margin: one busy day is a bar, not the whole chart. A tick a
    # day only while that stays readable; beyond a month Plotly picks the spacing.
    figure.update_xaxes(
        type="date",
        dtick=DAY_MS if daily else None,
        ticklabelmode="period" if daily else "instant",
        tickformat="%Y-%m-%d" if width_days < 30 else "%Y-%m",
        range=[str(starts[0] - timedelta(days=1)), str(ends[-1])],
    )
    return figure
