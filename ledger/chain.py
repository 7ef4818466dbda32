"""The ProvenanceRegistry contract client: the one place that knows its ABI and bytecode.

Every transaction is signed here with a local key (``eth_account``) and sent raw, so the
embedded chain and a real node go through the same code. web3 and eth-tester exceptions
stop at this module: callers see :class:`ChainUnavailable` when the node cannot be reached
and :class:`ChainReverted` with the contract's custom error name ("RootAlreadyAnchored")
when it refuses; anything else the node says is a :class:`ChainError`.
"""

from __future__ import annotations

import ast
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

import requests
from eth_abi.abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address
from eth_utils.exceptions import ValidationError as EthValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import Contract, ContractFunction
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    RequestTimedOut,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)

from . import RECURSION_LIMIT
from .errors import ChainError, ChainReverted, ChainUnavailable

try:  # eth-tester comes with web3[tester]; a deployment on a real node may lack it
    from eth_tester.exceptions import (  # type: ignore[import-untyped]
        TransactionFailed as _TesterReverted,
    )
except ImportError:  # pragma: no cover

    class _TesterReverted(Exception):  # type: ignore[no-redef]
        pass


sys.setrecursionlimit(RECURSION_LIMIT)  # web3 and eth-tester imported py-evm: see __init__

ARTIFACT: Final = (
    Path(__file__).resolve().parents[1] / "contracts" / "build" / "ProvenanceRegistry.json"
)
GAS_MARGIN: Final = 1.2  # estimates miss a little when state moves between estimate and block
DEFAULT_PRIORITY_FEE_WEI: Final = 10**9
ROLES: Final = ("DEFAULT_ADMIN_ROLE", "ANCHORER_ROLE", "RETRACTOR_ROLE")
ZERO_ADDRESS: Final = "0x" + "00" * 20

_UNREACHABLE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ProviderConnectionError,
    RequestTimedOut,
    TimeExhausted,
    TimeoutError,
    ConnectionError,
)
_NO_FUNDS: Final = ("cannot afford", "insufficient funds", "enough funds")  # tester, geth, Hardhat
_STANDARD_ERRORS: Final = {
    bytes.fromhex("08c379a0"): ("Error", ["string"]),
    bytes.fromhex("4e487b71"): ("Panic", ["uint256"]),
}

T = TypeVar("T")


@dataclass(frozen=True)
class Artifact:
    """The compiled contract as committed under ``contracts/build``."""

    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    compiler: str
    errors: dict[bytes, tuple[str, list[str]]]  # selector -> custom error name, argument types


@cache
def artifact() -> Artifact:
    """Load the build artifact (once per process: it only changes with a new release)."""
    try:
        data = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChainError(f"cannot read the contract artifact {ARTIFACT}: {exc}") from exc
    errors = dict(_STANDARD_ERRORS)
    for item in data["abi"]:
        if item.get("type") == "error":
            types = [_abi_type(arg) for arg in item["inputs"]]
            selector = bytes(keccak(f"{item['name']}({','.join(types)})".encode()))[:4]
            errors[selector] = (item["name"], types)
    return Artifact(
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        deployed_bytecode=bytes.fromhex(data["deployedBytecode"].removeprefix("0x")),
        compiler=data["compiler"]["version"],
        errors=errors,
    )


