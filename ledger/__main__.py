"""``python -m ledger``: verify a file against its proof bundle outside the app; deploy.

    python -m ledger verify FILE PROOF.json --rpc URL --contract REGISTRY  # one eth_call
    python -m ledger verify FILE PROOF.json --embedded DATA_DIR/chain      # on the server
    python -m ledger verify FILE PROOF.json --offline      # everything but the chain
    python -m ledger verify FILE PROOF.json --rpc URL --contract R --parent PARENT.proof.json
    python -m ledger deploy --rpc URL --keyfile KEYSTORE   # once per public chain
    python -m ledger keystore KEYSTORE.json                # a new anchoring key, encrypted

Exit status of ``verify``: 0 verified, 1 a step failed, 2 the command could not run (usage,
unreadable files, node unreachable), 3 nothing failed but some steps were left open
(marked ``?``: offline, or no --contract to say which registry is the lab's).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .errors import ChainError
from .proof import Bundle, BundleError, parse_bundle
from .variables import CONTRACT_VARIABLE, KEYFILE_VARIABLE, PASSWORD_VARIABLE
from .verify import CHAIN, Check, VerifyReport, verify_bundle

if TYPE_CHECKING:  # web3 takes a second to import: --offline does without it
    from web3 import Web3

MARKS = {True: "✓", False: "✗", None: "?"}
TRUSTED = "trusted registry"
INCOMPLETE = 3  # exit status: nothing failed, but not everything could be checked


class UsageError(Exception):
    """The command cannot run as asked (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ledger", description="MicroSpaceGen provenance ledger tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify",
        help="verify a file against its proof bundle",
        description="Check that FILE is the dataset PROOF.json describes and that its record "
        "is anchored on chain (one call to a node of the bundle's chain).",
    )
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("proof", type=Path, metavar="PROOF.json")
    where = verify.add_mutually_exclusive_group()
    where.add_argument("--rpc", metavar="URL", help="JSON-RPC URL of a node of the bundle's chain")
    where.add_argument(
        "--embedded",
        type=Path,
        metavar="DIR",
        help="the app's embedded chain directory (<data dir>/chain), on the server itself",
    )
    where.add_argument(
        "--offline", action="store_true", help="check all but the chain; print what remains"
    )
    verify.add_argument(
        "--confirmations", type=int, default=1, metavar="N", help="blocks required (default 1)"
    )
    verify.add_argument(
        "--parent",
        type=Path,
        action="append",
        default=[],
        metavar="PROOF.json",
        help="bundle of a dataset it was derived from, or of theirs (repeat): each is verified "
        "too and must be anchored no later than its child",
    )
    verify.add_argument(
        "--contract",
        metavar="ADDRESS",
        help="the registry you trust, as its lab publishes it: anyone can deploy this contract "
        "and anchor anything in it, so a proof counts only in the right one (with --embedded, "
        "the one deployed in DIR)",
    )
    verify.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per request")
    deploy = commands.add_parser(
        "deploy",
        help="deploy the ProvenanceRegistry on a chain",
        description="Deploy contracts/build/ProvenanceRegistry.json with the keystore's account "
        f"as anchorer (password from {PASSWORD_VARIABLE}, else asked). Set "
        f"{CONTRACT_VARIABLE} to the printed address.",
    )
    deploy.add_argument("--rpc", metavar="URL", required=True)
    deploy.add_argument("--keyfile", type=Path, metavar="KEYSTORE", required=True)
    deploy.add_argument("--admin", metavar="ADDRESS", help="role admin (default: the keystore)")
    deploy.add_argument("--timeout", type=float, default=30.0, metavar="S")
    keystore = commands.add_parser(
        "keystore",
        help="make a new anchoring key in an encrypted keystore file (fund its address)",
        description="Generate a key, encrypt it with a password (asked, or "
        f"${PASSWORD_VARIABLE}) into a new keystore file, and print its address. The key "
        "itself is never shown.",
    )
    keystore.add_argument("out", type=Path, metavar="KEYSTORE.json")
    return parser


def _print_report(report: VerifyReport, out: TextIO) -> None:
    for check in report.checks:
        print(f"{MARKS[check.ok]} {check.name}: {check.detail}", file=out)
    if report.ok is False:
        print("FAILED: this file and proof do not verify.", file=out)
    elif report.remaining:
        print(f"Nothing failed. Still to check: {report.remaining}.", file=out)
    else:
        print("Verified.", file=out)


