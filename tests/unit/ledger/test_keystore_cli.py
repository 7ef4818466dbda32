"""`python -m ledger keystore`: a new key, sealed with a password, never shown or overwritten."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from ledger.__main__ import main

PASSWORD = "a long enough password"


def test_a_keystore_opens_with_its_password_and_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROSPACEGEN_CHAIN_PASSWORD", PASSWORD)
    out = io.StringIO()
    path = tmp_path / "anchor.json"
    assert main(["keystore", str(path)], out) == 0
    sealed = json.loads(path.read_text())
    key = Account.decrypt(sealed, PASSWORD)
    address = Account.from_key(key).address
    assert address in out.getvalue()
    assert key.hex() not in out.getvalue()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="MAC mismatch"):
        Account.decrypt(sealed, "another password")


def test_an_existing_keystore_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROSPACEGEN_CHAIN_PASSWORD", PASSWORD)
    path = tmp_path / "anchor.json"
    path.write_text("the only copy of a funded key")
    assert main(["keystore", str(path)], io.StringIO()) == 2
    assert path.read_text() == "the only copy of a funded key"
    assert "exists" in capsys.readouterr().err


def test_a_short_password_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSPACEGEN_CHAIN_PASSWORD", "short")
    assert main(["keystore", str(tmp_path / "k.json")], io.StringIO()) == 2
    assert not (tmp_path / "k.json").exists()
