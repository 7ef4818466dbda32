"""The anchoring worker: batches pending records into Merkle roots and anchors them.

Exactly one process at a time owns the signing key and its nonce: the holder of the
``anchoring`` lease, a row renewed by a conditional UPDATE (atomic on SQLite and
PostgreSQL alike), so several app processes or machines may all run :func:`step`. Each
step is short and resumable: a batch is written to the database *before* its transaction
is sent, and before any (re)send the contract is asked whether the root is already there,
so a crash or an unreachable node loses nothing and never anchors a root twice (the
contract also refuses a repeated root).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import AuditChainHead, Job, LedgerBatch, LedgerLease, ProvenanceRecord
from dashboard.models.base import utcnow
from ledger import merkle
from ledger.chain import AnchorInfo, Receipt, scrub_urls
from ledger.errors import ChainError, ChainReverted, ChainUnavailable
from ledger.network import ChainSettings, Ledger, connect

from . import audit, provenance
from .actor import Actor
from .errors import Conflict, NotFound
from .policy import Action, authorize

log = logging.getLogger("microspacegen.ledger")

LEASE_S = 30.0
# An audit checkpoint goes with every batch, and alone at least this often while the log grows.
CHECKPOINT_EVERY = timedelta(hours=1)
# A sent transaction with no receipt after this long is sent again (the root check first).
RESEND_AFTER = timedelta(minutes=3)
MAX_BACKOFF_S = 300.0
LOOK_EVERY = timedelta(minutes=1)

Connect = Callable[[ChainSettings, bool], AbstractContextManager[Ledger]]


def _default_connect(settings: ChainSettings, signing: bool) -> AbstractContextManager[Ledger]:
    return connect(settings, signing=signing)


def holder_name() -> str:
    """This process, as the lease names its holder."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


@dataclass(frozen=True)
class BatchPolicy:
    """When a batch closes: at ``size`` records, or when the oldest waited ``wait_s``."""

    size: int = 1000
    wait_s: float = 2.0


@dataclass
class StepReport:
    """What one step did (for logs, tests and benchmarks)."""

    is_owner: bool = False
    backfilled: int = 0
    batches_built: int = 0
    sent: int = 0
    anchored: int = 0
    retractions_sent: int = 0
    error: str | None = None


# --- the lease --------------------------------------------------------------------------------


