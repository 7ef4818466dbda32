"""What the Provenance page shows of the ledger services' answers: the anchoring facts, which
chain, the record and its proof, the checks of a verification, the datasets that recorded a
file's bytes, and the batches. Pure builders: plain values in, components out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.services.provenance import BatchView, ChainFacts, ProvenanceView, Status
from dashboard.services.provenance_verify import FileMatch

from .feedback import icon
from .grid import Column, badge_column, number_column, text_column, time_column
from .provenance_badge import provenance_badge
from .sizes import byte_size
from .status import Status as Look
from .timestamp import iso_utc, timestamp

HASH_SHOWN = 16  # leading hex digits of a hash shown inline (the whole in its tooltip)
API = "/api/v1"
# A batch's states (dashboard.services.ledger_anchoring) as badges.
BATCH_STATES: dict[str, Look] = {
    "built": Look("built", "collection", "secondary", "Its Merkle tree is built; not sent yet."),
    "sent": Look("sent", "send", "info", "Sent to the chain; waiting for its block."),
    "anchored": Look("anchored", "shield-check", "success", "Its root is recorded on the chain."),
    "failed": Look("failed", "x-octagon", "outline-danger", "Sending failed; retried later."),
    "elsewhere": Look(
        "elsewhere",
        "signpost-split",
        "outline-danger",
        "Anchored in another registry than the configured one; an admin may anchor it again.",
    ),
}
CHECK_MARKS = {True: ("✓", "passed"), False: ("✗", "failed"), None: ("?", "not checked")}


def facts(rows: Sequence[tuple[str, Any]], *, list_id: str | None = None) -> html.Dl:
    """A definition list of facts (``—`` for a missing value)."""
    children: list[Any] = []
    for term, value in rows:
        children += [html.Dt(term), html.Dd(value if value not in (None, "") else "—")]
    extra: dict[str, Any] = {"id": list_id} if list_id else {}
    return html.Dl(children, className="msg-facts mb-0", **extra)


def full_hash(value: str | None, *, hash_id: str | None = None) -> Any:
    """A whole hash or address in monospace that wraps (and copies as text)."""
    if not value:
        return None
    extra: dict[str, Any] = {"id": hash_id} if hash_id else {}
    return html.Code(value, className="msg-hash text-break", **extra)


def exact_time(moment: datetime | None) -> Any:
    """A moment to the second, in UTC (when exactly bytes were recorded or anchored)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return html.Time(f"{utc:%Y-%m-%d %H:%M:%S} UTC", dateTime=iso_utc(utc))


def short_hash(value: str | None) -> Any:
    """The first digits of a hash, the whole on hover."""
    if not value:
        return None
    return html.Code(f"{value[:HASH_SHOWN]}…", title=value, className="msg-hash")


# --- one dataset ------------------------------------------------------------------------------


def _confirmations(status: Status) -> str | None:
    if status.confirmations is None:
        return None
    required = status.required or 1
    enough = "enough" if status.confirmations >= required else "not yet enough"
    return f"{status.confirmations:,} of {required:,} required ({enough})"


def anchoring_facts(view: ProvenanceView, *, list_id: str | None = None) -> html.Dl:
    """Transaction, block, time, submitter, confirmations, batch, and a retraction's reason."""
    status = view.status
    batch = (
        f"#{status.batch_id}, one of {view.anchored_with:,} records in its Merkle tree"
        if status.batch_id is not None and view.anchored_with
        else None
    )
    rows: list[tuple[str, Any]] = [
        ("Transaction", full_hash(status.tx_hash)),
        ("Block", f"{status.block_number:,}" if status.block_number is not None else None),
        ("Block time", exact_time(status.block_time)),
        ("Submitter", full_hash(status.submitter)),
        ("Confirmations", _confirmations(status)),
        ("Batch", batch),
    ]
    if status.retract_reason:
        rows.append(("Retracted because", status.retract_reason))
    return facts(rows, list_id=list_id)


