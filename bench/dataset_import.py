"""Dataset import: throughput (hashing and validation included) and memory, beside anchors.

    python bench/dataset_import.py [--fastq-mb 250] [--api-gb 2] [--work-dir /tmp/msg-bench]

1. Command line: ``python app.py import`` of a gzipped FASTQ (copy + SHA-256 + strict
   validation with read statistics + content-addressed store + database rows), timed, with
   its peak memory. Anchors in the same run: ``cp`` then ``sha256sum`` of the same file (what
   just moving and hashing the bytes costs) and ``seqkit stats -a`` (parsing the reads).
2. API: a multipart ``POST /api/v1/datasets`` of a ``--api-gb`` FASTA streamed to a running
   server, timed, with the server's memory before and at its peak (``VmHWM``): the issue's
   target is under 200 MB of server memory for a 2 GB upload.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway user in a temp data dir
BLOCK = 1024 * 1024


def _fastq(path: Path, megabytes: int) -> Path:
    """A gzipped FASTQ of about ``megabytes`` MB compressed (kept between runs)."""
    if path.exists():
        return path
    rng = random.Random(7)
    bases = "ACGT"
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wb", compresslevel=6) as out:
        i = 0
        while tmp.stat().st_size < megabytes * 1_000_000:
            chunk = []
            for _ in range(20_000):
                seq = "".join(rng.choices(bases, k=150))
                qual = "".join(chr(33 + min(41, max(2, int(rng.gauss(34, 5))))) for _ in range(150))
                chunk.append(f"@read{i} bench\n{seq}\n+\n{qual}\n")
                i += 1
            out.write("".join(chunk).encode())
    tmp.rename(path)
    return path


def _fasta_stream(gigabytes: float, seed: bytes) -> Iterator[bytes]:
    """A FASTA of ``gigabytes`` GB, generated on the fly (unique per run by ``seed``)."""
    rng = random.Random(seed)
    line = 80
    header = b">bench-" + seed.hex().encode() + b"\n"
    yield header
    total = int(gigabytes * 1e9)
    sent = len(header)
    block = bytearray()
    for _ in range(BLOCK // (line + 1)):
        block += bytes(rng.choice(b"ACGT") for _ in range(line)) + b"\n"
    while sent < total:
        yield bytes(block)
        sent += len(block)


def _timed(cmd: list[str], **kwargs: object) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak if peak > before else before


def _app(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "app.py"), *args, "--data-dir", str(data_dir)]


def _setup(data_dir: Path) -> int:
    """A scientist and an experiment; returns the experiment's id."""
    sys.path.insert(0, str(ROOT))
    from dashboard.config import load_settings
    from dashboard.db import Database
    from dashboard.services import accounts, experiments
    from dashboard.services.actor import cli_actor

    settings = load_settings({}, data_dir=data_dir)
    db = Database(settings.database_url)
    db.upgrade()
    actor = cli_actor("bench")
    accounts.create_user(db, actor, "bench", PASSWORD, ["scientist"])
    experiment = experiments.create_experiment(
        db,
        actor,
        {
            "name": f"bench {secrets.token_hex(3)}",
            "organism": "Escherichia coli",
            "arms": experiments.default_arms(),
        },
    )
    db.dispose()
    return experiment.id


