"""Which chain the ledger anchors on, with which key, in which contract.

The embedded development chain (no URL) or a JSON-RPC node. The signing key of a real
node comes from an encrypted keystore file, never from code or the repository. The
registry is the configured address, checked to hold this release's bytecode; without one,
it is deployed automatically on development chains only (embedded, Hardhat 31337, 1337)
and remembered per chain in ``directory/deployments.json``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address
from web3 import HTTPProvider, Web3
from web3.providers.rpc.utils import ExceptionRetryConfiguration

from .chain import Registry, artifact, chain_errors, has_registry_code
from .errors import ChainError
from .variables import CONTRACT_VARIABLE, KEYFILE_VARIABLE, PASSWORD_VARIABLE

DEV_CHAIN_IDS: Final = frozenset({1337, 31337})  # the embedded chain, Hardhat/Anvil, Ganache
DEPLOYMENTS_FORMAT: Final = "microspacegen-deployments/1"


@dataclass(frozen=True)
class ChainSettings:
    """Where to anchor. ``url`` None means the embedded chain kept in ``directory``."""

    url: str | None
    directory: Path  # the embedded chain, and deployments.json for every chain
    keyfile: Path | None = None
    password: str | None = None
    contract: str | None = None
    confirmations: int = 1
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Ledger:
    """An open connection to the registry; ``account`` is set for signing connections."""

    w3: Web3
    registry: Registry
    account: LocalAccount | None
    chain_id: int
    contract_address: str
    is_embedded: bool
    url: str | None = None

    def description(self) -> str:
        """Which chain a status refers to, and how far it can be trusted, in one line."""
        if self.is_embedded:
            return (
                f"embedded development chain {self.chain_id} at {self.contract_address} "
                "(proves integrity only to those who trust this server)"
            )
        where = public_url(self.url or "")
        text = f"chain {self.chain_id} via {where} contract {self.contract_address}"
        if self.chain_id in DEV_CHAIN_IDS:
            text += " (a development chain: proves integrity only to those who trust its node)"
        return text


def public_url(url: str) -> str:
    """``url`` without credentials, path or query (RPC providers put API keys there).

    >>> public_url("https://user:pw@rpc.example.org:8545/v3/SECRET?k=1")
    'https://rpc.example.org:8545/…'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def rpc_web3(url: str, timeout_s: float) -> Web3:
    """A Web3 over HTTP whose every request gives up after ``timeout_s``.

    Refused connections are retried twice (quickly); timeouts are not, so a dead node
    costs one timeout, not six.
    """
    retry = ExceptionRetryConfiguration(
        errors=(requests.exceptions.ConnectionError,), retries=2, backoff_factor=0.1
    )
    return Web3(
        HTTPProvider(
            url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=retry
        )
    )


@contextmanager
def connect(settings: ChainSettings, *, signing: bool = False) -> Iterator[Ledger]:
    """Open the configured chain and registry for the duration of the block.

    ``signing`` loads the key that anchors and retracts (the embedded chain's development
    key, or the keystore). Raises ChainUnavailable when the node (or the embedded chain's
    lock) cannot be had, ChainError for configuration problems, naming the variable to fix.
    """
    if settings.url is None:
        from .embedded import EMBEDDED_CHAIN_ID, EmbeddedChain  # py-evm: only when used

        chain = EmbeddedChain(settings.directory)
        with chain.connect(timeout_s=settings.timeout_s) as w3:
            key = chain.funded_key()
            address = _registry_address(w3, settings, EMBEDDED_CHAIN_ID, lambda: key)
            yield Ledger(
                w3=w3,
                registry=Registry(w3, address, chain_id=EMBEDDED_CHAIN_ID),
                account=key if signing else None,
                chain_id=EMBEDDED_CHAIN_ID,
                contract_address=address,
                is_embedded=True,
            )
        return
    w3 = rpc_web3(settings.url, settings.timeout_s)
    with chain_errors(f"connecting to {public_url(settings.url)}"):
        chain_id = int(w3.eth.chain_id)
    account = load_keystore(settings.keyfile, settings.password) if signing else None

    def deployer() -> LocalAccount:
        return account or load_keystore(settings.keyfile, settings.password)

    address = _registry_address(w3, settings, chain_id, deployer)
    yield Ledger(
        w3=w3,
        registry=Registry(w3, address, chain_id=chain_id),
        account=account,
        chain_id=chain_id,
        contract_address=address,
        is_embedded=False,
        url=settings.url,
    )


