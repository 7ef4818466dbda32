"""Request latency with metrics and JSON logs on and off, side by side in the same run.

    python bench/request_overhead.py [--rounds 300] [--warmup 30]

Two copies of the app are served over HTTP by waitress (8 threads, as `serve` does), each
in its own process on a fresh data directory with the same users:

- **on**: what `serve` runs: metrics in multi-process mode (files under the data directory),
  the request hooks (request id, route-template counter and histogram, access log line) and
  JSON log lines written to a file;
- **off** (the anchor): the same app with the observability hooks taken out again and the
  logging of before this work (``basicConfig`` at INFO; no line per request).

Each round sends, to both servers in random order, the same three requests: an API GET
(``/api/v1/experiments`` with a bearer token), a page load (``/experiments`` with a login
session) and a Dash callback POST (the page router rendering ``/experiments``, as an
in-app navigation does). It prints p50 and p95 per request kind and overall, and the p95
ratio on/off (target: below 1.05). ``--aa`` serves both copies off (an A/A run): the
ratios it prints are the noise floor of this machine at that moment.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench horse battery staple"  # noqa: S105 - a throwaway user of a throwaway database
KINDS = ("api GET", "page load", "dash callback")


# --- the served copies (run as `request_overhead.py --serve on|off`) ----------------------------


def _serve(mode: str, port: int, data_dir: Path) -> None:
    from waitress import serve

    from app import create_app
    from dashboard.config import load_settings
    from dashboard.observability import logs, metrics, web

    settings = load_settings({}, port=port, data_dir=data_dir)
    if mode == "on":
        metrics.use_multiprocess_dir(settings.metrics_dir, fresh=True)
        logs.configure_logging("json")
    else:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    app = create_app(settings)
    if mode == "off":
        before = app.server.before_request_funcs[None]
        for hook in (web._begin, web._metrics_credentials, web._confine_machine_accounts):
            before.remove(hook)
        app.server.after_request_funcs[None].remove(web._finish)
    serve(app.server, host="127.0.0.1", port=port, threads=8, ident="bench")


# --- the client ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    mode: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _prepare(data_dir: Path) -> str:
    """Users and a token in a fresh database; returns the token."""
    from dashboard.db import Database
    from dashboard.services import accounts, experiments
    from dashboard.services.actor import cli_actor

    db = Database(f"sqlite:///{data_dir / 'microspacegen.sqlite3'}")
    db.upgrade()
    cli = cli_actor("bench")
    row = accounts.create_user(db, cli, "bench", PASSWORD, ["admin"])
    _, token = accounts.create_token(db, cli, row.id, "bench")
    actor = accounts.authenticate(db, "bench", PASSWORD, "127.0.0.1").actor("127.0.0.1", "cli")
    for n in range(20):  # a list with something in it
        experiments.create_experiment(
            db,
            actor,
            {
                "name": f"bench experiment {n}",
                "organism": "Escherichia coli",
                "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
            },
        )
    db.dispose()
    return token


def _start(mode: str, root: Path, served_as: str) -> Served:
    data_dir = root / mode
    data_dir.mkdir()
    token = _prepare(data_dir)
    port = _free_port()
    log = (root / f"{mode}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            served_as,
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MICROSPACEGEN_")},
        start_new_session=True,
    )
    return Served(mode, port, data_dir, process, token)


def _wait_ready(servers: list[Served], timeout_s: float = 180.0) -> None:
    import requests

    deadline = time.monotonic() + timeout_s
    for server in servers:
        while True:
            try:
                if requests.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the {server.mode} server did not start")
            time.sleep(0.2)


def _callback_body(session: object, url: str) -> dict[str, object]:
    """The page router's callback, as the browser sends it for an in-app move to /experiments."""
    deps = session.get(f"{url}/_dash-dependencies", timeout=30).json()  # type: ignore[attr-defined]
    (dep,) = [d for d in deps if "_pages_content.children" in d["output"]]

    def values(items: list[dict[str, str]]) -> list[dict[str, object]]:
        given = {"pathname": "/experiments", "search": "", "hash": "", "href": f"{url}/experiments"}
        return [{**i, "value": given.get(i["property"])} for i in items]

    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in dep["output"].strip(".").split("...")
    ]
    inputs = values(dep["inputs"])
    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": values(dep["state"]),
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(rounds: int, warmup: int, aa: bool) -> None:
    import requests

    with tempfile.TemporaryDirectory(prefix="msg-bench-overhead-") as tmp:
        root = Path(tmp)
        servers = [_start("on", root, "off" if aa else "on"), _start("off", root, "off")]
        try:
            _wait_ready(servers)
            sessions = {}
            calls = {}
            for server in servers:
                browser = requests.Session()
                login = browser.post(
                    f"{server.url}/login",
                    data={"username": "bench", "password": PASSWORD},
                    allow_redirects=False,
                    timeout=30,
                )
                assert login.status_code == 302, login.text
                api = requests.Session()
                api.headers["Authorization"] = f"Bearer {server.token}"
                body = json.dumps(_callback_body(browser, server.url))
                sessions[server.mode] = (browser, api)
                calls[server.mode] = {
                    "api GET": lambda api=api, u=server.url: api.get(
                        f"{u}/api/v1/experiments", timeout=30
                    ),
                    "page load": lambda b=browser, u=server.url: b.get(
                        f"{u}/experiments", timeout=30
                    ),
                    "dash callback": lambda b=browser, u=server.url, body=body: b.post(
                        f"{u}/_dash-update-component",
                        data=body,
                        headers={"Content-Type": "application/json"},
                        timeout=30,
                    ),
                }
            times: dict[tuple[str, str], list[float]] = {
                (mode, kind): [] for mode in ("on", "off") for kind in KINDS
            }
            rng = random.Random(12)
            for n in range(warmup + rounds):
                for kind in KINDS:
                    order = ["on", "off"]
                    rng.shuffle(order)
                    for mode in order:
                        started = time.perf_counter()
                        response = calls[mode][kind]()
                        elapsed = time.perf_counter() - started
                        if response.status_code != 200:
                            raise SystemExit(f"{mode} {kind}: {response.status_code}")
                        if n >= warmup:
                            times[(mode, kind)].append(elapsed * 1000)
            on_log = (root / "on.log").read_text(errors="replace").splitlines()
            json_lines = sum(1 for line in on_log if line.startswith("{"))
        finally:
            for server in servers:
                if server.process.poll() is None:
                    server.process.send_signal(signal.SIGTERM)
                    server.process.wait(30)

    print(
        f"{rounds} rounds (after {warmup} warm-up), each kind once per server per round, "
        "servers in random order" + (" (A/A: both served off)" if aa else "")
    )
    heads = ("p50 on", "p50 off", "p95 on", "p95 off")
    print(f"{'request':<15}" + "".join(f"{h:>10}" for h in heads) + f"{'p95 ratio':>11}")
    for kind in (*KINDS, "all"):
        if kind == "all":
            on = [t for k in KINDS for t in times[("on", k)]]
            off = [t for k in KINDS for t in times[("off", k)]]
        else:
            on, off = times[("on", kind)], times[("off", kind)]
        p95_on, p95_off = _percentile(on, 0.95), _percentile(off, 0.95)
        print(
            f"{kind:<15}{statistics.median(on):>8.2f}ms{statistics.median(off):>8.2f}ms"
            f"{p95_on:>8.2f}ms{p95_off:>8.2f}ms{p95_on / p95_off:>11.3f}"
        )
    print(f"JSON log lines written by the 'on' server: {json_lines}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--aa", action="store_true", help="serve both copies off (noise floor)")
    parser.add_argument("--serve", choices=("on", "off"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port, args.data_dir)
    else:
        run(args.rounds, args.warmup, args.aa)


if __name__ == "__main__":
    main()
