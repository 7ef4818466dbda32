"""Lineage as PROV-JSON: read back with the prov package, relation by relation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from prov.model import ProvDocument

from ledger import prov_json, records

AT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def _record(dataset_id: int, parents: list[str], agent_id: int | None = 3) -> dict[str, Any]:
    return records.dataset_record(
        dataset_id=dataset_id,
        sha256=f"{dataset_id:02x}" * 32,
        size=10 * dataset_id,
        format="fasta",
        filename=f"d{dataset_id}.fa",
        material="genome",
        experiment="E",
        sample=None,
        activity_type="import" if not parents else "analysis",
        software_name="MicroSpaceGen",
        software_version="0.1.0",
        parameters={"k": 21},
        started_at=AT,
        ended_at=AT,
        agent_id=agent_id,
        agent_username="sci" if agent_id else "",
        parent_leaves=parents,
    )


def _entry(record: dict[str, Any], **kwargs: Any) -> prov_json.LineageEntry:
    return prov_json.LineageEntry(record, records.leaf_of(record).hex(), **kwargs)


def _read(document: dict[str, Any]) -> ProvDocument:
    return ProvDocument.deserialize(content=json.dumps(document), format="json")


def _relations(doc: ProvDocument, kind: str) -> list[tuple[str, str]]:
    return sorted(
        (str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]))
        for r in doc.get_records()
        if r.get_type().localpart == kind
    )


def test_a_child_is_derived_from_its_parent_by_the_activity_that_made_it() -> None:
    parent = _entry(_record(1, []))
    anchor = prov_json.Anchor("aa" * 32, 1337, "0x" + "11" * 20, "0x" + "22" * 32, 9)
    child = _entry(_record(2, [parent.leaf]), anchor=anchor, retract_reason="bad culture")
    document = prov_json.lineage_json([child, parent])
    doc = _read(document)
    assert _relations(doc, "Derivation") == [("msg:dataset/2", "msg:dataset/1")]
    assert _relations(doc, "Usage") == [("msg:analysis/2", "msg:dataset/1")]
    assert _relations(doc, "Generation") == [
        ("msg:dataset/1", "msg:import/1"),
        ("msg:dataset/2", "msg:analysis/2"),
    ]
    # One software agent and one user, each associated with both activities.
    assert sorted(document["agent"]) == ["msg:software/MicroSpaceGen-0.1.0", "msg:user/3"]
    assert len(_relations(doc, "Association")) == 4
    entity = document["entity"]["msg:dataset/2"]
    assert entity["msg:sha256"] == "02" * 32
    assert entity["msg:leaf"] == child.leaf
    assert entity["msg:root"] == "aa" * 32
    assert entity["msg:txHash"] == "0x" + "22" * 32
    assert entity["msg:retractReason"] == "bad culture"
    assert "msg:root" not in document["entity"]["msg:dataset/1"]  # not anchored
    assert "salt" not in json.dumps(document)


def test_a_parent_outside_the_entries_is_named_by_its_leaf() -> None:
    missing = "ab" * 32
    document = prov_json.lineage_json([_entry(_record(5, [missing], agent_id=None))])
    assert document["entity"][f"msg:leaf/{missing}"] == {"msg:leaf": missing}
    assert _relations(_read(document), "Derivation") == [("msg:dataset/5", f"msg:leaf/{missing}")]
    # Recorded by the system: no user agent, no attribution.
    assert list(document["agent"]) == ["msg:software/MicroSpaceGen-0.1.0"]
    assert "wasAttributedTo" not in document


def test_a_changed_record_is_refused_naming_the_field() -> None:
    record = _record(1, [])
    record["entity"]["size"] = -1
    with pytest.raises(records.RecordError, match=r"entity\.size"):
        prov_json.lineage_json([prov_json.LineageEntry(record, "00" * 32)])
