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

from dashboard.components.mission_limits import (
    LABEL_FONT_PX,
    LABEL_PX,
    PLOT_PX,
    LineLabel,
    note_text,
    place_labels,
)
from dashboard.components.theme import current_scheme, themed
from dashboard.services import telemetry
from dashboard.services.commands import ACKNOWLEDGED, VERIFIED, CommandView
from dashboard.services.devices import Catalog
from dashboard.services.runs import LimitView, RunView
from dashboard.services.telemetry import Series

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
# Line colours with at least 3:1 contrast on the light (#fff) and the dark (#111a2c) card, so
# one figure reads in both schemes (assets/theme.js re-colours only text, grid and axes).
WARN_COLOUR = "#ca6510"
CRIT_COLOUR = "#e03131"
SERIES_COLOURS = ("#0d6efd", "#0ca678", "#7950f2", "#d6336c", "#ca6510")
SETPOINT_COLOUR = "#6c757d"
# Quantities that cannot be negative: their axes never show a negative tick.
NONNEGATIVE = frozenset(
    ("co2_pct", "o2_pct", "humidity_pct", "od600", "rotor_rpm", "dose_rate_ugy_h")
)
# ... and those read against zero (a 0 g run is a line on the axis, a dose starts at 0).
FROM_ZERO = frozenset(("g_level", "dose_mgy"))
# Shorter names than the catalog's, for legends and axis titles on a phone.
SHORT_LABELS = {"od600": "OD600", "dose_mgy": "Dose", "g_level": "Gravity"}
PAD_FRACTION = 0.15  # space above and below the data, of its span
NEAR_FRACTION = 0.5  # a limit this far (of the padded span) outside the data is still drawn
MIN_SPAN_FRACTION = 0.05  # a flat series spans at least 5 % of its level (36–38 °C at 37)
FIGURE_HEIGHT = 280


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


BOUND_NAMES = (
    ("warn_high", "warning high"),
    ("crit_high", "critical high"),
    ("warn_low", "warning low"),
    ("crit_low", "critical low"),
)


def data_range(values: Iterable[float]) -> tuple[float, float] | None:
    """The span the axis shows of ``values``: their range, at least
    :data:`MIN_SPAN_FRACTION` of their level wide, padded by :data:`PAD_FRACTION` each side.

    >>> [round(x, 2) for x in data_range([36.9, 37.1])]
    [35.8, 38.2]
    >>> data_range([]) is None
    True
    """
    found = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not found:
        return None
    low, high = min(found), max(found)
    middle = (low + high) / 2
    span = max(high - low, MIN_SPAN_FRACTION * abs(middle), 1e-9)
    low, high = middle - span / 2, middle + span / 2
    return low - PAD_FRACTION * span, high + PAD_FRACTION * span


@dataclass(frozen=True)
class LimitMarks:
    """How a parameter's limits show on its chart: lines for those near the data, and the
    words of those above or below it (drawn as arrows at the chart's edge)."""

    lines: tuple[tuple[str, float], ...]
    above: tuple[tuple[str, float], ...]
    below: tuple[tuple[str, float], ...]


def limit_marks(lim: LimitView | None, shown: tuple[float, float] | None) -> LimitMarks:
    """Split ``lim``'s bounds into lines (within or near ``shown``, the data's padded range)
    and notes above or below it; with no data every bound is a note, so the limits never
    stretch an empty chart to their range.

    >>> marks = limit_marks(LimitView("t", 2.0, 47.0, 0.0, 50.0, 3, 10.0), (35.8, 38.2))
    >>> marks.lines, [n for n, _ in marks.above], [n for n, _ in marks.below]
    ((), ['warning high', 'critical high'], ['warning low', 'critical low'])
    >>> limit_marks(LimitView("t", None, 38.0, None, None, 3, 10.0), (35.8, 38.2)).lines
    (('warning high', 38.0),)
    """
    if lim is None:
        return LimitMarks((), (), ())
    lines, above, below = [], [], []
    for bound, name in BOUND_NAMES:
        value = getattr(lim, bound)
        if value is None:
            continue
        if shown is None:
            (above if "high" in bound else below).append((name, value))
            continue
        reach = NEAR_FRACTION * (shown[1] - shown[0])
        if value > shown[1] + reach:
            above.append((name, value))
        elif value < shown[0] - reach:
            below.append((name, value))
        else:
            lines.append((name, value))
    return LimitMarks(tuple(lines), tuple(above), tuple(below))


def _words(bounds: Sequence[tuple[str, float]]) -> str:
    return " · ".join(f"{name} {value:g}" for name, value in bounds)


