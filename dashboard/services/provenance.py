"""Provenance: each dataset's record, its ledger status, lineage, proofs and retraction.

A record is written in the same transaction as the dataset it describes (so there is never
a dataset without one), batched and anchored by :mod:`dashboard.services.ledger_anchoring`,
and checked here. Statuses shown in lists are computed from the database alone (cheap: the
stored record is re-hashed and its proof re-walked); :mod:`dashboard.services.provenance_verify`
adds the file's bytes and the chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import __version__
from dashboard.db import Database
from dashboard.models import (
    Dataset,
    DatasetParent,
    LedgerBatch,
    LedgerLease,
    ProvenanceRecord,
    Tree,
)
from dashboard.models.base import utcnow
from ledger import merkle, records
from ledger.records import RecordError

from . import audit
from .actor import Actor
from .errors import Conflict, NotFound, ValidationFailed
from .policy import Action, authorize
from .text import has_control_characters, has_lone_surrogate

SOFTWARE = "MicroSpaceGen"
LEASE = "anchoring"
RETRACT_REASON_MAX = 500
# Pages of batches (list_batches): at most this many at once, from an offset SQL can take.
BATCH_PAGE_MAX = 500
BATCH_OFFSET_MAX = 2**63 - 1

# The states a dataset's provenance can be in, in the order a reviewer worries about them.
UNANCHORED, PENDING, ANCHORED, TAMPERED, RETRACTED, FAILED = (
    "unanchored",
    "pending",
    "anchored",
    "tampered",
    "retracted",
    "failed",
)
STATES = (UNANCHORED, PENDING, ANCHORED, TAMPERED, RETRACTED, FAILED)


@dataclass(frozen=True)
class Status:
    """A dataset's provenance status: the badge and the line beside it."""

    state: str
    label: str
    detail: str
    confirmations: int | None = None
    required: int | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    block_time: datetime | None = None
    submitter: str | None = None
    chain_id: int | None = None
    contract: str | None = None
    batch_id: int | None = None
    retract_reason: str | None = None
    # Set when the dataset itself is fine but an ancestor is not (retracted, tampered…).
    lineage_issue: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain values for the API."""
        out: dict[str, object] = {
            "state": self.state,
            "label": self.label,
            "detail": self.detail,
            "confirmations": self.confirmations,
            "required_confirmations": self.required,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "block_time": self.block_time.isoformat() if self.block_time else None,
            "submitter": self.submitter,
            "chain_id": self.chain_id,
            "contract": self.contract,
            "batch_id": self.batch_id,
            "retract_reason": self.retract_reason,
            "lineage_issue": self.lineage_issue,
        }
        return out


# --- writing records ------------------------------------------------------------------------


def _leaf_hex(record: Mapping[str, Any]) -> str:
    return records.leaf_of(record).hex()


def _store(s: Session, record: Mapping[str, Any], **columns: Any) -> ProvenanceRecord:
    row = ProvenanceRecord(
        record_json=records.canonical(record).decode("utf-8"),
        leaf=_leaf_hex(record),
        created_at=utcnow(),
        file_state="",
        **columns,
    )
    s.add(row)
    s.flush()
    return row


def _parent_leaves(s: Session, parent_ids: Sequence[int]) -> list[str]:
    if not parent_ids:
        return []
    found = dict(
        s.execute(
            select(ProvenanceRecord.dataset_id, ProvenanceRecord.leaf).where(
                ProvenanceRecord.dataset_id.in_(parent_ids)
            )
        ).all()
    )
    missing = [p for p in parent_ids if p not in found]
    if missing:
        # Parents always get their record first (import order; the backfill goes by id).
        raise Conflict(
            f"Dataset {missing[0]} has no provenance record yet, so nothing can be derived "
            "from it until it has one; try again in a few seconds."
        )
    return [found[p] for p in parent_ids]


def record_dataset(
    s: Session,
    dataset: Dataset,
    *,
    agent_id: int | None,
    agent_username: str,
    experiment: str | None,
    sample: str | None,
    parent_ids: Sequence[int],
    started_at: datetime,
    ended_at: datetime,
    activity_type: str = "import",
    parameters: Mapping[str, Any] | None = None,
) -> ProvenanceRecord:
    """Write ``dataset``'s provenance record in the caller's transaction (pending anchoring)."""
    record = records.dataset_record(
        dataset_id=dataset.id,
        sha256=dataset.sha256,
        size=dataset.size,
        format=dataset.format,
        filename=dataset.filename,
        material=dataset.material or None,
        experiment=experiment,
        sample=sample,
        activity_type=activity_type,
        software_name=SOFTWARE,
        software_version=__version__,
        parameters=dict(parameters or {}),
        started_at=started_at,
        ended_at=ended_at,
        agent_id=agent_id,
        agent_username=agent_username,
        parent_leaves=_parent_leaves(s, parent_ids),
    )
    return _store(s, record, kind="dataset", dataset_id=dataset.id, file_sha256=dataset.sha256)


def record_tree(
    s: Session,
    tree: Tree,
    *,
    agent_id: int | None,
    agent_username: str,
    experiment: str | None,
    parent_ids: Sequence[int],
    started_at: datetime,
    ended_at: datetime,
    parameters: Mapping[str, Any],
) -> ProvenanceRecord:
    """Write a saved tree's record in the caller's transaction: a dataset (``tree/N``, its
    Newick's bytes) derived from the datasets it was built from."""
    record = records.dataset_record(
        dataset_id=tree.id,
        sha256=tree.sha256,
        size=len(tree.newick.encode("utf-8")),
        format="newick",
        filename=f"tree-{tree.id}.nwk",
        material="tree",
        experiment=experiment,
        sample=None,
        activity_type="analysis",
        software_name=SOFTWARE,
        software_version=__version__,
        parameters=dict(parameters),
        started_at=started_at,
        ended_at=ended_at,
        agent_id=agent_id,
        agent_username=agent_username,
        parent_leaves=_parent_leaves(s, parent_ids),
        entity_kind="tree",
    )
    return _store(s, record, kind="tree", tree_id=tree.id, file_sha256=tree.sha256)


def tree_status(db: Database, tree_id: int, sha256: str, required: int) -> Status:
    """A saved tree's status: anchored, pending, or tampered when its Newick changed."""
    with db.read() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.tree_id == tree_id))
        if row is None:
            return _own_status(None, None, None, None, required)
        batch = s.get(LedgerBatch, row.batch_id) if row.batch_id else None
        owner = lease(s)
        return _own_status(row, batch, sha256, owner.head_block if owner else None, required)