def chain_facts(chain: ChainFacts, embedded_note: str, *, note_id: str) -> html.Div:
    """Which chain and contract the statuses refer to; the embedded chain's limits, plainly."""
    seen = (
        [f"{chain.head_block:,} (seen ", timestamp(chain.head_seen_at), ")"]
        if chain.head_block is not None
        else None
    )
    parts: list[Any] = [
        facts(
            [
                ("Chain", chain.description),
                ("Chain id", str(chain.chain_id) if chain.chain_id is not None else None),
                ("Contract", full_hash(chain.contract)),
                ("Newest block", seen),
            ]
        )
    ]
    if chain.last_error:
        parts.append(
            dbc.Alert(
                [icon("plug", "me-2"), f"Last problem reaching the chain: {chain.last_error}"],
                color="warning",
                className="py-2 mt-3 mb-0 small",
            )
        )
    if chain.is_embedded:
        parts.append(
            dbc.Alert(
                [icon("exclamation-triangle", "me-2"), embedded_note],
                color="warning",
                className="py-2 mt-3 mb-0 small",
                id=note_id,
            )
        )
    return html.Div(parts)


def record_json(record: Mapping[str, Any] | None) -> str:
    """The record as people read it: indented, keys sorted, characters as they are."""
    if record is None:
        return ""
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False)


def record_facts(view: ProvenanceView, ids: Mapping[str, str]) -> html.Div:
    """Leaf, root and proof, the record in a collapsible block, and the downloads."""
    if view.record is None:
        return html.P(
            "No provenance record yet: nothing to show.", className="text-body-secondary mb-0"
        )
    proof: Any = (
        html.Ol(
            [html.Li(html.Code(p, className="msg-hash text-break")) for p in view.proof],
            className="mb-0 ps-3 small",
            id=ids["proof"],
        )
        if view.proof
        else html.Span(
            "empty: the leaf is the root (alone in its batch)"
            if view.root
            else "none yet (not in a batch)",
            id=ids["proof"],
        )
    )
    text = record_json(view.record)
    return html.Div(
        [
            facts(
                [
                    ("Leaf", full_hash(view.leaf, hash_id=ids["leaf"])),
                    ("Root", full_hash(view.root, hash_id=ids["root"])),
                    (f"Proof ({len(view.proof)} hashes)", proof),
                ]
            ),
            html.Details(
                [
                    html.Summary(
                        f"The record (canonical JSON, {byte_size(len(text.encode()))}, "
                        "shown indented)"
                    ),
                    html.Pre(text, id=ids["json"], className="msg-record-json small mb-0"),
                ],
                className="mt-3",
            ),
            html.Div(
                [
                    html.A(
                        [icon("download", "me-1"), "Proof bundle (JSON)"],
                        href=f"{API}/datasets/{view.dataset_id}/proof",
                        download=f"dataset-{view.dataset_id}-proof.json",
                        className="btn btn-sm btn-outline-secondary msg-outline-quiet",
                    ),
                    html.A(
                        [icon("diagram-2", "me-1"), "Lineage (PROV-JSON)"],
                        href=f"{API}/datasets/{view.dataset_id}/lineage.prov.json",
                        download=f"dataset-{view.dataset_id}-lineage.prov.json",
                        className="btn btn-sm btn-outline-secondary msg-outline-quiet",
                    ),
                ],
                className="d-flex flex-wrap gap-2 mt-3",
            ),
            html.P(
                [
                    "Check it anywhere, with one call to the chain: ",
                    html.Code(
                        "python -m ledger verify FILE PROOF.json --rpc NODE_URL --contract "
                        f"{view.chain.contract or 'REGISTRY'}"
                        if not view.chain.is_embedded
                        else "python -m ledger verify FILE PROOF.json --embedded DATA_DIR/chain"
                    ),
                    " (the contract is what makes the proof this lab's: anyone can deploy "
                    "the same one).",
                ],
                className="small text-body-secondary mt-2 mb-0",
            ),
        ]
    )


# --- a verification ---------------------------------------------------------------------------


def _check_item(check: Mapping[str, Any]) -> html.Li:
    ok = check.get("ok")
    mark, words = CHECK_MARKS.get(ok if isinstance(ok, bool) else None, CHECK_MARKS[None])
    tone = "success" if ok is True else "danger" if ok is False else "secondary"
    return html.Li(
        [
            html.Span(
                [mark, html.Span(f" {words}", className="visually-hidden")],
                className=f"msg-check-mark text-{tone}-emphasis",
            ),
            html.Span(str(check.get("name", "")), className="fw-semibold me-2"),
            html.Span(str(check.get("detail", "")), className="text-break"),
        ],
        className="msg-check",
        **{"data-ok": "true" if ok is True else "false" if ok is False else "none"},
    )