def axis_span(
    shown: tuple[float, float] | None, marks: Iterable[LimitMarks], rangemode: str
) -> tuple[float, float] | None:
    """The range Plotly's autorange gives an axis: the padded data (``shown``) and the lines.

    >>> axis_span((28.4, 37.8), [LimitMarks((("warning high", 29.0),), (), ())], "normal")
    (28.4, 37.8)
    >>> axis_span((2.3, 22.4), [LimitMarks((("warning low", 0.5),), (), ())], "nonnegative")
    (0.5, 22.4)
    """
    if shown is None:
        return None
    values = [*shown, *(value for m in marks for _name, value in m.lines)]
    low, high = min(values), max(values)
    if rangemode == "tozero":
        low, high = min(low, 0.0), max(high, 0.0)
    elif rangemode == "nonnegative":
        low = max(low, 0.0)
    return low, high


def _line_shapes(marks: LimitMarks, axis: str) -> list[dict[str, Any]]:
    """Dashed (warning) and dotted (critical) lines across the chart, unlabelled (the
    labels are placed for all lines of a figure at once: :func:`limit_layout`)."""
    return [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": axis,
            "y0": value,
            "y1": value,
            "line": {
                "color": WARN_COLOUR if "warning" in name else CRIT_COLOUR,
                "width": 1.2,
                "dash": "dash" if "warning" in name else "dot",
            },
        }
        for name, value in marks.lines
    ]


@dataclass(frozen=True)
class AxisLimits:
    """What one series contributes to its figure's limit marks."""

    axis: str  # "y" or "y2"
    span: tuple[float, float] | None  # the axis' range (:func:`axis_span`)
    marks: LimitMarks
    prefix: str  # "CO₂ " in a chart of several series
    unit: str
    rangemode: str = "normal"


@dataclass(frozen=True)
class LimitLayout:
    """A figure's limit marks: the lines (labelled), the edge notes, and the range each y
    axis must include so that the notes have a band of their own (no data, no line)."""

    shapes: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    include: dict[str, tuple[float, float]]


def _note(text: str, side: str) -> dict[str, Any]:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1 if side == "above" else 0,
        "xanchor": "left",
        "yanchor": "top" if side == "above" else "bottom",
        "align": "left",
        "showarrow": False,
        "font": {"size": LABEL_FONT_PX},
        "name": f"limits {side}",
    }


def _with_bands(
    span: tuple[float, float], top: float, bottom: float, rangemode: str
) -> tuple[float, float]:
    """``span`` widened by bands of ``top`` and ``bottom`` (fractions of the whole range).

    >>> _with_bands((10.0, 20.0), 0.25, 0.25, "normal")
    (0.0, 30.0)
    >>> _with_bands((1.0, 20.0), 0.0, 0.2, "nonnegative")
    (0.0, 20.0)
    """
    whole = (span[1] - span[0]) / max(0.2, 1.0 - top - bottom)
    low, high = span[0] - bottom * whole, span[1] + top * whole
    return (max(low, 0.0) if rangemode == "nonnegative" and span[0] >= 0 else low), high


def limit_layout(found: Sequence[AxisLimits]) -> LimitLayout:
    """A figure's limit marks, no words over others: the limits beyond the readings are
    named in ONE note per edge (▲ top, ▼ bottom, at the left), in a band of the plot the axes
    leave empty for it; the drawn lines' labels sit at the right, one shared by lines too
    close for a label each, on the side of the line with room (:func:`place_labels`)."""
    notes: list[dict[str, Any]] = []
    band = {"above": 0.0, "below": 0.0}
    for side, arrow in (("above", "▲"), ("below", "▼")):
        parts = [
            f"{item.prefix}{_words(getattr(item.marks, side))} {item.unit}".rstrip()
            for item in found
            if getattr(item.marks, side)
        ]
        if parts:
            text = note_text(parts, arrow)
            band[side] = (text.count("<br>") + 1) * LABEL_PX
            notes.append(_note(text, side))
    include: dict[str, tuple[float, float]] = {}
    shapes: list[dict[str, Any]] = []
    lines: list[LineLabel] = []
    for item in found:
        if item.span is None:
            continue
        low, high = include.setdefault(
            item.axis,
            _with_bands(
                item.span, band["above"] / PLOT_PX, band["below"] / PLOT_PX, item.rangemode
            ),
        )
        shapes += _line_shapes(item.marks, item.axis)
        for name, value in item.marks.lines:
            px = PLOT_PX * (value - low) / (high - low) if high > low else PLOT_PX / 2
            lines.append(LineLabel(px, item.prefix, f"{name} {value:g}", "high" in name))
    for placed in place_labels(lines, band["above"], band["below"]):
        shapes[placed.index] = shapes[placed.index] | {
            "label": {
                "text": placed.text,
                "textposition": "end",
                "yanchor": "bottom" if placed.is_above else "top",
                "font": {"size": LABEL_FONT_PX},
            }
        }
    return LimitLayout(shapes, notes, include)


