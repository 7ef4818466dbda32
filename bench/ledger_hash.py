"""SHA-256 of a large file: ledger.verify.sha256_file beside coreutils `sha256sum`, same run.

    python bench/ledger_hash.py [--quick] [--size-mb 1024] [--repeats 3] [--work-dir /tmp]

Writes a file of random bytes (1 GiB; --quick: 256 MiB) in the work directory, then hashes
it alternately with `sha256sum` (the anchor) and with sha256_file, the function that
re-hashes stored datasets when they are verified, --repeats times each; keeps the best time
of each, prints MB/s (10^6 bytes per second) and our speed over sha256sum's (target: at
least 0.9), checks all print the same digest, and deletes the file. `openssl dgst -sha256`,
when installed, is timed alongside for context: hashlib calls the same OpenSSL library.
The file is read from the page cache after the first pass, so this compares the hashing,
not the disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger.verify import sha256_file  # noqa: E402

TARGET = 0.9
MIB = 1 << 20
OURS = "ledger.verify.sha256_file (hashlib)"


def make_file(directory: Path, size: int) -> Path:
    handle, name = tempfile.mkstemp(prefix="msg-sha256-", suffix=".bin", dir=directory)
    with os.fdopen(handle, "wb") as out:
        left = size
        while left:
            piece = min(left, 16 * MIB)
            out.write(os.urandom(piece))
            left -= piece
    return Path(name)


def time_tool(command: list[str], path: Path) -> tuple[float, str]:
    """Wall time of ``command path`` and the hex digest it prints first."""
    started = time.perf_counter()
    out = subprocess.run([*command, str(path)], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, out.stdout.split()[0]


def time_ours(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    digest = sha256_file(path)
    return time.perf_counter() - started, digest


def _version(command: list[str]) -> str:
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="256 MiB instead of 1 GiB")
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        sys.exit("sha256sum (coreutils) is not on PATH")
    openssl = shutil.which("openssl")
    tools = {f"anchor: {_version([sha256sum, '--version'])}": [sha256sum, "--binary"]}
    if openssl:  # for context: the library hashlib itself calls
        tools[f"{' '.join(_version([openssl, 'version']).split()[:2])} dgst -sha256"] = [
            openssl,
            "dgst",
            "-sha256",
            "-r",
        ]
    size = (256 if args.quick else args.size_mb) * MIB
    path = make_file(args.work_dir, size)
    times: dict[str, list[float]] = {name: [] for name in [*tools, OURS]}
    digests = set()
    try:
        time_ours(path)  # warm the page cache, so no side pays for the disk
        for _ in range(args.repeats):  # alternate, so machine noise hits all alike
            for name, command in tools.items():
                seconds, digest = time_tool(command, path)
                times[name].append(seconds)
                digests.add(digest)
            seconds, digest = time_ours(path)
            times[OURS].append(seconds)
            digests.add(digest)
    finally:
        path.unlink(missing_ok=True)
    best = {name: min(values) for name, values in times.items()}
    speed = {name: size / seconds / 1e6 for name, seconds in best.items()}
    print(f"file: {size / MIB:,.0f} MiB of random bytes; best of {args.repeats}, alternating")
    for name in times:
        print(f"{name:<44} {best[name]:6.2f} s {speed[name]:7,.0f} MB/s")
    ratio = speed[OURS] / speed[next(iter(tools))]
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"ratio ours/sha256sum (speed): {ratio:.2f}  (target >= {TARGET}: {verdict})")
    if openssl:
        name = list(tools)[1]
        print(f"ratio ours/openssl   (speed): {speed[OURS] / speed[name]:.2f}  (context only)")
    print(f"all digests agree: {len(digests) == 1}")
    if len(digests) != 1:
        sys.exit(1)


if __name__ == "__main__":
    main()
