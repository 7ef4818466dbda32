"""The page shown for unknown paths."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.components.feedback import empty_state
from dashboard.components.frame import page_header


def layout(**_query: str) -> html.Div:
    """Say the page does not exist and offer the way back."""
    return html.Div(
        [
            page_header("Page not found"),
            empty_state(
                "signpost-split",
                "Nothing lives at this address",
                "It may be mistyped, or the page has moved. Start again from the overview.",
                dcc.Link("Back to the overview", href="/", className="btn btn-primary"),
            ),
        ]
    )


# Dash shows the page whose module name ends in "not_found_404" for unknown paths.
dash.register_page(
    "not_found_404",
    path="/404",
    name="Not found",
    in_nav=False,
    title="Not found · MicroSpaceGen",
    layout=layout,
)
