"""Verification: a dataset's bytes, record, proof and anchor, and the same for its lineage.

A dataset verifies when all of these hold (issue 8, item 8): its stored file hashes to the
SHA-256 in its record; the record hashes to its leaf; the proof rebuilds the batch root;
the configured contract on the configured chain holds that root (one ``verify`` call,
which also says whether the leaf was retracted and how many blocks are on top); and every
parent named in the record passes the same checks and was anchored no later than it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import Dataset, DatasetParent, LedgerBatch, ProvenanceRecord
from dashboard.models.base import utcnow
from ledger import merkle, records
from ledger.errors import ChainError
from ledger.network import ChainSettings, Ledger, connect
from ledger.verify import sha256_file

from . import audit, provenance
from .actor import Actor
from .blobs import BlobStore
from .errors import NotFound, ValidationFailed
from .policy import Action, authorize

Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _message: str) -> None:
    pass


@dataclass(frozen=True)
class Check:
    """One check and its outcome: True passed, False failed, None could not be made."""

    name: str
    ok: bool | None
    detail: str

    def as_dict(self) -> dict[str, object]:
        """Plain values for the API."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class Verification:
    """The outcome for one dataset, with its parents' outcomes."""

    dataset_id: int | None
    filename: str
    leaf: str | None
    checks: list[Check] = field(default_factory=list)
    parents: list[Verification] = field(default_factory=list)
    anchored_block: int | None = None
    verified_at: datetime = field(default_factory=utcnow)
    chain: str = ""

    @property
    def is_verified(self) -> bool:
        """Every check passed, here and up the lineage."""
        return all(c.ok for c in self.checks) and all(p.is_verified for p in self.parents)

    @property
    def first_failure(self) -> str | None:
        """The first failed (or impossible) check, in words, walking up the lineage."""
        own = [c for c in self.checks if not c.ok]
        for c in own:
            if c.name != "lineage":
                return f"{c.name}: {c.detail}"
        for p in self.parents:  # the root cause, rather than "a parent does not verify"
            failure = p.first_failure
            if failure:
                return f"parent dataset {p.dataset_id}: {failure}"
        return f"{own[0].name}: {own[0].detail}" if own else None

    def as_dict(self) -> dict[str, object]:
        """Plain values for the API."""
        return {
            "dataset_id": self.dataset_id,
            "filename": self.filename,
            "leaf": self.leaf,
            "verified": self.is_verified,
            "first_failure": self.first_failure,
            "anchored_block": self.anchored_block,
            "verified_at": self.verified_at.isoformat(),
            "chain": self.chain,
            "checks": [c.as_dict() for c in self.checks],
            "parents": [p.as_dict() for p in self.parents],
        }


@dataclass
class _Subject:
    row: ProvenanceRecord
    batch: LedgerBatch | None
    dataset: Dataset | None
    db_parents: list[int]


def _load(s: Session, row: ProvenanceRecord) -> _Subject:
    batch = s.get(LedgerBatch, row.batch_id) if row.batch_id else None
    dataset = s.get(Dataset, row.dataset_id) if row.dataset_id else None
    parents = (
        sorted(
            s.scalars(
                select(DatasetParent.parent_id).where(DatasetParent.dataset_id == row.dataset_id)
            )
        )
        if row.dataset_id
        else []
    )
    return _Subject(row, batch, dataset, parents)


def _deltas(on_chunk: Callable[[int], None]) -> Callable[[int], None]:
    """Turn ``sha256_file``'s running total into the size of each new piece."""
    last = 0

    def report(done: int) -> None:
        nonlocal last
        on_chunk(done - last)
        last = done

    return report


def _record_checks(subject: _Subject) -> tuple[list[Check], dict[str, Any] | None]:
    row = subject.row
    try:
        record = records.check_record(json.loads(row.record_json))
    except (ValueError, records.RecordError) as exc:
        return [Check("record", False, f"The stored record is not a valid record: {exc}")], None
    if records.canonical(record).decode("utf-8") != row.record_json:
        return [Check("record", False, "The stored record is not in canonical form.")], record
    leaf = records.leaf_of(record).hex()
    if leaf != row.leaf:
        return [
            Check(
                "record",
                False,
                f"The stored record hashes to leaf {leaf[:16]}…, not the "
                f"anchored {row.leaf[:16]}…: it was changed after it was recorded.",
            )
        ], record
    return [Check("record", True, f"The record hashes to leaf {leaf[:16]}….")], record


