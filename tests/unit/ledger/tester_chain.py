"""An in-memory eth-tester chain with a funded local key, for the ledger's unit tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, Web3

from ledger.chain import ARTIFACT, Registry


@dataclass
class DevChain:
    w3: Web3
    account: LocalAccount  # signs locally, like the app; funded from the tester's account 0
    registry: Registry


def funded_account(w3: Web3, ether: int = 1000) -> LocalAccount:
    account: LocalAccount = Account.create()
    w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": account.address, "value": ether * 10**18}
    )
    return account


def new_chain() -> DevChain:
    """A fresh chain with a registry deployed by a new local key (skips without the artifact)."""
    if not ARTIFACT.exists():
        pytest.skip(f"{ARTIFACT} is not built yet (npm run compile-contracts)")
    w3 = Web3(EthereumTesterProvider())
    account = funded_account(w3)
    address, _ = Registry.deploy(w3, account)
    return DevChain(w3, account, Registry(w3, address))
