"""The live charts of a run: which series go together, the figures (downsampled on the
server, with the run's limit lines and the temperature setpoint), and the new points the
browser appends each second through ``extendData`` (never the whole figure again)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dashboard.components.theme import current_scheme, themed
from dashboard.db import Database
from dashboard.services import telemetry
from dashboard.services.commands import ACKNOWLEDGED, VERIFIED, CommandView
from dashboard.services.devices import Catalog
from dashboard.services.runs import LimitView, RunView

# Time windows: key → (label, seconds back from now; None = the whole run).
WINDOWS: dict[str, tuple[str, float | None]] = {
    "live": ("Live (last 10 min)", 600.0),
    "hour": ("Last hour", 3600.0),
    "day": ("Last day", 86_400.0),
    "all": ("Whole run", None),
}
DEFAULT_WINDOW = "live"
MAX_POINTS = 1_500  # per series when a figure is (re)loaded: downsampled on the server
KEEP_POINTS = 20_000  # what a figure keeps while points are appended outside live mode
SETPOINT = "setpoint"
WARN_COLOUR = "#fd7e14"
CRIT_COLOUR = "#dc3545"
SERIES_COLOURS = ("#0d6efd", "#20c997", "#6f42c1", "#d63384", "#198754")
SETPOINT_COLOUR = "#6c757d"


@dataclass(frozen=True)
class ChartGroup:
    """Series drawn together: ``primary`` on the left axis, ``secondary`` on the right."""

    key: str
    title: str
    primary: tuple[str, ...]
    secondary: tuple[str, ...] = ()
    setpoint_of: str | None = None  # draw this parameter's setpoint as a step line

    @property
    def series(self) -> tuple[str, ...]:
        return (*self.primary, *self.secondary)

    @property
    def traces(self) -> tuple[str, ...]:
        """Trace names in figure order (the setpoint line last)."""
        return (*self.series, *((SETPOINT,) if self.setpoint_of else ()))


GROUPS: tuple[ChartGroup, ...] = (
    ChartGroup("temperature", "Temperature", ("temperature_c",), setpoint_of="temperature_c"),
    ChartGroup("gases", "CO₂ and O₂", ("co2_pct", "o2_pct")),
    ChartGroup("od", "Optical density and growth rate", ("od600",), ("growth_rate_per_h",)),
    ChartGroup("gravity", "Gravity level", ("g_level",)),
    ChartGroup("dose", "Radiation dose", ("dose_rate_ugy_h",), ("dose_mgy",)),
)


def groups_for(series_names: Iterable[str]) -> list[ChartGroup]:
    """The chart groups a run records something of (a run without a dosimeter has no dose)."""
    names = set(series_names)
    return [g for g in GROUPS if names.intersection(g.primary)]


def window_key(raw: object) -> str:
    """A known window key, or the default.

    >>> window_key("day"), window_key("<script>")
    ('day', 'live')
    """
    return raw if isinstance(raw, str) and raw in WINDOWS else DEFAULT_WINDOW


def keep_points(window: str, hz: float) -> int:
    """How many points a trace keeps while appending: a rolling 10 min when live."""
    seconds = WINDOWS[window_key(window)][1]
    if window_key(window) == "live" and seconds is not None:
        return max(10, math.ceil(seconds * hz))
    return KEEP_POINTS


def times(t: Sequence[float] | np.ndarray) -> list[str]:
    """Epoch seconds as the UTC times Plotly's date axis reads.

    >>> times([0.0, 1.5])
    ['1970-01-01 00:00:00.000', '1970-01-01 00:00:01.500']
    """
    return [datetime.fromtimestamp(float(x), UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] for x in t]


def setpoint_steps(
    commands: Iterable[CommandView], parameter: str
) -> list[tuple[float, float, str]]:
    """(epoch s, value, unit) of each setpoint of ``parameter`` a device accepted, in time
    order (user and profile setpoints alike)."""
    steps = []
    for c in commands:
        if c.kind != "setpoint" or c.parameter != parameter or c.value is None:
            continue
        stamp = c.stages.get(ACKNOWLEDGED) or c.stages.get(VERIFIED)
        if stamp is None:
            continue
        steps.append((datetime.fromisoformat(stamp).timestamp(), float(c.value), c.unit or ""))
    return sorted(steps)


def _limit_shapes(limits: Mapping[str, LimitView], parameter: str, axis: str) -> list[Any]:
    lim = limits.get(parameter)
    if lim is None:
        return []
    shapes = []
    for name, value, colour in (
        ("warning low", lim.warn_low, WARN_COLOUR),
        ("warning high", lim.warn_high, WARN_COLOUR),
        ("critical low", lim.crit_low, CRIT_COLOUR),
        ("critical high", lim.crit_high, CRIT_COLOUR),
    ):
        if value is None:
            continue
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": axis,
                "y0": value,
                "y1": value,
                "line": {"color": colour, "width": 1, "dash": "dash" if "warn" in name else "dot"},
                "label": {
                    "text": f"{name} {value:g}",
                    "textposition": "start" if "warn" in name else "end",
                    "yanchor": "bottom",
                    "font": {"size": 10, "color": colour},
                },
            }
        )
    return shapes


@dataclass(frozen=True)
class Loaded:
    """Figures of a run's chart groups and where appending starts."""

    figures: dict[str, go.Figure]
    last_t: float | None
    setpoints: dict[str, float]
    downsampled: list[str]
    total_points: int


