"""How the outcome of an audit hash-chain verification reads on the page."""

from __future__ import annotations

from collections.abc import Mapping

import dash_bootstrap_components as dbc

from .feedback import icon


def chain_report_alert(report: Mapping[str, object]) -> dbc.Alert:
    """Green when every event was recomputed and linked; red naming where the chain broke."""
    if report.get("is_intact"):
        return dbc.Alert(
            [
                icon("shield-check", "me-2"),
                f"Hash chain intact: all {report.get('checked')} events recomputed and linked.",
            ],
            color="success",
            className="py-2",
            dismissable=True,
        )
    return dbc.Alert(
        [
            icon("shield-exclamation", "me-2"),
            f"Hash chain broken at position {report.get('first_bad_seq')}: "
            f"{report.get('reason')}. {report.get('checked')} events before it are intact.",
        ],
        color="danger",
        className="py-2",
        dismissable=True,
    )