def record_audit_checkpoint(s: Session, seq: int, digest: str) -> ProvenanceRecord:
    """Record the audit chain's head (event ``seq``, ``digest``) for the next batch."""
    record = records.audit_checkpoint_record(seq=seq, digest=digest, at=utcnow())
    return _store(s, record, kind="audit", audit_seq=seq, audit_digest=digest)


def unused_dataset_id(s: Session) -> int | None:
    """An id for a new dataset that no record ever named, or None to let the database pick.

    SQLite reuses the highest rowid once its row is deleted; a new dataset would then share
    ``dataset/N`` with the deleted one's anchored record and proof. PostgreSQL's sequences
    never go back, so only the records of deleted datasets above the current highest id matter.
    """
    if s.get_bind().dialect.name != "sqlite":
        return None
    highest = s.scalar(select(func.max(Dataset.id))) or 0
    named = 0
    for text in s.scalars(
        select(ProvenanceRecord.record_json).where(
            ProvenanceRecord.kind == "dataset", ProvenanceRecord.dataset_id.is_(None)
        )
    ):
        try:
            entity = str(json.loads(text)["entity"]["id"])
            named = max(named, int(entity.removeprefix("dataset/")))
        except (ValueError, KeyError, TypeError):
            continue  # a mangled record: its status says tampered
    return named + 1 if named >= highest else None


def _dataset_parameters(d: Dataset) -> dict[str, Any]:
    return {
        "compression": d.compression,
        "instrument": d.instrument,
        "source_run": d.source_run,
        "records": d.record_count,
        "total_length": d.total_length,
    }


def backfill(db: Database, limit: int = 1000) -> int:
    """Give datasets imported before the ledger existed their record (oldest first)."""
    with db.begin() as s:
        missing = list(
            s.scalars(
                select(Dataset)
                .outerjoin(ProvenanceRecord, ProvenanceRecord.dataset_id == Dataset.id)
                .where(ProvenanceRecord.id.is_(None))
                .order_by(Dataset.id)
                .limit(limit)
            )
        )
        for d in missing:
            parents = list(
                s.scalars(
                    select(DatasetParent.parent_id)
                    .where(DatasetParent.dataset_id == d.id)
                    .order_by(DatasetParent.parent_id)
                )
            )
            record_dataset(
                s,
                d,
                agent_id=d.imported_by_id,
                agent_username=d.imported_by_name or "unknown",
                experiment=d.sample.experiment.name if d.sample else None,
                sample=d.sample.name if d.sample else None,
                parent_ids=parents,
                started_at=d.imported_at,
                ended_at=d.imported_at,
                parameters={**_dataset_parameters(d), "recorded_after_import": True},
            )
        return len(missing)


