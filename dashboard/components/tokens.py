"""The table of a user's API tokens, with a revoke button per live token."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.services.accounts import TokenRow

from .timestamp import timestamp

# On a phone the prefix moves under the name and times may break between date and time,
# so the table fits its card without scrolling sideways.
WIDE_ONLY = "d-none d-md-table-cell"
NARROW_ONLY = "d-md-none"
WRAPS = "text-wrap"


def _state(token: TokenRow, revoke_type: str) -> Any:
    if token.revoked_at:
        return html.Div(
            [
                dbc.Badge("revoked", color="secondary", className="me-1"),
                timestamp(token.revoked_at, class_name=f"small text-body-secondary {WRAPS}"),
            ]
        )
    return dbc.Button(
        "Revoke",
        id={"type": revoke_type, "index": token.id},
        size="sm",
        color="danger",
        outline=True,
    )


def token_table(tokens: list[TokenRow], revoke_type: str) -> Any:
    """Tokens newest last, times with date, time and zone; buttons carry
    ``{"type": revoke_type, "index": token id}``."""
    if not tokens:
        return html.Div("No API tokens.", className="text-body-secondary")
    rows = [
        html.Tr(
            [
                html.Td(
                    [t.name, html.Div(html.Code(t.prefix + "…"), className=NARROW_ONLY)],
                    className="text-break",
                ),
                html.Td(html.Code(t.prefix + "…"), className=WIDE_ONLY),
                html.Td(timestamp(t.created_at, class_name=WRAPS)),
                html.Td(timestamp(t.last_used_at, empty="never", class_name=WRAPS)),
                html.Td(_state(t, revoke_type)),
            ]
        )
        for t in tokens
    ]
    head = html.Thead(
        html.Tr(
            [
                html.Th("Name", scope="col"),
                html.Th("Starts with", scope="col", className=WIDE_ONLY),
                html.Th("Created", scope="col"),
                html.Th("Last used", scope="col"),
                # position-relative keeps the hidden label inside the scrolling wrapper.
                html.Th(
                    html.Span("State", className="visually-hidden"),
                    scope="col",
                    className="position-relative",
                ),
            ]
        )
    )
    return dbc.Table(
        [head, html.Tbody(rows)], size="sm", responsive=True, className="msg-table small mb-0"
    )
