"""Reading trees in tests with Biopython (an independent reader, not the code under test)."""

from __future__ import annotations

import io
from typing import Any

from Bio import Phylo


def phylo(text: str, fmt: str = "newick") -> Any:
    """``text`` read by Bio.Phylo."""
    return Phylo.read(io.StringIO(text), fmt)


def splits(newick: str) -> set[frozenset[str]]:
    """Non-trivial bipartitions (unrooted), each as its smaller side (on a tie, the side
    without the first tip): equal sets mean Robinson–Foulds 0."""
    tree = phylo(newick)
    tips = frozenset(t.name for t in tree.get_terminals())
    first = min(tips)
    found = set()
    for clade in tree.get_nonterminals():
        side = frozenset(t.name for t in clade.get_terminals())
        other = tips - side
        if len(other) < len(side) or (len(other) == len(side) and first in side):
            side = other
        if 1 < len(side) < len(tips) - 1:
            found.add(side)
    return found