def _abi_type(arg: dict[str, Any]) -> str:
    kind = str(arg["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in arg["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@dataclass(frozen=True)
class Receipt:
    """A mined transaction; ``status`` 1 succeeded, 0 reverted."""

    tx_hash: bytes
    block_number: int
    block_hash: bytes
    block_time: datetime
    status: int
    gas_used: int
    from_address: str


@dataclass(frozen=True)
class AnchorInfo:
    """What the contract stored when ``root`` was anchored."""

    root: bytes
    submitter: str
    block_time: datetime
    block_number: int
    leaf_count: int


@dataclass(frozen=True)
class OnChainCheck:
    """Answer of the contract's ``verify`` view: everything an offline verifier cannot know."""

    included: bool
    anchor: AnchorInfo | None
    retracted: bool
    current_block: int
    confirmations: int  # 0 when the root is not anchored


@dataclass(frozen=True)
class RetractionInfo:
    leaf: bytes
    by: str
    time: datetime
    reason: str


def revert_reason(data: bytes) -> str:
    """Name the custom error in revert ``data``; ``Error(string)`` gives its message.

    >>> revert_reason(bytes.fromhex("b263ae73"))
    'ZeroRoot'
    >>> revert_reason(b"")
    'reverted without a reason'
    """
    if not data:
        return "reverted without a reason"
    known = artifact().errors.get(data[:4])
    if known is None:
        return f"unknown error 0x{data[:4].hex()}"
    name, types = known
    if name == "Error":
        try:
            return str(abi_decode(types, data[4:])[0])
        except Exception:  # noqa: BLE001 - a malformed message still names the error
            return name
    if name == "Panic":
        try:
            return f"Panic(0x{abi_decode(types, data[4:])[0]:02x})"
        except Exception:  # noqa: BLE001
            return name
    return name


def _revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data an exception carries, in whichever form the provider left it."""
    data: object = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    text = str(exc.args[0]) if exc.args else ""
    # eth-tester: "execution reverted: b'\xdb4\xc2\x03...'" (a repr of the bytes)
    _, sep, rest = text.partition("execution reverted: ")
    if sep and rest[:2] in ("b'", 'b"'):
        try:
            value = ast.literal_eval(rest)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, bytes) else None
    return None


def _reverted(exc: BaseException) -> ChainReverted:
    data = _revert_data(exc)
    if data is not None:
        return ChainReverted(revert_reason(data))
    text = str(exc.args[0]) if exc.args else str(exc)
    if "custom error '" in text:  # Hardhat's message when the data is missing
        return ChainReverted(text.split("custom error '", 1)[1].split("(", 1)[0])
    rest = text.removeprefix("execution reverted").removeprefix(":").strip()
    return ChainReverted(rest or "reverted without a reason")


_URL = re.compile(r"(?i)\b(?:https?|wss?)://[^\s'\"<>)]+")


def scrub_urls(text: str) -> str:
    """``text`` with every URL cut to scheme, host and port: RPC providers put API keys in
    the path or query, and error texts end up in statuses, batch lists and health."""
    from .network import public_url

    def cut(match: re.Match[str]) -> str:
        url = match.group(0)
        core = url.rstrip(".,:;")
        try:
            return public_url(core) + url[len(core) :]
        except ValueError:  # not parseable as a URL: show none of it
            return "<url>"

    text = _URL.sub(cut, text)
    return _URL_PATH.sub(r"\1…", text)  # urllib3 quotes the path alone: "with url: /v3/KEY"


_URL_PATH = re.compile(r"(?i)(\burl: )\S+")
_CAUSES = (
    "connection refused",
    "timed out",
    "name or service not known",
    "temporary failure in name resolution",
    "no route to host",
    "connection reset",
    "connection aborted",
)


def _unreachable_cause(exc: BaseException) -> str:
    """Why a node did not answer, in a few words (the raw text quotes the URL's secrets)."""
    text = str(exc).lower()
    return next((cause for cause in _CAUSES if cause in text), type(exc).__name__)


@contextmanager
def chain_errors(action: str) -> Iterator[None]:
    """Turn web3/eth-tester/network exceptions raised in the block into ledger errors (with
    any URL in their text cut down by :func:`scrub_urls`)."""
    try:
        with _translated(action):
            yield
    except ChainReverted:
        raise
    except ChainUnavailable as exc:
        raise ChainUnavailable(scrub_urls(str(exc))) from exc.__cause__
    except ChainError as exc:
        raise ChainError(scrub_urls(str(exc))) from exc.__cause__


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except ChainError:
        raise
    except _UNREACHABLE as exc:
        raise ChainUnavailable(
            f"{action}: chain node unreachable ({_unreachable_cause(exc)})"
        ) from exc
    except (ContractLogicError, _TesterReverted) as exc:
        raise _reverted(exc) from exc
    except Web3RPCError as exc:
        message = str(exc.message or exc)
        if "revert" in message.lower():
            raise _reverted(exc) from exc
        raise ChainError(f"{action}: {message}") from exc
    except (Web3Exception, EthValidationError) as exc:
        text = str(exc)
        if any(hint in text for hint in _NO_FUNDS):
            raise ChainError(f"{action}: the signing account cannot pay for gas") from exc
        raise ChainError(f"{action}: {text}") from exc


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _bytes32(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes")
    return bytes(value)


def has_registry_code(w3: Web3, address: str) -> bool:
    """Whether ``address`` holds exactly this release's compiled ProvenanceRegistry."""
    with chain_errors("reading contract code"):
        code = bytes(w3.eth.get_code(to_checksum_address(address)))
    return code == artifact().deployed_bytecode


class Registry:
    """A deployed ProvenanceRegistry on the chain ``w3`` talks to."""

    def __init__(self, w3: Web3, address: str, *, chain_id: int | None = None) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self._contract: Contract = w3.eth.contract(address=self.address, abi=artifact().abi)
        self._chain_id = chain_id  # read from the node on first use when not given

    def __repr__(self) -> str:
        return f"Registry({self.address})"

    @staticmethod
    def deploy(w3: Web3, account: LocalAccount, admin: str | None = None) -> tuple[str, Receipt]:
        """Deploy a registry: ``admin`` (default: the account) administers roles, ``account``
        anchors and retracts. Waits for the block; returns the address and the receipt."""
        art = artifact()
        factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        holder = to_checksum_address(admin or account.address)
        tx_hash = _send(w3, account, factory.constructor(holder, account.address), "deploying")
        with chain_errors("waiting for the deployment"):
            raw = w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=120)
        receipt = _receipt(w3, raw)
        address = raw.get("contractAddress")
        if receipt.status != 1 or not address:
            raise ChainReverted("deployment failed")
        return to_checksum_address(address), receipt

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with chain_errors("reading the chain id"):
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        with chain_errors("reading the block number"):
            return int(self.w3.eth.block_number)

    def anchor(self, account: LocalAccount, root: bytes, leaf_count: int, manifest: bytes) -> bytes:
        """Send ``anchor(root, leaf_count, manifest)``; returns the transaction hash.

        A root anchored before reverts with ``RootAlreadyAnchored`` already at gas estimation,
        so a resend after a lost answer never anchors twice.
        """
        if not 1 <= leaf_count <= 65_535:
            raise ValueError(f"leaf_count must be 1 to 65535, got {leaf_count}")
        call = self._contract.functions.anchor(
            _bytes32(root, "root"), leaf_count, _bytes32(manifest, "manifest")
        )
        return _send(self.w3, account, call, "anchoring")

    def retract(
        self,
        account: LocalAccount,
        root: bytes,
        leaf: bytes,
        proof: Sequence[bytes],
        reason: str,
    ) -> bytes:
        """Send ``retract``; the reason is stored on chain (at most 500 UTF-8 bytes)."""
        call = self._contract.functions.retract(
            _bytes32(root, "root"),
            _bytes32(leaf, "leaf"),
            [_bytes32(p, "proof element") for p in proof],
            reason,
        )
        return _send(self.w3, account, call, "retracting")

    def receipt(self, tx_hash: bytes | str) -> Receipt | None:
        """The receipt of a mined transaction (hash as bytes or hex); None while pending or
        unknown (never sent, or dropped by a reorganisation)."""
        with chain_errors("reading a receipt"):
            try:
                raw = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                return None
        return _receipt(self.w3, raw)

    def anchor_of(self, root: bytes) -> AnchorInfo | None:
        raw = self._view(lambda f: f.anchorOf(_bytes32(root, "root")), "reading an anchor")
        return _anchor(root, raw)

    def verify(self, root: bytes, leaf: bytes, proof: Sequence[bytes]) -> OnChainCheck:
        """One ``eth_call``: included? anchored (when, by whom)? retracted? current block."""
        included, raw, retracted, current = self._view(
            lambda f: f.verify(
                _bytes32(root, "root"),
                _bytes32(leaf, "leaf"),
                [_bytes32(p, "proof element") for p in proof],
            ),
            "verifying",
        )
        anchor = _anchor(root, raw)
        return OnChainCheck(
            included=bool(included),
            anchor=anchor,
            retracted=bool(retracted),
            current_block=int(current),
            confirmations=int(current) - anchor.block_number + 1 if anchor else 0,
        )

    def retraction_of(self, leaf: bytes) -> RetractionInfo | None:
        by, time, reason = self._view(
            lambda f: f.retractionOf(_bytes32(leaf, "leaf")), "reading a retraction"
        )
        if by == ZERO_ADDRESS or int(by, 16) == 0:
            return None
        return RetractionInfo(bytes(leaf), to_checksum_address(by), _time(time), str(reason))

    def has_role(self, role: str, address: str) -> bool:
        """Whether ``address`` holds ``role`` (one of :data:`ROLES`)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        role_id = bytes(32) if role == "DEFAULT_ADMIN_ROLE" else bytes(keccak(role.encode()))
        return bool(
            self._view(lambda f: f.hasRole(role_id, to_checksum_address(address)), "reading a role")
        )

    def _view(self, make: Callable[[Any], ContractFunction], action: str) -> Any:
        with chain_errors(action):
            return make(self._contract.functions).call()


def _anchor(root: bytes, raw: Sequence[Any]) -> AnchorInfo | None:
    submitter, block_time, block_number, leaf_count = raw
    if int(submitter, 16) == 0:
        return None
    return AnchorInfo(
        root=bytes(root),
        submitter=to_checksum_address(submitter),
        block_time=_time(block_time),
        block_number=int(block_number),
        leaf_count=int(leaf_count),
    )


def _receipt(w3: Web3, raw: Any) -> Receipt:
    with chain_errors("reading a block"):
        block = w3.eth.get_block(raw["blockNumber"])
    return Receipt(
        tx_hash=bytes(raw["transactionHash"]),
        block_number=int(raw["blockNumber"]),
        block_hash=bytes(raw["blockHash"]),
        block_time=_time(int(block["timestamp"])),
        status=int(raw["status"]),
        gas_used=int(raw["gasUsed"]),
        from_address=to_checksum_address(raw["from"]),
    )


def _priority_fee(w3: Web3) -> int:
    try:
        return int(w3.eth.max_priority_fee)
    except _UNREACHABLE:
        raise
    except (Web3Exception, ValueError):  # nodes without eth_maxPriorityFeePerGas
        return DEFAULT_PRIORITY_FEE_WEI


def _send(w3: Web3, account: LocalAccount, call: Any, action: str) -> bytes:
    """Sign ``call`` as an EIP-1559 transaction with ``account`` and send it raw.

    Gas estimation runs the call first, so a revert surfaces here as ChainReverted and
    nothing is sent.
    """
    with chain_errors(action):
        sender = account.address
        nonce = w3.eth.get_transaction_count(sender, "pending")
        gas = call.estimate_gas({"from": sender})
        base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas") or 0)
        priority = _priority_fee(w3)
        tx = call.build_transaction(
            {
                "from": sender,
                "nonce": nonce,
                "gas": math.ceil(gas * GAS_MARGIN),
                "maxPriorityFeePerGas": priority,
                "maxFeePerGas": base_fee * 2 + priority,
                "chainId": int(w3.eth.chain_id),
            }
        )
        signed = account.sign_transaction(tx)
        return bytes(w3.eth.send_raw_transaction(signed.raw_transaction))