def take_lease(db: Database, holder: str, now: datetime | None = None) -> bool:
    """Become (or stay) the owner of the anchoring key; False while another holds it."""
    now = now or utcnow()
    until = now + timedelta(seconds=LEASE_S)
    with db.read() as s:
        current = s.get(LedgerLease, provenance.LEASE)
        if current is not None:
            if current.holder != holder and current.expires_at >= now:
                return False  # held by another: no write at all
            if current.holder == holder and current.expires_at - now > timedelta(
                seconds=LEASE_S / 2
            ):
                return True  # ours for a while yet: renewed at half-life, not every tick
    with db.begin() as s:
        taken = s.execute(
            update(LedgerLease)
            .where(
                LedgerLease.name == provenance.LEASE,
                (LedgerLease.holder == holder) | (LedgerLease.expires_at < now),
            )
            .values(holder=holder, expires_at=until)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return True
        if s.get(LedgerLease, provenance.LEASE) is not None:
            return False
    try:
        with db.begin() as s:
            # The first sweep comes one period after the ledger started, not at once.
            s.add(
                LedgerLease(
                    name=provenance.LEASE, holder=holder, expires_at=until, last_sweep_at=now
                )
            )
        return True
    except IntegrityError:  # another process created it first
        return False


def release_lease(db: Database, holder: str) -> None:
    """Hand the key back at shutdown, so another process may take it at once."""
    with db.begin() as s:
        s.execute(
            update(LedgerLease)
            .where(LedgerLease.name == provenance.LEASE, LedgerLease.holder == holder)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


# --- batching ---------------------------------------------------------------------------------


def _audit_head(s: Session) -> tuple[int, str] | None:
    head = s.get(AuditChainHead, 1)
    return (head.seq, head.head_hash) if head is not None and head.seq > 0 else None


def _last_checkpoint(s: Session) -> ProvenanceRecord | None:
    return s.scalar(
        select(ProvenanceRecord)
        .where(ProvenanceRecord.kind == "audit")
        .order_by(ProvenanceRecord.audit_seq.desc())
        .limit(1)
    )


def _maybe_checkpoint(s: Session, *, with_batch: bool, now: datetime) -> bool:
    """Add an audit checkpoint if the log moved on (always with a batch, else hourly)."""
    head = _audit_head(s)
    last = _last_checkpoint(s)
    if head is None or (
        last is not None and last.audit_seq is not None and last.audit_seq >= head[0]
    ):
        return False
    if not with_batch and last is not None and now - last.created_at < CHECKPOINT_EVERY:
        return False
    provenance.record_audit_checkpoint(s, head[0], head[1])
    return True


def manifest_digest(leaves: list[str]) -> str:
    """SHA-256 of the batch manifest (its leaves in tree order, as JSON): sent with the root."""
    return hashlib.sha256(json.dumps(leaves, separators=(",", ":")).encode()).hexdigest()


def close_batches(db: Database, policy: BatchPolicy, now: datetime | None = None) -> int:
    """Turn pending records into batches (Merkle tree, proofs) when full or waited long."""
    now = now or utcnow()
    built = 0
    while True:
        with db.begin() as s:
            pending = select(ProvenanceRecord).where(ProvenanceRecord.batch_id.is_(None))
            count = s.scalar(select(func.count()).select_from(pending.subquery())) or 0
            oldest = s.scalar(
                select(func.min(ProvenanceRecord.created_at)).where(
                    ProvenanceRecord.batch_id.is_(None)
                )
            )
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            is_due = count >= policy.size or (
                count > 0
                and oldest is not None
                and now - oldest >= timedelta(seconds=policy.wait_s)
            )
            if not is_due:
                if count == 0 and _maybe_checkpoint(s, with_batch=False, now=now):
                    continue  # the checkpoint waits for its batch like any record
                return built
            # The checkpoint rides along, taking one place of the batch.
            if _maybe_checkpoint(s, with_batch=True, now=now):
                s.flush()
            rows = list(s.scalars(pending.order_by(ProvenanceRecord.id).limit(policy.size)))
            tree = merkle.MerkleTree([bytes.fromhex(r.leaf) for r in rows])
            leaves = [leaf.hex() for leaf in tree.leaves]
            batch = LedgerBatch(
                root=tree.root.hex(),
                leaf_count=len(rows),
                manifest=leaves,
                manifest_sha256=manifest_digest(leaves),
                state="built",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            s.add(batch)
            s.flush()
            for r in rows:
                r.batch_id = batch.id
                r.proof = [p.hex() for p in tree.proof(bytes.fromhex(r.leaf))]
            built += 1


# --- talking to the chain ---------------------------------------------------------------------


def _hex(value: bytes | str) -> str:
    text = value.hex() if isinstance(value, bytes) else value
    return text if text.startswith("0x") else "0x" + text


def _tx(tx_hash: str) -> bytes:
    return bytes.fromhex(tx_hash.removeprefix("0x"))


def _mark_anchored(
    batch: LedgerBatch, ledger: Ledger, info: AnchorInfo, receipt: Receipt | None = None
) -> None:
    batch.state = "anchored"
    batch.chain_id = ledger.chain_id
    batch.contract = ledger.contract_address
    batch.block_number = info.block_number
    batch.block_time = info.block_time
    batch.submitter = info.submitter
    if receipt is not None:
        batch.block_hash = _hex(receipt.block_hash)
        batch.gas_used = receipt.gas_used
    batch.anchored_at = utcnow()
    batch.last_error = None


def _backoff(batch: LedgerBatch, error: str, now: datetime, *, failed: bool = False) -> None:
    batch.attempts += 1
    batch.last_error = error[:2000]
    delay = min(MAX_BACKOFF_S, 2.0 ** min(batch.attempts, 16))
    batch.next_attempt_at = now + timedelta(seconds=delay)
    if failed:
        batch.state = "failed"


class LeaseLost(Exception):
    """Another process took the anchoring key while this one was working: stop sending."""


def _fence(s: Session, holder: str) -> None:
    """Renew the lease in the transaction that records a send, or stop if it was taken.

    A step can outlive its lease (a slow node); without this check two processes could sign
    with the same key and nonce.
    """
    kept = s.execute(
        update(LedgerLease)
        .where(LedgerLease.name == provenance.LEASE, LedgerLease.holder == holder)
        .values(expires_at=utcnow() + timedelta(seconds=LEASE_S))
    )
    if kept.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"{holder} no longer holds the anchoring lease")


def _advance(
    db: Database, ledger: Ledger, batch_id: int, now: datetime, report: StepReport, holder: str
) -> None:
    """Move one batch on: send it, or find its receipt, or adopt an anchor already there."""
    registry = ledger.registry
    with db.begin() as s:
        batch = s.get(LedgerBatch, batch_id)
        if batch is None or batch.state == "anchored":
            return
        root = bytes.fromhex(batch.root)
        if batch.state == "sent" and batch.tx_hash:
            receipt = registry.receipt(_tx(batch.tx_hash))
            if receipt is not None and receipt.status == 1:
                info = registry.anchor_of(root)
                if info is not None:
                    _mark_anchored(batch, ledger, info, receipt)
                    report.anchored += 1
                    return
            if receipt is None and batch.sent_at and now - batch.sent_at < RESEND_AFTER:
                return  # still in flight
        info = registry.anchor_of(root)
        if info is not None:  # anchored by an earlier attempt whose answer was lost
            _mark_anchored(batch, ledger, info)
            report.anchored += 1
            return
        if ledger.account is None:
            raise ChainError("no signing key to anchor with")
        _fence(s, holder)
        try:
            tx_hash = registry.anchor(
                ledger.account, root, batch.leaf_count, bytes.fromhex(batch.manifest_sha256)
            )
        except ChainReverted as exc:
            _backoff(batch, f"the contract refused the batch: {exc.reason}", now, failed=True)
            return
        batch.state, batch.tx_hash, batch.sent_at = "sent", _hex(tx_hash), now
        batch.chain_id, batch.contract = ledger.chain_id, ledger.contract_address
        report.sent += 1
    # The embedded chain mines at once: take the receipt in the same step.
    with db.begin() as s:
        batch = s.get(LedgerBatch, batch_id)
        if batch is None or not batch.tx_hash:
            return
        receipt = registry.receipt(_tx(batch.tx_hash))
        if receipt is not None and receipt.status == 1:
            info = registry.anchor_of(root)
            if info is not None:
                _mark_anchored(batch, ledger, info, receipt)
                report.anchored += 1


def _recheck_unconfirmed(db: Database, ledger: Ledger, required: int, head: int) -> None:
    """A batch short of its confirmations must still be in the canonical chain (re-orgs)."""
    with db.begin() as s:
        for batch in s.scalars(
            select(LedgerBatch).where(
                LedgerBatch.state == "anchored",
                LedgerBatch.block_number > head - required + 1,
            )
        ):
            if ledger.registry.anchor_of(bytes.fromhex(batch.root)) is None:
                log.warning("batch %s left the canonical chain; sending it again", batch.id)
                batch.state, batch.block_number, batch.block_hash = "built", None, None
                batch.next_attempt_at = utcnow()


def _send_retractions(db: Database, ledger: Ledger, report: StepReport, holder: str) -> None:
    with db.read() as s:
        due = list(
            s.execute(
                select(
                    ProvenanceRecord.id,
                    ProvenanceRecord.leaf,
                    ProvenanceRecord.proof,
                    ProvenanceRecord.retract_reason,
                    LedgerBatch.root,
                )
                .join(LedgerBatch, LedgerBatch.id == ProvenanceRecord.batch_id)
                .where(
                    ProvenanceRecord.retracted_at.is_not(None),
                    ProvenanceRecord.retract_tx_hash.is_(None),
                    LedgerBatch.state == "anchored",
                )
            ).all()
        )
    for record_id, leaf, proof, reason, root in due:
        leaf_b = bytes.fromhex(leaf)
        existing = ledger.registry.retraction_of(leaf_b)
        tx_hash: str | None = None
        if existing is None:
            assert ledger.account is not None  # noqa: S101 - signing connection
            with db.begin() as s:
                _fence(s, holder)
            try:
                tx_hash = _hex(
                    ledger.registry.retract(
                        ledger.account,
                        bytes.fromhex(root),
                        leaf_b,
                        [bytes.fromhex(p) for p in proof or []],
                        reason or "retracted",
                    )
                )
            except ChainReverted as exc:
                if exc.reason != "AlreadyRetracted":
                    log.error("retraction of record %s refused: %s", record_id, exc.reason)
                    continue
        with db.begin() as s:
            row = s.get(ProvenanceRecord, record_id)
            if row is not None:
                row.retract_tx_hash = tx_hash or "on-chain"
        report.retractions_sent += 1


ELSEWHERE = "elsewhere"  # anchored, but in a registry other than the configured one


def _mark_elsewhere(db: Database, ledger: Ledger) -> int:
    """Flag batches anchored in another registry than the configured one; never resend them.

    A wiped development chain, a move to another chain, or someone with database access
    pointing a batch elsewhere all look alike from here. Anchoring such a batch again by
    itself would put whatever the database holds *now* on chain (a forged record would come
    out verified), so the worker only says so; ``reanchor`` is an admin's audited decision.
    """
    with db.begin() as s:
        moved = list(
            s.scalars(
                select(LedgerBatch).where(
                    LedgerBatch.state == "anchored",
                    (LedgerBatch.chain_id != ledger.chain_id)
                    | (func.lower(LedgerBatch.contract) != ledger.contract_address.lower()),
                )
            )
        )
        for batch in moved:
            log.warning(
                "batch %s is anchored on chain %s in %s, not in the configured registry",
                batch.id,
                batch.chain_id,
                batch.contract,
            )
            batch.state = ELSEWHERE
            batch.last_error = (
                f"Anchored on chain {batch.chain_id} in contract {batch.contract}, which is not "
                f"the configured registry (chain {ledger.chain_id}, contract "
                f"{ledger.contract_address}): this anchor cannot be checked here."
            )
        return len(moved)


def reanchor(db: Database, actor: Actor, batch_id: int) -> None:
    """Queue a batch anchored elsewhere to be anchored in the configured registry (admins).

    Its records are checked first (record, leaf, proof to the batch root): only an intact
    batch goes out again, and the old anchor's facts stay in the audit log.
    """
    authorize(db, actor, Action.LEDGER_REANCHOR, target=("ledger_batch", batch_id))
    with db.begin() as s:
        batch = s.get(LedgerBatch, batch_id)
        if batch is None:
            raise NotFound(f"No ledger batch {batch_id}.")
        if batch.state != ELSEWHERE:
            raise Conflict(
                f"Batch {batch_id} is {batch.state}; only a batch anchored in another registry "
                "is anchored again."
            )
        rows = list(
            s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.batch_id == batch_id))
        )
        for row in rows:
            problem = provenance.record_problem(row, batch)
            if problem is not None:
                raise Conflict(
                    f"Batch {batch_id} is not anchored again: record {row.id} does not match "
                    f"it ({problem})."
                )
        leaves = sorted(r.leaf for r in rows)
        if leaves != sorted(batch.manifest) or len(rows) != batch.leaf_count:
            raise Conflict(
                f"Batch {batch_id}'s records differ from its manifest; not anchored again."
            )
        old = {
            "chain_id": batch.chain_id,
            "contract": batch.contract,
            "tx_hash": batch.tx_hash,
            "block_number": batch.block_number,
            "block_time": batch.block_time.isoformat() if batch.block_time else None,
        }
        batch.state, batch.tx_hash, batch.sent_at, batch.next_attempt_at = (
            "built",
            None,
            None,
            utcnow(),
        )
        batch.block_number = batch.block_hash = batch.block_time = batch.submitter = None
        batch.gas_used = batch.anchored_at = None
        batch.last_error = None
        s.execute(
            update(ProvenanceRecord)
            .where(ProvenanceRecord.batch_id == batch_id)
            .values(retract_tx_hash=None)
        )
        audit.add(
            s,
            actor,
            "ledger.reanchor",
            target_type="ledger_batch",
            target_id=batch_id,
            detail={"root": batch.root, "previous_anchor": old},
        )


