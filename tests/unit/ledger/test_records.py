"""Canonical records and leaves, against hand-written bytes and independently computed hashes."""

from __future__ import annotations

import doctest
import hashlib
import importlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak

from ledger import records
from ledger.records import (
    RecordError,
    audit_checkpoint_record,
    canonical,
    check_record,
    dataset_record,
    leaf_of,
    leaf_of_digest,
    record_digest,
)

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/ledger/oz_vectors.json").read_text()
)
SALT = "ab" * 32
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def keccak(data: bytes) -> bytes:
    """Keccak-256 straight from pycryptodome, not through the code under test."""
    return pycryptodome_keccak.new(data=data, digest_bits=256).digest()


def small_dataset(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "dataset_id": 12,
        "sha256": "0" * 63 + "1",
        "size": 5,
        "format": "fasta",
        "filename": "a.fa",
        "material": None,
        "experiment": "E1",
        "sample": None,
        "activity_type": "import",
        "software_name": "MicroSpaceGen",
        "software_version": "0.1.0",
        "parameters": {},
        "started_at": T0,
        "ended_at": T0 + timedelta(seconds=1),
        "agent_id": 3,
        "agent_username": "ada",
        "parent_leaves": [],
        "salt": SALT,
    }
    fields.update(changes)
    return dataset_record(**fields)


def test_audit_checkpoint_canonical_bytes_written_by_hand() -> None:
    record = audit_checkpoint_record(seq=7, digest="cd" * 32, at=T0, salt=SALT)
    expected = (
        b'{"at":"2025-01-02T03:04:05.000000Z","digest":"' + b"cd" * 32 + b'",'
        b'"salt":"' + b"ab" * 32 + b'","schema":"microspacegen/audit-checkpoint/1","seq":7}'
    )
    assert canonical(record) == expected
    assert record_digest(record) == hashlib.sha256(expected).digest()
    assert leaf_of(record) == keccak(keccak(hashlib.sha256(expected).digest()))


def test_dataset_canonical_bytes_written_by_hand() -> None:
    record = small_dataset(parameters={"k": 21, "names": ["x", None]}, sample="S µ1")
    expected = (
        '{"activity":{"ended_at":"2025-01-02T03:04:06.000000Z","parameters":{"k":21,'
        '"names":["x",null]},"software":{"name":"MicroSpaceGen","version":"0.1.0"},'
        '"started_at":"2025-01-02T03:04:05.000000Z","type":"import"},'
        '"agent":{"id":"user/3","username":"ada"},"derived_from":[],'
        '"entity":{"experiment":"E1","filename":"a.fa","format":"fasta",'
        '"id":"dataset/12","material":null,"sample":"S µ1","sha256":"' + "0" * 63 + '1",'
        '"size":5},"salt":"' + SALT + '","schema":"microspacegen/provenance-record/1"}'
    ).encode("utf-8")
    assert canonical(record) == expected
    assert leaf_of(record) == keccak(keccak(hashlib.sha256(expected).digest()))


@pytest.mark.parametrize("vector", VECTORS["records"], ids=lambda v: v["name"])
def test_records_match_the_javascript_vectors(vector: dict[str, Any]) -> None:
    """Canonical text from a JS writer, leaf from @openzeppelin/merkle-tree's StandardMerkleTree."""
    record = check_record(vector["record"])
    assert canonical(record).decode("utf-8") == vector["canonical"]
    assert record_digest(record).hex() == vector["sha256"]
    assert "0x" + leaf_of(record).hex() == vector["leaf"]


