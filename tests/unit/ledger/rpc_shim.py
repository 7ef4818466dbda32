"""A JSON-RPC node over HTTP on loopback, answering from an in-process web3 provider.

The ledger's real-node code (HTTPProvider, raw transactions, geth-style revert errors)
then runs in unit tests without Hardhat. Reverts are answered as geth does: code 3,
"execution reverted", the revert data as hex.
"""

from __future__ import annotations

import ast
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from eth_tester.exceptions import TransactionFailed
from web3 import Web3

from ledger.embedded import EmbeddedChain


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _revert_hex(exc: TransactionFailed) -> str:
    text = str(exc.args[0])
    rest = text.partition("execution reverted: ")[2]
    data = ast.literal_eval(rest) if rest[:2] in ("b'", 'b"') else b""
    return "0x" + data.hex()


def _handler(provider: Any) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()  # eth-tester is not thread-safe
    bare = Web3(provider, middleware=[])
    # The provider's own middleware turns eth-tester's answers into JSON-RPC shapes.
    call = provider.request_func(bare, bare.middleware_onion)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
            try:
                with lock:
                    answer = call(request["method"], request.get("params", []))
                reply.update({k: v for k, v in answer.items() if k in ("result", "error")})
            except TransactionFailed as exc:
                reply["error"] = {
                    "code": 3,
                    "message": "execution reverted",
                    "data": _revert_hex(exc),
                }
            except Exception as exc:  # noqa: BLE001 - a node answers errors, it does not crash
                reply["error"] = {"code": -32000, "message": str(exc)}
            body = json.dumps(_plain(reply)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(provider: Any) -> Iterator[str]:
    """Serve an in-memory ``provider`` at ``http://127.0.0.1:<port>``; yields the URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve_embedded(directory: Path) -> Iterator[str]:
    """Serve an embedded chain over HTTP, as a development node (chain 1337) would.

    The chain is opened and served in one thread: its SQLite store stays in the thread
    that opened it.
    """
    ready = threading.Event()
    servers: list[HTTPServer] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with EmbeddedChain(directory).connect() as w3:
                server = HTTPServer(("127.0.0.1", 0), _handler(w3.provider))
                servers.append(server)
                ready.set()
                server.serve_forever()
                server.server_close()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            failures.append(exc)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)
    if failures:
        raise failures[0]
    try:
        yield f"http://127.0.0.1:{servers[0].server_address[1]}"
    finally:
        servers[0].shutdown()
        thread.join()
