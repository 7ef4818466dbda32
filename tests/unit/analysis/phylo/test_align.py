"""Aligning unaligned genes with FAMSA: checked against the alignment the sequences came from."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.phylo import PhyloInputError
from analysis.phylo.align import (
    ALIGN_MAX_LENGTH,
    align_sequences,
    check_unaligned,
    read_unaligned_fasta,
)
from analysis.phylo.alignment import alignment_from_records
from analysis.phylo.distances import alignment_distances


def _simulated(seed: int = 7) -> tuple[list[str], list[bytes]]:
    """A true alignment of 12 genes of ~900 bases: substitutions and a few short deletions."""
    rng = np.random.default_rng(seed)
    ancestor = rng.choice(np.frombuffer(b"ACGT", dtype=np.uint8), 900)
    rows = []
    for i in range(12):
        row = ancestor.copy()
        sites = rng.choice(900, 15 + 5 * (i % 4), replace=False)
        row[sites] = rng.choice(np.frombuffer(b"ACGT", dtype=np.uint8), sites.size)
        if i % 3 == 0:  # a 6-base deletion somewhere in the middle third
            start = int(rng.integers(300, 600))
            row[start : start + 6] = ord("-")
        rows.append(row.tobytes())
    return [f"g{i}" for i in range(12)], rows


def test_famsa_recovers_the_true_alignments_distances() -> None:
    labels, true_rows = _simulated()
    truth = alignment_distances(alignment_from_records(labels, true_rows, "truth"), "p")
    ungapped = [row.replace(b"-", b"") for row in true_rows]
    assert len({len(s) for s in ungapped}) > 1  # really unaligned
    aligned = align_sequences(labels, ungapped, "genes")
    # Gaps only added, never bases changed: each row without gaps is the input.
    for row, original in zip(aligned.codes, ungapped, strict=True):
        assert row.tobytes().replace(b"-", b"") == original
    found = alignment_distances(aligned, "p")
    # A deletion may be placed a base or two away from where it truly was (equally good
    # alignments); that moves a p-distance by at most a few columns in ~890.
    assert np.abs(found.values - truth.values).max() < 5 / 890


def test_sequences_that_cannot_be_aligned_here_are_refused_by_name() -> None:
    with pytest.raises(PhyloInputError, match="'b' is 100,001 bases"):
        check_unaligned(["a", "b"], [b"ACGT", b"A" * (ALIGN_MAX_LENGTH + 1)], "genes")
    with pytest.raises(PhyloInputError, match="'b' is empty"):
        check_unaligned(["a", "b"], [b"ACGT", b""], "genes")
    with pytest.raises(PhyloInputError, match="sequence 'a', position 3"):
        check_unaligned(["a", "b"], [b"ACJT", b"ACGT"], "genes")


def test_an_unaligned_fasta_is_read_and_a_gapped_one_of_unequal_rows_refused() -> None:
    labels, seqs = read_unaligned_fasta(b">x desc\nACGGT\n>y\nACG\n", "genes.fasta")
    assert labels == ["x", "y"]
    assert seqs == [b"ACGGT", b"ACG"]
    # Gaps make it an alignment: unequal rows are a broken one, not genes to align.
    with pytest.raises(PhyloInputError, match=r"sequence 'x'.*unequal length \(5 columns"):
        read_unaligned_fasta(b">x\nAC-GT\n>y\nACGTAC\n", "aligned.fasta")
    with pytest.raises(PhyloInputError, match="starts with '>'"):
        read_unaligned_fasta(b"ACGT\n", "genes.fasta")