def _file_check(
    subject: _Subject, record: dict[str, Any], store: BlobStore, progress: Callable[[int], None]
) -> Check:
    expected = record["entity"]["sha256"]
    if subject.dataset is None:
        return Check("file", None, "The dataset was deleted, so its file cannot be re-hashed.")
    if subject.dataset.sha256 != expected:
        return Check(
            "file",
            False,
            f"The dataset's hash in the database ({subject.dataset.sha256[:16]}…) is not the "
            f"recorded {expected[:16]}….",
        )
    path = store.path(expected)
    if not path.is_file():
        return Check("file", False, f"The stored file {path.name[:16]}… is missing.")
    digest = sha256_file(path, _deltas(progress))
    if digest != expected:
        return Check(
            "file",
            False,
            f"The stored file now hashes to {digest[:16]}…, not the recorded {expected[:16]}….",
        )
    return Check("file", True, f"The stored file hashes to the recorded {expected[:16]}….")


def _proof_check(subject: _Subject) -> Check:
    batch = subject.batch
    if batch is None:
        return Check("proof", None, "Not in a batch yet: pending anchoring.")
    proof = [bytes.fromhex(p) for p in subject.row.proof or []]
    if not merkle.verify_proof(bytes.fromhex(subject.row.leaf), proof, bytes.fromhex(batch.root)):
        return Check("proof", False, f"The proof does not rebuild the root of batch {batch.id}.")
    return Check(
        "proof", True, f"{len(proof)} hashes lead to root {batch.root[:16]}… (batch {batch.id})."
    )


def _chain_checks(
    subject: _Subject, ledger: Ledger | None, error: str | None, required: int
) -> list[Check]:
    batch = subject.batch
    if batch is not None and batch.state == "elsewhere":
        return [Check("anchored", False, batch.last_error or "Anchored in another registry.")]
    if batch is None or batch.state != "anchored":
        state = batch.state if batch else "not batched"
        return [Check("anchored", None, f"Not anchored yet ({state}).")]
    if ledger is None:
        return [Check("anchored", None, f"The chain could not be asked: {error}")]
    if batch.chain_id is not None and batch.chain_id != ledger.chain_id:
        return [
            Check(
                "anchored",
                False,
                f"Anchored on chain {batch.chain_id}, but the configured chain is "
                f"{ledger.chain_id}.",
            )
        ]
    if batch.contract and batch.contract.lower() != ledger.contract_address.lower():
        return [
            Check(
                "anchored",
                False,
                f"Anchored in contract {batch.contract}, but the configured one is "
                f"{ledger.contract_address}.",
            )
        ]
    proof = [bytes.fromhex(p) for p in subject.row.proof or []]
    found = ledger.registry.verify(
        bytes.fromhex(batch.root), bytes.fromhex(subject.row.leaf), proof
    )
    checks: list[Check] = []
    if found.anchor is None:
        return [
            Check("anchored", False, f"Root {batch.root[:16]}… is not recorded in the contract.")
        ]
    if not found.included:
        checks.append(
            Check("anchored", False, "The contract does not accept the proof for this root.")
        )
    elif batch.block_number is not None and found.anchor.block_number != batch.block_number:
        checks.append(
            Check(
                "anchored",
                False,
                f"The contract says block {found.anchor.block_number}; the database says "
                f"{batch.block_number}.",
            )
        )
    else:
        checks.append(
            Check(
                "anchored",
                True,
                f"Root recorded in block {found.anchor.block_number} by {found.anchor.submitter}.",
            )
        )
    confirmations = found.confirmations
    checks.append(
        Check(
            "confirmations",
            confirmations >= required,
            f"{confirmations} of the {required} required.",
        )
    )
    retracted = found.retracted or subject.row.retracted_at is not None
    reason = subject.row.retract_reason or "see the contract's Retracted event"
    if found.retracted:  # the chain's word, not the database's
        on_chain = ledger.registry.retraction_of(bytes.fromhex(subject.row.leaf))
        if on_chain is not None:
            reason = f"{on_chain.reason} (by {on_chain.by} on {on_chain.time:%Y-%m-%d})"
    checks.append(
        Check(
            "not retracted",
            not retracted,
            f"Retracted: {reason}" if retracted else "No retraction recorded.",
        )
    )
    return checks