def test_builder_writes_the_vector_record() -> None:
    vector = VECTORS["records"][0]["record"]
    built = dataset_record(
        dataset_id=7,
        sha256=vector["entity"]["sha256"].upper(),
        size=5,
        format="fasta",
        filename=vector["entity"]["filename"],
        material="genome assembly",
        experiment=vector["entity"]["experiment"],
        sample=None,
        activity_type="analysis",
        software_name="MicroSpaceGen",
        software_version="0.1.0",
        parameters=vector["activity"]["parameters"],
        started_at=datetime(2025, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))),
        ended_at=datetime(2025, 1, 2, 3, 4, 6, 250000, tzinfo=UTC),
        agent_id=3,
        agent_username="ada",
        parent_leaves=["0x" + leaf for leaf in reversed(vector["derived_from"])],
        salt=vector["salt"],
    )
    assert built == vector


def test_leaf_of_digest_is_the_double_keccak() -> None:
    digest = hashlib.sha256(b"x").digest()
    assert leaf_of_digest(digest) == keccak(keccak(digest))
    with pytest.raises(ValueError, match="32 bytes"):
        leaf_of_digest(digest[:31])


def test_salt_is_fresh_and_changes_the_leaf() -> None:
    a, b = small_dataset(salt=None), small_dataset(salt=None)
    assert len(a["salt"]) == 64
    assert a["salt"] != b["salt"]
    assert leaf_of(a) != leaf_of(b)


def test_a_record_read_back_from_json_is_accepted_and_hashes_the_same() -> None:
    record = small_dataset(parameters={"nested": {"a": [1, {"b": True}]}})
    again = check_record(json.loads(json.dumps(record, indent=2)))
    assert canonical(again) == canonical(record)


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ({"p": {"x": 0.5}}, "p.x", "floats are not allowed; write it as a string"),
        ({"p": [1, float("nan")]}, "p[1]", "floats are not allowed"),
        ({"p": b"\x00"}, "p", "bytes is not allowed"),
        ({"p": (1, 2)}, "p", "tuple is not allowed"),
        ({"p": {1: "x"}}, "p", "key 1 is not a string"),
        ({"p": 2**53}, "p", "integers beyond"),
        ({"p": -(2**53)}, "p", "integers beyond"),
        ({"p": "\ud800"}, "p", "unpaired surrogates"),
        ({"p": {"\udc00": 1}}, "p.<key>", "unpaired surrogates"),
        ([{"a": {1, 2}}], "[0].a", "set is not allowed"),
        (1.0, "record", "floats"),
    ],
)
def test_canonical_refuses_what_another_parser_could_alter(
    value: object, path: str, message: str
) -> None:
    with pytest.raises(RecordError, match=message) as caught:
        canonical(value)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