def import_parameters(d: Dataset) -> dict[str, Any]:
    """What an import's record says about how the file was taken in."""
    return _dataset_parameters(d)


# --- reading statuses -----------------------------------------------------------------------


def lease(s: Session) -> LedgerLease | None:
    """The anchoring lease: who owns the key, which chain, how high its head was."""
    return s.get(LedgerLease, LEASE)


def record_problem(row: ProvenanceRecord, batch: LedgerBatch | None) -> str | None:
    """Why the stored record no longer matches what was (or will be) anchored, or None."""
    try:
        record = records.check_record(json.loads(row.record_json))
    except (ValueError, RecordError) as exc:
        return f"the stored record is no longer a valid record ({exc})"
    if records.canonical(record).decode("utf-8") != row.record_json:
        return "the stored record is not in canonical form any more"
    if _leaf_hex(record) != row.leaf:
        return "the stored record no longer hashes to its leaf"
    if row.file_sha256 is not None and record.get("entity", {}).get("sha256") != row.file_sha256:
        return "the record's file hash differs from the one indexed beside it"
    if batch is not None and batch.state in ("anchored", "elsewhere"):
        proof = [bytes.fromhex(p) for p in row.proof or []]
        if not merkle.verify_proof(bytes.fromhex(row.leaf), proof, bytes.fromhex(batch.root)):
            return "the stored proof no longer leads from the leaf to the anchored root"
    return None


def _own_status(
    row: ProvenanceRecord | None,
    batch: LedgerBatch | None,
    dataset_sha256: str | None,
    head: int | None,
    required: int,
) -> Status:
    if row is None:
        return Status(UNANCHORED, "Unanchored", "No provenance record yet.")
    common: dict[str, Any] = {"batch_id": batch.id if batch else None}
    if batch is not None:
        common.update(
            tx_hash=batch.tx_hash,
            block_number=batch.block_number,
            block_time=batch.block_time,
            submitter=batch.submitter,
            chain_id=batch.chain_id,
            contract=batch.contract,
        )
    problem = record_problem(row, batch)
    if problem is None and dataset_sha256 is not None and dataset_sha256 != row.file_sha256:
        problem = "the dataset's recorded hash differs from its provenance record"
    if problem is None and row.file_state in ("tampered", "missing"):
        when = f" ({row.checked_at:%Y-%m-%d %H:%M} UTC)" if row.checked_at else ""
        problem = (
            "the stored file no longer hashes to its record"
            if row.file_state == "tampered"
            else "the stored file is missing"
        ) + when
    if problem is not None:
        return Status(TAMPERED, "Tampered", problem[:1].upper() + problem[1:] + ".", **common)
    if row.retracted_at is not None:
        on_chain = "on chain" if row.retract_tx_hash else "on chain shortly"
        return Status(
            RETRACTED,
            "Retracted",
            f"Retracted by {row.retracted_by} on {row.retracted_at:%Y-%m-%d} ({on_chain}): "
            f"{row.retract_reason}",
            retract_reason=row.retract_reason,
            **common,
        )
    if batch is None:
        return Status(PENDING, "Pending", "Recorded; waiting for the next batch.", **common)
    if batch.state == "elsewhere":
        return Status(
            FAILED,
            "Anchored elsewhere",
            f"{batch.last_error} An admin may anchor it again: python app.py ledger reanchor "
            f"{batch.id}.",
            **common,
        )
    if batch.state == "failed":
        return Status(
            FAILED,
            "Failed",
            f"Anchoring failed {batch.attempts} times; retrying. Last error: {batch.last_error}",
            **common,
        )
    if batch.state != "anchored" or batch.block_number is None:
        waiting = "sent, waiting for its block" if batch.state == "sent" else "batched"
        retry = f" (retrying: {batch.last_error})" if batch.last_error else ""
        return Status(PENDING, "Pending", f"In batch {batch.id}, {waiting}{retry}.", **common)
    confirmations = max(1, (head or batch.block_number) - batch.block_number + 1)
    if confirmations < required:
        return Status(
            PENDING,
            "Pending",
            f"In block {batch.block_number}: {confirmations} of {required} confirmations.",
            confirmations=confirmations,
            required=required,
            **common,
        )
    when = f"{batch.block_time:%Y-%m-%d %H:%M:%S} UTC" if batch.block_time else "unknown time"
    return Status(
        ANCHORED,
        "Anchored",
        f"Anchored in block {batch.block_number} at {when} by {batch.submitter}; "
        f"{confirmations} confirmation{'s' if confirmations != 1 else ''}.",
        confirmations=confirmations,
        required=required,
        **common,
    )


