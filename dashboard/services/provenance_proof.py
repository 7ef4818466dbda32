"""What a reviewer takes away: a dataset's proof bundle and its lineage as PROV-JSON.

Both are read from the stored records and batches; the formats are :mod:`ledger.proof`'s
and :mod:`ledger.prov_json`'s. Reading them needs a login only, like every status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import Dataset, LedgerBatch, ProvenanceRecord
from ledger import proof, prov_json, records

from .errors import Conflict, NotFound

# A lineage this deep is not one a person built; the walk stops rather than run away.
LINEAGE_MAX_RECORDS = 10_000


def _dataset_row(s: Session, dataset_id: int) -> ProvenanceRecord:
    row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == dataset_id))
    if row is None:
        if s.get(Dataset, dataset_id) is None:
            raise NotFound(f"No dataset with id {dataset_id}.")
        raise Conflict(
            f"Dataset {dataset_id} has no provenance record yet, so it is not anchored yet; "
            "try again in a few seconds."
        )
    return row


def _is_anchored(batch: LedgerBatch | None) -> bool:
    return (
        batch is not None
        and batch.state == "anchored"
        and batch.block_number is not None
        and batch.chain_id is not None
        and batch.contract is not None
        and batch.tx_hash is not None
    )


def proof_bundle(db: Database, dataset_id: int) -> dict[str, Any]:
    """The dataset's proof bundle (``microspacegen-proof/1``), as a plain dict.

    Raises :class:`Conflict` until its batch is anchored, and when the stored record or
    proof no longer leads to the anchored root (then the dataset shows as tampered).
    """
    with db.read() as s:
        row = _dataset_row(s, dataset_id)
        batch = s.get(LedgerBatch, row.batch_id) if row.batch_id else None
        if not _is_anchored(batch) or batch is None:
            state = batch.state if batch is not None else "waiting for its batch"
            raise Conflict(
                f"Dataset {dataset_id} is not anchored yet ({state}); its proof bundle "
                "exists once its batch is anchored."
            )
        record_json, path = row.record_json, list(row.proof or [])
        anchor = (batch.root, batch.chain_id, batch.contract, batch.tx_hash, batch.block_number)
    root, chain_id, contract, tx_hash, block_number = anchor
    try:
        bundle = proof.build_bundle(
            record=json.loads(record_json),
            proof=path,
            root=root,
            chain_id=int(chain_id or 0),
            contract=str(contract),
            tx_hash=str(tx_hash),
            block_number=int(block_number or 0),
        )
    except (ValueError, proof.BundleError) as exc:
        raise Conflict(
            f"Dataset {dataset_id}'s stored record or proof no longer leads to its anchored "
            f"root ({exc}); verify it."
        ) from None
    return bundle.to_dict()


def proof_filename(bundle: dict[str, Any]) -> str:
    """What to call a downloaded bundle: after the dataset's file (``x.gb.proof.json``)."""
    dataset = bundle.get("dataset") or {}
    return f"{dataset.get('filename') or 'audit-checkpoint'}.proof.json"


@dataclass(frozen=True)
class LineageExport:
    """A dataset's lineage as PROV-JSON, and the file name it is downloaded under."""

    filename: str
    document: dict[str, Any]


def _anchor_of(batch: LedgerBatch | None) -> prov_json.Anchor | None:
    if batch is None or not _is_anchored(batch):
        return None
    return prov_json.Anchor(
        root=batch.root,
        chain_id=batch.chain_id,
        contract=batch.contract,
        tx_hash=batch.tx_hash,
        block_number=batch.block_number,
    )


def lineage_prov(db: Database, dataset_id: int) -> LineageExport:
    """The dataset and everything it derives from, as recorded, in a PROV-JSON document."""
    with db.read() as s:
        first = _dataset_row(s, dataset_id)
        rows: dict[str, ProvenanceRecord] = {first.leaf: first}
        frontier = [first]
        while frontier and len(rows) <= LINEAGE_MAX_RECORDS:
            wanted: set[str] = set()
            for row in frontier:
                try:
                    wanted.update(json.loads(row.record_json).get("derived_from", []))
                except (ValueError, AttributeError):
                    continue  # refused below, when the document is built
            wanted -= set(rows)
            frontier = (
                list(s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.leaf.in_(wanted))))
                if wanted
                else []
            )
            rows.update((r.leaf, r) for r in frontier)
        batch_ids = {r.batch_id for r in rows.values() if r.batch_id is not None}
        batches = (
            {b.id: b for b in s.scalars(select(LedgerBatch).where(LedgerBatch.id.in_(batch_ids)))}
            if batch_ids
            else {}
        )
        entries = []
        for row in rows.values():
            try:
                record = json.loads(row.record_json)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                raise Conflict(
                    f"The stored provenance record of dataset {row.dataset_id} is no longer "
                    "valid JSON; verify it."
                )
            batch = batches.get(row.batch_id) if row.batch_id is not None else None
            reason = row.retract_reason if row.retracted_at is not None else None
            entries.append(prov_json.LineageEntry(record, row.leaf, _anchor_of(batch), reason))
    try:
        document = prov_json.lineage_json(entries)
    except records.RecordError as exc:
        raise Conflict(
            f"A stored provenance record of this lineage is no longer valid ({exc}); verify "
            f"dataset {dataset_id}."
        ) from None
    # The first entry is the dataset's own record, checked by now.
    return LineageExport(str(entries[0].record["entity"]["filename"]), document)
