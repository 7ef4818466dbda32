"""The audit page's pieces with logic in them: filter, page requests, rows, detail and chart.

Kept out of the page module (which registers itself on import) so they can be unit-tested.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from dashboard.services.audit import (
    MAX_PAGE,
    OFFSET_MAX,
    RESULTS,
    SORTABLE,
    TEXT_MAX,
    AuditEventDetail,
    AuditFilter,
    AuditRow,
    SortKey,
    Target,
    TargetName,
)

from .formatting import change_lines
from .grid import PHONE_PIN, Column, badge_column, link_column, text_column, time_column
from .status import status_badge
from .theme import themed
from .timestamp import iso_utc, timestamp

DAY_MS = 86_400_000
RESULT_COLORS = {"ok": "#2e9d5b", "denied": "#d9822b", "failed": "#c0392b", "error": "#6c3483"}
# Bars per day while the span is at most a month, per week up to about a year, then per month:
# a bar a day over years is thousands of hairlines (and ticks that freeze the browser).
DAILY_MAX_DAYS = 31
MIN_SLOTS = 7  # bars are never wider than one period among seven
WEEKLY_MAX_DAYS = 366
PAGE_SIZE = 50

AUDIT_COLUMNS: list[Column] = [
    time_column("occurred_at", "When", filter_kind=None),
    text_column("username", "Who", min_width=120, filter_kind=None),
    text_column("source_ip", "From", min_width=120, filter_kind=None),
    text_column("channel", "Channel", min_width=90, flex=0.6, filter_kind=None),
    {
        **text_column("action", "Action", min_width=150, filter_kind=None),
        "context": {PHONE_PIN: True},
    },
    badge_column("result", "Result", family="audit", width=115, filter_kind=None),
    link_column(
        "target",
        "Target",
        href_field="target_href",
        min_width=160,
        is_name=False,
        filter_kind=None,
        sortable=False,
    ),
    text_column("detail", "Detail", min_width=200, flex=3, filter_kind=None, sortable=False),
]


def _day(raw: object) -> date | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def audit_filter(
    username: object,
    action: object,
    result: object,
    start: object,
    end: object,
    text: object = None,
) -> AuditFilter:
    """The filter for the page's inputs; the end date counts as a whole UTC day.

    Values that make no sense (a date that is none, an unknown result, anything but text)
    do not filter.

    >>> audit_filter("ada", "", None, "2026-11-01", "2026-11-02T00:00:00").until
    datetime.datetime(2026, 11, 3, 0, 0, tzinfo=datetime.timezone.utc)
    >>> audit_filter(None, None, "sideways", "yesterday", None, "  ") == AuditFilter()
    True
    """
    first, last = _day(start), _day(end)
    since = datetime.combine(first, datetime.min.time(), UTC) if first else None
    until = datetime.combine(last, datetime.min.time(), UTC) + timedelta(days=1) if last else None
    words = (_str(text) or "")[:TEXT_MAX]
    return AuditFilter(
        username=_str(username),
        action=_str(action),
        result=result if isinstance(result, str) and result in RESULTS else None,
        since=since,
        until=until,
        text=words or None,
    )


def export_params(f: AuditFilter) -> dict[str, object]:
    """The filter as the parameters of an ``audit.export`` job (empty fields left out).

    The export job filters by user, action, result and dates; free-text search is not one of
    its parameters.
    """
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


def _whole(raw: object) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return int(raw) if raw == raw and abs(raw) < 2**63 else None  # NaN is not a row


def rows_request(request: object) -> tuple[int, int, tuple[SortKey, ...]]:
    """(offset, limit, sort) asked for by the grid's ``getRowsRequest`` (garbage ignored).

    >>> rows_request({"startRow": 100, "endRow": 150, "sortModel": [
    ...     {"colId": "username", "sort": "asc"}, {"colId": "detail", "sort": "desc"}]})
    (100, 50, (SortKey(column='username', descending=False),))
    >>> rows_request({"startRow": -5, "endRow": 10**9})
    (0, 500, ())
    >>> rows_request(None)
    (0, 50, ())
    """
    if not isinstance(request, Mapping):
        return 0, PAGE_SIZE, ()
    start = _whole(request.get("startRow"))
    end = _whole(request.get("endRow"))
    offset = min(max(0, start or 0), OFFSET_MAX)
    limit = PAGE_SIZE if end is None else max(1, min(end - offset, MAX_PAGE))
    model = request.get("sortModel")
    sort: list[SortKey] = []
    for entry in model if isinstance(model, list) else []:
        if not isinstance(entry, Mapping):
            continue
        column, direction = entry.get("colId"), entry.get("sort")
        is_new = all(k.column != column for k in sort)
        if column in SORTABLE and direction in ("asc", "desc") and is_new:
            sort.append(SortKey(str(column), direction == "desc"))
    return offset, limit, tuple(sort)


def events_info(total: int) -> str:
    """What the line above the grid says.

    >>> events_info(0), events_info(1), events_info(12345)
    ('No events match these filters.', '1 event matches.', '12,345 events match.')
    """
    if not total:
        return "No events match these filters."
    return "1 event matches." if total == 1 else f"{total:,} events match."


def target_of(row: AuditRow) -> Target | None:
    """The (type, id) an event points at, if any."""
    if not row.target_type or row.target_id is None:
        return None
    return row.target_type, row.target_id


def target_link(
    target: Target | None, names: Mapping[Target, TargetName]
) -> tuple[str, str | None]:
    """The target as people read it (its current name) and where it opens, if anywhere.

    >>> names = {("experiment", "3"): TargetName("BRIC-23"), ("user", "5"): TargetName("ada", 5)}
    >>> target_link(("experiment", "3"), names), target_link(("user", "5"), names)
    (('BRIC-23', '/experiments/3'), ('ada', '/admin/users?user=5'))
    >>> target_link(("page", "/admin/users"), names), target_link(("experiment", "9"), names)
    (('page /admin/users', None), ('experiment 9', None))
    """
    if target is None:
        return "", None
    found = names.get(target)
    kind, ident = target
    if found is None:
        return f"{kind} {ident}", None
    if kind == "experiment":
        return found.name, f"/experiments/{ident}"
    if kind == "job":
        return found.name, f"/jobs?job={ident}&everyone=1"
    if found.owner_id is not None:  # a user, or a token (opens its owner)
        label = found.name if kind == "user" else f"token {found.name}"
        return label, f"/admin/users?user={found.owner_id}"
    return found.name, None


def grid_rows(
    rows: Iterable[AuditRow], names: Mapping[Target, TargetName] | None = None
) -> list[dict[str, Any]]:
    """Audit events as rows of the page's grid (targets by their current names)."""
    found = []
    for r in rows:
        label, href = target_link(target_of(r), names or {})
        found.append(
            {
                "id": r.id,
                "occurred_at": iso_utc(r.occurred_at),
                "username": r.username,
                "source_ip": r.source_ip or "",
                "channel": r.channel,
                "action": r.action,
                "result": r.result,
                "target": label,
                "target_href": href,
                "detail": "; ".join(change_lines(r.detail)),
            }
        )
    return found


