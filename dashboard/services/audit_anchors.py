"""The audit log's anchored checkpoints: the hash chain's head, sealed on the ledger.

The hash chain alone cannot catch someone with database access who rewrites events *and*
recomputes every digest after them: its head lives in the same database. Each batch also
anchors the head (position and digest), so such a rewrite shows as the earliest anchored
checkpoint whose event no longer carries the anchored digest; the rewritten events lie
between the last checkpoint that still matches and that one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dashboard.db import Database
from dashboard.models import AuditEvent, LedgerBatch, ProvenanceRecord
from ledger import merkle, records
from ledger.errors import ChainError
from ledger.network import ChainSettings, connect


@dataclass(frozen=True)
class AnchoredHead:
    """An audit checkpoint: event ``seq`` had digest ``digest``, anchored in a batch."""

    seq: int
    digest: str
    batch_id: int
    block_number: int | None
    block_time: datetime | None
    tx_hash: str | None


@dataclass(frozen=True)
class AnchorCheck:
    """Outcome of comparing the audit log with its anchored checkpoints."""

    checked: int
    first_bad: AnchoredHead | None = None
    last_good: AnchoredHead | None = None
    reason: str = ""
    # Set when the chain could not be asked: then only the database side was compared.
    chain_error: str | None = None

    @property
    def is_intact(self) -> bool:
        """No anchored checkpoint disagrees with the log."""
        return self.first_bad is None

    def describe(self) -> str:
        """One sentence for the audit page and the job's summary."""
        if self.is_intact:
            if not self.checked:
                return "No audit checkpoint has been anchored yet."
            if self.chain_error:
                return (
                    f"The {self.checked} anchored checkpoints match the log, but the chain "
                    f"could not be asked ({self.chain_error}), so they were not checked "
                    "against it: verify again when it answers."
                )
            return f"All {self.checked} anchored checkpoints match the log and the chain."
        bad = self.first_bad
        assert bad is not None  # noqa: S101 - not intact
        since = self.last_good.seq + 1 if self.last_good else 1
        return (
            f"The anchored checkpoint at event {bad.seq} (digest {bad.digest[:16]}…, block "
            f"{bad.block_number}) no longer matches: {self.reason}. Events {since} to {bad.seq} "
            "were rewritten."
        )


def _heads(db: Database) -> list[tuple[AnchoredHead, ProvenanceRecord, LedgerBatch]]:
    with db.read() as s:
        rows = s.execute(
            select(ProvenanceRecord, LedgerBatch)
            .join(LedgerBatch, LedgerBatch.id == ProvenanceRecord.batch_id)
            .where(
                ProvenanceRecord.kind == "audit",
                LedgerBatch.state.in_(("anchored", "elsewhere")),
            )
            .order_by(ProvenanceRecord.audit_seq)
        ).all()
        s.expunge_all()
    return [
        (
            AnchoredHead(
                seq=int(r.audit_seq or 0),
                digest=r.audit_digest or "",
                batch_id=b.id,
                block_number=b.block_number,
                block_time=b.block_time,
                tx_hash=b.tx_hash,
            ),
            r,
            b,
        )
        for r, b in rows
    ]


def last_anchored_head(db: Database) -> AnchoredHead | None:
    """The newest anchored checkpoint, for the audit page."""
    heads = _heads(db)
    return heads[-1][0] if heads else None


def _checkpoint_problem(row: ProvenanceRecord, batch: LedgerBatch) -> str | None:
    if batch.state == "elsewhere":
        return f"batch {batch.id} is anchored in another registry, so it cannot be checked"
    try:
        record = records.check_record(json.loads(row.record_json))
    except (ValueError, records.RecordError):
        return "its stored record is not a valid checkpoint record"
    if records.leaf_of(record).hex() != row.leaf:
        return "its stored record no longer hashes to the anchored leaf"
    if record.get("seq") != row.audit_seq or record.get("digest") != row.audit_digest:
        return "the checkpoint columns differ from the anchored record"
    proof = [bytes.fromhex(p) for p in row.proof or []]
    if not merkle.verify_proof(bytes.fromhex(row.leaf), proof, bytes.fromhex(batch.root)):
        return "its proof no longer leads to the anchored root"
    return None


def check(
    db: Database,
    chain: ChainSettings | None = None,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> AnchorCheck:
    """Compare every anchored checkpoint with the log (and, given ``chain``, with the chain)."""
    heads = _heads(db)
    last_good: AnchoredHead | None = None
    roots_on_chain: dict[str, bool] = {}
    chain_error: str | None = None
    if chain is not None and heads:
        try:
            with connect(chain, signing=False) as ledger:
                for _head, _row, batch in heads:
                    if batch.root not in roots_on_chain:
                        found = ledger.registry.anchor_of(bytes.fromhex(batch.root))
                        roots_on_chain[batch.root] = found is not None
        except ChainError as exc:
            roots_on_chain = {}  # the database checks still stand; said in the outcome
            chain_error = str(exc)
    with db.read() as s:
        for done, (head, row, batch) in enumerate(heads, start=1):
            problem = _checkpoint_problem(row, batch)
            if problem is None and roots_on_chain.get(batch.root) is False:
                problem = f"batch {batch.id}'s root is not in the contract"
            if problem is None:
                stored = s.scalar(select(AuditEvent.row_hash).where(AuditEvent.seq == head.seq))
                if stored is None:
                    problem = f"event {head.seq} is gone from the log"
                elif stored != head.digest:
                    problem = f"event {head.seq} now has digest {stored[:16]}…"
            if problem is not None:
                return AnchorCheck(done - 1, head, last_good, problem, chain_error)
            last_good = head
            if on_progress is not None:
                on_progress(done, len(heads))
    return AnchorCheck(len(heads), None, last_good, chain_error=chain_error)