def _verification(result: Mapping[str, Any], depth: int) -> list[Any]:
    checks = [c for c in result.get("checks") or [] if isinstance(c, Mapping)]
    parts: list[Any] = [html.Ul([_check_item(c) for c in checks], className="msg-checks")]
    for parent in result.get("parents") or []:
        if not isinstance(parent, Mapping):
            continue
        verdict = "verifies" if parent.get("verified") else "does not verify"
        parts.append(
            html.Div(
                [
                    html.Div(
                        [
                            icon("arrow-return-right", "me-1"),
                            f"Parent dataset #{parent.get('dataset_id')} "
                            f"{parent.get('filename', '')}: {verdict}",
                        ],
                        className="fw-semibold small",
                    ),
                    *_verification(parent, depth + 1),
                ],
                className="msg-check-parent",
            )
        )
    return parts


def checks_view(result: Mapping[str, Any], *, view_id: str | None = None) -> html.Div:
    """A verification (``Verification.as_dict()``): verdict, then ✓/✗ per check, lineage nested."""
    verified = bool(result.get("verified"))
    when = _moment(result.get("verified_at"))
    headline = (
        f"Dataset #{result.get('dataset_id')} and its lineage verify."
        if verified
        else f"Dataset #{result.get('dataset_id')} does not verify: {result.get('first_failure')}"
    )
    extra: dict[str, Any] = {"id": view_id} if view_id else {}
    return html.Div(
        [
            dbc.Alert(
                [
                    icon("shield-check" if verified else "shield-exclamation", "me-2"),
                    headline,
                    html.Div(
                        [
                            "Checked ",
                            timestamp(when),
                            f" against {result.get('chain')}." if result.get("chain") else ".",
                        ],
                        className="small mt-1",
                    ),
                ],
                color="success" if verified else "danger",
                className="py-2",
            ),
            *_verification(result, 0),
        ],
        className="msg-verification",
        **{"data-verified": "true" if verified else "false"},
        **extra,
    )


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- a file's bytes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HashedFile:
    """What the browser reports after hashing a file (its bytes stay there)."""

    sha256: str
    name: str | None = None
    size: int | None = None
    seconds: float | None = None

    @classmethod
    def of(cls, data: object) -> HashedFile | None:
        """Read the store the script fills; None when it holds nothing usable."""
        if not isinstance(data, Mapping) or not isinstance(data.get("sha256"), str):
            return None
        size, seconds, name = data.get("size"), data.get("seconds"), data.get("name")
        return cls(
            data["sha256"],
            name if isinstance(name, str) else None,
            size if isinstance(size, int) and not isinstance(size, bool) else None,
            float(seconds) if isinstance(seconds, int | float) else None,
        )


def _size(size: int) -> str:
    """``31.8 kB, 31,838 bytes`` (``5 bytes`` alone when that is all)."""
    shown = byte_size(size)
    return shown if shown.endswith(("byte", "bytes")) else f"{shown}, {size:,} bytes"


def hashed_note(hashed: HashedFile) -> str:
    """What the browser did: "Hashed reads.fq (1.2 GB, …) in this browser in 8.1 s." """
    size = f" ({_size(hashed.size)})" if hashed.size is not None else ""
    took = f" in {hashed.seconds:.1f} s" if hashed.seconds is not None else ""
    return f"Hashed {hashed.name or 'the file'}{size} in this browser{took}."


def _what(hashed: HashedFile) -> list[Any]:
    described: list[Any] = []
    if hashed.name:
        described += [html.Strong(hashed.name, className="text-break"), " "]
    if hashed.size is not None:
        described.append(f"({_size(hashed.size)}) ")
    described += ["has SHA-256 ", full_hash(hashed.sha256), "."]
    return described


