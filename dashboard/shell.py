"""The frame around every page: skip link, navbar (filtered by role), ``<main>`` and the
display preferences (theme, time) that the navbar's menu changes."""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html

from dashboard import __version__
from dashboard.access import visible_links
from dashboard.auth import current_actor, current_db, current_principal
from dashboard.components.frame import LOADING_DELAY_MS
from dashboard.components.navbar import navbar
from dashboard.components.theme import (
    THEME_CHOICE,
    THEME_MENU,
    TIME_CHOICE,
    palette_holder,
    theme_id,
    time_id,
)
from dashboard.services import preferences
from dashboard.services.preferences import THEMES, TIME_DISPLAYS

MAIN = "main-content"


def serve_layout() -> html.Div:
    """Build the frame for the logged-in user (called on every page load)."""
    principal = current_principal()
    if principal is None:
        # The Flask gate redirects to /login first; this only shows if a layout leaks through.
        return html.Div(html.A("Log in", href="/login"))
    return html.Div(
        [
            html.A(
                "Skip to main content",
                href=f"#{MAIN}",
                className="visually-hidden-focusable msg-skip",
            ),
            navbar(
                visible_links(principal.roles),
                principal.username,
                sorted(principal.roles),
                __version__,
            ),
            html.Main(
                dbc.Container(
                    # A page that takes more than 300 ms to build shows a spinner in place.
                    dcc.Loading(
                        dash.page_container,
                        delay_show=LOADING_DELAY_MS,
                        type="circle",
                        target_components={"_pages_content": "children"},
                        overlay_style={"visibility": "visible", "opacity": 0.6},
                    ),
                    className="msg-main pb-5",
                ),
                id=MAIN,
                tabIndex="-1",
            ),
            dcc.Store(id=THEME_CHOICE, data=principal.theme),
            dcc.Store(id=TIME_CHOICE, data=principal.time_display),
            palette_holder(),
        ]
    )


@callback(
    Output("navbar-collapse", "is_open"),
    Input("navbar-toggler", "n_clicks"),
    State("navbar-collapse", "is_open"),
    prevent_initial_call=True,
)
def toggle_navbar(_clicks: int | None, is_open: bool) -> bool:
    """Open and close the menu on narrow screens."""
    return not is_open


# Theme: applied in the browser at once (no round trip), then saved for the user.
clientside_callback(
    """
    function (_menu, _toggle) {
        const trigger = window.dash_clientside.callback_context.triggered_id;
        if (!trigger) { return window.dash_clientside.no_update; }
        let choice;
        if (trigger === TOGGLE_ID) {
            choice = window.msgTheme.scheme() === "dark" ? "light" : "dark";
        } else {
            choice = trigger.choice;
        }
        window.msgTheme.set(choice);
        return choice;
    }
    """.replace("TOGGLE_ID", json.dumps(THEME_MENU)),
    Output(THEME_CHOICE, "data"),
    Input(theme_id(ALL), "n_clicks"),
    Input(THEME_MENU, "n_clicks"),
    prevent_initial_call=True,
)

clientside_callback(
    """
    function (_clicks) {
        const trigger = window.dash_clientside.callback_context.triggered_id;
        if (!trigger) { return window.dash_clientside.no_update; }
        document.documentElement.setAttribute("data-msg-time", trigger.choice);
        return trigger.choice;
    }
    """,
    Output(TIME_CHOICE, "data"),
    Input(time_id(ALL), "n_clicks"),
    prevent_initial_call=True,
)

# The current choices are marked in the menu.
clientside_callback(
    """
    function (theme, time) {
        const themes = THEMES, times = TIMES;
        return [themes.map(t => t === theme), times.map(t => t === time)];
    }
    """.replace("THEMES", json.dumps(THEMES)).replace("TIMES", json.dumps(TIME_DISPLAYS)),
    Output(theme_id(ALL), "active"),
    Output(time_id(ALL), "active"),
    Input(THEME_CHOICE, "data"),
    Input(TIME_CHOICE, "data"),
)


@callback(
    Input(THEME_CHOICE, "data"),
    Input(TIME_CHOICE, "data"),
    prevent_initial_call=True,
)
def save_display(theme: Any, time_display: Any) -> None:
    """Remember the user's theme and time display (audited as user.preferences)."""
    preferences.set_preferences(
        current_db(), current_actor(), theme=theme, time_display=time_display
    )
