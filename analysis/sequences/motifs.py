"""Find a nucleotide motif, with IUPAC ambiguity codes, on both strands of a sequence."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from analysis.sequences._codes import as_bytes, reverse_complement

MOTIF_MAX_LENGTH = 200
IUPAC_CODES = "ACGTURYSWKMBDHVN"
_BASES = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "U": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
    "N": "ACGT",
}


@dataclass(frozen=True)
class MotifHit:
    """One occurrence: ``start..end`` 0-based half-open on the forward strand.

    ``matched`` is the sequence as read on the hit's strand (reverse-complemented for -1),
    so it lines up with the motif letter by letter.
    """

    start: int
    end: int
    strand: int
    matched: str


@dataclass(frozen=True)
class MotifResult:
    """Hits sorted by start, the plus strand first; ``is_truncated`` when more than
    ``max_hits`` were found and only the first ``max_hits`` are kept."""

    motif: str
    hits: tuple[MotifHit, ...]
    is_truncated: bool


@cache
def _allowed(letter: str) -> npt.NDArray[np.bool_]:
    """Sequence letters (either case) that surely are one of the bases ``letter`` stands for."""
    wanted = set(_BASES[letter])
    table = np.zeros(256, dtype=np.bool_)
    for code, bases in _BASES.items():
        if set(bases) <= wanted:
            table[ord(code)] = table[ord(code.lower())] = True
    return table


def normalise_motif(motif: str) -> str:
    """Upper-case ``motif``, U read as T, after checking it is 1..200 IUPAC codes.

    >>> normalise_motif("gaauuc")
    'GAATTC'
    >>> normalise_motif("GAXTTC")
    Traceback (most recent call last):
    ...
    ValueError: motif character 'X' at position 3 is not an IUPAC nucleotide code (ACGTURYSWKMBDHVN)
    """
    if not 1 <= len(motif) <= MOTIF_MAX_LENGTH:
        raise ValueError(
            f"motif must be 1 to {MOTIF_MAX_LENGTH} characters long (got {len(motif)})"
        )
    for position, letter in enumerate(motif, start=1):
        if letter.upper() not in IUPAC_CODES:
            raise ValueError(
                f"motif character {letter!r} at position {position} is not an IUPAC "
                f"nucleotide code ({IUPAC_CODES})"
            )
    return motif.upper().replace("U", "T")


def _positions(letters: npt.NDArray[np.uint8], motif: str) -> npt.NDArray[np.int64]:
    """Every start where ``motif`` surely matches, overlapping ones included."""
    n_starts = letters.size - len(motif) + 1
    if n_starts <= 0:
        return np.zeros(0, dtype=np.int64)
    # Test the most selective motif positions first and keep narrowing the candidates.
    order = sorted(range(len(motif)), key=lambda j: len(_BASES[motif[j]]))
    first = order[0]
    window = letters[first : first + n_starts]
    if motif[first] in "ACG":  # a comparison is much faster than a table lookup
        code = ord(motif[first])
        candidates = np.flatnonzero((window == code) | (window == code + 32))
    else:
        candidates = np.flatnonzero(_allowed(motif[first])[window])
    for j in order[1:]:
        if candidates.size == 0:
            break
        candidates = candidates[_allowed(motif[j])[letters[candidates + j]]]
    return candidates.astype(np.int64, copy=False)


def find_motif(sequence: str, motif: str, *, max_hits: int = 10_000) -> MotifResult:
    """Find ``motif`` on both strands of ``sequence``, overlapping hits included.

    The motif may use the IUPAC codes ACGTURYSWKMBDHVN (either case, U read as T). A
    sequence letter matches a motif letter when every base it stands for is one the motif
    letter allows: motif N matches any IUPAC letter, motif R matches A, G or R, and a sequence N
    matches only motif N. A palindromic motif (GAATTC) gives a hit on each strand at the
    same place. ``result.motif`` is the normalised motif.

    >>> [(h.start, h.strand, h.matched) for h in find_motif("AAGATCTTAGAT", "GAT").hits]
    [(2, 1, 'GAT'), (3, -1, 'GAT'), (9, 1, 'GAT')]

    Raises
    ------
    ValueError
        For a character that is no IUPAC code (naming it and its 1-based position), a motif
        outside 1..200 characters, or ``max_hits`` below 1.
    """
    motif = normalise_motif(motif)
    if max_hits < 1:
        raise ValueError(f"max_hits must be at least 1 (got {max_hits})")
    letters = as_bytes(sequence)
    plus = _positions(letters, motif)
    minus = _positions(letters, reverse_complement(motif))
    # Each strand's starts are sorted: only the first max_hits of each can be kept.
    starts = np.concatenate((plus[:max_hits], minus[:max_hits]))
    strands = np.concatenate(
        (np.ones(min(plus.size, max_hits), np.int8), -np.ones(min(minus.size, max_hits), np.int8))
    )
    order = np.lexsort((-strands, starts))[:max_hits]
    width = len(motif)
    hits = []
    for start, strand in zip(starts[order].tolist(), strands[order].tolist(), strict=True):
        matched = sequence[start : start + width].upper()
        if strand == -1:
            matched = reverse_complement(matched)
        hits.append(MotifHit(start, start + width, strand, matched))
    return MotifResult(motif, tuple(hits), is_truncated=plus.size + minus.size > max_hits)
