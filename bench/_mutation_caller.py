"""Run our caller on one sample and write its calls as JSON (a child process of the bench,
so its time and memory are measured on their own).

    python bench/_mutation_caller.py REFERENCE.gbk R1 R2 consensus|polymorphism OUT.json
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.mutations.call import Mode, ReadSet, call_mutations  # noqa: E402
from analysis.sequences.records import load_records  # noqa: E402


def main() -> None:
    reference, r1, r2, mode, out = sys.argv[1:6]
    records = load_records(Path(reference), "genbank", "none")
    result = call_mutations(records, [ReadSet("sample", (Path(r1), Path(r2)))], Mode(mode))
    rows = []
    for m in result.mutations:
        row = asdict(m)
        row["evidence"] = {"depth": m.evidence.depth}  # for the bench's sampling floor
        rows.append(row)
    summary = {"reads": result.reads, "mapped": result.mapped, "mutations": rows}
    Path(out).write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
