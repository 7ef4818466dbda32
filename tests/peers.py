"""Where the peer tools' test cases are (breseq's, for mutation calling).

They live outside the repository (``../shared/peers`` beside it, GPL data not copied in):
``$MICROSPACEGEN_PEERS``, else beside the repository, else ``/work/shared/peers``. A test
that needs them is skipped, saying so, on a machine without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def breseq() -> Path:
    """The folder of breseq's cases (``tests/…`` inside it)."""
    for candidate in (
        os.environ.get("MICROSPACEGEN_PEERS"),
        ROOT.parent / "shared" / "peers",
        "/work/shared/peers",
    ):
        if candidate and Path(candidate, "breseq").is_dir():
            return Path(candidate, "breseq")
    pytest.skip("breseq's peer cases not found (set MICROSPACEGEN_PEERS to their folder)")
