"""What a growth fit and a comparison of two runs look like: the fitted curve over the data,
and tables of the parameters with their 95 % confidence intervals."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from dashboard.services.growth import RunComparison, RunGrowthFit

FLIGHT_COLOUR = "#7950f2"  # µg (on orbit): violet
GROUND_COLOUR = "#ca6510"  # 1 g (on the ground): earth orange
OTHER_COLOURS = ("#0d6efd", "#0ca678")
NAMES = {
    "lag_h": ("Lag λ", "h"),
    "mu_max_per_h": ("µmax", "1/h"),
    "capacity_od": ("Capacity K", "OD"),
}


def number(value: float, digits: int = 3) -> str:
    """A number to ``digits`` significant figures, or — when it is not finite.

    >>> number(0.123456), number(float("nan")), number(1234.5)
    ('0.123', '—', '1.23e+03')
    """
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def p_text(p: float) -> str:
    """A p-value as a reader wants it: two figures, or ``< 0.001`` for smaller ones.

    >>> p_text(0.7912), p_text(2.5e-180), p_text(0.0), p_text(float("nan"))
    ('0.79', '< 0.001', '< 0.001', '—')
    """
    if isinstance(p, int | float) and math.isfinite(p) and p < 0.001:
        return "< 0.001"
    return number(p, 2)


def interval(ci: tuple[float, float]) -> str:
    """A 95 % interval as ``low – high``."""
    return f"{number(ci[0])} – {number(ci[1])}"


def _table(head: list[str], rows: list[list[Any]], table_id: str | None = None) -> html.Div:
    return html.Div(
        html.Table(
            [
                html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
            ],
            className="table table-sm align-middle mb-0 msg-table",
            **({"id": table_id} if table_id else {}),
        ),
        className="table-responsive",
    )


def fit_view(result: RunGrowthFit, theme: Callable[[go.Figure], go.Figure]) -> html.Div:
    """The fit's parameters with CIs, and its curve over the OD readings."""
    f = result.fit
    rows = [
        [NAMES[p][0], number(getattr(f, p)), interval(getattr(f, f"{p}_ci")), NAMES[p][1]]
        for p in ("lag_h", "mu_max_per_h", "capacity_od")
    ]
    figure = go.Figure(
        [
            go.Scatter(
                x=result.t_h.tolist(),
                y=result.od.tolist(),
                mode="markers",
                name="OD600 readings",
                marker={"size": 4, "color": OTHER_COLOURS[0], "opacity": 0.6},
            ),
            go.Scatter(
                x=result.curve_t_h.tolist(),
                y=result.curve_od.tolist(),
                mode="lines",
                name=f"{f.model} fit",
                line={"color": "#d6336c", "width": 2.5},
            ),
        ]
    )
    figure.update_layout(
        height=300,
        margin={"l": 8, "r": 8, "t": 36, "b": 8},
        xaxis={
            "title": {"text": "culture time since start (h)"},
            "rangemode": "tozero",
            "automargin": True,
        },
        yaxis={"title": {"text": "OD600"}, "rangemode": "tozero", "automargin": True},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
    )
    shaky = not all(
        math.isfinite(getattr(f, f"{p}_ci")[0]) and getattr(f, f"{p}_se") < abs(getattr(f, p))
        for p in ("lag_h", "mu_max_per_h", "capacity_od")
    )
    return html.Div(
        [
            dbc.Alert(
                "Some parameters are poorly determined (wide intervals): the curve may not "
                "have left its lag phase or reached its plateau yet.",
                color="warning",
                className="py-2 small",
            )
            if shaky
            else None,
            dbc.Row(
                [
                    dbc.Col(
                        [
                            _table(["Parameter", "Estimate", "95 % CI", "Unit"], rows, "fit-table"),
                            html.P(
                                f"{f.model.capitalize()} fit of {f.n:,} readings "
                                f"(of {result.total_points:,}); R² {number(f.r_squared, 4)} "
                                f"in ln OD.",
                                className="small text-body-secondary mt-2 mb-0",
                            ),
                        ],
                        lg=5,
                    ),
                    dbc.Col(
                        html.Figure(
                            [
                                html.Figcaption(
                                    f"OD600 readings and the {f.model} fit", className="h6 mb-1"
                                ),
                                dcc.Graph(
                                    figure=theme(figure),
                                    config={"displaylogo": False, "responsive": True},
                                ),
                            ],
                            className="mb-0",
                        ),
                        lg=7,
                    ),
                ]
            ),
        ]
    )


