"""Pieces of the second-factor screens: its state in words, the recovery codes shown once,
and the secret grouped for typing."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.services.second_factor import FactorStatus

from .timestamp import timestamp


def group_secret(secret: str, size: int = 4) -> str:
    """A base32 secret in groups of ``size`` characters, as people type it.

    >>> group_secret("JBSWY3DPEHPK3PXP")
    'JBSW Y3DP EHPK 3PXP'
    """
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


def factor_state(status: FactorStatus) -> html.Div:
    """On since when with how many recovery codes left, or off; and whether a role needs it."""
    if status.is_enabled:
        parts: list[object] = [
            dbc.Badge("On", color="success", className="me-2"),
            "Since ",
            timestamp(status.enabled_at),
            f" · {status.recovery_codes_left} recovery codes left.",
        ]
    else:
        parts = [
            dbc.Badge("Off", color="secondary", className="me-2"),
            "Logging in needs your password only.",
        ]
    children: list[object] = [html.Div(parts)]
    if status.is_required:
        children.append(
            html.Div(
                f"Your role ({', '.join(status.required_by)}) must use a second factor.",
                className="small text-body-secondary mt-1",
            )
        )
    return html.Div(children)


def recovery_codes(codes: list[str], codes_id: str) -> dbc.Alert:
    """The new recovery codes, shown once, with a copy button."""
    return dbc.Alert(
        [
            html.Div(
                "Your recovery codes. Keep them somewhere safe: each logs you in once "
                "without your phone, and they are not shown again.",
                className="mb-2",
            ),
            html.Div(
                [
                    html.Ul(
                        [html.Li(code, className="col") for code in codes],
                        id=codes_id,
                        className="list-unstyled font-monospace row row-cols-2 g-1 mb-0 "
                        "flex-grow-1",
                    ),
                    dcc.Clipboard(target_id=codes_id, title="Copy the codes"),
                ],
                className="d-flex align-items-start gap-2",
            ),
        ],
        color="warning",
        className="py-2",
    )


__all__ = ["factor_state", "group_secret", "recovery_codes"]
