"""The table of a user's API tokens, with a revoke button per live token."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.services.accounts import TokenRow

from .formatting import when


def token_table(tokens: list[TokenRow], revoke_type: str) -> Any:
    """Tokens newest last; buttons carry ``{"type": revoke_type, "index": token id}``."""
    if not tokens:
        return html.Div("No API tokens.", className="text-body-secondary")
    rows = [
        html.Tr(
            [
                html.Td(t.name),
                html.Td(html.Code(t.prefix + "…")),
                html.Td(when(t.created_at)[:10], title=when(t.created_at)),
                html.Td(
                    when(t.last_used_at)[:10] if t.last_used_at else "never",
                    title=when(t.last_used_at),
                ),
                html.Td(
                    dbc.Badge("revoked", color="secondary")
                    if t.revoked_at
                    else dbc.Button(
                        "Revoke",
                        id={"type": revoke_type, "index": t.id},
                        size="sm",
                        color="danger",
                        outline=True,
                    )
                ),
            ]
        )
        for t in tokens
    ]
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("Name", "Starts with", "Created", "Last used", "")])
    )
    return dbc.Table(
        [head, html.Tbody(rows)], size="sm", responsive=True, className="msg-table small mb-0"
    )
