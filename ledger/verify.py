"""Verify a file against its proof bundle: hashes, Merkle path, and one call to the chain.

Each step is reported on its own, so a reviewer sees which link broke: the file no longer
matches its record, the record no longer matches its leaf, the path does not rebuild the
root, or the chain does not know the root (or knows the leaf as retracted). Offline, the
chain's part is left open and spelled out, so it can be checked by other means.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

from .errors import ChainError
from .merkle import process_proof
from .proof import Bundle
from .records import AUDIT_SCHEMA, leaf_of_digest, record_digest

if TYPE_CHECKING:  # web3 loads only when a chain is asked: offline checks stay quick
    from .chain import Registry
    from .network import Ledger

CHUNK_BYTES: Final = 1 << 20
FILE, RECORD, PROOF = (
    "file matches the record",
    "record hashes to the leaf",
    "proof rebuilds the root",
)
CHAIN, ANCHORED, INCLUDED = "chain and contract", "root anchored", "leaf in the anchored root"
CONFIRMED, NOT_RETRACTED, LINEAGE = "confirmations", "not retracted", "lineage"


@dataclass(frozen=True)
class Check:
    """One step: ``ok`` True passed, False failed, None not checked (``detail`` says why)."""

    name: str
    ok: bool | None
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    checks: tuple[Check, ...]
    remaining: str | None = None  # what is left to check by other means (offline, no node)
    error: str | None = None  # why the chain could not be asked

    @property
    def ok(self) -> bool | None:
        """False if any step failed, None if some were not checked, else True."""
        states = [c.ok for c in self.checks]
        if False in states:
            return False
        return None if None in states else True

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)


def sha256_file(path: Path | str, progress: Callable[[int], None] | None = None) -> str:
    """Hex SHA-256 of a file read in 1 MiB pieces; ``progress(bytes_done)`` after each."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    done = 0
    with open(path, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            digest.update(view[:count])
            done += count
            if progress is not None:
                progress(done)
    return digest.hexdigest()


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _file_check(file_path: Path | None, bundle: Bundle) -> Check:
    record = bundle.record
    if record["schema"] == AUDIT_SCHEMA:
        return Check(FILE, None, "no file: the record is an audit checkpoint")
    if file_path is None:
        return Check(FILE, None, "not checked: no file given")
    expected_sha, expected_size = record["entity"]["sha256"], record["entity"]["size"]
    size = os.stat(file_path).st_size
    if size != expected_size:
        return Check(FILE, False, f"the file has {size:,} bytes; the record says {expected_size:,}")
    actual = sha256_file(file_path)
    if actual != expected_sha:
        return Check(FILE, False, f"SHA-256 {actual}; the record says {expected_sha}")
    return Check(FILE, True, f"SHA-256 {actual}, {size:,} bytes")


def _steps(count: int) -> str:
    return f"{count} step" if count == 1 else f"{count} steps"


def _local_checks(bundle: Bundle) -> list[Check]:
    digest = record_digest(bundle.record)
    if digest != bundle.record_sha256:
        record = Check(
            RECORD, False, f"the record hashes to {digest.hex()}, not {bundle.record_sha256.hex()}"
        )
    elif leaf_of_digest(digest) != bundle.leaf:
        record = Check(
            RECORD, False, f"its leaf is {_hex(leaf_of_digest(digest))}, not the bundle's"
        )
    else:
        record = Check(RECORD, True, f"leaf {_hex(bundle.leaf)}")
    rebuilt = process_proof(bundle.leaf, bundle.proof)
    proof = (
        Check(
            PROOF,
            True,
            f"root {_hex(bundle.root)} ({_steps(len(bundle.proof))})",
        )
        if rebuilt == bundle.root
        else Check(PROOF, False, f"the path leads to {_hex(rebuilt)}, not {_hex(bundle.root)}")
    )
    return [record, proof]


def _remaining(bundle: Bundle, min_confirmations: int) -> str:
    ref = bundle.chain
    return (
        f"root {_hex(bundle.root)} anchored in contract {ref.contract} on chain {ref.chain_id} "
        f"(tx {_hex(ref.tx_hash)}, block {ref.block_number}) with at least {min_confirmations} "
        f"confirmation(s), and leaf {_hex(bundle.leaf)} not retracted there"
    )


def _chain_checks(
    registry: Registry, bundle: Bundle, min_confirmations: int
) -> tuple[list[Check], int | None]:
    """The chain's steps, and the block the contract says the root was anchored in."""
    ref = bundle.chain
    here = f"chain {registry.chain_id} contract {registry.address}"
    if registry.chain_id != ref.chain_id or registry.address != ref.contract:
        return [
            Check(
                CHAIN,
                False,
                f"the bundle names chain {ref.chain_id} contract {ref.contract}; "
                f"connected to {here}",
            ),
        ], None
    found = registry.verify(bundle.root, bundle.leaf, bundle.proof)
    checks = [Check(CHAIN, True, here)]
    if found.anchor is None:
        checks.append(Check(ANCHORED, False, f"the contract has no anchor for {_hex(bundle.root)}"))
        return checks, None
    anchor = found.anchor
    moved = (
        f" (the bundle says block {ref.block_number}: re-included after a reorganisation)"
        if anchor.block_number != ref.block_number
        else ""
    )
    checks.append(
        Check(
            ANCHORED,
            True,
            f"block {anchor.block_number} at {anchor.block_time:%Y-%m-%d %H:%M:%S} UTC by "
            f"{anchor.submitter}, {anchor.leaf_count} leaves{moved}",
        )
    )
    checks.append(
        Check(INCLUDED, True, "the contract's MerkleProof accepts the path")
        if found.included
        else Check(INCLUDED, False, "the contract's MerkleProof refuses the path")
    )
    enough = found.confirmations >= min_confirmations
    checks.append(
        Check(
            CONFIRMED,
            enough,
            f"{found.confirmations} (block {found.current_block} now, "
            f"{min_confirmations} required)",
        )
    )
    if found.retracted:
        retraction = registry.retraction_of(bundle.leaf)
        detail = (
            f"retracted at {retraction.time:%Y-%m-%d %H:%M:%S} UTC by {retraction.by}: "
            f"{retraction.reason}"
            if retraction
            else "retracted"
        )
        checks.append(Check(NOT_RETRACTED, False, detail))
    else:
        checks.append(Check(NOT_RETRACTED, True, "no retraction recorded"))
    return checks, anchor.block_number


@dataclass(frozen=True)
class _Outcome:
    checks: list[Check]
    remaining: str  # empty when the chain answered
    error: str | None
    block: int | None  # the anchor's block: from the chain, else as the bundle says


def _verify_one(bundle: Bundle, registry: Registry | None, min_confirmations: int) -> _Outcome:
    """Everything about ``bundle`` except its file: record, path, and the chain's answer."""
    checks = _local_checks(bundle)
    remaining = _remaining(bundle, min_confirmations)
    if registry is None:
        checks.append(Check(CHAIN, None, f"not checked (offline): {remaining}"))
        return _Outcome(checks, remaining, None, bundle.chain.block_number)
    try:
        answered, block = _chain_checks(registry, bundle, min_confirmations)
    except ChainError as exc:
        checks.append(Check(CHAIN, None, f"not checked ({exc}): {remaining}"))
        return _Outcome(checks, remaining, str(exc), bundle.chain.block_number)
    return _Outcome(checks + answered, "", None, block)


def _label(bundle: Bundle) -> str:
    return f"dataset {bundle.dataset_id}" if bundle.dataset_id else f"leaf {_hex(bundle.leaf)}"


def _ancestor_check(bundle: Bundle, outcome: _Outcome) -> Check:
    name = f"{LINEAGE}: {_label(bundle)}"
    failed = [c for c in outcome.checks if c.ok is False]
    if failed:
        return Check(name, False, "; ".join(f"{c.name}: {c.detail}" for c in failed))
    if any(c.ok is None for c in outcome.checks):
        return Check(name, None, "record and path verify; the chain was not asked")
    return Check(name, True, f"verified, anchored in block {outcome.block}")


def _lineage(
    bundle: Bundle,
    block: int | None,
    ancestors: Sequence[Bundle],
    registry: Registry | None,
    min_confirmations: int,
) -> tuple[list[Check], list[_Outcome], list[str]]:
    """Walk ``derived_from`` through the given ancestors' bundles, each verified once.

    Returns the checks, each ancestor's outcome, and the parent leaves without a bundle.
    """
    given = {a.leaf.hex(): a for a in ancestors}
    done: dict[str, _Outcome] = {}
    checks: list[Check] = []
    missing: list[str] = []
    stack = [(bundle, block)]
    while stack:
        child, child_block = stack.pop()
        for leaf in child.record.get("derived_from") or []:
            parent = given.get(leaf)
            if parent is None:
                missing.append(leaf)
                continue
            if leaf not in done:
                done[leaf] = _verify_one(parent, registry, min_confirmations)
                checks.append(_ancestor_check(parent, done[leaf]))
                stack.append((parent, done[leaf].block))
            parent_block = done[leaf].block
            if parent_block is not None and child_block is not None and parent_block > child_block:
                checks.append(
                    Check(
                        f"{LINEAGE}: order",
                        False,
                        f"{_label(parent)} was anchored in block {parent_block}, after "
                        f"{_label(child)} derived from it (block {child_block})",
                    )
                )
    unused = sorted(set(given) - set(done))
    if unused:
        raise ValueError(
            f"not in this record's lineage: {', '.join(_label(given[u]) for u in unused)}"
        )
    missing = sorted(set(missing))
    if missing:
        listed = ", ".join(f"0x{leaf}" for leaf in missing)
        checks.append(Check(LINEAGE, None, f"not checked: no bundle given for {listed}"))
    return checks, list(done.values()), missing


def verify_bundle(
    file_path: Path | None,
    bundle: Bundle,
    ledger: Ledger | Registry | None,
    *,
    min_confirmations: int = 1,
    ancestors: Sequence[Bundle] = (),
) -> VerifyReport:
    """Check ``file_path`` (if given) and ``bundle``; ask the chain unless ``ledger`` is None.

    The chain is asked with one ``verify`` call per bundle (plus one to read a retraction's
    reason). ``ancestors`` are the bundles of the datasets it was derived from, and of
    theirs: each is verified the same way and must be anchored no later than its child.
    A node that cannot be reached leaves the chain steps open (``ok`` None) with ``error``
    set; it never turns into a failed step. Raises ValueError for an ancestor bundle that
    is not in the record's lineage.
    """
    registry = cast("Registry | None", getattr(ledger, "registry", ledger))
    own = _verify_one(bundle, registry, min_confirmations)
    lineage, outcomes, missing = _lineage(bundle, own.block, ancestors, registry, min_confirmations)
    checks = [_file_check(file_path, bundle), *own.checks, *lineage]
    remaining = [o.remaining for o in (own, *outcomes) if o.remaining]
    if missing:
        listed = ", ".join(f"0x{leaf}" for leaf in missing)
        remaining.append(f"the parent datasets with leaves {listed}")
    error = next((o.error for o in (own, *outcomes) if o.error), None)
    return VerifyReport(tuple(checks), "; ".join(remaining) or None, error)
