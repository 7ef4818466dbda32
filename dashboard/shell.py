"""The frame around every page: navbar (filtered by role) and the page container."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

from dashboard import __version__
from dashboard.access import visible_links
from dashboard.auth import current_principal
from dashboard.components.navbar import navbar


def serve_layout() -> html.Div:
    """Build the frame for the logged-in user (called on every page load)."""
    principal = current_principal()
    if principal is None:
        # The Flask gate redirects to /login first; this only shows if a layout leaks through.
        return html.Div(html.A("Log in", href="/login"))
    return html.Div(
        [
            navbar(
                visible_links(principal.roles),
                principal.username,
                sorted(principal.roles),
                __version__,
            ),
            dbc.Container(dash.page_container, className="msg-main pb-5"),
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