def record_status(s: Session, row: ProvenanceRecord, required: int) -> Status:
    """The status of one record on its own (a deleted dataset's, say)."""
    batch = s.get(LedgerBatch, row.batch_id) if row.batch_id else None
    owner = lease(s)
    return _own_status(row, batch, None, owner.head_block if owner else None, required)


def _ancestors(s: Session, ids: Iterable[int]) -> dict[int, list[int]]:
    """Parent lists of ``ids`` and of all their ancestors."""
    parents: dict[int, list[int]] = {}
    frontier = set(ids)
    while frontier:
        for child in frontier:
            parents.setdefault(child, [])
        rows = s.execute(
            select(DatasetParent.dataset_id, DatasetParent.parent_id).where(
                DatasetParent.dataset_id.in_(frontier)
            )
        ).all()
        for child, parent in rows:
            parents[child].append(parent)
        frontier = {parent for _child, parent in rows} - set(parents)
    return parents


def statuses(s: Session, dataset_ids: Iterable[int], required: int) -> dict[int, Status]:
    """Each dataset's status, with a problem of any ancestor carried down to it."""
    wanted = list(dict.fromkeys(dataset_ids))
    if not wanted:
        return {}
    parents = _ancestors(s, wanted)
    all_ids = list(parents)
    rows = {
        r.dataset_id: r
        for r in s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id.in_(all_ids)))
    }
    batch_ids = {r.batch_id for r in rows.values() if r.batch_id is not None}
    batches = (
        {b.id: b for b in s.scalars(select(LedgerBatch).where(LedgerBatch.id.in_(batch_ids)))}
        if batch_ids
        else {}
    )
    hashes = dict(
        s.execute(select(Dataset.id, Dataset.sha256).where(Dataset.id.in_(all_ids))).all()
    )
    owner = lease(s)
    head = owner.head_block if owner else None
    own: dict[int, Status] = {}
    for dataset_id in all_ids:
        row = rows.get(dataset_id)
        batch = batches.get(row.batch_id) if row and row.batch_id else None
        own[dataset_id] = _own_status(row, batch, hashes.get(dataset_id), head, required)

    issues: dict[int, str | None] = {}

    def issue(dataset_id: int, seen: frozenset[int]) -> str | None:
        if dataset_id in issues:
            return issues[dataset_id]
        found = None
        for parent in sorted(parents.get(dataset_id, [])):
            if parent in seen:
                continue
            parent_state = own[parent].state
            if parent_state in (RETRACTED, TAMPERED):
                found = f"Derived from dataset {parent}, which is {parent_state}."
            else:
                inherited = issue(parent, seen | {dataset_id})
                if inherited:
                    found = f"Derived from dataset {parent}: {inherited[0].lower()}{inherited[1:]}"
            if found:
                break
        issues[dataset_id] = found
        return found

    out: dict[int, Status] = {}
    for dataset_id in wanted:
        status = own[dataset_id]
        problem = issue(dataset_id, frozenset())
        if problem and status.state == ANCHORED:
            status = Status(
                RETRACTED if "retracted" in problem else TAMPERED,
                "Parent retracted" if "retracted" in problem else "Parent tampered",
                problem,
                **{
                    k: v
                    for k, v in status.__dict__.items()
                    if k not in ("state", "label", "detail")
                },
            )
        if problem:
            status = Status(**{**status.__dict__, "lineage_issue": problem})
        out[dataset_id] = status
    return out


def status_map(db: Database, dataset_ids: Iterable[int], required: int) -> dict[int, Status]:
    """Statuses for a list page (one read transaction)."""
    with db.read() as s:
        return statuses(s, dataset_ids, required)


# --- one dataset --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainFacts:
    """Which chain the statuses refer to, as the anchoring owner last saw it."""

    chain_id: int | None
    contract: str | None
    description: str
    head_block: int | None
    head_seen_at: datetime | None
    last_error: str | None
    is_embedded: bool