# --- one event in full ----------------------------------------------------------------------


def _shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(map(str, value))
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_rows(detail: Mapping[str, object]) -> list[tuple[str, str, str, bool]]:
    """(field, before, after, changed) for a detail holding ``before`` and ``after``.

    >>> diff_rows({"before": {"name": "a", "arms": ["x"]}, "after": {"name": "b", "arms": ["x"]}})
    [('name', 'a', 'b', True), ('arms', 'x', 'x', False)]
    >>> diff_rows({"username": "ada"})
    []
    """
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    keys = list(dict.fromkeys([*before, *after]))
    return [
        (str(k), _shown(before.get(k)), _shown(after.get(k)), before.get(k) != after.get(k))
        for k in keys
    ]


def _fact(label: str, value: object) -> list[Any]:
    return [html.Dt(label, className="col-sm-3"), html.Dd(value, className="col-sm-9")]


def event_detail(event: AuditEventDetail, target: tuple[str, str | None]) -> list[Any]:
    """Every field of one event: who, when, what, target, the before → after diff, the rest of
    the detail and its place in the hash chain."""
    row = event.row
    label, href = target
    target_cell: Any = label or "—"
    if href:
        target_cell = dcc.Link(label, href=href)
    facts = [
        *_fact("When", timestamp(row.occurred_at)),
        *_fact("Who", f"{row.username}" + (f" (user {event.user_id})" if event.user_id else "")),
        *_fact("From", row.source_ip or "—"),
        *_fact("Channel", row.channel),
        *_fact("Action", html.Code(row.action)),
        *_fact("Result", status_badge("audit", row.result)),
        *_fact("Target", target_cell),
        *_fact("Event", f"#{row.id}, position {event.seq} in the hash chain"),
    ]
    parts: list[Any] = [html.Dl(facts, className="row mb-3 msg-event-facts")]
    changes = diff_rows(row.detail)
    if changes:
        parts.append(html.H3("Changes", className="h6"))
        parts.append(
            html.Div(
                html.Table(
                    [
                        html.Thead(
                            html.Tr([html.Th("Field"), html.Th("Before"), html.Th("After")])
                        ),
                        html.Tbody(
                            [
                                html.Tr(
                                    [html.Td(name), html.Td(old), html.Td(new)],
                                    className="table-warning" if changed else "text-body-secondary",
                                )
                                for name, old, new, changed in changes
                            ]
                        ),
                    ],
                    className="table table-sm msg-table msg-diff mb-3",
                ),
                className="table-responsive",
            )
        )
    rest = {k: v for k, v in row.detail.items() if not (changes and k in ("before", "after"))}
    if rest:
        parts.append(html.H3("Detail", className="h6"))
        parts.append(
            html.Pre(
                json.dumps(rest, indent=2, ensure_ascii=False, sort_keys=True),
                className="msg-detail-json small mb-3",
            )
        )
    parts.append(html.H3("Hash chain", className="h6"))
    parts.append(
        html.Dl(
            [
                *_fact("Previous", html.Code(event.prev_hash or "—", className="msg-hash")),
                *_fact("This event", html.Code(event.row_hash or "—", className="msg-hash")),
            ],
            className="row mb-0 small",
        )
    )
    return parts


