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
                marker={"size": 4, "color": "#0d6efd", "opacity": 0.6},
            ),
            go.Scatter(
                x=result.curve_t_h.tolist(),
                y=result.curve_od.tolist(),
                mode="lines",
                name=f"{f.model} fit",
                line={"color": "#d63384", "width": 2.5},
            ),
        ]
    )
    figure.update_layout(
        height=300,
        margin={"l": 60, "r": 20, "t": 30, "b": 45},
        xaxis={"title": {"text": "culture time since start (h)"}},
        yaxis={"title": {"text": "OD600"}},
        legend={"orientation": "h", "y": 1.12, "x": 0},
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
                        dcc.Graph(
                            figure=theme(figure),
                            config={"displaylogo": False, "responsive": True},
                        ),
                        lg=7,
                    ),
                ]
            ),
        ]
    )


def comparison_view(result: RunComparison) -> html.Div:
    """Per parameter: both runs' values, the difference (first − second), its 95 % CI and p."""
    a, b = result.a, result.b

    def name(r: RunGrowthFit) -> str:
        return f"{r.run_name}" + (f" ({r.arm_name})" if r.arm_name else "")

    rows = [
        [
            f"{NAMES[c.parameter][0]} ({c.unit})",
            number(c.value_a),
            number(c.value_b),
            number(c.difference),
            interval(c.difference_ci),
            number(c.p_value, 2),
        ]
        for c in result.parameters
    ]
    return html.Div(
        [
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
