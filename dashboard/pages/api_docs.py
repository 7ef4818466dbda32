"""API reference: the JSON API's routes, rendered by Swagger UI, inside the app's frame."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.access import guard_layout
from dashboard.components.feedback import icon
from dashboard.components.frame import card, page_header

# Served by dashboard.api (which pages may not import); the tests open both.
SPEC_URL = "/api/v1/openapi.json"
SWAGGER_URL = "/api/v1/docs"
FRAME = "api-docs-frame"


def _actions() -> list[html.A]:
    # Links styled as buttons: they open documents, they do nothing.
    return [
        html.A(
            [icon(name, "me-1"), label],
            href=href,
            target="_blank",
            className="btn btn-sm btn-secondary",
        )
        for name, label, href in (
            ("filetype-json", "OpenAPI document", SPEC_URL),
            ("box-arrow-up-right", "Open on its own", SWAGGER_URL),
        )
    ]


def _intro() -> html.P:
    return html.P(
        [
            "Every route under ",
            html.Code("/api/v1"),
            ". Scripts send a token as ",
            html.Code("Authorization: Bearer <token>"),
            " (create one under ",
            dcc.Link("Account", href="/account"),
            "). Try it out runs the call here, as you, with your login: "
            "what it changes is really changed and audited.",
        ],
        className="text-body-secondary small mb-0",
    )


def layout(**_query: str) -> html.Div:
    """Header, a few words on tokens, and Swagger UI in a frame sized to its content."""
    return html.Div(
        [
            page_header(
                "API reference",
                breadcrumb_items=[("Overview", "/"), ("API reference", None)],
                actions=_actions(),
            ),
            card(
                html.Div(
                    [
                        html.Div(_intro(), className="px-3 pt-3"),
                        html.Iframe(
                            src=SWAGGER_URL,
                            id=FRAME,
                            title="API reference (Swagger UI)",
                            className="d-block w-100 border-0",
                            # Grown to its content by the framed page's own script.
                            style={"height": "75vh"},
                        ),
                    ],
                ),
                body=False,
                class_name="overflow-hidden",
            ),
        ]
    )


dash.register_page(
    __name__,
    path="/api-docs",
    name="API reference",
    order=95,
    icon="code-slash",
    in_nav=False,
    title="API reference · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
