"""Proof bundles: one JSON file that lets anyone verify a dataset outside the app.

It carries the record (with its salt), the leaf, the Merkle path, the root and where the
root was anchored. Chain values (leaf, root, path, transaction) are ``0x`` hex as block
explorers show them; SHA-256 values are bare hex as ``sha256sum`` prints them.

>>> parse_bundle('{"format": "microspacegen-proof/1"}')
Traceback (most recent call last):
...
ledger.proof.BundleError: bundle: missing record, record_sha256, leaf, proof, root, chain, dataset
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from eth_utils.address import is_address, to_checksum_address

from .merkle import process_proof
from .records import AUDIT_SCHEMA, RecordError, check_record, leaf_of_digest, record_digest

FORMAT: Final = "microspacegen-proof/1"
MAX_PROOF: Final = 16  # path length of the largest batch (65,535 leaves)
_BYTES32 = re.compile(r"0x[0-9a-f]{64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEYS = ("format", "record", "record_sha256", "leaf", "proof", "root", "chain", "dataset")
_CHAIN_KEYS = ("chain_id", "contract", "tx_hash", "block_number")
_DATASET_KEYS = ("id", "filename")


class BundleError(ValueError):
    """A proof file that is not a well-formed bundle; the message names the field."""


@dataclass(frozen=True)
class ChainRef:
    """Where the root was anchored."""

    chain_id: int
    contract: str  # checksummed
    tx_hash: bytes
    block_number: int


@dataclass(frozen=True)
class Bundle:
    record: dict[str, Any]
    record_sha256: bytes
    leaf: bytes
    proof: tuple[bytes, ...]
    root: bytes
    chain: ChainRef
    dataset_id: int | None  # None for an audit checkpoint
    filename: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "record": copy.deepcopy(self.record),  # the caller may edit its copy
            "record_sha256": self.record_sha256.hex(),
            "leaf": _hex(self.leaf),
            "proof": [_hex(p) for p in self.proof],
            "root": _hex(self.root),
            "chain": {
                "chain_id": self.chain.chain_id,
                "contract": self.chain.contract,
                "tx_hash": _hex(self.chain.tx_hash),
                "block_number": self.chain.block_number,
            },
            "dataset": None
            if self.dataset_id is None
            else {"id": self.dataset_id, "filename": self.filename},
        }

    def to_json(self) -> str:
        """The file's text (indented: reviewers read it)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _as_bytes32(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise BundleError(f"{what}: not hex") from None
    if len(value) != 32:
        raise BundleError(f"{what}: expected 32 bytes, got {len(value)}")
    return bytes(value)


