"""Importing the chain client leaves the interpreter's recursion limit as it found it.

py-evm raises it to 100,000 on import; with that, hostile deeply nested JSON sent to the
server overflowed the C stack and killed the process instead of raising RecursionError.
"""

from __future__ import annotations

import subprocess
import sys


def test_the_chain_modules_put_the_recursion_limit_back() -> None:
    code = (
        "import sys; before = sys.getrecursionlimit(); "
        "import ledger.network, ledger.embedded, ledger.verify; "
        "print(before, sys.getrecursionlimit())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out[0] == out[1]
