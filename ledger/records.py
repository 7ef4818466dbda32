"""Provenance records (W3C PROV flavoured), their canonical bytes and their Merkle leaves.

A record is plain JSON. Its identity is the SHA-256 of its canonical form, so the same
record hashes the same in any language: keys sorted by code point, no spaces, UTF-8, and
only types every JSON parser reads back exactly (no floats, integers within ±(2**53 - 1)).
The leaf anchored on chain is OpenZeppelin's StandardMerkleTree leaf of that digest
(``keccak256(keccak256(abi.encode(bytes32)))``): hashed twice, so a leaf can never pass for
an inner node of the tree.

>>> canonical({"b": [1, True, None], "a": "µ"})
b'{"a":"\\xc2\\xb5","b":[1,true,null]}'
>>> record_digest({}).hex() == hashlib.sha256(b"{}").hexdigest()
True
>>> canonical({"x": 0.5})
Traceback (most recent call last):
...
ledger.records.RecordError: x: floats are not allowed; write it as a string
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from eth_hash.auto import keccak

DATASET_SCHEMA: Final = "microspacegen/provenance-record/1"
AUDIT_SCHEMA: Final = "microspacegen/audit-checkpoint/1"
ACTIVITY_TYPES: Final = ("import", "run", "analysis")
ENTITY_KINDS: Final = ("dataset", "tree")  # a tree is a dataset derived from its inputs
MAX_SAFE_INTEGER: Final = 2**53 - 1  # JavaScript reads larger integers inexactly

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class RecordError(ValueError):
    """A record that cannot be hashed or does not have the expected shape.

    ``path`` names the offending field ("activity.parameters.x", "derived_from[2]").
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _check_json(value: object, path: str) -> None:
    # Exact types: a subclass (an Enum, a numpy scalar) could serialise differently elsewhere.
    if value is None or type(value) is bool:
        return
    if type(value) is int:
        if abs(value) > MAX_SAFE_INTEGER:
            raise RecordError(
                path or "record",
                "integers beyond ±(2**53 - 1) are not allowed; write it as a string",
            )
        return
    if type(value) is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(path or "record", "text with unpaired surrogates") from None
        return
    if type(value) is float:
        raise RecordError(path or "record", "floats are not allowed; write it as a string")
    if type(value) is list:
        for i, item in enumerate(value):
            _check_json(item, _join(path, i))
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise RecordError(path or "record", f"key {key!r} is not a string")
            _check_json(key, _join(path, "<key>"))
            _check_json(item, _join(path, key))
        return
    raise RecordError(
        path or "record",
        f"{type(value).__name__} is not allowed (only dict, list, str, int, bool and None)",
    )


def canonical(obj: object) -> bytes:
    """Return the one byte form a record is hashed in; refuse what another parser could alter."""
    _check_json(obj, "")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def record_digest(record: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical record (32 bytes)."""
    return hashlib.sha256(canonical(record)).digest()


def leaf_of_digest(digest: bytes) -> bytes:
    """OpenZeppelin StandardMerkleTree leaf of a ``bytes32`` value: keccak(keccak(digest))."""
    if len(digest) != 32:
        raise ValueError(f"a record digest has 32 bytes, not {len(digest)}")
    return bytes(keccak(keccak(digest)))


def leaf_of(record: Mapping[str, Any]) -> bytes:
    """The Merkle leaf anchoring ``record``."""
    return leaf_of_digest(record_digest(record))


def new_salt() -> str:
    """32 random bytes as hex: a proof then says nothing about the records beside it."""
    return secrets.token_hex(32)


def format_time(moment: datetime) -> str:
    """UTC, microseconds, ``Z``: one spelling per instant.

    >>> from datetime import timedelta, timezone
    >>> format_time(datetime(2025, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))))
    '2025-01-02T03:04:05.000000Z'
    """
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; give an aware datetime")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Read back a time written by :func:`format_time`."""
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not a time like 2025-01-02T03:04:05.000000Z")
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def _hex64(value: str | bytes, path: str) -> str:
    if isinstance(value, bytes):
        if len(value) != 32:
            raise RecordError(path, f"expected 32 bytes, got {len(value)}")
        return value.hex()
    if not isinstance(value, str):
        raise RecordError(path, f"expected 64 hex digits, got {type(value).__name__}")
    text = value.lower().removeprefix("0x")
    if not _HEX64.fullmatch(text):
        raise RecordError(path, f"expected 64 hex digits, got {value!r}")
    return text