@dataclass(frozen=True)
class LineageNode:
    """A dataset in a lineage graph, with its status."""

    dataset_id: int
    filename: str
    status: Status
    is_focus: bool = False


@dataclass(frozen=True)
class ProvenanceView:
    """Everything the Provenance page and the API show for one dataset."""

    dataset_id: int
    filename: str
    status: Status
    record: dict[str, Any] | None
    leaf: str | None
    root: str | None
    proof: list[str]
    anchored_with: int | None  # leaves in its batch
    chain: ChainFacts
    nodes: list[LineageNode] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)  # (parent, child)


EMBEDDED_NOTE = (
    "This is the embedded development chain inside this server: it proves that files were "
    "not changed since they were recorded only to those who trust this server. Point "
    "MICROSPACEGEN_CHAIN_URL at a public EVM chain for proofs anyone can check."
)


def chain_facts(s: Session) -> ChainFacts:
    """The chain and contract of the last anchoring (or none yet)."""
    owner = lease(s)
    if owner is None or owner.chain_id is None:
        error = owner.last_error if owner is not None else None
        return ChainFacts(
            None,
            None,
            "No chain contacted yet: nothing has been anchored.",
            None,
            None,
            error,
            True,
        )
    return ChainFacts(
        chain_id=owner.chain_id,
        contract=owner.contract,
        description=owner.chain_description or f"chain {owner.chain_id}",
        head_block=owner.head_block,
        head_seen_at=owner.head_seen_at,
        last_error=owner.last_error,
        is_embedded=(owner.chain_description or "").startswith("embedded"),
    )


def _lineage(s: Session, dataset_id: int) -> tuple[set[int], list[tuple[int, int]]]:
    """Ancestors and descendants of ``dataset_id`` and the edges between them."""
    nodes, edges = {dataset_id}, set()
    for column, other in (
        (DatasetParent.dataset_id, DatasetParent.parent_id),
        (DatasetParent.parent_id, DatasetParent.dataset_id),
    ):
        frontier = {dataset_id}
        while frontier:
            rows = s.execute(select(column, other).where(column.in_(frontier))).all()
            found = set()
            for here, there in rows:
                edge = (there, here) if column is DatasetParent.dataset_id else (here, there)
                edges.add(edge)
                if there not in nodes:
                    found.add(there)
            nodes |= found
            frontier = found
    return nodes, sorted(edges)


def get(db: Database, dataset_id: int, required: int) -> ProvenanceView:
    """A dataset's provenance: status, record, proof, chain facts and lineage."""
    with db.read() as s:
        dataset = s.get(Dataset, dataset_id)
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == dataset_id))
        if dataset is None and row is None:
            raise NotFound(f"No dataset with id {dataset_id}.")
        batch = s.get(LedgerBatch, row.batch_id) if row and row.batch_id else None
        node_ids, edges = _lineage(s, dataset_id)
        found = statuses(s, node_ids, required)
        names = dict(
            s.execute(select(Dataset.id, Dataset.filename).where(Dataset.id.in_(node_ids))).all()
        )
        record = None
        if row is not None:
            try:
                record = json.loads(row.record_json)
            except ValueError:
                record = None
        return ProvenanceView(
            dataset_id=dataset_id,
            filename=dataset.filename if dataset else "(deleted)",
            status=found[dataset_id],
            record=record,
            leaf=row.leaf if row else None,
            root=batch.root if batch else None,
            proof=list(row.proof or []) if row else [],
            anchored_with=batch.leaf_count if batch else None,
            chain=chain_facts(s),
            nodes=[
                LineageNode(i, names.get(i, "(deleted)"), found[i], i == dataset_id)
                for i in sorted(node_ids)
            ],
            edges=edges,
        )


# --- retraction -----------------------------------------------------------------------------


