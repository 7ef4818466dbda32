"""Provenance: dataset records, Merkle batches, proof bundles and the chain client.

Records, trees and bundles load with the package; the chain client, connections and
verification load on first use, since web3 takes about a second to import and most
callers of records and trees never talk to a chain.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from .errors import ChainError, ChainReverted, ChainUnavailable
from .merkle import MerkleTree, verify_proof
from .proof import Bundle, BundleError, build_bundle, parse_bundle
from .records import (
    RecordError,
    audit_checkpoint_record,
    canonical,
    check_record,
    dataset_record,
    leaf_of,
    record_digest,
)

# py-evm (imported with web3) raises the recursion limit of the whole process to 100,000;
# deep recursion anywhere else (a JSON parser fed hostile nesting) then overflows the C
# stack and kills the server instead of raising RecursionError. ledger.chain, the one
# module that imports web3, puts back the limit found here.
RECURSION_LIMIT = sys.getrecursionlimit()

if TYPE_CHECKING:
    from .chain import AnchorInfo, OnChainCheck, Receipt, Registry, RetractionInfo
    from .network import ChainSettings, Ledger, connect
    from .verify import Check, VerifyReport, sha256_file, verify_bundle

_LAZY = {
    "AnchorInfo": "chain",
    "OnChainCheck": "chain",
    "Receipt": "chain",
    "Registry": "chain",
    "RetractionInfo": "chain",
    "ChainSettings": "network",
    "Ledger": "network",
    "connect": "network",
    "Check": "verify",
    "VerifyReport": "verify",
    "sha256_file": "verify",
    "verify_bundle": "verify",
}

__all__ = [
    "AnchorInfo",
    "Bundle",
    "BundleError",
    "ChainError",
    "ChainReverted",
    "ChainSettings",
    "ChainUnavailable",
    "Check",
    "Ledger",
    "MerkleTree",
    "OnChainCheck",
    "Receipt",
    "RecordError",
    "Registry",
    "RetractionInfo",
    "VerifyReport",
    "audit_checkpoint_record",
    "build_bundle",
    "canonical",
    "check_record",
    "connect",
    "dataset_record",
    "leaf_of",
    "parse_bundle",
    "record_digest",
    "sha256_file",
    "verify_bundle",
    "verify_proof",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ledger' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