def _note_chain(db: Database, holder: str, ledger: Ledger | None, error: str | None) -> int | None:
    head = ledger.registry.block_number() if ledger is not None else None
    with db.begin() as s:
        row = s.get(LedgerLease, provenance.LEASE)
        if row is None or row.holder != holder:
            return head
        if ledger is not None:
            row.chain_id = ledger.chain_id
            row.contract = ledger.contract_address
            row.chain_description = ledger.description()[:300]
            row.head_block = head
            row.head_seen_at = utcnow()
        row.last_error = error
    return head


def _due_batches(db: Database, now: datetime) -> list[int]:
    with db.read() as s:
        return list(
            s.scalars(
                select(LedgerBatch.id)
                .where(
                    LedgerBatch.state.in_(provenance.OPEN_STATES),
                    LedgerBatch.next_attempt_at <= now,
                )
                .order_by(LedgerBatch.id)
            )
        )


def _has_open_work(db: Database, required: int) -> bool:
    with db.read() as s:
        retractions = s.scalar(
            select(func.count())
            .select_from(ProvenanceRecord)
            .where(
                ProvenanceRecord.retracted_at.is_not(None),
                ProvenanceRecord.retract_tx_hash.is_(None),
                ProvenanceRecord.batch_id.is_not(None),
            )
        )
        owner = s.get(LedgerLease, provenance.LEASE)
        unconfirmed = 0
        if required > 1 and owner is not None and owner.head_block is not None:
            unconfirmed = (
                s.scalar(
                    select(func.count())
                    .select_from(LedgerBatch)
                    .where(
                        LedgerBatch.state == "anchored",
                        LedgerBatch.block_number > owner.head_block - required + 1,
                    )
                )
                or 0
            )
        # Look at the chain now and then even when idle: its head for confirmations and
        # health, and whether it is still the chain the anchors were made on.
        stale = (
            owner is None
            or owner.chain_id is None
            or owner.head_seen_at is None
            or utcnow() - owner.head_seen_at > LOOK_EVERY
        )
        return bool(retractions or unconfirmed or stale)


