"""Errors the ledger raises, so callers handle chain trouble without importing web3."""

from __future__ import annotations


class ChainError(Exception):
    """Something went wrong talking to the chain."""


class ChainUnavailable(ChainError):
    """The chain could not be reached (node down, timeout, or another process holds it)."""


class ChainReverted(ChainError):
    """A transaction or call was reverted by the contract; ``reason`` names the custom error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
