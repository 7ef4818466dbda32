"""Verification time per dataset, file hashing left out, beside a bare anchorOf eth_call.

    python bench/ledger_verify.py [--quick] [--datasets 1000] [--batch 1000]

Anchors --datasets datasets through the app's path on the embedded chain (as
bench/ledger_anchoring.py does, in batches of --batch), takes each one's proof bundle from
dashboard.services.provenance_proof, then, over one open connection, times per dataset:

- verify: parse the bundle (ledger.proof.parse_bundle: the record re-checked and re-hashed,
  the leaf and the Merkle path rebuilt) and ledger.verify.verify_bundle without a file
  (record and proof checks, then the contract's one-call ``verify``: anchored, when, by
  whom, included, retracted, confirmations);
- the anchor: one ``anchorOf(root)`` eth_call for the same dataset (Registry.anchor_of),
  the least any on-chain check costs.

The local part alone (the same, offline) is timed too. They alternate dataset by
dataset, so machine noise hits all alike. Prints median and p95 of each and the ratio of
the medians, and fails (exit 1) if any dataset does not verify.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, for ledger_setup

from ledger_setup import add_datasets, open_app

from dashboard.services import ledger_anchoring, provenance_proof
from ledger.network import connect
from ledger.proof import parse_bundle
from ledger.verify import verify_bundle


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 datasets")
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000, help="datasets per anchored batch")
    args = parser.parse_args()
    n = 200 if args.quick else args.datasets
    verify_s: list[float] = []
    floor_s: list[float] = []
    local_s: list[float] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="msg-verify-") as tmp:
        db, chain, actor, experiment_id, sample_id = open_app(Path(tmp))
        try:
            ids = add_datasets(db, actor, experiment_id, sample_id, n, chunk=args.batch)
            policy = ledger_anchoring.BatchPolicy(size=args.batch)
            reports = list(ledger_anchoring.run_until_idle(db, chain, policy, "bench"))
            if any(r.error for r in reports):
                sys.exit(f"anchoring failed: {[r.error for r in reports if r.error]}")
            texts = [json.dumps(provenance_proof.proof_bundle(db, i)) for i in ids]
        finally:
            db.dispose()
        with connect(chain) as ledger:
            registry = ledger.registry
            registry.anchor_of(bytes(32))  # warm: the first call loads the contract's code
            for text in texts:
                started = time.perf_counter()
                bundle = parse_bundle(text)
                report = verify_bundle(None, bundle, registry, min_confirmations=1)
                verify_s.append(time.perf_counter() - started)
                # ok is None only because the file was not given: every other step passed.
                if report.ok is False or any(c.ok is None for c in report.checks[1:]):
                    failures.append(f"{bundle.dataset_id}: {report.checks}")
                started = time.perf_counter()
                verify_bundle(None, parse_bundle(text), None)  # offline: the local part only
                local_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                found = registry.anchor_of(bundle.root)
                floor_s.append(time.perf_counter() - started)
                if found is None:
                    failures.append(f"{bundle.dataset_id}: anchorOf found no anchor")
            marks = {True: "ok", False: "FAILED", None: "skipped"}
            steps = [f"{c.name} [{marks[c.ok]}]" for c in report.checks]
    verify_ms = [s * 1000 for s in verify_s]
    floor_ms = [s * 1000 for s in floor_s]
    local_ms = [s * 1000 for s in local_s]
    print(
        f"{n:,} datasets anchored in batches of {args.batch} on the embedded chain; "
        f"one connection; file hashing left out"
    )
    print(f"{'per dataset':<58} {'median ms':>9} {'p95 ms':>8}")
    print(
        f"{'verify: parse bundle + record/proof checks + verify() call':<58} "
        f"{statistics.median(verify_ms):9.2f} {p95(verify_ms):8.2f}"
    )
    print(
        f"{'  of which local (the same, offline: no chain call)':<58} "
        f"{statistics.median(local_ms):9.2f} {p95(local_ms):8.2f}"
    )
    print(
        f"{'anchor: one anchorOf(root) eth_call':<58} "
        f"{statistics.median(floor_ms):9.2f} {p95(floor_ms):8.2f}"
    )
    ratio = statistics.median(verify_ms) / statistics.median(floor_ms)
    print(f"ratio verify/anchorOf (medians): {ratio:.2f}")
    print(f"steps (last dataset): {', '.join(steps)}")
    print(f"all {n:,} verified: {not failures}")
    if failures:
        print("\n".join(failures[:5]))
        sys.exit(1)


if __name__ == "__main__":
    main()