def _read_bundle(path: Path) -> Bundle:
    try:
        return parse_bundle(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except BundleError as exc:
        raise UsageError(f"{path} is not a proof bundle: {exc}") from None


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    if not (args.rpc or args.embedded or args.offline):
        raise UsageError(
            "say where to check the anchor: --rpc URL of a node of the bundle's chain, "
            "or --offline to check everything but the chain"
        )
    if args.confirmations < 1:
        raise UsageError("--confirmations must be at least 1")
    bundle = _read_bundle(args.proof)
    ancestors = [_read_bundle(path) for path in args.parent]
    if not args.file.is_file() or not os.access(args.file, os.R_OK):
        raise UsageError(f"cannot read {args.file}")
    ref = bundle.chain
    label = f"dataset {bundle.dataset_id} ({bundle.filename})" if bundle.dataset_id else "record"
    print(f"Proof of {label}: chain {ref.chain_id}, contract {ref.contract}", file=out)
    try:
        if args.offline:
            report = verify_bundle(
                args.file, bundle, None, min_confirmations=args.confirmations, ancestors=ancestors
            )
        elif args.embedded:
            from .embedded import EmbeddedChain

            with EmbeddedChain(args.embedded).connect(timeout_s=args.timeout) as w3:
                report = _verify_on(w3, args, bundle, ancestors)
        else:
            from .network import rpc_web3

            report = _verify_on(rpc_web3(args.rpc, args.timeout), args, bundle, ancestors)
    except ValueError as exc:  # a --parent outside the lineage
        raise UsageError(str(exc)) from None
    _print_report(report, out)
    if report.ok is False:
        return 1
    if report.error:
        raise UsageError(f"the chain could not be asked: {report.error}")
    return 0 if report.ok else INCOMPLETE


def _trusted_registry(args: argparse.Namespace) -> str | None:
    """The registry the user trusts: --contract, or the one this server deployed (--embedded)."""
    from eth_utils.address import is_address, to_checksum_address

    if args.contract:
        if not is_address(args.contract):
            raise UsageError(f"--contract {args.contract!r} is not an address")
        return str(to_checksum_address(args.contract))
    if args.embedded:
        from .embedded import EMBEDDED_CHAIN_ID
        from .network import read_deployments

        found = [
            d["address"]
            for d in read_deployments(args.embedded / "deployments.json").values()
            if d.get("chain_id") == EMBEDDED_CHAIN_ID
        ]
        return str(to_checksum_address(found[-1])) if found else None
    return None


def _verify_on(
    w3: Web3, args: argparse.Namespace, bundle: Bundle, ancestors: list[Bundle]
) -> VerifyReport:
    from .chain import Registry, has_registry_code
    from .network import public_url

    ref = bundle.chain
    where = public_url(args.rpc) if args.rpc else str(args.embedded)
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:  # noqa: BLE001 - any transport error: the node is not there
        raise UsageError(f"cannot reach {where}: {exc}") from None
    if chain_id != ref.chain_id:
        raise UsageError(
            f"{where} is chain {chain_id}, but the proof is on chain {ref.chain_id}: "
            f"give a node of chain {ref.chain_id}"
        )
    try:
        is_registry = has_registry_code(w3, ref.contract)
    except ChainError as exc:
        raise UsageError(str(exc)) from None
    if not is_registry:
        check = Check(CHAIN, False, f"no ProvenanceRegistry at {ref.contract} on chain {chain_id}")
        return VerifyReport((check,))
    trusted = _trusted_registry(args)
    if trusted is not None and trusted.lower() != ref.contract.lower():
        check = Check(
            TRUSTED,
            False,
            f"the proof is anchored in {ref.contract}, not in the registry you trust ({trusted}): "
            "anyone can deploy this contract and anchor what they like in it",
        )
        return VerifyReport((check,))
    registry = Registry(w3, ref.contract, chain_id=chain_id)
    report = verify_bundle(
        args.file, bundle, registry, min_confirmations=args.confirmations, ancestors=ancestors
    )
    if trusted is not None:
        pinned = Check(TRUSTED, True, f"{ref.contract} is the registry you trust")
        return VerifyReport((*report.checks, pinned), report.remaining, report.error)
    open_check = Check(
        TRUSTED,
        None,
        f"not checked: is {ref.contract} the registry of the lab that made this proof? Anyone "
        "can deploy this contract; pass --contract with the address the lab publishes",
    )
    remaining = f"that {ref.contract} is the lab's registry (--contract)"
    return VerifyReport(
        (*report.checks, open_check),
        f"{report.remaining}; {remaining}" if report.remaining else remaining,
        report.error,
    )


def _deploy(args: argparse.Namespace, out: TextIO) -> int:
    from .chain import Registry
    from .network import load_keystore, rpc_web3

    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        password = getpass.getpass(f"Password of {args.keyfile}: ")
    account = load_keystore(args.keyfile, password)
    w3 = rpc_web3(args.rpc, args.timeout)
    address, receipt = Registry.deploy(w3, account, args.admin)
    print(
        f"ProvenanceRegistry deployed at {address} on chain {w3.eth.chain_id} "
        f"(block {receipt.block_number}, tx 0x{receipt.tx_hash.hex()}); anchorer {account.address}",
        file=out,
    )
    print(f"Set {CONTRACT_VARIABLE}={address}", file=out)
    return 0


def _keystore(args: argparse.Namespace, out: TextIO) -> int:
    import json
    import secrets

    from eth_account import Account

    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        password = getpass.getpass(f"Password for {args.out}: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("the two passwords differ; nothing was written")
    if len(password) < 12:
        raise UsageError("use a password of at least 12 characters; nothing was written")
    account = Account.from_key(secrets.token_bytes(32))
    sealed = json.dumps(Account.encrypt(account.key, password))
    # O_EXCL: never overwrite a keystore (it may hold the only copy of a funded key).
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(sealed)
    print(
        f"Wrote {args.out} for address {account.address}; fund it to pay for anchoring.", file=out
    )
    print(f"Set {KEYFILE_VARIABLE}={args.out.resolve()} and {PASSWORD_VARIABLE}.", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "verify":
            return _verify(args, stream)
        if args.command == "keystore":
            return _keystore(args, stream)
        return _deploy(args, stream)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ChainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
