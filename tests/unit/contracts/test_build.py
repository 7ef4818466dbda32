"""The committed artifact is what the pinned compiler makes of the sources; no key in the repo."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.contracts.support import ARTIFACT_PATH, ROOT, artifact, require_node_modules

SOURCE = "contracts/ProvenanceRegistry.sol"


def test_artifact_records_the_pinned_compiler_and_settings() -> None:
    built = artifact()
    pins = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    assert built["compiler"]["name"] == "solc-js"
    assert built["compiler"]["version"].startswith(pins["solc"] + "+commit.")
    assert lock["node_modules/solc"]["version"] == pins["solc"]
    assert built["settings"]["evmVersion"] == "shanghai"
    assert built["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert built["contractName"] == "ProvenanceRegistry"
    assert built["bytecode"].startswith("0x6080")
    assert built["deployedBytecode"].startswith("0x6080")


def test_artifact_was_built_from_the_checked_out_source() -> None:
    """Runs without Node.js: an edited .sol with a stale artifact fails here."""
    digest = hashlib.sha256((ROOT / SOURCE).read_bytes()).hexdigest()
    assert artifact()["sources"][SOURCE] == digest, "run `npm run compile-contracts` and commit"


def test_recompiling_gives_the_committed_artifact_byte_for_byte(tmp_path: Path) -> None:
    node = require_node_modules("solc", "@openzeppelin/contracts")
    subprocess.run(
        [node, str(ROOT / "contracts" / "compile.js"), str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    rebuilt_text = (tmp_path / "ProvenanceRegistry.json").read_text(encoding="utf-8")
    rebuilt = json.loads(rebuilt_text)
    for field in ("bytecode", "deployedBytecode", "abi", "compiler", "settings", "sources"):
        assert rebuilt[field] == artifact()[field], f"{field} differs from the committed artifact"
    assert rebuilt_text == ARTIFACT_PATH.read_text(encoding="utf-8")


# --- no private key in the repository -------------------------------------------------------

HEX64 = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
KEY_WORDS = re.compile(r"priv|secret|key|mnemonic|seed", re.IGNORECASE)
PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
KEYSTORE = re.compile(r"\"crypto\"\s*:\s*\{", re.IGNORECASE)
NEAR_LINES = 2
# Clearly public development keys that may appear (none today): keep this empty if you can.
ALLOWED: frozenset[str] = frozenset()


def suspicious_lines(text: str) -> list[str]:
    """What looks like key material: 64 hex digits near a key word, PEM keys, keystore JSON."""
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        for match in HEX64.finditer(line):
            value = match.group().lower().removeprefix("0x")
            nearby = "\n".join(lines[max(0, number - NEAR_LINES) : number + NEAR_LINES + 1])
            if value not in ALLOWED and KEY_WORDS.search(nearby):
                found.append(f"{number + 1}: 64 hex digits near a key word: {line.strip()[:120]}")
        if PEM.search(line):
            found.append(f"{number + 1}: PEM private key")
    if KEYSTORE.search(text) and "ciphertext" in text:
        found.append("an Ethereum keystore (crypto/ciphertext)")
    return found


def repository_files() -> list[Path]:
    """Tracked files and new files not ignored (a key is caught before it is committed)."""
    git = shutil.which("git")
    if not git or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_private_key_in_the_repository() -> None:
    findings = []
    scanned = 0
    for path in repository_files():
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        scanned += 1
        findings += [
            f"{path.relative_to(ROOT)}:{f}"
            for f in suspicious_lines(data.decode("utf-8", "replace"))
        ]
    assert scanned > 100
    assert not findings, "possible private keys:\n" + "\n".join(findings)


def test_the_key_scanner_finds_planted_keys() -> None:
    """Samples are made at run time, so this file holds none."""
    key = secrets.token_hex(32)
    assert suspicious_lines(f'PRIVATE_KEY = "0x{key}"')
    assert suspicious_lines(f"Account #0\nsigning_key:\n  {key}\n")
    assert suspicious_lines("-----BEGIN " + "EC PRIVATE KEY-----\nMHcCAQEE...\n")
    field = "crypto"
    keystore = json.dumps({field: {"ciphertext": key, "kdf": "scrypt"}, "version": 3})
    assert suspicious_lines(keystore)
    # A file digest is not a key.
    assert not suspicious_lines(f'sha256 = "{key}"\nsize = 12\n\n\n')
