"""The text Prometheus scrapes: this process's (or every process's) events plus the database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from dashboard.db import Database

from .collector import DatabaseCollector
from .metrics import REGISTRY, multiprocess_dir

CONTENT_TYPE = CONTENT_TYPE_LATEST
log = logging.getLogger("microspacegen.metrics")


class _ThisProcess(Collector):
    """The event metrics of this process alone (no multi-process folder in use)."""

    def collect(self) -> Iterator[Any]:
        return iter(REGISTRY.collect())


def render(db: Database) -> bytes:
    """Every metric, in Prometheus's text format."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector(db))
    return generate_latest(registry)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def metrics_app(db: Database) -> WsgiApp:
    """A WSGI app answering ``GET /metrics`` (and 404 to anything else), without logins:
    only for the loopback port."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") not in (
            "GET",
            "HEAD",
        ):
            body = b"Not found: this port serves GET /metrics only.\n"
            start_response(
                "404 Not Found",
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body]
        body = render(db)
        start_response(
            "200 OK",
            [
                ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body] if environ["REQUEST_METHOD"] == "GET" else []

    return app


class MetricsPort:
    """``/metrics`` on a port of its own (loopback by default), served by a waitress thread."""

    def __init__(self, db: Database, host: str, port: int) -> None:
        from waitress.server import create_server

        self.server: Any = create_server(
            metrics_app(db), host=host, port=port, threads=2, ident="MicroSpaceGen metrics"
        )
        self.port = int(self.server.effective_port)
        self.host = host
        self._thread = threading.Thread(target=self._run, name="metrics-port", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except Exception:  # closed on shutdown
            log.debug("metrics port stopped", exc_info=True)

    def start(self) -> MetricsPort:
        """Start answering."""
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)
        return self

    def close(self) -> None:
        """Stop answering and free the port."""
        self.server.close()
