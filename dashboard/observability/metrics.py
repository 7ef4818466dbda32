"""Prometheus metrics: events counted where they happen, state read from the database.

Events (requests, finished jobs, telemetry samples, raised alarms, failed and throttled
logins) are counters and histograms kept by each process. When ``serve`` runs, every
process it starts writes them to files in ``<data dir>/metrics`` (prometheus_client's
multi-process mode), and ``/metrics`` adds them up over all processes. What lives in the
database (queue depth, running jobs, worker heartbeats, active alarms, the ledger's pending
records, batches and gas) is read at scrape time by :mod:`.collector`, so it is right
whichever process changed it.

Every event metric has labels: a labelled metric creates its value when first used, after
:func:`use_multiprocess_dir` chose where values live.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, values
from prometheus_client import multiprocess as _multiprocess

PREFIX = "microspacegen"
# No *_created series: multi-process mode has none, so one process alone should not either.
disable_created_metrics()  # type: ignore[no-untyped-call]
# The process's own metrics; never the global registry (no library's metrics leak in).
REGISTRY = CollectorRegistry(auto_describe=True)
_MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_SECONDS_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0)

HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered, by route template (not the path), method and status.",
    ("route", "method", "status"),
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time from the first hook to the response, by route template, method and status.",
    ("route", "method", "status"),
    buckets=REQUEST_SECONDS_BUCKETS,
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "Run time of finished jobs, by kind and final state (its count is jobs finished).",
    ("kind", "state"),
    buckets=JOB_SECONDS_BUCKETS,
    registry=REGISTRY,
)
TELEMETRY_SAMPLES = Counter(
    f"{PREFIX}_telemetry_samples",
    "Telemetry samples written to the database, by device.",
    ("device",),
    registry=REGISTRY,
)
ALARMS_RAISED = Counter(
    f"{PREFIX}_alarms_raised",
    "Alarms raised (new, or escalated to a worse severity), by kind and severity.",
    ("kind", "severity"),
    registry=REGISTRY,
)
LOGIN_REFUSALS = Counter(
    f"{PREFIX}_login_refusals",
    "Password logins refused: failed (wrong name or password, inactive) or throttled.",
    ("reason",),
    registry=REGISTRY,
)
EVENT_METRICS = (
    HTTP_REQUESTS,
    HTTP_SECONDS,
    JOB_SECONDS,
    TELEMETRY_SAMPLES,
    ALARMS_RAISED,
    LOGIN_REFUSALS,
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
_children_lock = threading.Lock()


def observe_request(route: str, method: str, status: int, duration_s: float) -> None:
    """Count one answered request (the label children are cached: one dict look-up)."""
    # The method is folded first: a client may send any method name, and each new key
    # would stay in this cache for the life of the process.
    key = (route, method if method in _METHODS else "other", status)
    children = _request_children.get(key)
    if children is None:
        with _children_lock:
            children = (
                HTTP_REQUESTS.labels(key[0], key[1], str(status)),
                HTTP_SECONDS.labels(key[0], key[1], str(status)),
            )
            _request_children[key] = children
    children[0].inc()
    children[1].observe(duration_s)


def job_finished(kind: str, state: str, duration_s: float) -> None:
    """Record a job's end and how long it ran."""
    JOB_SECONDS.labels(kind, state).observe(duration_s)


def multiprocess_dir() -> Path | None:
    """Where this process's metric files go, or None when it keeps them in memory."""
    raw = os.environ.get(_MULTIPROCESS_ENV)
    return Path(raw) if raw and getattr(values.ValueClass, "_multiprocess", False) else None


def use_multiprocess_dir(path: Path, *, fresh: bool) -> None:
    """Keep this process's (and its children's) metrics in files under ``path``.

    ``fresh`` empties the folder first (``serve`` at start: earlier processes' counts are
    gone with them). Call before any metric is used; child processes started afterwards
    inherit the folder through the environment.
    """
    if fresh and path.exists():
        shutil.rmtree(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if multiprocess_dir() == path:
        return
    with _children_lock, warnings.catch_warnings():
        # clear() warns when the variable is already set (by whoever started us).
        warnings.simplefilter("ignore", UserWarning)
        _request_children.clear()
        for metric in EVENT_METRICS:
            metric.clear()  # children made before now hold in-memory values
        os.environ[_MULTIPROCESS_ENV] = str(path)
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def mark_process_dead(pid: int | None = None) -> None:
    """Forget a finished process's live gauges (its counters still count)."""
    directory = multiprocess_dir()
    if directory is not None:
        _multiprocess.mark_process_dead(pid or os.getpid(), str(directory))  # type: ignore[no-untyped-call]