def build_bundle(
    *,
    record: Mapping[str, Any],
    proof: Sequence[bytes | str],
    root: bytes | str,
    chain_id: int,
    contract: str,
    tx_hash: bytes | str,
    block_number: int,
) -> Bundle:
    """Assemble a dataset's (or checkpoint's) bundle; refuse one that would not verify.

    Digest, leaf and the dataset label are taken from the record, so they cannot disagree.
    """
    try:
        checked = check_record(copy.deepcopy(dict(record)))
    except RecordError as exc:
        raise BundleError(f"record.{exc}") from None
    digest = record_digest(checked)
    leaf = leaf_of_digest(digest)
    path = tuple(_as_bytes32(p, f"proof[{i}]") for i, p in enumerate(proof))
    top = _as_bytes32(root, "root")
    if process_proof(leaf, path) != top:
        raise BundleError("proof: does not lead from the record's leaf to the root")
    if not is_address(contract):
        raise BundleError(f"chain.contract: {contract!r} is not an address")
    if type(chain_id) is not int or chain_id < 1:
        raise BundleError(f"chain.chain_id: expected a positive integer, got {chain_id!r}")
    if type(block_number) is not int or block_number < 0:
        raise BundleError(f"chain.block_number: expected an integer ≥ 0, got {block_number!r}")
    dataset_id = filename = None
    if checked["schema"] != AUDIT_SCHEMA:
        dataset_id = int(checked["entity"]["id"].removeprefix("dataset/"))
        filename = checked["entity"]["filename"]
    return Bundle(
        record=checked,
        record_sha256=digest,
        leaf=leaf,
        proof=path,
        root=top,
        chain=ChainRef(
            chain_id=chain_id,
            contract=str(to_checksum_address(contract)),
            tx_hash=_as_bytes32(tx_hash, "chain.tx_hash"),
            block_number=block_number,
        ),
        dataset_id=dataset_id,
        filename=filename,
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BundleError(f"{key}: given twice")
        seen[key] = value
    return seen


def _refuse_constant(name: str) -> None:
    raise BundleError(f"{name} is not a number a record can hold")


def _object(value: object, path: str, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleError(f"{path}: expected an object, got {type(value).__name__}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise BundleError(f"{path}: missing {', '.join(missing)}")
    extra = sorted(k for k in value if k not in keys)
    if extra:
        raise BundleError(f"{path}: unexpected {', '.join(extra)}")
    return value


def _match(pattern: re.Pattern[str], value: object, path: str, example: str) -> bytes:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise BundleError(f"{path}: expected {example}, got {value!r}")
    return bytes.fromhex(value.removeprefix("0x"))


def _integer(value: object, path: str, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise BundleError(f"{path}: expected an integer ≥ {minimum}, got {value!r}")
    return value


def _dataset(value: object, record: dict[str, Any]) -> tuple[int | None, str | None]:
    """The bundle's ``dataset`` label, which must agree with the (hashed) record."""
    if record["schema"] == AUDIT_SCHEMA:
        if value is not None:
            raise BundleError("dataset: an audit checkpoint's bundle has null here")
        return None, None
    dataset = _object(value, "dataset", _DATASET_KEYS)
    dataset_id = _integer(dataset["id"], "dataset.id", 1)
    if f"dataset/{dataset_id}" != record["entity"]["id"]:
        raise BundleError(f"dataset.id: {dataset_id}, but the record is {record['entity']['id']}")
    if dataset["filename"] != record["entity"]["filename"]:
        raise BundleError("dataset.filename: differs from the record's entity.filename")
    return dataset_id, dataset["filename"]


def parse_bundle(text: str | bytes) -> Bundle:
    """Read a bundle strictly: every field present, typed and spelled as written, nothing else.

    Whether its parts agree (record → leaf → root → chain) is :mod:`ledger.verify`'s job.
    """
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise BundleError(f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BundleError("nested too deeply to be a proof bundle") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise BundleError(f"not a proof bundle: {exc}") from None
    top = _object(data, "bundle", _KEYS)
    if top["format"] != FORMAT:
        raise BundleError(f"format: expected {FORMAT!r}, got {top['format']!r}")
    try:
        record = check_record(top["record"])
    except RecordError as exc:
        raise BundleError(f"record.{exc}") from None
    hex32 = "0x and 64 lowercase hex digits"
    proof = top["proof"]
    if not isinstance(proof, list):
        raise BundleError(f"proof: expected a list, got {type(proof).__name__}")
    if len(proof) > MAX_PROOF:
        raise BundleError(f"proof: {len(proof)} elements; a batch's path has at most {MAX_PROOF}")
    chain = _object(top["chain"], "chain", _CHAIN_KEYS)
    contract = chain["contract"]
    if not isinstance(contract, str) or not is_address(contract) or not contract.startswith("0x"):
        raise BundleError(f"chain.contract: expected an address (0x and 40 hex), got {contract!r}")
    dataset_id, filename = _dataset(top["dataset"], record)
    return Bundle(
        record=record,
        record_sha256=_match(_SHA256, top["record_sha256"], "record_sha256", "64 hex digits"),
        leaf=_match(_BYTES32, top["leaf"], "leaf", hex32),
        proof=tuple(_match(_BYTES32, p, f"proof[{i}]", hex32) for i, p in enumerate(proof)),
        root=_match(_BYTES32, top["root"], "root", hex32),
        chain=ChainRef(
            chain_id=_integer(chain["chain_id"], "chain.chain_id", 1),
            contract=str(to_checksum_address(contract)),
            tx_hash=_match(_BYTES32, chain["tx_hash"], "chain.tx_hash", hex32),
            block_number=_integer(chain["block_number"], "chain.block_number", 0),
        ),
        dataset_id=dataset_id,
        filename=filename,
    )