def _axis_title(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def load(
    db: Database,
    cat: Catalog,
    run: RunView,
    commands: Sequence[CommandView],
    window: str,
    now: float,
) -> Loaded:
    """Each chart group's figure over ``window`` (downsampled to :data:`MAX_POINTS`)."""
    seconds = WINDOWS[window_key(window)][1]
    since = None if seconds is None else now - seconds
    names = telemetry.series_names(cat, run.devices)
    limits = {lim.parameter: lim for lim in run.limits}
    figures: dict[str, go.Figure] = {}
    last_t: float | None = None
    setpoints: dict[str, float] = {}
    downsampled: list[str] = []
    total = 0
    for group in groups_for(names):
        figure = go.Figure()
        shapes: list[Any] = []
        for index, name in enumerate(group.series):
            on_right = name in group.secondary
            series = (
                telemetry.query(db, cat, run.id, name, since=since, max_points=MAX_POINTS)
                if name in names
                else None
            )
            label, unit = (series.label, series.unit) if series else (name, "")
            if series is not None:
                total += series.total
                if series.is_downsampled:
                    downsampled.append(label)
                if len(series.t):
                    last_t = max(last_t or 0.0, float(series.t[-1]))
            figure.add_trace(
                go.Scatter(
                    x=times(series.t) if series is not None else [],
                    y=series.v.tolist() if series is not None else [],
                    name=_axis_title(label, unit),
                    mode="lines",
                    line={"color": SERIES_COLOURS[index % len(SERIES_COLOURS)], "width": 1.6},
                    yaxis="y2" if on_right else "y",
                )
            )
            shapes += _limit_shapes(limits, name, "y2" if on_right else "y")
            axis = "yaxis2" if on_right else "yaxis"
            figure.update_layout({axis: {"title": {"text": _axis_title(label, unit)}}})
        if group.setpoint_of:
            steps = setpoint_steps(commands, group.setpoint_of)
            if since is not None:
                before = [s for s in steps if s[0] <= since]
                steps = ([(since, before[-1][1], before[-1][2])] if before else []) + [
                    s for s in steps if s[0] > since
                ]
            xs = [s[0] for s in steps]
            ys = [s[1] for s in steps]
            if steps:
                setpoints[group.setpoint_of] = ys[-1]
                xs.append(max(now, xs[-1]))
                ys.append(ys[-1])
            figure.add_trace(
                go.Scatter(
                    x=times(xs),
                    y=ys,
                    name="Setpoint",
                    mode="lines",
                    line={"color": SETPOINT_COLOUR, "width": 1.4, "shape": "hv", "dash": "dash"},
                )
            )
        figure.update_layout(
            height=280,
            margin={"l": 60, "r": 60 if group.secondary else 20, "t": 30, "b": 40},
            legend={"orientation": "h", "y": 1.12, "x": 0, "font": {"size": 11}},
            xaxis={"type": "date", "title": {"text": "time (UTC)"}},
            shapes=shapes,
            uirevision=f"{run.id}-{group.key}",
            hovermode="x unified",
        )
        if group.secondary:
            figure.update_layout(
                yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "zeroline": False}
            )
        figures[group.key] = themed(figure, current_scheme())
    return Loaded(figures, last_t, setpoints, downsampled, total)


@dataclass(frozen=True)
class Appended:
    """New points per chart group as ``extendData`` wants them, and the newest time."""

    extend: dict[str, list[Any]]
    last_t: float | None


def new_points(
    db: Database,
    cat: Catalog,
    run_id: int,
    device_ids: Iterable[str],
    after: float,
    setpoints: Mapping[str, float],
    keep: int,
) -> Appended:
    """The points recorded after epoch second ``after``, per chart group (groups with none
    are left out), with each setpoint line carried to the newest time."""
    names = telemetry.series_names(cat, device_ids)
    extend: dict[str, list[Any]] = {}
    last_t: float | None = None
    for group in groups_for(names):
        xs: list[list[str]] = []
        ys: list[list[float]] = []
        newest: float | None = None
        for name in group.series:
            if name not in names:
                xs.append([])
                ys.append([])
                continue
            series = telemetry.query(db, cat, run_id, name, since=after, max_points=None)
            fresh = series.t > after
            t, v = series.t[fresh], series.v[fresh]
            xs.append(times(t))
            ys.append(v.tolist())
            if len(t):
                newest = max(newest or 0.0, float(t[-1]))
        if newest is None:
            continue
        if group.setpoint_of:
            value = setpoints.get(group.setpoint_of)
            xs.append(times([newest]) if value is not None else [])
            ys.append([value] if value is not None else [])
        last_t = max(last_t or 0.0, newest)
        extend[group.key] = [{"x": xs, "y": ys}, list(range(len(xs))), keep]
    return Appended(extend, last_t)