def limits_text(marks: LimitMarks, unit: str) -> str:
    """The limits in words, for the chart's summary.

    >>> limits_text(LimitMarks((("warning high", 38.0),), (), (("critical low", 0.0),)), "°C")
    'warning high 38 °C (drawn), critical low 0 °C (below the chart)'
    """
    parts = [f"{n} {v:g} {unit} (drawn)".replace("  ", " ") for n, v in marks.lines]
    parts += [f"{n} {v:g} {unit} (above the chart)".replace("  ", " ") for n, v in marks.above]
    parts += [f"{n} {v:g} {unit} (below the chart)".replace("  ", " ") for n, v in marks.below]
    return ", ".join(parts)


def short_label(name: str, label: str) -> str:
    """A series' name in legends and on axes (``OD600`` rather than the catalog's words)."""
    return SHORT_LABELS.get(name, label)


def _value(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class Loaded:
    """Figures of a run's chart groups and where appending starts."""

    figures: dict[str, go.Figure]
    summaries: dict[str, str]
    last_t: float | None
    setpoints: dict[str, float]
    downsampled: list[str]
    total_points: int


def _axis_title(label: str, unit: str) -> str:
    """``Temperature (°C)``; a unit the label already holds is not repeated (``OD600``)."""
    return f"{label} ({unit})" if unit and unit not in label else label


def _rangemode(names: Iterable[str]) -> str:
    """``tozero`` when every series of an axis is read against zero, ``nonnegative`` when
    none can be negative, else ``normal``.

    >>> _rangemode(["dose_mgy"]), _rangemode(["co2_pct", "o2_pct"]), _rangemode(["temperature_c"])
    ('tozero', 'nonnegative', 'normal')
    """
    found = set(names)
    if found and found <= FROM_ZERO:
        return "tozero"
    if found and found <= NONNEGATIVE | FROM_ZERO:
        return "nonnegative"
    return "normal"


@dataclass
class _Axis:
    """What one y axis of a figure gathers while its series are read."""

    names: list[str]
    labels: list[str]
    values: list[float]
    unit: str = ""


def _summary(
    title: str, axes: Mapping[str, _Axis], latest: Mapping[str, str], notes: list[str]
) -> str:
    parts = []
    for axis in axes.values():
        for name, text in latest.items():
            if name in axis.names:
                parts.append(text)
    return f"{title}: " + "; ".join(parts + notes) + "."


def since(window: str, now: float) -> float | None:
    """The first epoch second a window shows (None: the whole run)."""
    seconds = WINDOWS[window_key(window)][1]
    return None if seconds is None else now - seconds


def load(
    found: Mapping[str, Series],
    cat: Catalog,
    run: RunView,
    commands: Sequence[CommandView],
    window: str,
    now: float,
) -> Loaded:
    """Each chart group's figure over ``window`` (downsampled to :data:`MAX_POINTS`), and a
    sentence per chart for screen readers (latest value, range, limits)."""
    first = since(window, now)
    names = telemetry.series_names(cat, run.devices)
    limits = {lim.parameter: lim for lim in run.limits}
    window_words = WINDOWS[window_key(window)][0].lower()
    figures: dict[str, go.Figure] = {}
    summaries: dict[str, str] = {}
    last_t: float | None = None
    setpoints: dict[str, float] = {}
    downsampled: list[str] = []
    total = 0
    for group in groups_for(names):
        figure = go.Figure()
        axes = {"y": _Axis([], [], []), "y2": _Axis([], [], [])}
        latest: dict[str, str] = {}
        units: dict[str, str] = {}
        for index, name in enumerate(group.series):
            axis = axes["y2" if name in group.secondary else "y"]
            series = found.get(name) if name in names else None
            label, unit = (series.label, series.unit) if series else (name, "")
            label = short_label(name, label)
            units[name] = unit
            axis.names.append(name)
            axis.labels.append(label)
            axis.unit = unit
            if series is not None:
                total += series.total
                if series.is_downsampled:
                    downsampled.append(label)
                if len(series.t):
                    last_t = max(last_t or 0.0, float(series.t[-1]))
                    values = series.v[np.isfinite(series.v)]
                    axis.values += values.tolist()
                    if len(values):
                        latest[name] = (
                            f"{label} latest {_value(float(series.v[-1]))} {unit}, "
                            f"{_value(float(values.min()))} to {_value(float(values.max()))} "
                            f"over the {window_words}"
                        ).replace("  ", " ")
            if name not in latest:
                latest[name] = f"{label}: no readings in the {window_words}"
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            figure.add_trace(
                go.Scatter(
                    x=times(series.t) if series is not None else [],
                    y=series.v.tolist() if series is not None else [],
                    name=_axis_title(label, unit),
                    mode="lines",
                    line={"color": colour, "width": 1.6},
                    yaxis="y2" if name in group.secondary else "y",
                )
            )
        if group.setpoint_of:
            steps = setpoint_steps(commands, group.setpoint_of)
            if first is not None:
                before = [s for s in steps if s[0] <= first]
                steps = ([(first, before[-1][1], before[-1][2])] if before else []) + [
                    s for s in steps if s[0] > first
                ]
            xs = [s[0] for s in steps]
            ys = [s[1] for s in steps]
            if steps:
                setpoints[group.setpoint_of] = ys[-1]
                xs.append(max(now, xs[-1]))
                ys.append(ys[-1])
                axes["y"].values += ys
                latest[group.setpoint_of] += (
                    f", setpoint {ys[-1]:g} {units.get(group.setpoint_of, '')}".rstrip()
                )
            figure.add_trace(
                go.Scatter(
                    x=times(xs),
                    y=ys,
                    name="Setpoint",
                    mode="lines",
                    line={"color": SETPOINT_COLOUR, "width": 1.4, "shape": "hv", "dash": "dash"},
                )
            )
        found_limits: list[AxisLimits] = []
        words: list[str] = []
        layout: dict[str, Any] = {}
        for key, axis in axes.items():
            if not axis.names:
                continue
            shown = data_range(axis.values)
            rangemode = _rangemode(axis.names)
            axis_marks = [limit_marks(limits.get(name), shown) for name in axis.names]
            span = axis_span(shown, axis_marks, rangemode)
            for name, label, marks in zip(axis.names, axis.labels, axis_marks, strict=True):
                prefix = f"{label} " if len(group.series) > 1 else ""
                unit = units.get(name, "")
                found_limits.append(AxisLimits(key, span, marks, prefix, unit, rangemode))
                if limits_text(marks, unit):
                    words.append(f"{prefix}limits {limits_text(marks, unit)}")
            settings: dict[str, Any] = {
                "title": {"text": _axis_title(" / ".join(axis.labels), axis.unit), "standoff": 4},
                "rangemode": rangemode,
                "automargin": True,
                "nticks": 6,
            }
            if group.secondary:  # two axes: each coloured as its series, ticks of its own
                colour = SERIES_COLOURS[0 if key == "y" else len(group.primary)]
                settings |= {"tickfont": {"color": colour}, "title_font": {"color": colour}}
            if key == "y2":
                settings |= {
                    "overlaying": "y",
                    "side": "right",
                    "showgrid": False,
                    "zeroline": False,
                    "tickmode": "auto",
                }
            layout["yaxis2" if key == "y2" else "yaxis"] = settings
        drawn_limits = limit_layout(found_limits)
        for key, (low, high) in drawn_limits.include.items():
            # Autorange still follows new points; this keeps a margin around the data (and
            # the notes' bands).
            layout["yaxis2" if key == "y2" else "yaxis"]["autorangeoptions"] = {
                "include": [low, high]
            }
        has_legend = len(figure.data) > 1
        figure.update_layout(
            layout,
            height=FIGURE_HEIGHT,
            margin={"l": 8, "r": 8, "t": 36 if has_legend else 12, "b": 8},
            showlegend=has_legend,
            legend={
                "orientation": "h",
                "yanchor": "bottom",
                "y": 1.01,
                "x": 0,
                "font": {"size": 11},
                "bgcolor": "rgba(0,0,0,0)",
            },
            xaxis={"type": "date", "nticks": 5, "automargin": True, "title": {"text": None}},
            shapes=drawn_limits.shapes,
            annotations=drawn_limits.notes,
            uirevision=f"{run.id}-{group.key}",
            hovermode="x unified",
        )
        figures[group.key] = themed(figure, current_scheme())
        summaries[group.key] = _summary(group.title, axes, latest, words)
    return Loaded(figures, summaries, last_t, setpoints, downsampled, total)


@dataclass(frozen=True)
class Appended:
    """New points per chart group as ``extendData`` wants them, and the newest time."""

    extend: dict[str, list[Any]]
    last_t: float | None


def new_points(
    found: Mapping[str, Series],
    cat: Catalog,
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
            series = found[name]
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
