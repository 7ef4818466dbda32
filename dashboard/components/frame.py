"""The page frame's pieces: a header with title, breadcrumb and actions; loading areas."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

# Anything slower than this shows a spinner in place (faster answers show none, so quick
# pages do not flicker).
LOADING_DELAY_MS = 300

Crumb = tuple[str, str | None]  # (label, href); the last crumb is the current page


def breadcrumb(crumbs: Sequence[Crumb]) -> html.Nav:
    """``Overview › Experiments › BRIC-23``: every crumb but the last is a link."""
    items = []
    for index, (label, href) in enumerate(crumbs):
        is_last = index == len(crumbs) - 1
        body = label if is_last or not href else dcc.Link(label, href=href)
        items.append(
            html.Li(
                body,
                className="breadcrumb-item text-truncate" + (" active" if is_last else ""),
                **({"aria-current": "page"} if is_last else {}),
            )
        )
    return html.Nav(
        html.Ol(items, className="breadcrumb mb-1 small"), **{"aria-label": "breadcrumb"}
    )


def page_header(
    title: object,
    *,
    breadcrumb_items: Sequence[Crumb] = (),
    actions: Sequence[object] = (),
    subtitle: object = None,
    title_id: str | None = None,
) -> html.Header:
    """Title (the page's one ``h1``), breadcrumb above it and primary actions on the right.

    On a phone the actions wrap under the title instead of squeezing it.
    """
    heading: list[object] = [
        html.H1(title, className="h3 mb-0 msg-title", **({"id": title_id} if title_id else {}))
    ]
    if subtitle is not None:
        heading.append(html.Div(subtitle, className="text-body-secondary mt-1"))
    children: list[object] = []
    if breadcrumb_items:
        children.append(breadcrumb(breadcrumb_items))
    children.append(
        html.Div(
            [
                html.Div(heading, className="msg-header-text"),
                html.Div(list(actions), className="msg-actions") if actions else None,
            ],
            className="msg-header-row",
        )
    )
    return html.Header(children, className="msg-page-header mb-3")


def loading(
    children: object, *, area_id: str | None = None, min_height: str = "4rem"
) -> dcc.Loading:
    """A region that shows a spinner in place while its callbacks run for > 300 ms."""
    kwargs = {"id": area_id} if area_id else {}
    return dcc.Loading(
        children,
        delay_show=LOADING_DELAY_MS,
        type="circle",
        color="var(--msg-accent-strong)",
        overlay_style={"visibility": "visible", "opacity": 0.5},
        parent_style={"minHeight": min_height},
        **kwargs,
    )


def card(
    children: object, *, header: object = None, class_name: str = "", body: bool = True
) -> dbc.Card:
    """The app's card: a soft shadow, an optional header and a padded body."""
    parts: list[object] = []
    if header is not None:
        parts.append(dbc.CardHeader(header))
    parts.append(dbc.CardBody(children) if body else children)
    return dbc.Card(parts, className=f"shadow-sm {class_name}".strip())