def step(
    db: Database,
    chain: ChainSettings,
    policy: BatchPolicy,
    holder: str,
    *,
    now: datetime | None = None,
    connector: Connect = _default_connect,
    backfill: bool = True,
) -> StepReport:
    """One round of the worker; cheap when there is nothing to do. Never raises for the chain.

    ``backfill``: also look for datasets without a record (a scan of the datasets table; the
    worker does it once a minute, not every round).
    """
    now = now or utcnow()
    report = StepReport()
    if not take_lease(db, holder, now):
        return report
    report.is_owner = True
    if backfill:
        report.backfilled = provenance.backfill(db)
    report.batches_built = close_batches(db, policy, now)
    due = _due_batches(db, now)
    if not due and not _has_open_work(db, chain.confirmations):
        return report
    try:
        with connector(chain, True) as ledger:
            _mark_elsewhere(db, ledger)
            for batch_id in due:
                _advance(db, ledger, batch_id, now, report, holder)
            _send_retractions(db, ledger, report, holder)
            head = _note_chain(db, holder, ledger, None)
            if head is not None and chain.confirmations > 1:
                _recheck_unconfirmed(db, ledger, chain.confirmations, head)
    except LeaseLost as exc:
        report.error = str(exc)
        log.warning("anchoring: %s; stopped sending", exc)
        return report
    except ChainError as exc:
        error = scrub_urls(str(exc)) or type(exc).__name__
        if isinstance(exc, ChainUnavailable):
            error = f"the chain is unreachable: {error}"
        report.error = error
        log.warning("anchoring: %s; retrying with backoff", error)
        with db.begin() as s:
            for batch in s.scalars(select(LedgerBatch).where(LedgerBatch.id.in_(due))):
                if batch.state != "anchored":
                    _backoff(batch, error, now)
        _note_chain(db, holder, None, error)
    return report


