"""Light and dark: the Plotly look per colour scheme and the navbar's display menu.

The colour scheme itself is Bootstrap 5.3's ``data-bs-theme`` on ``<html>``, set before the
first paint by ``assets/boot/theme-boot.js``; AG Grid follows ``data-ag-theme-mode`` on the
same element. Figures built on the server get the scheme the browser last reported (a
cookie); ``assets/theme.js`` re-colours every figure on the page when the scheme changes,
reading the same palette from ``PLOT_PALETTES`` (serialised into the frame).
"""

from __future__ import annotations

import json
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from dashboard.services.preferences import THEMES, TIME_DISPLAYS

from .feedback import icon

SCHEMES = ("light", "dark")
SCHEME_COOKIE = "msg_scheme"  # set by assets/boot/theme-boot.js: the scheme now shown
# The app's one typeface (Bootstrap's system stack), for figures too.
FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", '
    '"Liberation Sans", Arial, sans-serif'
)
# Colours a figure takes from the scheme; data colours stay the figure's own.
PLOT_PALETTES: dict[str, dict[str, str]] = {
    "light": {"font": "#212529", "grid": "#e3e7ee", "line": "#adb5bd", "hover": "#ffffff"},
    "dark": {"font": "#dee2e6", "grid": "#2b3650", "line": "#5c6b86", "hover": "#16213a"},
}
PALETTE_HOLDER = "msg-plot-palettes"
THEME_MENU = "msg-theme-menu"
THEME_CHOICE = "msg-theme-choice"  # dcc.Store: the theme picked in this page view
TIME_CHOICE = "msg-time-choice"
THEME_LABELS = {"system": "Follow system", "light": "Light", "dark": "Dark"}
THEME_ICONS = {"system": "circle-half", "light": "sun", "dark": "moon-stars"}
TIME_LABELS = {"utc": "Times in UTC", "local": "Times in local time"}


def scheme_or_light(raw: object) -> str:
    """A scheme name the browser reported, or light for anything else.

    >>> scheme_or_light("dark"), scheme_or_light("<script>"), scheme_or_light(None)
    ('dark', 'light', 'light')
    """
    return raw if isinstance(raw, str) and raw in SCHEMES else "light"


def current_scheme() -> str:
    """The scheme the browser of the current request shows (figures are drawn in it)."""
    from flask import has_request_context, request

    if not has_request_context():
        return "light"
    return scheme_or_light(request.cookies.get(SCHEME_COOKIE))


def plot_layout(scheme: str) -> dict[str, Any]:
    """Layout settings that make a figure sit on the page in ``scheme``."""
    colours = PLOT_PALETTES[scheme_or_light(scheme)]
    axis = {
        "gridcolor": colours["grid"],
        "linecolor": colours["line"],
        "zerolinecolor": colours["line"],
    }
    return {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT_FAMILY, "color": colours["font"]},
        "hoverlabel": {"bgcolor": colours["hover"], "font": {"color": colours["font"]}},
        "xaxis": axis,
        "yaxis": axis,
    }


def themed(figure: go.Figure, scheme: str) -> go.Figure:
    """``figure`` coloured for ``scheme`` (changed in place and returned)."""
    figure.update_layout(**plot_layout(scheme))
    return figure


def palette_holder() -> html.Div:
    """The palettes as data for assets/theme.js (one source for server and browser)."""
    return html.Div(id=PALETTE_HOLDER, hidden=True, **{"data-palettes": json.dumps(PLOT_PALETTES)})


def theme_id(choice: object) -> dict[str, object]:
    """Pattern-matching id of a theme entry in the menu."""
    return {"type": "msg-theme", "choice": choice}


def time_id(choice: object) -> dict[str, object]:
    """Pattern-matching id of a time-display entry in the menu."""
    return {"type": "msg-time", "choice": choice}


def display_menu_items() -> list[Any]:
    """Theme and time entries for the user menu (the current ones are marked active)."""
    items: list[Any] = [dbc.DropdownMenuItem("Theme", header=True)]
    items += [
        dbc.DropdownMenuItem(
            [icon(THEME_ICONS[choice], "me-2"), THEME_LABELS[choice]],
            id=theme_id(choice),
            className="msg-theme-item",
        )
        for choice in THEMES
    ]
    items.append(dbc.DropdownMenuItem("Times", header=True))
    items += [
        dbc.DropdownMenuItem(
            [icon("clock", "me-2"), TIME_LABELS[choice]],
            id=time_id(choice),
            className="msg-time-item",
        )
        for choice in TIME_DISPLAYS
    ]
    return items


def theme_toggle() -> dbc.Button:
    """The navbar's one-click switch between light and dark (the menu has "system" too)."""
    return dbc.Button(
        [
            icon("moon-stars", "msg-when-light"),
            icon("sun", "msg-when-dark"),
            html.Span("Switch light or dark theme", className="visually-hidden"),
        ],
        id=THEME_MENU,
        color="link",
        className="nav-link px-2 msg-theme-toggle",
        title="Switch light or dark theme",
    )
