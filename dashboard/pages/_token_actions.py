"""The revoke-button handling shared by the account and users pages (not a page itself)."""

from __future__ import annotations

from typing import Any

import dash
from dash import no_update

from dashboard.auth import current_actor, current_db
from dashboard.components.feedback import error_alert, success_alert
from dashboard.components.tokens import token_table
from dashboard.services import accounts
from dashboard.services.errors import InputError


def revoke_pressed(clicks: list[int | None], owner_id: int | None, revoke_type: str) -> Any:
    """Revoke the token whose button was pressed; return (alert, owner's refreshed table)."""
    trigger = dash.ctx.triggered_id
    if not trigger or not any(clicks) or owner_id is None:
        return no_update, no_update
    db, actor = current_db(), current_actor()
    try:
        row = accounts.revoke_token(db, actor, int(trigger["index"]))
    except InputError as exc:
        return error_alert(exc), no_update
    tokens = token_table(accounts.list_tokens(db, actor, owner_id), revoke_type)
    return success_alert(f"Revoked token {row.name!r} of {row.username}."), tokens
