"""End-to-end anchoring of 10,000 datasets on the embedded chain, beside one anchor per dataset.

    python bench/ledger_anchoring.py [--quick] [--datasets 10000] [--batch 1000] [--single 200]

Through the app's own path, in a temporary directory: a fresh SQLite database (migrated), a
user, an experiment, then --datasets Dataset rows written in bulk, each with its provenance
record (dashboard.services.provenance.record_dataset, in the dataset's transaction, as an
import does); then the anchoring worker's ``run_until_idle`` with BatchPolicy(size=--batch)
batches them (Merkle trees, proofs) and anchors each batch on the embedded chain; then the
proof bundle of every dataset is built (dashboard.services.provenance_proof.proof_bundle).
Prints the time of each phase, datasets per second end to end, and checks that every
dataset shows as anchored (exit status 1 if not).

The anchor, in the same run and on the same chain: --single anchor() transactions of one
leaf each (sent and their receipts read, through ledger.chain.Registry), the
one-transaction-per-dataset design, extrapolated to --datasets. It leaves out the database
work the worker does, so it flatters the one-per-dataset side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, for ledger_setup

from ledger_setup import add_datasets, open_app
from sqlalchemy import func, select

from dashboard.models import LedgerBatch
from dashboard.services import ledger_anchoring, provenance, provenance_proof
from ledger.network import connect


class PhaseClock:
    """Adds up the time spent in module-level functions the worker calls (bench only)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._saved: list[tuple[Any, str, Any]] = []

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name, None)
        if original is None:
            return
        self.seconds.setdefault(label, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started

        self._saved.append((module, name, original))
        setattr(module, name, timed)

    def restore(self) -> None:
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)
        self._saved.clear()


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _open_once(chain: Any) -> None:
    with connect(chain, signing=True):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 datasets, 50 single anchors")
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--single", type=int, default=200, help="one-leaf anchors to time")
    args = parser.parse_args()
    n, singles = (2000, 50) if args.quick else (args.datasets, args.single)
    policy = ledger_anchoring.BatchPolicy(size=args.batch)

    with tempfile.TemporaryDirectory(prefix="msg-anchoring-") as tmp:
        db, chain, actor, experiment_id, sample_id = open_app(Path(tmp))
        try:
            record_s, ids = timed(
                lambda: add_datasets(db, actor, experiment_id, sample_id, n, chunk=args.batch)
            )
            # The first connection makes the chain and deploys the registry (once per
            # chain): done first, so it is not counted as anchoring.
            deploy_s, _ = timed(lambda: _open_once(chain))

            clock = PhaseClock()
            clock.wrap(ledger_anchoring, "close_batches", "batch (Merkle trees, proofs)")
            clock.wrap(ledger_anchoring, "_advance", "anchor (send, receipt, record)")
            try:
                run_s, reports = timed(
                    lambda: list(ledger_anchoring.run_until_idle(db, chain, policy, "bench"))
                )
            finally:
                clock.restore()
            errors = [r.error for r in reports if r.error]
            anchored_batches = sum(r.anchored for r in reports)

            proof_s, bundles = timed(lambda: [provenance_proof.proof_bundle(db, i) for i in ids])
            status_s, statuses = timed(lambda: provenance.status_map(db, ids, 1))
            anchored = sum(st.state == provenance.ANCHORED for st in statuses.values())
            with db.read() as s:
                batches = s.scalar(select(func.count()).select_from(LedgerBatch)) or 0
                gas = list(s.scalars(select(LedgerBatch.gas_used)))

            # The anchor: one anchor() per dataset, on the same chain, in the same run.
            with connect(chain, signing=True) as ledger:
                account = ledger.account
                assert account is not None
                per_single = []
                for _ in range(singles):
                    started = time.perf_counter()
                    tx = ledger.registry.anchor(account, os.urandom(32), 1, os.urandom(32))
                    receipt = ledger.registry.receipt(tx)
                    per_single.append(time.perf_counter() - started)
                    if receipt is None or receipt.status != 1:
                        raise RuntimeError(f"single anchor failed: {receipt}")
        finally:
            db.dispose()

    total_s = record_s + run_s + proof_s
    single_s = statistics.mean(per_single)
    extrapolated = single_s * n
    print(
        f"{n:,} datasets, BatchPolicy(size={args.batch}), embedded chain, SQLite; "
        f"{batches} batches (the audit checkpoint rides along), {len(reports)} worker steps"
    )
    print(f"{'phase':<44} {'seconds':>8} {'datasets/s':>11}")
    rows = [("record (datasets + provenance records)", record_s)]
    rows.append(("run_until_idle (batch + anchor), of which:", run_s))
    rows += [(f"  {label}", seconds) for label, seconds in clock.seconds.items()]
    rows.append(
        ("  other (lease, backfill, queries, connect)", run_s - sum(clock.seconds.values()))
    )
    rows.append(("proof bundle for each dataset", proof_s))
    rows.append(("end to end (record + run_until_idle + proofs)", total_s))
    for label, seconds in rows:
        print(f"{label:<44} {seconds:8.2f} {n / seconds:11,.0f}")
    print(
        f"check: {anchored:,}/{n:,} datasets anchored, {len(bundles):,} bundles, "
        f"{anchored_batches} batches anchored, errors: {errors or 'none'}; "
        f"status_map of all: {status_s:.2f} s; gas per batch "
        f"{min(g or 0 for g in gas):,}-{max(g or 0 for g in gas):,}"
    )
    print(
        f"anchor: one anchor() per dataset: {singles} single-leaf anchors took "
        f"{sum(per_single):.2f} s ({single_s * 1000:.1f} ms each, median "
        f"{statistics.median(per_single) * 1000:.1f} ms)"
    )
    print(
        f"        extrapolated to {n:,} datasets: {extrapolated:,.0f} s "
        f"({n / extrapolated:,.0f} datasets/s)"
    )
    print(
        f"ratio: batched run_until_idle is {extrapolated / run_s:,.0f}x faster than one "
        f"anchor per dataset; end to end (with records and proofs) {extrapolated / total_s:,.1f}x"
    )
    print(f"(not counted: creating the chain and deploying the registry, {deploy_s:.2f} s)")
    if anchored != n or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