def _verify_one(
    s: Session,
    row: ProvenanceRecord,
    store: BlobStore,
    ledger: Ledger | None,
    chain_error: str | None,
    required: int,
    progress: Callable[[int], None],
    done: dict[str, Verification],
) -> Verification:
    if row.leaf in done:
        return done[row.leaf]
    subject = _load(s, row)
    result = Verification(
        dataset_id=row.dataset_id,
        filename=subject.dataset.filename if subject.dataset else "(deleted)",
        leaf=row.leaf,
        anchored_block=subject.batch.block_number if subject.batch else None,
        chain=ledger.description() if ledger else (chain_error or ""),
    )
    done[row.leaf] = result
    checks, record = _record_checks(subject)
    if record is not None:
        checks.insert(0, _file_check(subject, record, store, progress))
        checks.append(_proof_check(subject))
        checks.extend(_chain_checks(subject, ledger, chain_error, required))
    result.checks = checks
    if record is None:
        return result
    parent_leaves = record.get("derived_from", [])
    parent_rows = {
        r.leaf: r
        for r in s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.leaf.in_(parent_leaves)))
    }
    missing = [leaf for leaf in parent_leaves if leaf not in parent_rows]
    recorded_ids = sorted(r.dataset_id for r in parent_rows.values() if r.dataset_id)
    lineage_ok = not missing and recorded_ids == subject.db_parents
    if missing:
        detail = f"{len(missing)} parent record(s) named by the record are missing."
    elif recorded_ids != subject.db_parents:
        detail = (
            f"The database says derived from {subject.db_parents or 'nothing'}; the anchored "
            f"record says {recorded_ids or 'nothing'}."
        )
    else:
        detail = f"Derived from {recorded_ids or 'nothing'}, as anchored."
    for leaf in parent_leaves:
        parent_row = parent_rows.get(leaf)
        if parent_row is None:
            continue
        parent = _verify_one(s, parent_row, store, ledger, chain_error, required, progress, done)
        result.parents.append(parent)
        if not parent.is_verified:
            lineage_ok = False
            detail = f"Parent dataset {parent.dataset_id} does not verify."
        elif (
            parent.anchored_block is not None
            and result.anchored_block is not None
            and parent.anchored_block > result.anchored_block
        ):
            lineage_ok = False
            detail = (
                f"Parent dataset {parent.dataset_id} was anchored in block "
                f"{parent.anchored_block}, after this dataset (block {result.anchored_block})."
            )
    result.checks.append(Check("lineage", lineage_ok, detail))
    return result


def _bytes_to_hash(s: Session, row: ProvenanceRecord) -> int:
    """The total size of the files of ``row`` and its ancestors, for progress."""
    total, seen, frontier = 0, set(), [row]
    while frontier:
        current = frontier.pop()
        if current.leaf in seen:
            continue
        seen.add(current.leaf)
        if current.dataset_id:
            total += s.scalar(select(Dataset.size).where(Dataset.id == current.dataset_id)) or 0
        try:
            leaves = json.loads(current.record_json).get("derived_from", [])
        except ValueError:
            leaves = []
        if leaves:
            frontier.extend(
                s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.leaf.in_(leaves)))
            )
    return total


def verify_dataset(
    db: Database,
    actor: Actor,
    chain: ChainSettings,
    store: BlobStore,
    dataset_id: int,
    *,
    on_progress: Progress = _quiet,
) -> Verification:
    """Verify dataset ``dataset_id`` and its lineage (reviewers, admins; audited)."""
    authorize(db, actor, Action.PROVENANCE_VERIFY, target=("dataset", dataset_id))
    with db.read() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == dataset_id))
        if row is None:
            if s.get(Dataset, dataset_id) is None:
                raise NotFound(f"No dataset with id {dataset_id}.")
            return Verification(
                dataset_id,
                s.scalar(select(Dataset.filename).where(Dataset.id == dataset_id)) or "",
                None,
                [Check("record", None, "No provenance record yet: unanchored.")],
            )
        total = max(1, _bytes_to_hash(s, row))
        hashed = 0

        def progress(chunk: int) -> None:
            nonlocal hashed
            hashed += chunk
            on_progress(
                min(0.95, hashed / total),
                f"Hashing: {hashed / 2**20:,.0f} of {total / 2**20:,.0f} MiB",
            )

        with ExitStack() as stack:
            ledger: Ledger | None = None
            error: str | None = None
            try:
                ledger = stack.enter_context(connect(chain, signing=False))
            except ChainError as exc:  # the other checks still stand; this one is left open
                error = str(exc)
            result = _verify_one(s, row, store, ledger, error, chain.confirmations, progress, {})
    _note_file_states(db, result)
    with db.begin() as s:
        audit.add(
            s,
            actor,
            "provenance.verify",
            "ok" if result.is_verified else "failed",
            target_type="dataset",
            target_id=dataset_id,
            detail={"verified": result.is_verified, "first_failure": result.first_failure},
        )
    on_progress(1.0, "Verified" if result.is_verified else "Verification failed")
    return result


def _note_file_states(db: Database, result: Verification) -> None:
    """Remember what re-hashing found, so the badges show a tampered file at once."""
    outcomes: dict[str, str] = {}

    def walk(v: Verification) -> None:
        for c in v.checks:
            if c.name == "file" and c.ok is not None and v.leaf:
                outcomes[v.leaf] = (
                    "ok" if c.ok else ("missing" if "missing" in c.detail else "tampered")
                )
        for p in v.parents:
            walk(p)

    walk(result)
    if not outcomes:
        return
    now = utcnow()
    with db.begin() as s:
        for row in s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.leaf.in_(outcomes))):
            row.file_state, row.checked_at = outcomes[row.leaf], now


