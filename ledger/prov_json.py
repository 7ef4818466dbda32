"""A dataset's lineage as a W3C PROV document (PROV-JSON), from its provenance records.

Each dataset record becomes an entity (its SHA-256, size, format and leaf; where anchored,
the root, chain, contract, transaction and block), the activity that generated it (import,
run or analysis, with the software and its parameters), and the agents behind that activity
(the user and the software); ``derived_from`` becomes ``wasDerivedFrom`` between entities.
Salts stay out: a PROV document describes the lineage, the proof bundle proves it.

>>> from ledger import records
>>> from datetime import UTC, datetime
>>> at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
>>> record = records.dataset_record(
...     dataset_id=1, sha256="ab" * 32, size=3, format="fasta", filename="a.fa", material=None,
...     experiment=None, sample=None, activity_type="import", software_name="MicroSpaceGen",
...     software_version="0.1.0", parameters={}, started_at=at, ended_at=at, agent_id=2,
...     agent_username="sci", parent_leaves=[])
>>> document = lineage_json([LineageEntry(record, records.leaf_of(record).hex())])
>>> sorted(document["entity"]), sorted(document["agent"])
(['msg:dataset/1'], ['msg:software/MicroSpaceGen-0.1.0', 'msg:user/2'])
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from prov.constants import PROV_LABEL, PROV_TYPE
from prov.model import PROV, Namespace, ProvDocument

from . import records

NAMESPACE: Final = "urn:microspacegen:"
PREFIX: Final = "msg"


@dataclass(frozen=True)
class Anchor:
    """Where a record's batch root was anchored."""

    root: str
    chain_id: int | None
    contract: str | None
    tx_hash: str | None
    block_number: int | None


@dataclass(frozen=True)
class LineageEntry:
    """One dataset record of the lineage, its leaf, and its anchor and retraction if any."""

    record: Mapping[str, Any]
    leaf: str
    anchor: Anchor | None = None
    retract_reason: str | None = None


def _attributes(ns: Namespace, values: Mapping[str, object]) -> dict[Any, Any]:
    """PROV attributes in the ``msg`` namespace; absent (None) values are left out."""
    return {ns[key]: value for key, value in values.items() if value is not None}


def lineage_document(entries: Sequence[LineageEntry]) -> ProvDocument:
    """The PROV document of ``entries`` (dataset records only; parents not given are named
    by their leaf as entities without further description)."""
    doc = ProvDocument()
    ns = doc.add_namespace(PREFIX, NAMESPACE)
    by_leaf = {e.leaf: e for e in entries}
    agents: set[str] = set()

    def agent_once(identifier: str, kind: str, label: str) -> Any:
        qualified = ns[identifier]
        if identifier not in agents:
            agents.add(identifier)
            doc.agent(qualified, {PROV_TYPE: PROV[kind], PROV_LABEL: label})
        return qualified

    for entry in sorted(entries, key=lambda e: str(e.record["entity"]["id"])):
        record = records.check_record(dict(entry.record))
        if record["schema"] != records.DATASET_SCHEMA:
            raise records.RecordError("schema", "only dataset records have a lineage")
        entity, activity, agent = record["entity"], record["activity"], record["agent"]
        entity_id = ns[entity["id"]]
        anchor = entry.anchor
        doc.entity(
            entity_id,
            {
                PROV_TYPE: ns["Dataset"],
                PROV_LABEL: entity["filename"],
                **_attributes(
                    ns,
                    {
                        "sha256": entity["sha256"],
                        "size": entity["size"],
                        "format": entity["format"],
                        "material": entity["material"],
                        "experiment": entity["experiment"],
                        "sample": entity["sample"],
                        "leaf": entry.leaf,
                        "root": anchor.root if anchor else None,
                        "chainId": anchor.chain_id if anchor else None,
                        "contract": anchor.contract if anchor else None,
                        "txHash": anchor.tx_hash if anchor else None,
                        "blockNumber": anchor.block_number if anchor else None,
                        "retracted": entry.retract_reason is not None or None,
                        "retractReason": entry.retract_reason,
                    },
                ),
            },
        )
        number = entity["id"].split("/", 1)[1]
        activity_id = ns[f"{activity['type']}/{number}"]
        doc.activity(
            activity_id,
            records.parse_time(activity["started_at"]),
            records.parse_time(activity["ended_at"]),
            {
                PROV_TYPE: ns[activity["type"]],
                ns["parameters"]: json.dumps(activity["parameters"], sort_keys=True),
            },
        )
        doc.wasGeneratedBy(entity_id, activity_id, records.parse_time(activity["ended_at"]))
        software = activity["software"]
        software_id = agent_once(
            f"software/{software['name']}-{software['version']}",
            "SoftwareAgent",
            f"{software['name']} {software['version']}",
        )
        doc.wasAssociatedWith(activity_id, software_id)
        if agent["id"] is not None:
            user_id = agent_once(agent["id"], "Person", agent["username"])
            doc.wasAssociatedWith(activity_id, user_id)
            doc.wasAttributedTo(entity_id, user_id)
        for parent_leaf in record["derived_from"]:
            parent = by_leaf.get(parent_leaf)
            if parent is not None:
                parent_id = ns[str(parent.record["entity"]["id"])]
            else:
                parent_id = ns[f"leaf/{parent_leaf}"]
                doc.entity(parent_id, {ns["leaf"]: parent_leaf})
            doc.used(activity_id, parent_id)
            doc.wasDerivedFrom(entity_id, parent_id, activity_id)
    return doc


def lineage_json(entries: Sequence[LineageEntry]) -> dict[str, Any]:
    """:func:`lineage_document` as PROV-JSON (a plain dict)."""
    buffer = io.StringIO()
    lineage_document(entries).serialize(buffer, format="json")
    document: dict[str, Any] = json.loads(buffer.getvalue())
    return document
