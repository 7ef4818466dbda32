"""Align unaligned nucleotide sequences (genes, not genomes) with FAMSA.

pyfamsa binds FAMSA (Deorowicz et al. 2016; FAMSA2 2024), a progressive aligner that is
fast and accurate on thousands of sequences; it ships as a wheel (no program to install)
and, unlike MAFFT or Clustal Omega, is called in-process. FAMSA's default scoring matrix
is for proteins, so DNA is scored with NUC.4.4 (the EMBOSS/NCBI nucleotide matrix).
Whole genomes are not aligned here: MinHash distances are the tool for those.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from importlib.metadata import version

from Bio import SeqIO

from ._text import decode_upload
from .alignment import Alignment, alignment_from_records
from .errors import PhyloInputError

ALIGN_MAX_LENGTH = 100_000  # bases of the longest sequence: a gene or an operon
ALIGN_MAX_SEQUENCES = 5000
ALIGNER = f"FAMSA (pyfamsa {version('pyfamsa')}), NUC.4.4 scores"
_NOT_NUCLEOTIDE = re.compile(rb"[^ACGTURYSWKMBDHVNacgturyswkmbdhvn]")


def align_sequences(labels: Sequence[str], seqs: Sequence[bytes | str], where: str) -> Alignment:
    """Align ``seqs`` (one thread) and return them as a checked :class:`Alignment`.

    >>> al = align_sequences(["a", "b", "c"], ["ACGTACGTTTGACCA", "ACGTACGTGACCA",
    ...                                        "ACGAACGTTTGACCA"], "genes")
    >>> [row.tobytes().decode() for row in al.codes]
    ['ACGTACGTTTGACCA', 'ACGTACGT--GACCA', 'ACGAACGTTTGACCA']
    """
    from pyfamsa import Aligner
    from pyfamsa import Sequence as FamsaSequence
    from scoring_matrices.lib import ScoringMatrix

    raw = check_unaligned(labels, seqs, where)
    keys = [str(i).encode() for i in range(len(raw))]  # FAMSA's ids are bytes; labels may not be
    aligner = Aligner(threads=1, scoring_matrix=ScoringMatrix.from_name("NUC.4.4"))
    result = aligner.align(
        [FamsaSequence(k, s.upper().replace(b"U", b"T")) for k, s in zip(keys, raw, strict=True)]
    )
    rows = {bytes(r.id): bytes(r.sequence) for r in result}
    return alignment_from_records(labels, [rows[k] for k in keys], where)


def check_unaligned(labels: Sequence[str], seqs: Sequence[bytes | str], where: str) -> list[bytes]:
    """The sequences as bytes once they can be aligned here: not too many, not too long
    (genes, not genomes), none empty, nucleotide codes only."""
    raw = [s.encode("ascii", "replace") if isinstance(s, str) else bytes(s) for s in seqs]
    if len(raw) > ALIGN_MAX_SEQUENCES:
        raise PhyloInputError(where, f"{len(raw):,} sequences; at most {ALIGN_MAX_SEQUENCES:,}")
    for label, seq in zip(labels, raw, strict=True):
        if len(seq) > ALIGN_MAX_LENGTH:
            raise PhyloInputError(
                where,
                f"sequence {label!r} is {len(seq):,} bases; sequences longer than "
                f"{ALIGN_MAX_LENGTH:,} are genomes, not genes: use MinHash (mash) distances",
            )
        if not seq:
            raise PhyloInputError(where, f"sequence {label!r} is empty")
    for label, seq in zip(labels, raw, strict=True):  # before FAMSA sees them
        bad = _NOT_NUCLEOTIDE.search(seq)
        if bad:
            raise PhyloInputError(
                f"{where}, sequence {label!r}, position {bad.start() + 1}",
                f"{chr(seq[bad.start()])!r} is not an IUPAC nucleotide code",
            )
    return raw


def read_unaligned_fasta(data: bytes, filename: str) -> tuple[list[str], list[bytes]]:
    """The records of a FASTA file whose sequences need not be of equal length."""
    text = decode_upload(data, filename, "upload a FASTA text file")
    if not text.lstrip().startswith(">"):
        raise PhyloInputError(f"{filename}, line 1", "a FASTA file starts with '>'")
    records = list(SeqIO.parse(io.StringIO(text), "fasta"))  # type: ignore[no-untyped-call]
    if any(not r.id for r in records):
        raise PhyloInputError(filename, "a FASTA header ('>') has no name")
    lengths = {len(r.seq) for r in records}
    gapped = next((r for r in records if b"-" in bytes(r.seq)), None)
    if gapped is not None and len(lengths) > 1:
        # Gaps say the file is an alignment: rows of unequal length are a broken one, and
        # aligning it again would hide that.
        longest = max(records, key=lambda r: len(r.seq))
        raise PhyloInputError(
            f"{filename}, sequence {gapped.id!r}",
            f"the file has gaps ('-'), so it is an alignment, but its sequences are of unequal "
            f"length ({len(gapped.seq)} columns in {gapped.id!r}, {len(longest.seq)} in "
            f"{longest.id!r}); fix the alignment, or remove the gaps to have the sequences "
            "aligned here",
        )
    return [str(r.id) for r in records], [bytes(r.seq) for r in records]