# --- files dropped by a reviewer -------------------------------------------------------------


@dataclass(frozen=True)
class FileMatch:
    """A dataset whose recorded bytes are exactly the ones looked up."""

    dataset_id: int | None
    filename: str
    recorded_by: str
    recorded_at: str
    status: provenance.Status

    def as_dict(self) -> dict[str, object]:
        """Plain values for the API."""
        return {
            "dataset_id": self.dataset_id,
            "filename": self.filename,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at,
            "status": self.status.as_dict(),
        }


def _sha256_hex(value: str) -> str:
    text = (value or "").strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValidationFailed("Give a SHA-256 as 64 hexadecimal digits.", field="sha256")
    return text


def find_file(db: Database, actor: Actor, sha256: str, required: int) -> list[FileMatch]:
    """Which datasets recorded exactly these bytes, and their status (reviewers, admins)."""
    authorize(db, actor, Action.PROVENANCE_VERIFY)
    digest = _sha256_hex(sha256)
    with db.read() as s:
        rows = list(
            s.scalars(
                select(ProvenanceRecord)
                .where(ProvenanceRecord.file_sha256 == digest)
                .order_by(ProvenanceRecord.id)
            )
        )
        found = provenance.statuses(s, [r.dataset_id for r in rows if r.dataset_id], required)
        matches = []
        for r in rows:
            try:
                record = json.loads(r.record_json)
            except ValueError:  # a mangled record: its status says tampered
                record = {}
            if r.dataset_id:
                status = found[r.dataset_id]
            else:
                own = provenance.record_status(s, r, required)
                status = replace(
                    own, detail=f"The dataset was deleted; its record stays. {own.detail}"
                )
            matches.append(
                FileMatch(
                    dataset_id=r.dataset_id,
                    filename=record.get("entity", {}).get("filename", ""),
                    recorded_by=record.get("agent", {}).get("username", ""),
                    recorded_at=record.get("activity", {}).get("ended_at", ""),
                    status=status,
                )
            )
    with db.begin() as s:
        audit.add(
            s,
            actor,
            "provenance.lookup",
            detail={"sha256": digest, "matches": [m.dataset_id for m in matches]},
        )
    return matches


# --- the integrity sweep ---------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    """What a sweep over every stored file found."""

    checked: int
    tampered: list[int]
    missing: list[int]

    def as_dict(self) -> dict[str, object]:
        """Plain values for the job result."""
        return {"checked": self.checked, "tampered": self.tampered, "missing": self.missing}


def sweep(
    db: Database, actor: Actor, store: BlobStore, *, on_progress: Progress = _quiet
) -> SweepReport:
    """Re-hash every stored dataset file against its record (reviewers, admins, system)."""
    authorize(db, actor, Action.PROVENANCE_SWEEP)
    with db.read() as s:
        todo = list(
            s.execute(
                select(
                    ProvenanceRecord.id,
                    ProvenanceRecord.dataset_id,
                    ProvenanceRecord.file_sha256,
                    Dataset.size,
                )
                .join(Dataset, Dataset.id == ProvenanceRecord.dataset_id)
                .order_by(ProvenanceRecord.id)
            ).all()
        )
    total = max(1, sum(size for *_rest, size in todo))
    done = 0
    tampered: list[int] = []
    missing: list[int] = []
    for record_id, dataset_id, expected, _size in todo:
        path = store.path(str(expected))

        def progress(chunk: int) -> None:
            nonlocal done
            done += chunk
            on_progress(
                min(0.99, done / total),
                f"Re-hashed {done / 2**20:,.0f} of {total / 2**20:,.0f} MiB",
            )

        if not path.is_file():
            state = "missing"
            missing.append(int(dataset_id or 0))
        else:
            state = "ok" if sha256_file(path, _deltas(progress)) == expected else "tampered"
            if state == "tampered":
                tampered.append(int(dataset_id or 0))
        with db.begin() as s:
            row = s.get(ProvenanceRecord, record_id)
            if row is not None:
                row.file_state, row.checked_at = state, utcnow()
    with db.begin() as s:
        audit.add(
            s,
            actor,
            "provenance.sweep",
            "ok" if not (tampered or missing) else "failed",
            detail={"checked": len(todo), "tampered": tampered, "missing": missing},
        )
        owner = provenance.lease(s)
        if owner is not None:
            owner.last_sweep_at = utcnow()
    return SweepReport(len(todo), tampered, missing)
