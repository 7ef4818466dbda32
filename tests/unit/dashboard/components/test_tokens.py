"""The token table shows every moment with date, time and zone, never a bare date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from dash import html

from dashboard.components.tokens import token_table
from dashboard.services.accounts import TokenRow

CREATED = datetime(2026, 11, 26, 9, 58, 30, tzinfo=UTC)
# A moment written in another zone is shown in UTC.
USED = datetime(2026, 11, 27, 14, 5, tzinfo=timezone(timedelta(hours=2)))
REVOKED = datetime(2026, 11, 28, 23, 59, tzinfo=UTC)
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$")


def _token(token_id: int, **moments: datetime | None) -> TokenRow:
    fields: dict[str, datetime | None] = {"last_used_at": None, "revoked_at": None}
    fields.update(moments)
    return TokenRow(
        id=token_id,
        user_id=1,
        username="ada",
        name=f"token {token_id}",
        prefix="msg_ab12",
        created_at=CREATED,
        last_used_at=fields["last_used_at"],
        revoked_at=fields["revoked_at"],
    )


def _walk(component: object) -> list[object]:
    found = [component]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found += _walk(child)
    return found


def _text(component: object) -> str:
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def _cells(table: object) -> list[list[str]]:
    rows = [c for c in _walk(table) if isinstance(c, html.Tr)]
    return [[_text(cell).strip() for cell in row.children] for row in rows[1:]]


def test_every_moment_has_date_time_and_zone() -> None:
    table = token_table(
        [_token(1), _token(2, last_used_at=USED), _token(3, revoked_at=REVOKED)], "revoke"
    )
    fresh, used, revoked = _cells(table)
    assert fresh[2] == "2026-11-26 09:58 UTC"
    assert fresh[3] == "never"
    assert used[3] == "2026-11-27 12:05 UTC"
    assert revoked[4] == "revoked 2026-11-28 23:59 UTC"
    moments = [c for c in _walk(table) if isinstance(c, html.Time)]
    assert len(moments) == 5
    for moment in moments:
        assert MOMENT.match(_text(moment)), _text(moment)
        assert moment.dateTime.endswith("Z")


def test_live_tokens_get_a_revoke_button_and_revoked_ones_none() -> None:
    table = token_table([_token(7), _token(8, revoked_at=REVOKED)], "revoke-type")
    ids = [getattr(c, "id", None) for c in _walk(table)]
    assert {"type": "revoke-type", "index": 7} in ids
    assert {"type": "revoke-type", "index": 8} not in ids


def test_no_tokens_says_so() -> None:
    assert _text(token_table([], "revoke")) == "No API tokens."