def _time(value: datetime, path: str) -> str:
    try:
        return format_time(value)
    except (TypeError, ValueError) as exc:
        raise RecordError(path, str(exc)) from None


def _text(value: object, path: str, *, optional: bool = False, empty: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise RecordError(path, f"expected text, got {type(value).__name__}")
    if not empty and not value:
        raise RecordError(path, "must not be empty")
    return value


def _count(value: object, path: str, *, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise RecordError(path, f"expected an integer ≥ {minimum}, got {value!r}")
    return value


def dataset_record(
    *,
    dataset_id: int,
    sha256: str,
    size: int,
    format: str,
    filename: str,
    material: str | None,
    experiment: str | None,
    sample: str | None,
    activity_type: str,
    software_name: str,
    software_version: str,
    parameters: Mapping[str, Any],
    started_at: datetime,
    ended_at: datetime,
    agent_id: int | None,
    agent_username: str,
    parent_leaves: Sequence[str | bytes],
    salt: str | None = None,
    entity_kind: str = "dataset",
) -> dict[str, Any]:
    """Build a dataset's provenance record; ``parent_leaves`` are its parents' leaves.

    ``entity_kind`` "tree" records a saved phylogenetic tree (``tree/N``), a dataset derived
    from the datasets it was built from.

    The record is checked as :func:`check_record` would check it read back, so what is
    anchored can always be verified later.
    """
    if entity_kind not in ENTITY_KINDS:
        raise RecordError("entity.id", f"expected a kind in {', '.join(ENTITY_KINDS)}")
    if activity_type not in ACTIVITY_TYPES:
        raise RecordError("activity.type", f"expected one of {', '.join(ACTIVITY_TYPES)}")
    if not isinstance(parameters, Mapping):
        raise RecordError("activity.parameters", "expected a mapping")
    if isinstance(parent_leaves, str | bytes):
        raise RecordError("derived_from", "expected a sequence of leaves, not one value")
    parents = [_hex64(leaf, f"derived_from[{i}]") for i, leaf in enumerate(parent_leaves)]
    if len(set(parents)) != len(parents):
        raise RecordError("derived_from", "a parent is listed twice")
    started, ended = _time(started_at, "activity.started_at"), _time(ended_at, "activity.ended_at")
    if ended < started:  # same fixed-width format: text order is time order
        raise RecordError("activity.ended_at", "ends before it starts")
    record: dict[str, Any] = {
        "schema": DATASET_SCHEMA,
        "salt": new_salt() if salt is None else _hex64(salt, "salt"),
        "entity": {
            "id": f"{entity_kind}/{_count(dataset_id, 'entity.id', minimum=1)}",
            "sha256": _hex64(sha256, "entity.sha256"),
            "size": _count(size, "entity.size", minimum=0),
            "format": _text(format, "entity.format", empty=False),
            "filename": _text(filename, "entity.filename", empty=False),
            "material": _text(material, "entity.material", optional=True),
            "experiment": _text(experiment, "entity.experiment", optional=True),
            "sample": _text(sample, "entity.sample", optional=True),
        },
        "activity": {
            "type": activity_type,
            "software": {
                "name": _text(software_name, "activity.software.name", empty=False),
                "version": _text(software_version, "activity.software.version", empty=False),
            },
            "parameters": dict(parameters),
            "started_at": started,
            "ended_at": ended,
        },
        "agent": {
            "id": None if agent_id is None else f"user/{_count(agent_id, 'agent.id', minimum=1)}",
            "username": _text(agent_username, "agent.username"),
        },
        "derived_from": sorted(parents),
    }
    return check_record(record)


def audit_checkpoint_record(
    *, seq: int, digest: str | bytes, at: datetime, salt: str | None = None
) -> dict[str, Any]:
    """Record the audit log's hash-chain head (event ``seq``, its ``digest``) at time ``at``."""
    record: dict[str, Any] = {
        "schema": AUDIT_SCHEMA,
        "salt": new_salt() if salt is None else _hex64(salt, "salt"),
        "seq": _count(seq, "seq", minimum=0),
        "digest": _hex64(digest, "digest"),
        "at": _time(at, "at"),
    }
    return check_record(record)


# What check_record expects: field -> kind. Nested dicts are spelled out.
_DATASET_SHAPE: dict[str, Any] = {
    "schema": "schema",
    "salt": "hex64",
    "entity": {
        "id": "dataset-id",
        "sha256": "hex64",
        "size": "count",
        "format": "text!",
        "filename": "text!",
        "material": "text?",
        "experiment": "text?",
        "sample": "text?",
    },
    "activity": {
        "type": "activity-type",
        "software": {"name": "text!", "version": "text!"},
        "parameters": "parameters",
        "started_at": "time",
        "ended_at": "time",
    },
    "agent": {"id": "user-id?", "username": "text"},
    "derived_from": "leaves",
}
_AUDIT_SHAPE: dict[str, Any] = {
    "schema": "schema",
    "salt": "hex64",
    "seq": "count",
    "digest": "hex64",
    "at": "time",
}
_ID = {
    "dataset-id": re.compile(r"(?:dataset|tree)/[1-9]\d*"),
    "user-id?": re.compile(r"user/[1-9]\d*"),  # None: recorded by the system, not a user
}


def _check_value(kind: str, value: object, path: str) -> None:
    if kind == "hex64":
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise RecordError(path, f"expected 64 lowercase hex digits, got {value!r}")
    elif kind == "count":
        _count(value, path, minimum=0)
    elif kind in ("text!", "text", "text?"):  # text! not empty, text? may be null too
        _text(value, path, optional=kind == "text?", empty=kind != "text!")
    elif kind == "time":
        try:
            parse_time(value)  # type: ignore[arg-type]
        except ValueError as exc:
            raise RecordError(path, str(exc)) from None
    elif kind in _ID:
        if value is None and kind.endswith("?"):
            return
        if not isinstance(value, str) or not _ID[kind].fullmatch(value):
            example = "dataset/12" if kind == "dataset-id" else "user/3"
            raise RecordError(path, f"expected an id like {example}, got {value!r}")
    elif kind == "activity-type":
        if value not in ACTIVITY_TYPES:
            raise RecordError(path, f"expected one of {', '.join(ACTIVITY_TYPES)}, got {value!r}")
    elif kind == "parameters":
        if not isinstance(value, dict):
            raise RecordError(path, f"expected an object, got {type(value).__name__}")
    elif kind == "leaves":
        if not isinstance(value, list):
            raise RecordError(path, f"expected a list of leaves, got {type(value).__name__}")
        for i, leaf in enumerate(value):
            _check_value("hex64", leaf, f"{path}[{i}]")
        if value != sorted(set(value)):
            raise RecordError(path, "leaves must be sorted and listed once each")
    elif kind != "schema":  # pragma: no cover - a typo in the shapes above
        raise AssertionError(kind)


def _check_shape(shape: Mapping[str, Any], obj: object, path: str) -> None:
    if not isinstance(obj, dict):
        raise RecordError(path or "record", f"expected an object, got {type(obj).__name__}")
    missing = [k for k in shape if k not in obj]
    if missing:
        raise RecordError(path or "record", f"missing {', '.join(sorted(missing))}")
    extra = [k for k in obj if k not in shape]
    if extra:
        raise RecordError(path or "record", f"unexpected {', '.join(sorted(map(str, extra)))}")
    for key, kind in shape.items():
        where = _join(path, key)
        if isinstance(kind, dict):
            _check_shape(kind, obj[key], where)
        else:
            _check_value(kind, obj[key], where)


def check_record(obj: object) -> dict[str, Any]:
    """Check that ``obj`` (read back from JSON) is a record this module builds; return it.

    >>> check_record({"schema": "microspacegen/audit-checkpoint/1", "seq": 1})
    Traceback (most recent call last):
    ...
    ledger.records.RecordError: record: missing at, digest, salt
    """
    if not isinstance(obj, dict):
        raise RecordError("record", f"expected an object, got {type(obj).__name__}")
    schema = obj.get("schema")
    shapes = {DATASET_SCHEMA: _DATASET_SHAPE, AUDIT_SCHEMA: _AUDIT_SHAPE}
    if schema not in shapes:
        raise RecordError("schema", f"expected {DATASET_SCHEMA} or {AUDIT_SCHEMA}, got {schema!r}")
    _check_shape(shapes[schema], obj, "")
    if schema == DATASET_SCHEMA and obj["activity"]["ended_at"] < obj["activity"]["started_at"]:
        raise RecordError("activity.ended_at", "ends before it starts")
    _check_json(obj, "")  # parameters may hold anything JSON-like, but hashable exactly
    return obj