def bench_cli(work: Path, fastq: Path, experiment: int, data_dir: Path) -> None:
    size_mb = fastq.stat().st_size / 1e6
    copy = work / "copy.fq.gz"
    t_cp, _ = _timed(["cp", str(fastq), str(copy)])
    t_sha, _ = _timed(["sha256sum", str(copy)], stdout=subprocess.DEVNULL)
    copy.unlink()
    seqkit = shutil.which("seqkit")
    t_seqkit = (
        _timed([seqkit, "stats", "-a", "-T", str(fastq)], stdout=subprocess.DEVNULL)[0]
        if seqkit
        else float("nan")
    )
    t_import, peak_kib = _timed(
        _app(data_dir, "import", str(fastq), "--experiment", str(experiment), "--sample", "bench"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    anchor = t_cp + t_sha
    print(f"\n1. Command-line import of {fastq.name} ({size_mb:,.0f} MB gzipped FASTQ)")
    print(f"   {'':34}{'seconds':>9}{'MB/s':>9}")
    print(f"   {'cp + sha256sum (anchor: bytes only)':34}{anchor:9.2f}{size_mb / anchor:9.1f}")
    print(f"   {'seqkit stats -a (anchor: parsing)':34}{t_seqkit:9.2f}{size_mb / t_seqkit:9.1f}")
    print(f"   {'python app.py import':34}{t_import:9.2f}{size_mb / t_import:9.1f}")
    print(f"   ratio import / (cp + sha256sum) = {t_import / anchor:.2f}")
    print(f"   ratio import / seqkit stats -a   = {t_import / t_seqkit:.2f}")
    print(f"   peak memory of the import process: {peak_kib / 1024:,.0f} MiB")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vm(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])  # KiB
    return 0


def bench_api(gigabytes: float, experiment: int, data_dir: Path) -> None:
    port = _port()
    # Direct POSTs above 64 MiB need the limit raised (see MICROSPACEGEN_MAX_REQUEST_MB).
    limit_mb = int(gigabytes * 1024) + 64
    env = {
        **os.environ,
        "MICROSPACEGEN_WORKERS": "0",
        "MICROSPACEGEN_MAX_REQUEST_MB": str(limit_mb),
    }
    log_path = data_dir / "server.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        _app(data_dir, "serve", "--port", str(port)), env=env, stdout=log, stderr=log
    )
    try:
        base = f"http://127.0.0.1:{port}"
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        for _ in range(120):
            try:
                opener.open(base + "/login", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        body = urllib.parse.urlencode({"username": "bench", "password": PASSWORD}).encode()
        opener.open(base + "/login", data=body)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        rss_before = _vm(server.pid, "VmRSS")
        boundary = secrets.token_hex(16)
        seed = secrets.token_bytes(8)
        fields = {"experiment_id": str(experiment), "sample_name": "api-bench"}
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.fa"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        payload_size = sum(len(b) for b in _fasta_stream(gigabytes, seed))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        start = time.perf_counter()
        conn.putrequest("POST", "/api/v1/datasets")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + payload_size + len(tail)))
        conn.putheader("Cookie", cookie)
        conn.endheaders()
        conn.send(head)
        for block in _fasta_stream(gigabytes, seed):
            conn.send(block)
        conn.send(tail)
        try:
            response = conn.getresponse()
        except OSError:
            print(log_path.read_text(errors="replace")[-3000:])
            raise
        answer = json.loads(response.read() or b"{}")
        elapsed = time.perf_counter() - start
        peak = _vm(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(10)
    mb = payload_size / 1e6
    print(f"\n2. API upload: POST /api/v1/datasets, multipart, {mb:,.0f} MB FASTA streamed")
    print(f"   status {response.status}: dataset {answer.get('id')} size {answer.get('size')}")
    print(f"   time {elapsed:.1f} s = {mb / elapsed:.0f} MB/s (upload, hashing, validation, store)")
    print(
        f"   server memory: {rss_before / 1024:,.0f} MiB before, peak {peak / 1024:,.0f} MiB, "
        f"growth {(peak - rss_before) / 1024:,.0f} MiB (target: under 200 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fastq-mb", type=int, default=250)
    parser.add_argument("--api-gb", type=float, default=2.0)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "msg-bench")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    fastq = _fastq(args.work_dir / f"import-{args.fastq_mb}mb.fq.gz", args.fastq_mb)
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        data_dir = Path(tmp) / "data"
        experiment = _setup(data_dir)
        bench_cli(args.work_dir, fastq, experiment, data_dir)
        if args.api_gb > 0:
            bench_api(args.api_gb, experiment, data_dir)


if __name__ == "__main__":
    main()
