"""Gas per dataset of a Merkle-batch anchor, beside one EAS attestation per dataset, same run.

    python bench/ledger_gas.py [--quick] [--repeats 3] [--eas-dir DIR] [--no-hardhat]

Deploys the ProvenanceRegistry (contracts/build) on the embedded chain (py-evm, in a
temporary directory) and, when node_modules/.bin/hardhat exists, on a Hardhat node started
on a free loopback port and stopped after. Anchors real Merkle roots of 1, 10, 100 and
1,000 leaves and divides each receipt's gasUsed by the leaf count (median of --repeats
anchors per size); targets: at most 500 gas per dataset at 100, at most 60 at 1,000.

The anchor: the Ethereum Attestation Service's own compiled contracts (SchemaRegistry and
EAS from the npm package @ethereum-attestation-service/eas-contracts, which ships them with
their bytecode), deployed on the same chain; a schema "bytes32 recordDigest" is registered
and each dataset gets one attestation whose refUID names a parent attestation, the
EAS-style alternative to batching. The package is fetched once without its dependencies:

    npm pack @ethereum-attestation-service/eas-contracts@1.9.0 --pack-destination DIR
    tar -xzf DIR/ethereum-attestation-service-eas-contracts-1.9.0.tgz -C DIR

(the bench does this itself into /tmp/msg-bench/, or reads --eas-dir DIR/package). Without
the package and without the registry it says so and prints no EAS figure of its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eth_abi.abi import encode as abi_encode  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402
from web3 import Web3  # noqa: E402

from ledger import merkle  # noqa: E402
from ledger.chain import Registry  # noqa: E402

SIZES = (1, 10, 100, 1000)
TARGETS = {100: 500, 1000: 60}  # gas per dataset, issue 8
EAS_PACKAGE = "@ethereum-attestation-service/eas-contracts"
EAS_VERSION = "1.9.0"
EAS_CACHE = Path(tempfile.gettempdir()) / "msg-bench" / f"eas-contracts-{EAS_VERSION}"
EAS_SCHEMA = "bytes32 recordDigest"
HARDHAT = ROOT / "node_modules" / ".bin" / "hardhat"


@dataclass
class ChainResult:
    name: str
    per_size: dict[int, int]  # leaves -> median anchor gasUsed
    eas: int | None  # median gasUsed of one attestation with a refUID
    eas_note: str


# --- the EAS contracts -------------------------------------------------------------------


def _eas_artifacts(eas_dir: Path | None) -> tuple[dict[str, Any], dict[str, Any], str] | str:
    """(SchemaRegistry, EAS, where) artifacts from the npm package, or why not."""
    candidates = (
        [eas_dir] if eas_dir else [ROOT / "node_modules" / EAS_PACKAGE, EAS_CACHE / "package"]
    )
    for base in candidates:
        if (base / "artifacts").is_dir():
            return _load_eas(base)
    if eas_dir:
        return f"no artifacts/ under --eas-dir {eas_dir}"
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not on PATH"
    EAS_CACHE.mkdir(parents=True, exist_ok=True)
    try:
        command = [npm, "pack", f"{EAS_PACKAGE}@{EAS_VERSION}", "--prefer-offline", "--json"]
        out = subprocess.run(
            [*command, "--pack-destination", str(EAS_CACHE)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        tarball = EAS_CACHE / json.loads(out.stdout)[0]["filename"]
        with tarfile.open(tarball) as archive:
            archive.extractall(EAS_CACHE, filter="data")
    except (subprocess.SubprocessError, OSError, ValueError, KeyError, tarfile.TarError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return f"`npm pack {EAS_PACKAGE}@{EAS_VERSION}` failed (offline?): {detail.strip()[:200]}"
    return _load_eas(EAS_CACHE / "package")


def _load_eas(base: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    folder = base / "artifacts" / "contracts"
    registry = json.loads((folder / "SchemaRegistry.sol" / "SchemaRegistry.json").read_text())
    eas = json.loads((folder / "EAS.sol" / "EAS.json").read_text())
    version = json.loads((base / "package.json").read_text())["version"]
    return registry, eas, f"{EAS_PACKAGE}@{version}"


def _transact(w3: Web3, account: LocalAccount, call: Any) -> dict[str, Any]:
    """Sign, send raw, wait: the receipt (as chain.py sends, but for foreign contracts)."""
    tx = call.build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": w3.eth.chain_id,
        }
    )
    tx["gas"] = int(tx["gas"] * 1.2)
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = dict(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120))
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction reverted: {receipt}")
    return receipt


def _deploy(w3: Web3, account: LocalAccount, art: dict[str, Any], *args: Any) -> Any:
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    receipt = _transact(w3, account, factory.constructor(*args))
    return w3.eth.contract(address=receipt["contractAddress"], abi=art["abi"])


def eas_attestation_gas(
    w3: Web3, account: LocalAccount, artifacts: tuple[dict[str, Any], dict[str, Any], str], n: int
) -> tuple[int, str]:
    """Median gasUsed of ``n`` attestations, each of a fresh record digest with a refUID."""
    registry_art, eas_art, where = artifacts
    registry = _deploy(w3, account, registry_art)
    eas = _deploy(w3, account, eas_art, registry.address)
    zero_address = "0x" + "00" * 20
    receipt = _transact(w3, account, registry.functions.register(EAS_SCHEMA, zero_address, True))
    schema_uid = registry.events.Registered().process_receipt(receipt)[0]["args"]["uid"]

    def attest(ref_uid: bytes) -> tuple[int, bytes]:
        data = abi_encode(["bytes32"], [os.urandom(32)])
        request = (schema_uid, (zero_address, 0, True, ref_uid, data, 0))
        receipt = _transact(w3, account, eas.functions.attest(request))
        uid = eas.events.Attested().process_receipt(receipt)[0]["args"]["uid"]
        return int(receipt["gasUsed"]), bytes(uid)

    _, parent = attest(bytes(32))  # the parent every dataset's attestation refers to
    gas = [attest(parent)[0] for _ in range(n)]
    version = eas.functions.version().call({"from": account.address})
    return int(statistics.median(gas)), f"{where}, EAS {version}, median of {n} attestations"


# --- our registry ------------------------------------------------------------------------


def anchor_gas(registry: Registry, account: LocalAccount, size: int, repeats: int) -> int:
    """Median gasUsed of ``repeats`` anchors of real ``size``-leaf Merkle roots."""
    used = []
    for _ in range(repeats):
        tree = merkle.MerkleTree([os.urandom(32) for _ in range(size)])
        # The manifest digest as the anchoring worker computes it: SHA-256 of the leaves.
        manifest = hashlib.sha256(
            json.dumps([x.hex() for x in tree.leaves], separators=(",", ":")).encode()
        ).digest()
        receipt = registry.receipt(registry.anchor(account, tree.root, size, manifest))
        if receipt is None or receipt.status != 1:
            raise RuntimeError(f"anchor of {size} leaves failed: {receipt}")
        used.append(receipt.gas_used)
    return int(statistics.median(used))


def measure(
    name: str,
    w3: Web3,
    account: LocalAccount,
    repeats: int,
    eas: tuple[dict[str, Any], dict[str, Any], str] | str,
    attestations: int,
) -> ChainResult:
    registry = Registry(w3, Registry.deploy(w3, account)[0])
    per_size = {size: anchor_gas(registry, account, size, repeats) for size in SIZES}
    if isinstance(eas, str):
        return ChainResult(name, per_size, None, eas)
    gas, note = eas_attestation_gas(w3, account, eas, attestations)
    return ChainResult(name, per_size, gas, note)


@contextmanager
def embedded() -> Iterator[tuple[str, Web3, LocalAccount]]:
    from importlib.metadata import version

    from ledger.embedded import EmbeddedChain

    with tempfile.TemporaryDirectory(prefix="msg-gas-") as tmp:
        chain = EmbeddedChain(Path(tmp) / "chain")
        with chain.connect() as w3:
            yield f"embedded chain (py-evm {version('py-evm')})", w3, chain.funded_key()


@contextmanager
def hardhat() -> Iterator[tuple[str, Web3, LocalAccount]]:
    from tests.integration.hardhat_node import HardhatNode

    node = HardhatNode()
    try:
        node.start()
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 60}))
        # A published Hardhat development key, read from the node's own output.
        account: LocalAccount = Account.from_key(node.dev_private_keys()[0])
        version = json.loads((ROOT / "node_modules" / "hardhat" / "package.json").read_text())
        yield f"Hardhat node {version['version']} (loopback)", w3, account
    finally:
        node.close()


def _print(result: ChainResult) -> None:
    print(f"\n{result.name}")
    print(f"EAS: {result.eas_note}")
    print(
        f"{'leaves':>6} {'anchor gas':>11} {'gas/dataset':>12} {'EAS/dataset':>12} "
        f"{'ours/EAS':>9} {'EAS÷ours':>9}  target"
    )
    for size, gas in result.per_size.items():
        per = gas / size
        if result.eas:
            eas = f"{result.eas:>12,} {per / result.eas:>9.3g} {result.eas / per:>8,.0f}x"
        else:
            eas = f"{'n/a':>12} {'n/a':>9} {'n/a':>9}"
        target = TARGETS.get(size)
        verdict = f"  <= {target}: {'PASS' if per <= target else 'FAIL'}" if target else ""
        print(f"{size:>6,} {gas:>11,} {per:>12,.1f} {eas}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one anchor per size, 3 attestations")
    parser.add_argument("--repeats", type=int, default=3, help="anchors per batch size")
    parser.add_argument("--attestations", type=int, default=10)
    parser.add_argument("--eas-dir", type=Path, help="an unpacked eas-contracts package")
    parser.add_argument("--no-hardhat", action="store_true")
    args = parser.parse_args()
    repeats, attestations = (1, 3) if args.quick else (args.repeats, args.attestations)
    eas = _eas_artifacts(args.eas_dir)
    if isinstance(eas, str):
        eas = (
            f"NOT MEASURED: {eas}. For orientation only, ../shared/ANCHORS.md quotes "
            "~180k gas per attestation (not measured in this run)"
        )
    chains = [embedded] + ([] if args.no_hardhat or not HARDHAT.exists() else [hardhat])
    print(f"gas per dataset = anchor receipt gasUsed / leaves; median of {repeats} per size")
    for open_chain in chains:
        with open_chain() as (name, w3, account):
            _print(measure(name, w3, account, repeats, eas, attestations))
    if not HARDHAT.exists() and not args.no_hardhat:
        print(f"\n(Hardhat not measured: {HARDHAT.relative_to(ROOT)} is missing; run `npm ci`)")


if __name__ == "__main__":
    main()