def retract(db: Database, actor: Actor, dataset_id: int, reason: str) -> Status:
    """Retract a dataset's leaf with a reason (reviewers, admins; audited).

    The retraction is recorded at once; the anchoring owner sends it to the contract (it
    alone holds the key), as soon as the dataset's batch is anchored.
    """
    authorize(db, actor, Action.PROVENANCE_RETRACT, target=("dataset", dataset_id))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the dataset is retracted.", field="reason")
    if has_control_characters(reason) or has_lone_surrogate(reason):
        # NUL would not even store on PostgreSQL; a lone surrogate has no UTF-8 bytes.
        raise ValidationFailed(
            "The reason contains control characters; type it without.", field="reason"
        )
    if len(reason.encode("utf-8")) > RETRACT_REASON_MAX:
        raise ValidationFailed(
            f"The reason is longer than {RETRACT_REASON_MAX} bytes; shorten it.", field="reason"
        )
    with db.begin() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == dataset_id))
        if row is None:
            if s.get(Dataset, dataset_id) is None:
                raise NotFound(f"No dataset with id {dataset_id}.")
            raise Conflict(f"Dataset {dataset_id} has no provenance record yet; try again soon.")
        if row.retracted_at is not None:
            raise Conflict(
                f"Dataset {dataset_id} was already retracted by {row.retracted_by} on "
                f"{row.retracted_at:%Y-%m-%d}: {row.retract_reason}"
            )
        row.retracted_at = utcnow()
        row.retracted_by = actor.username[:64]
        row.retract_reason = reason
        audit.add(
            s,
            actor,
            "provenance.retract",
            target_type="dataset",
            target_id=dataset_id,
            detail={"reason": reason, "leaf": row.leaf},
        )
    return status_map(db, [dataset_id], 1)[dataset_id]


# --- batches --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchView:
    """One Merkle batch as the API and the page list it."""

    id: int
    root: str
    leaf_count: int
    state: str
    chain_id: int | None
    contract: str | None
    tx_hash: str | None
    block_number: int | None
    block_time: datetime | None
    submitter: str | None
    gas_used: int | None
    gas_per_leaf: float | None
    attempts: int
    last_error: str | None
    created_at: datetime
    anchored_at: datetime | None
    audit_seq: int | None


def list_batches(db: Database, limit: int = 50, offset: int = 0) -> tuple[list[BatchView], int]:
    """Batches, newest first, and how many there are."""
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(LedgerBatch)) or 0
        rows = list(
            s.scalars(
                select(LedgerBatch).order_by(LedgerBatch.id.desc()).limit(limit).offset(offset)
            )
        )
        checkpoints = dict(
            s.execute(
                select(ProvenanceRecord.batch_id, ProvenanceRecord.audit_seq).where(
                    ProvenanceRecord.kind == "audit",
                    ProvenanceRecord.batch_id.in_([b.id for b in rows]),
                )
            ).all()
        )
        return [
            BatchView(
                id=b.id,
                root=b.root,
                leaf_count=b.leaf_count,
                state=b.state,
                chain_id=b.chain_id,
                contract=b.contract,
                tx_hash=b.tx_hash,
                block_number=b.block_number,
                block_time=b.block_time,
                submitter=b.submitter,
                gas_used=b.gas_used,
                gas_per_leaf=round(b.gas_used / b.leaf_count, 1) if b.gas_used else None,
                attempts=b.attempts,
                last_error=b.last_error,
                created_at=b.created_at,
                anchored_at=b.anchored_at,
                audit_seq=checkpoints.get(b.id),
            )
            for b in rows
        ], total


# Batch states the worker still moves on by itself ("elsewhere" waits for an admin).
OPEN_STATES = ("built", "sent", "failed")


def _open(query: Any) -> Any:
    """``query`` over records not anchored yet: unbatched, or in a batch still on its way."""
    return query.outerjoin(LedgerBatch, LedgerBatch.id == ProvenanceRecord.batch_id).where(
        LedgerBatch.id.is_(None) | LedgerBatch.state.in_(OPEN_STATES)
    )


def open_records(s: Session) -> int:
    """How many records wait to be anchored."""
    return s.scalar(_open(select(func.count()).select_from(ProvenanceRecord))) or 0


def ledger_health(db: Database) -> dict[str, object]:
    """The chain part of ``/api/v1/health``: as the anchoring owner last saw it (no chain call)."""
    with db.read() as s:
        facts = chain_facts(s)
        owner = lease(s)
        pending = open_records(s)
        oldest = s.scalar(
            _open(select(func.min(ProvenanceRecord.created_at)).select_from(ProvenanceRecord))
        )
    now = utcnow()
    return {
        "status": "error" if facts.last_error else ("ok" if facts.chain_id else "unknown"),
        "chain_id": facts.chain_id,
        "contract": facts.contract,
        "description": facts.description,
        "embedded": facts.is_embedded,
        "head_block": facts.head_block,
        "head_seen_at": facts.head_seen_at.isoformat() if facts.head_seen_at else None,
        "last_error": facts.last_error,
        "anchoring_owner": owner.holder if owner and owner.expires_at > now else None,
        "pending_records": pending or 0,
        "oldest_pending_s": round((now - oldest).total_seconds(), 1) if oldest else None,
    }
