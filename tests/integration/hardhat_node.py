"""A local Hardhat JSON-RPC node for the chain tests, on a free loopback port, stopped after.

Hardhat 2 (npm, pinned in package.json) runs on Node.js 20. Its node serves chain id 31337 and
funds twenty accounts whose private keys it prints: those keys are PUBLIC (the same on every
Hardhat install, published in its documentation), good for a throwaway development chain only.
They are read from the node's output at run time; none is stored in this repository.

    with hardhat_node() as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        node.stop()   # the URL stops answering
        node.start()  # same port, but a NEW chain: Hardhat keeps no state across restarts
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HARDHAT = ROOT / "node_modules" / ".bin" / "hardhat"
HARDHAT_CHAIN_ID = 31337
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
_KEY_LINE = re.compile(r"^Private Key: (0x[0-9a-fA-F]{64})$", re.MULTILINE)


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rpc(
    url: str, method: str, params: list[object] | None = None, timeout_s: float = 2.0
) -> object:
    """One JSON-RPC call; raises OSError when nothing answers, RuntimeError on an RPC error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def require_hardhat() -> None:
    """Skip when Hardhat is not installed (`npm ci`); on CI, fail instead."""
    if HARDHAT.exists() and shutil.which("node"):
        return
    why = f"{HARDHAT.relative_to(ROOT)} is missing (run `npm ci`) or node is not on PATH"
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI must install the JavaScript tools")
    pytest.skip(why)


class HardhatNode:
    """One `hardhat node` process on a fixed loopback port, which can be stopped and restarted."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._logs = Path(tempfile.mkdtemp(prefix="hardhat-node-"))
        self._log_path = self._logs / "node-0.log"
        self._starts = 0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        """What the current (or last) process printed."""
        return self._log_path.read_text(encoding="utf-8", errors="replace")

    def dev_private_keys(self) -> list[str]:
        """The public development keys the node printed (Account #0 first)."""
        return _KEY_LINE.findall(self.log())

    def start(self) -> None:
        """Start the node (a fresh chain) and wait until it answers eth_chainId."""
        if self.running:
            raise RuntimeError("Hardhat node already running")
        self._starts += 1
        self._log_path = self._logs / f"node-{self._starts}.log"
        env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"}
        args = [str(HARDHAT), "node", "--hostname", "127.0.0.1", "--port", str(self.port)]
        with self._log_path.open("wb") as log:
            # The .bin script is node itself (shebang), so this PID is the node's, unlike `npx`.
            self._process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"Hardhat node exited early:\n{self.log()[-2000:]}")
            try:
                chain_id = rpc(self.url, "eth_chainId", timeout_s=1.0)
            except (OSError, RuntimeError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"Hardhat node not ready in {READY_TIMEOUT_S} s") from None
                time.sleep(0.1)
                continue
            assert int(str(chain_id), 16) == HARDHAT_CHAIN_ID
            return

    def stop(self) -> None:
        """Stop the node: SIGTERM, then SIGKILL if it lingers. Its chain is gone."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._logs, ignore_errors=True)


@contextmanager
def hardhat_node(port: int | None = None) -> Iterator[HardhatNode]:
    """A running Hardhat node (``.url``), stopped on exit; skips when Hardhat is not installed."""
    require_hardhat()
    node = HardhatNode(port)
    try:
        node.start()
        yield node
    finally:
        node.close()
