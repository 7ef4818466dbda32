"""The app's settings as the ledger's chain settings: which chain, which key, which contract."""

from __future__ import annotations

from dashboard.config import Settings
from ledger.network import ChainSettings


def chain_settings(settings: Settings) -> ChainSettings:
    """Where the ledger anchors: the embedded chain in the data directory, or ``CHAIN_URL``."""
    return ChainSettings(
        url=settings.chain_url,
        directory=settings.chain_dir,
        keyfile=settings.chain_keyfile,
        password=settings.chain_password,
        contract=settings.chain_contract,
        confirmations=settings.chain_confirmations,
    )