def test_canonical_keeps_the_largest_safe_integers_and_sorts_by_code_point() -> None:
    assert canonical([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"
    # U+FB01 < U+1F600 by code point (UTF-16 code units would order them the other way).
    assert canonical({"\U0001f600": 1, "\ufb01": 2}) == '{"ﬁ":2,"😀":1}'.encode()
    assert canonical({"a": "\n\x01\x7f\u2028"}) == b'{"a":"\\n\\u0001\x7f\xe2\x80\xa8"}'


def test_builder_parameters_errors_name_the_record_path() -> None:
    with pytest.raises(RecordError) as caught:
        small_dataset(parameters={"dose": {"mgy": 1.5}})
    assert str(caught.value) == (
        "activity.parameters.dose.mgy: floats are not allowed; write it as a string"
    )


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"started_at": datetime(2025, 1, 2)}, "activity.started_at"),
        ({"ended_at": T0 - timedelta(microseconds=1)}, "activity.ended_at"),
        ({"sha256": "xyz"}, "entity.sha256"),
        ({"size": -1}, "entity.size"),
        ({"size": True}, "entity.size"),
        ({"dataset_id": 0}, "entity.id"),
        ({"agent_id": 0}, "agent.id"),
        ({"filename": ""}, "entity.filename"),
        ({"material": 3}, "entity.material"),
        ({"activity_type": "upload"}, "activity.type"),
        ({"software_version": ""}, "activity.software.version"),
        ({"parent_leaves": ["ab" * 32, "0x" + "AB" * 32]}, "derived_from"),
        ({"parent_leaves": ["ab" * 31]}, "derived_from[0]"),
        ({"parent_leaves": "ab" * 32}, "derived_from"),
        ({"salt": "short"}, "salt"),
    ],
)
def test_builder_refuses_bad_fields(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(RecordError) as caught:
        small_dataset(**changes)
    assert caught.value.path == path


def test_builder_normalises_parent_leaves_and_allows_a_system_agent() -> None:
    leaves = ["0x" + "BB" * 32, "aa" * 32, bytes.fromhex("cc" * 32)]
    record = small_dataset(parent_leaves=leaves, agent_id=None, agent_username="")
    assert record["derived_from"] == ["aa" * 32, "bb" * 32, "cc" * 32]
    assert record["agent"] == {"id": None, "username": ""}


def test_audit_checkpoint_accepts_bytes_digest_and_refuses_naive_time() -> None:
    record = audit_checkpoint_record(seq=0, digest=bytes(32), at=T0, salt=SALT)
    assert record["digest"] == "00" * 32
    with pytest.raises(RecordError, match="no time zone") as caught:
        audit_checkpoint_record(seq=0, digest=bytes(32), at=datetime(2025, 1, 1))
    assert caught.value.path == "at"
    with pytest.raises(RecordError):
        audit_checkpoint_record(seq=-1, digest=bytes(32), at=T0)


def _broken(edit: str) -> dict[str, Any]:
    record = json.loads(json.dumps(small_dataset()))
    exec(edit, {"r": record})  # noqa: S102 - edits written in this file
    return record


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("r['schema'] = 'other/1'", "schema: expected microspacegen/provenance-record/1"),
        ("del r['salt']", "record: missing salt"),
        ("r['extra'] = 1", "record: unexpected extra"),
        ("r['entity']['id'] = 'dataset/012'", "entity.id: expected an id like dataset/12"),
        ("r['entity']['sha256'] = 'AB' * 32", "entity.sha256: expected 64 lowercase hex"),
        ("r['entity']['size'] = '5'", "entity.size: expected an integer ≥ 0"),
        ("del r['entity']['sample']", "entity: missing sample"),
        ("r['activity']['started_at'] = '2025-01-02T03:04:05Z'", "activity.started_at: "),
        ("r['activity']['ended_at'] = '2025-01-01T00:00:00.000000Z'", "ends before it starts"),
        ("r['activity']['parameters'] = []", "activity.parameters: expected an object"),
        ("r['activity']['parameters'] = {'x': 1.5}", "activity.parameters.x: floats"),
        ("r['activity']['software'] = 'x'", "activity.software: expected an object"),
        ("r['agent']['id'] = 'user/x'", "agent.id: expected an id like user/3"),
        ("r['derived_from'] = ['bb' * 32, 'aa' * 32]", "derived_from: leaves must be sorted"),
        ("r['derived_from'] = ['aa' * 32, 'aa' * 32]", "derived_from: leaves must be sorted"),
        ("r['derived_from'] = 'aa'", "derived_from: expected a list"),
    ],
)
def test_check_record_names_what_is_wrong(edit: str, message: str) -> None:
    with pytest.raises(RecordError, match=message.replace("[", r"\[").replace("(", r"\(")):
        check_record(_broken(edit))


def test_check_record_refuses_non_objects() -> None:
    with pytest.raises(RecordError, match="record: expected an object, got list"):
        check_record([])


@pytest.mark.parametrize("name", ["records", "merkle", "proof"])
def test_doctests(name: str) -> None:
    """The ledger package is outside pytest's doctest paths; run its examples here."""
    module = importlib.import_module(f"ledger.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_time_round_trip() -> None:
    moment = datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=UTC)
    assert records.parse_time(records.format_time(moment)) == moment
    with pytest.raises(ValueError, match="is not a time like"):
        records.parse_time("2025-06-30 23:59:59")