def load_keystore(keyfile: Path | None, password: str | None) -> LocalAccount:
    """Decrypt the anchoring key from an encrypted keystore (Ethereum JSON v3)."""
    if keyfile is None:
        raise ChainError(
            f"no signing key: set {KEYFILE_VARIABLE} to an encrypted keystore file (JSON) "
            f"and {PASSWORD_VARIABLE} to its password"
        )
    if password is None:
        raise ChainError(f"{PASSWORD_VARIABLE} is not set; it decrypts {KEYFILE_VARIABLE}")
    try:
        stat = keyfile.stat()
    except OSError as exc:
        raise ChainError(f"{KEYFILE_VARIABLE}={keyfile}: {exc.strerror or exc}") from None
    return _decrypt(str(keyfile), stat.st_mtime_ns, stat.st_size, password)


@lru_cache(maxsize=4)
def _decrypt(path: str, mtime_ns: int, size: int, password: str) -> LocalAccount:
    # scrypt makes a decryption cost about a second: once per process and file version.
    del mtime_ns, size  # part of the cache key only
    try:
        keystore = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChainError(f"{KEYFILE_VARIABLE}={path}: not a readable keystore ({exc})") from None
    if not isinstance(keystore, dict) or "crypto" not in {k.lower() for k in keystore}:
        raise ChainError(f"{KEYFILE_VARIABLE}={path}: not an encrypted keystore (JSON v3)")
    try:
        key = Account.decrypt(keystore, password)
    except ValueError:
        raise ChainError(
            f"{PASSWORD_VARIABLE} does not decrypt {KEYFILE_VARIABLE}={path} (wrong password?)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - eth-keyfile raises bare KeyErrors on odd files
        raise ChainError(f"{KEYFILE_VARIABLE}={path}: cannot decrypt it ({exc!r})") from None
    account: LocalAccount = Account.from_key(key)
    return account


def _registry_address(
    w3: Web3, settings: ChainSettings, chain_id: int, deployer: Callable[[], LocalAccount]
) -> str:
    """The configured registry (checked), or the one remembered or deployed on a dev chain."""
    if settings.contract:
        if not is_address(settings.contract):
            raise ChainError(f"{CONTRACT_VARIABLE}={settings.contract!r} is not an address")
        configured = str(to_checksum_address(settings.contract))
        if not has_registry_code(w3, configured):
            raise ChainError(
                f"no ProvenanceRegistry at {configured} on chain {chain_id} (its code is not this "
                f"release's contracts/build/ProvenanceRegistry.json); check {CONTRACT_VARIABLE}"
            )
        return configured
    if chain_id not in DEV_CHAIN_IDS and settings.url is not None:
        raise ChainError(
            f"chain {chain_id} is not a development chain, so the ProvenanceRegistry is not "
            f"deployed automatically: deploy it once (python -m ledger deploy --rpc URL) and "
            f"set {CONTRACT_VARIABLE} to its address"
        )
    with chain_errors("reading the genesis block"):
        genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
    key = f"{chain_id}:{genesis}"
    with _locked(settings.directory / "deployments.lock"):
        path = settings.directory / "deployments.json"
        known = read_deployments(path)
        entry = known.get(key)
        if entry and has_registry_code(w3, entry["address"]):
            return to_checksum_address(entry["address"])
        # Never deployed here, or the chain was reset (a restarted Hardhat node): deploy.
        account = deployer()
        address, receipt = Registry.deploy(w3, account)
        known[key] = {
            "chain_id": chain_id,
            "genesis_hash": genesis,
            "address": address,
            "tx_hash": "0x" + receipt.tx_hash.hex(),
            "block_number": receipt.block_number,
            "deployer": account.address,
            "deployed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "compiler": artifact().compiler,
        }
        write_deployments(path, known)
        return address


def read_deployments(path: Path) -> dict[str, dict[str, Any]]:
    """Registries deployed automatically, keyed ``"<chain id>:<genesis hash>"``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ChainError(f"{path} is unreadable ({exc}); move it aside to redeploy") from None
    if not isinstance(data, dict) or data.get("format") != DEPLOYMENTS_FORMAT:
        raise ChainError(f"{path} is not a {DEPLOYMENTS_FORMAT} file; move it aside to redeploy")
    deployments: dict[str, dict[str, Any]] = data.get("deployments", {})
    return deployments


def write_deployments(path: Path, deployments: dict[str, dict[str, Any]]) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    text = json.dumps({"format": DEPLOYMENTS_FORMAT, "deployments": deployments}, indent=2)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Keep two processes from deploying two registries on the same chain at once."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
