"""Bootstrap supports: seeded reproducibility, progress and cancellation, and ~100 on the
clades an alignment was simulated from (and less on a clade it was not)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.phylo import PhyloInputError
from analysis.phylo.alignment import Alignment, alignment_from_records
from analysis.phylo.bootstrap import bootstrap
from analysis.phylo.newick import parse_newick

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def mutate(seq: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    out = seq.copy()
    hit = rng.random(seq.size) < rate
    out[hit] = BASES[rng.integers(0, 4, hit.sum())]
    return out


def structured(columns: int = 600, seed: int = 1) -> Alignment:
    """((A1,A2,A3),(B1,B2,B3),(C1,C2)): 20% change on each clade stem, 2% on each tip."""
    rng = np.random.default_rng(seed)
    root = BASES[rng.integers(0, 4, columns)]
    labels, seqs = [], []
    for clade, size in (("A", 3), ("B", 3), ("C", 2)):
        stem = mutate(root, 0.2, rng)
        for k in range(1, size + 1):
            labels.append(f"{clade}{k}")
            seqs.append(mutate(stem, 0.02, rng).tobytes().decode())
    return alignment_from_records(labels, seqs, "simulated")


def supports(newick: str) -> dict[frozenset[str], float]:
    """Clade (tips below an internal node) -> its support."""
    root = parse_newick(newick)
    out = {}
    for node in root.preorder():
        if node.children and node.support is not None:
            out[frozenset(t.name for t in node.tips())] = node.support
    return out


@pytest.mark.parametrize("method", ["nj", "upgma", "wpgma"])
def test_true_clades_get_full_support(method: str) -> None:
    found = supports(bootstrap(structured(), "jc69", method, replicates=50, seed=3))
    everyone = frozenset({"A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"})
    for clade in ({"A1", "A2", "A3"}, {"B1", "B2", "B3"}):
        # NJ's root trifurcation may show the clade as its complement.
        value = found.get(frozenset(clade), found.get(everyone - clade))
        assert value is not None, (clade, found)
        assert value >= 95, (clade, found)
    assert all(0 <= v <= 100 and v == int(v) for v in found.values())


def test_noise_gets_low_support() -> None:
    # Eight independent random sequences: no split is real, none should be well supported.
    rng = np.random.default_rng(7)
    seqs = [BASES[rng.integers(0, 4, 400)].tobytes().decode() for _ in range(8)]
    al = alignment_from_records([f"s{i}" for i in range(8)], seqs, "noise")
    found = supports(bootstrap(al, "p", "nj", replicates=40, seed=1))
    assert found
    assert max(found.values()) < 80


def test_same_seed_same_supports_different_seed_differs() -> None:
    rng = np.random.default_rng(11)
    seqs = [BASES[rng.integers(0, 4, 300)].tobytes().decode() for _ in range(7)]
    al = alignment_from_records([f"s{i}" for i in range(7)], seqs, "noise")
    first = bootstrap(al, "p", "nj", replicates=30, seed=5)
    assert bootstrap(al, "p", "nj", replicates=30, seed=5) == first
    assert any(bootstrap(al, "p", "nj", replicates=30, seed=s) != first for s in (6, 7, 8))


def test_progress_after_each_replicate_and_cancel_propagates() -> None:
    calls: list[tuple[int, int]] = []
    bootstrap(structured(200), "p", "nj", replicates=5, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        if done == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        bootstrap(structured(200), "p", "nj", replicates=10, progress=cancel)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(PhyloInputError, match="at least 1"):
        bootstrap(structured(100), "p", "nj", replicates=0)
    with pytest.raises(PhyloInputError, match="'ml' is not one of"):
        bootstrap(structured(100), "p", "ml")