def _match_item(match: FileMatch, href: str) -> html.Li:
    status = match.status
    recorded = _moment(match.recorded_at)
    anchored: list[Any]
    if status.block_number is not None:
        anchored = [
            f"Anchored in block {status.block_number:,} at ",
            exact_time(status.block_time),
            " by ",
            html.Code(status.submitter or "?", className="msg-hash text-break"),
            f" (chain {status.chain_id}, transaction ",
            short_hash(status.tx_hash),
            ").",
        ]
    else:
        anchored = [status.detail]
    name: Any = (
        dcc.Link(f"#{match.dataset_id} {match.filename}", href=f"{href}{match.dataset_id}")
        if match.dataset_id is not None
        else html.Span(f"{match.filename} (dataset deleted)")
    )
    return html.Li(
        [
            html.Div([name, " ", provenance_badge(status)], className="fw-semibold"),
            html.Div(
                [
                    "Recorded by ",
                    html.Strong(match.recorded_by or "unknown"),
                    " at ",
                    exact_time(recorded) if recorded else match.recorded_at or "an unknown time",
                    ". ",
                    *anchored,
                ],
                className="small",
            ),
        ],
        className="list-group-item",
    )


def file_matches(hashed: HashedFile, matches: Sequence[FileMatch], href: str) -> html.Div:
    """Whether, when, by whom and in which dataset these bytes were recorded (or never)."""
    if not matches:
        return html.Div(
            [
                dbc.Alert(
                    [
                        icon("question-octagon", "me-2"),
                        html.Strong("Never recorded here. "),
                        "No dataset on this server was recorded with exactly these bytes: "
                        "a single changed byte gives another SHA-256.",
                    ],
                    color="secondary",
                    className="py-2 mb-2",
                ),
                html.P(_what(hashed), className="small mb-0"),
            ],
            **{"data-matches": "0"},
        )
    count = len(matches)
    return html.Div(
        [
            dbc.Alert(
                [
                    icon("fingerprint", "me-2"),
                    html.Strong("Recorded here. "),
                    "These exact bytes were recorded as "
                    + ("one dataset." if count == 1 else f"{count} datasets."),
                ],
                color="success",
                className="py-2 mb-2",
            ),
            html.P(_what(hashed), className="small"),
            html.Ul([_match_item(m, href) for m in matches], className="list-group"),
        ],
        **{"data-matches": str(count)},
    )


# --- batches ----------------------------------------------------------------------------------


def _mono(field: str, header: str, *, width: int = 170) -> Column:
    return {
        **text_column(field, header, min_width=120),
        "width": width,
        "flex": None,
        "valueFormatter": {"function": f"params.value ? params.value.slice(0, {HASH_SHOWN}) : ''"},
        "tooltipField": field,
        "cellClass": "font-monospace",
    }


BATCH_COLUMNS: list[Column] = [
    number_column("id", "Batch", width=90, filter_kind=None),
    badge_column("state", "State", statuses=BATCH_STATES, width=125),
    _mono("root", "Merkle root", width=145),
    number_column("leaf_count", "Leaves", width=95),
    _mono("tx_hash", "Transaction", width=145),
    number_column("block_number", "Block", width=90),
    time_column("block_time", "Block time", width=190),
    {
        **number_column("gas_per_leaf", "Gas / leaf", width=110),
        "headerTooltip": "Gas of the anchoring transaction divided by the records it anchored",
        "valueFormatter": {
            "function": "params.value == null ? '' : Math.round(params.value)"
            ".toLocaleString('en-US')"
        },
    },
    {
        **number_column("audit_seq", "Audit head", width=130),
        "headerTooltip": "The audit log's event whose chained digest this batch anchored",
        "valueFormatter": {"function": "params.value == null ? '' : 'event ' + params.value"},
    },
    number_column("gas_used", "Gas", width=105),
    number_column("chain_id", "Chain", width=95),
    text_column("last_error", "Last error", min_width=160, flex=1),
]
BATCH_HIDDEN = ("gas_used", "chain_id", "last_error")


def batch_rows(batches: Sequence[BatchView]) -> list[dict[str, Any]]:
    """One row per batch, numbers as numbers (they sort)."""
    return [
        {
            "id": b.id,
            "state": b.state,
            "root": b.root,
            "leaf_count": b.leaf_count,
            "tx_hash": b.tx_hash,
            "block_number": b.block_number,
            "block_time": iso_utc(b.block_time),
            "gas_per_leaf": b.gas_per_leaf,
            "gas_used": b.gas_used,
            "audit_seq": b.audit_seq,
            "chain_id": b.chain_id,
            "last_error": b.last_error or "",
        }
        for b in batches
    ]