# --- the chart ------------------------------------------------------------------------------


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


def audit_chart(counts: Mapping[str, Mapping[str, int]], scheme: str = "light") -> go.Figure:
    """Stacked bars of events per result, a bar a day, week or month depending on the span,
    coloured for the page's ``scheme``."""
    figure = go.Figure()
    figure.update_layout(
        barmode="stack",
        showlegend=True,
        height=220,
        margin={"l": 40, "r": 10, "t": 10, "b": 30},
        legend={"orientation": "h", "y": 1.15},
        yaxis_title="events",
    )
    themed(figure, scheme)
    if not counts:  # no axes counting nothing: say so
        figure.update_xaxes(visible=False)
        figure.update_yaxes(visible=False)
        figure.add_annotation(
            text="Nothing to chart.",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        return figure
    days = sorted(date.fromisoformat(d) for d in counts)
    width_days = bin_width_days(days[0], days[-1])
    bins = binned_counts(counts, width_days)
    starts = list(bins)
    ends = [_bin_end(start, width_days) for start in starts]
    # Each bar centred in its period and 80 % as wide, so neighbours stay apart; over fewer
    # than MIN_SLOTS periods bars keep the width they would have among MIN_SLOTS (one day of
    # events is a bar, not a block across the whole chart), without padding empty days.
    centres = [
        datetime.combine(s, datetime.min.time()) + (e - s) / 2
        for s, e in zip(starts, ends, strict=True)
    ]
    span_days = (ends[-1] - starts[0]).days
    fill = 0.8 * min(1.0, span_days / (MIN_SLOTS * width_days))
    widths = [(e - s).days * DAY_MS * fill for s, e in zip(starts, ends, strict=True)]
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
    # The axis spans exactly the bins that hold events (no empty day before the first). A
    # tick a day only while that stays readable; beyond a month Plotly picks the spacing.
    figure.update_xaxes(
        type="date",
        dtick=DAY_MS if daily else None,
        ticklabelmode="period" if daily else "instant",
        tickformat="%Y-%m-%d" if width_days < 30 else "%Y-%m",
        range=[str(starts[0]), str(ends[-1])],
    )
    return figure
