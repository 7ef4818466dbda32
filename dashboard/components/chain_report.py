"""How the audit log's integrity reads on the page: the outcome of a hash-chain verification
and the newest head anchored on the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.services.audit_anchors import AnchoredHead

from .feedback import icon
from .timestamp import timestamp

DIGEST_SHOWN = 16  # leading hex digits of a digest or hash shown in a line (whole on hover)


def chain_report_alert(report: Mapping[str, object]) -> dbc.Alert:
    """Green when every event was recomputed and linked and every anchored head matches;
    red naming where the chain broke or which anchored checkpoint no longer matches."""
    anchors = report.get("anchor_summary")
    if report.get("is_intact"):
        return dbc.Alert(
            [
                icon("shield-check", "me-2"),
                f"Hash chain intact: all {report.get('checked')} events recomputed and linked.",
                html.Div(str(anchors), className="small mt-1") if anchors else None,
            ],
            color="success",
            className="py-2",
            dismissable=True,
        )
    if report.get("anchor_intact") is False and report.get("first_bad_seq") == report.get(
        "anchor_mismatch_seq"
    ):
        # The chain links (someone recomputed it), but an anchored head disagrees.
        text: Any = [
            f"Hash chain rewritten: {report.get('reason')} The log links up again after it, "
            "so it was recomputed; only the ledger's anchored heads show it."
        ]
    else:
        text = [
            f"Hash chain broken at position {report.get('first_bad_seq')}: "
            f"{report.get('reason')}. {report.get('checked')} events before it are intact."
        ]
    return dbc.Alert(
        [icon("shield-exclamation", "me-2"), *text],
        color="danger",
        className="py-2",
        dismissable=True,
    )


def _short(value: str | None) -> Any:
    if not value:
        return "—"
    # Not <code>: its pink on the page's grey fails contrast at this small size.
    return html.Span(f"{value[:DIGEST_SHOWN]}…", title=value, className="font-monospace")


def anchored_head_line(head: AnchoredHead | None, *, line_id: str | None = None) -> html.Div:
    """ "Last anchored head: event 812, digest 3fa9…, block 1,204, 2026-11-26 09:58 UTC"."""
    extra: dict[str, Any] = {"id": line_id} if line_id else {}
    if head is None:
        body: list[Any] = [
            html.Span("Last anchored head: ", className="fw-semibold"),
            "none yet. The log's head is sealed on the ledger with the next batch of datasets, "
            "and at least hourly while there is activity.",
        ]
    else:
        block = f"{head.block_number:,}" if head.block_number is not None else "—"
        body = [
            html.Span("Last anchored head: ", className="fw-semibold"),
            f"event {head.seq:,}, digest ",
            _short(head.digest),
            f", block {block}, ",
            timestamp(head.block_time),
            " (batch ",
            str(head.batch_id),
            ", transaction ",
            _short(head.tx_hash),
            ").",
        ]
    return html.Div(
        [icon("link-45deg", "me-2"), *body],
        className="msg-anchored-head small text-body-secondary mb-3",
        **extra,
    )