def run_until_idle(
    db: Database,
    chain: ChainSettings,
    policy: BatchPolicy,
    holder: str | None = None,
    *,
    max_steps: int = 10_000,
    connector: Connect = _default_connect,
) -> Iterator[StepReport]:
    """Step until nothing is pending (tests, benchmarks and the CLI); yields each report.

    The lease is handed back at the end, so the next caller (or worker) need not wait for it
    to expire.
    """
    holder = holder or holder_name()
    try:
        for _ in range(max_steps):
            report = step(db, chain, BatchPolicy(policy.size, 0.0), holder, connector=connector)
            yield report
            with db.read() as s:
                waiting = provenance.open_records(s)
            if not waiting or report.error or not report.is_owner:
                return
    finally:
        release_lease(db, holder)


# --- the schedule the worker keeps ------------------------------------------------------------


def sweep_is_due(db: Database, every_hours: float, now: datetime | None = None) -> bool:
    """Whether the integrity sweep should start (none running, the last one long enough ago)."""
    if every_hours <= 0:
        return False
    now = now or utcnow()
    with db.read() as s:
        owner = s.get(LedgerLease, provenance.LEASE)
        if owner is None:
            return False
        if owner.last_sweep_at is not None and now - owner.last_sweep_at < timedelta(
            hours=every_hours
        ):
            return False
        running = s.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == "provenance.sweep", Job.state.in_(("queued", "running")))
        )
        return not running