def arm_colour(gravity_g: float | None, position: int) -> str:
    """Flight (µg) violet, ground (1 g) orange, anything else blue or green by position.

    >>> arm_colour(0.0, 1), arm_colour(1.0, 0), arm_colour(None, 1)
    ('#7950f2', '#ca6510', '#0ca678')
    """
    if gravity_g is not None and gravity_g < 0.1:
        return FLIGHT_COLOUR
    if gravity_g is not None and abs(gravity_g - 1.0) < 0.1:
        return GROUND_COLOUR
    return OTHER_COLOURS[position % len(OTHER_COLOURS)]


def comparison_figure(
    result: RunComparison, colours: tuple[str, str], names: tuple[str, str]
) -> go.Figure:
    """Both runs' OD600 readings (faint points) and their fitted curves, one colour per run."""
    figure = go.Figure()
    for r, colour, name in zip((result.a, result.b), colours, names, strict=True):
        figure.add_trace(
            go.Scatter(
                x=r.t_h.tolist(),
                y=r.od.tolist(),
                mode="markers",
                name=f"{name}: readings",
                legendgroup=str(r.run_id),
                marker={"size": 3, "color": colour, "opacity": 0.35},
            )
        )
        figure.add_trace(
            go.Scatter(
                x=r.curve_t_h.tolist(),
                y=r.curve_od.tolist(),
                mode="lines",
                name=f"{name}: {r.fit.model} fit",
                legendgroup=str(r.run_id),
                line={"color": colour, "width": 2.5},
            )
        )
    figure.update_layout(
        height=320,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        xaxis={
            "title": {"text": "culture time since start (h)"},
            "rangemode": "tozero",
            "automargin": True,
        },
        yaxis={"title": {"text": "OD600"}, "rangemode": "tozero", "automargin": True},
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -0.22,
            "x": 0,
            "itemsizing": "constant",
        },
        hovermode="closest",
    )
    return figure


def comparison_view(
    result: RunComparison,
    theme: Callable[[go.Figure], go.Figure] = lambda figure: figure,
    gravity: tuple[float | None, float | None] = (None, None),
) -> html.Div:
    """Both runs' fits over their data in one figure, and per parameter both values, the
    difference (first − second), its 95 % CI and p."""
    a, b = result.a, result.b

    def name(r: RunGrowthFit) -> str:
        return f"{r.run_name}" + (f" ({r.arm_name})" if r.arm_name else "")

    colours = (arm_colour(gravity[0], 0), arm_colour(gravity[1], 1))
    if colours[0] == colours[1]:
        colours = (colours[0], OTHER_COLOURS[0] if colours[0] != OTHER_COLOURS[0] else "#0ca678")

    rows = [
        [
            f"{NAMES[c.parameter][0]} ({c.unit})",
            number(c.value_a),
            number(c.value_b),
            number(c.difference),
            interval(c.difference_ci),
            p_text(c.p_value),
        ]
        for c in result.parameters
    ]
    names = (name(a), name(b))
    summary = (
        f"Growth of {names[0]} and {names[1]}: OD600 readings and {a.fit.model} fits against "
        f"hours of culture; capacity {number(a.fit.capacity_od)} and "
        f"{number(b.fit.capacity_od)} OD, µmax {number(a.fit.mu_max_per_h)} and "
        f"{number(b.fit.mu_max_per_h)} per hour."
    )
    return html.Div(
        [
            html.Figure(
                [
                    html.Figcaption(
                        "OD600 of both runs with their fitted curves", className="h6 mb-1"
                    ),
                    html.P(summary, id="mission-compare-summary", className="visually-hidden"),
                    dcc.Graph(
                        id="mission-compare-graph",
                        figure=theme(comparison_figure(result, colours, names)),
                        config={"displaylogo": False, "responsive": True},
                    ),
                ],
                className="mb-2",
                **{"aria-describedby": "mission-compare-summary"},
            ),
            _table(
                ["Parameter", name(a), name(b), "Difference", "95 % CI", "p"],
                rows,
                "mission-compare-table",
            ),
            html.P(
                f"{a.fit.model.capitalize()} fits of each run's OD600; difference = first − "
                "second, CI and p from a two-sided z-test on the fits' standard errors.",
                className="small text-body-secondary mt-2 mb-0",
            ),
        ]
    )