class AnchoringLoop:
    """What a worker process does for the ledger between jobs (see ``job_queue.run_worker``)."""

    def __init__(
        self,
        db: Database,
        chain: ChainSettings,
        policy: BatchPolicy,
        start_sweep: Callable[[], object],
        sweep_every_hours: float,
    ) -> None:
        self.db, self.chain, self.policy = db, chain, policy
        self.start_sweep, self.sweep_every_hours = start_sweep, sweep_every_hours
        self.holder = holder_name()
        self._next_sweep_check = 0.0
        self._next_backfill = 0.0

    def tick(self, monotonic_now: float) -> StepReport:
        """One step of anchoring, and now and then a look at whether a sweep is due."""
        backfill = monotonic_now >= self._next_backfill
        if backfill:
            self._next_backfill = monotonic_now + 60.0
        report = step(self.db, self.chain, self.policy, self.holder, backfill=backfill)
        if report.is_owner and monotonic_now >= self._next_sweep_check:
            self._next_sweep_check = monotonic_now + 60.0
            if sweep_is_due(self.db, self.sweep_every_hours):
                # Counted from the start, so a failing sweep is not retried every minute.
                with self.db.begin() as s:
                    owner = s.get(LedgerLease, provenance.LEASE)
                    if owner is not None:
                        owner.last_sweep_at = utcnow()
                self.start_sweep()
        return report

    def close(self) -> None:
        """Let another process take the key at once."""
        release_lease(self.db, self.holder)
