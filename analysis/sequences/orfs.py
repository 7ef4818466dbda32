"""Open reading frames in all six frames, found with vectorised codon lookups.

An ORF runs from a start codon to the next in-frame stop codon. For each stop codon only
the longest ORF is reported: the one from the first start codon after the previous
in-frame stop. Codons containing a base other than A, C, G, T/U are neither starts nor
stops (an ORF runs through an N); their amino acid is resolved as NCBI does, else X.

On a linear sequence an ORF must end with a stop codon inside the sequence: one running off
the end is not reported, and the first ORF of each frame begins at the first start codon
of that frame (it may continue upstream of the sequence). With ``circular=True`` the
sequence is read as a circle: ORFs may cross the origin, stops may straddle it, and an ORF
is at most one turn long (with no stop upstream within the turn, it begins at the earliest
start codon that keeps it within the length of the sequence). A crossing ORF has
``end > len(sequence)``, positions being taken modulo the length: its bases are
``sequence[start:] + sequence[:end - len(sequence)]``, reverse-complemented on the minus
strand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.sequences._codes import (
    U8,
    base_codes,
    codon_indices,
    genetic_code,
    lookups,
    reverse_complement,
    reverse_complement_codes,
    translate_indices,
)

_NUCLEOTIDES = frozenset("ACGT")


@dataclass(frozen=True)
class Orf:
    """One open reading frame; 0-based half-open coordinates on the forward strand.

    ``start..end`` includes the stop codon, on either strand (on the minus strand the start
    codon is at ``end - 3 .. end`` read reverse-complemented). ``frame`` is +1..+3 when the
    ORF's first base is at a forward position ≡ 0, 1, 2 (mod 3) and -1..-3 when it starts at
    position ≡ 0, 1, 2 (mod 3) of the reverse complement.
    ``length_nt`` counts the stop codon; ``protein`` does not include it and begins with M
    whatever the start codon.
    """

    start: int
    end: int
    strand: int
    frame: int
    length_nt: int
    protein: str


def find_orfs(
    sequence: str,
    *,
    min_length_nt: int = 300,
    table: int = 11,
    starts: tuple[str, ...] = ("ATG", "GTG", "TTG"),
    circular: bool = False,
) -> list[Orf]:
    """Find the longest ORF ending at each stop codon in the six frames of ``sequence``.

    ORFs shorter than ``min_length_nt`` (stop codon included) are dropped. ``table`` is the
    NCBI genetic code whose stops end ORFs; ``starts`` are the start codons. ORFs are
    sorted by start, then strand.

    >>> for orf in find_orfs("CCATGAAATAGCTCAGGGCATCC", min_length_nt=9):
    ...     print(orf.start, orf.end, orf.frame, orf.protein)
    2 11 3 MK
    12 21 -3 MP

    Raises
    ------
    ValueError
        For an unknown genetic code, a start codon that is not three of A, C, G, T or is a
        stop codon of the table, or a negative ``min_length_nt``.
    """
    code = genetic_code(table)
    normal = tuple(s.upper().replace("U", "T") for s in starts)
    for codon in normal:
        if len(codon) != 3 or not set(codon) <= _NUCLEOTIDES:
            raise ValueError(f"start codon {codon!r} is not three of A, C, G, T")
        if codon in code.stop_codons:
            raise ValueError(f"start codon {codon} is a stop codon in genetic code {table}")
    if min_length_nt < 0:
        raise ValueError(f"min_length_nt must be at least 0 (got {min_length_nt})")
    n = len(sequence)
    forward = base_codes(sequence)
    strands = (
        (1, forward, lambda: sequence),
        (-1, reverse_complement_codes(forward), lambda: reverse_complement(sequence)),
    )
    start_codons = tuple(sorted(set(normal)))
    found: list[Orf] = []
    for strand, codes, text in strands:
        for start, end, protein in _scan(codes, text, table, start_codons, min_length_nt, circular):
            if strand == -1:  # reverse-complement coordinates back to the forward strand
                start, end = n - end, n - start
                if start < 0:
                    start, end = start + n, end + n
            frame_start = start if strand == 1 else (n - end) % n
            frame = strand * (frame_start % 3 + 1)
            found.append(Orf(start, end, strand, frame, end - start, protein))
    found.sort(key=lambda orf: (orf.start, -orf.strand, orf.end))
    return found


def _scan(
    codes: U8,
    text: Callable[[], str],
    table: int,
    starts: tuple[str, ...],
    min_length_nt: int,
    circular: bool,
) -> list[tuple[int, int, str]]:
    """ORFs of one strand as ``(start, end, protein)`` in that strand's coordinates.

    ``codes`` are the strand's base codes; ``text()`` gives its letters, needed only to
    translate codons with ambiguity codes.
    """
    n = codes.size
    if circular and n:
        # Read a little past the origin: far enough that each frame of the copy has seen a
        # stop codon (`keep_from`), so every stop kept has its previous in-frame stop.
        first_stops = _first_stop_per_frame(codes, table)
        keep_from = min(n, 3 + max(first_stops)) if len(first_stops) == 3 else n
        extended = np.concatenate((codes, np.resize(codes, keep_from + 2)))

        def extended_text() -> str:
            letters = text()
            turns = (keep_from + 2) // n + 1  # more than one only when n < keep_from + 2
            return letters + (letters * turns)[: keep_from + 2]
    else:
        keep_from = 0
        extended = codes
        extended_text = text
    index = codon_indices(extended)
    code = lookups(table, starts)
    is_stop = code.is_stop[index]
    is_start = code.is_start[index]
    found: list[tuple[int, int, str]] = []
    for frame in range(3):
        stops = np.flatnonzero(is_stop[frame::3])  # codon numbers within the frame
        candidates = np.flatnonzero(is_start[frame::3])
        if stops.size == 0 or candidates.size == 0:
            continue
        previous = np.concatenate(([-1], stops[:-1]))
        lowest = previous + 1
        if circular:  # at most one turn: no start more than n - 3 bases before the stop
            lowest = np.maximum(lowest, stops - (n - 3) // 3)
        first = np.searchsorted(candidates, lowest)
        has_start = first < candidates.size
        first_start = candidates[np.minimum(first, candidates.size - 1)]
        begin = frame + 3 * first_start
        end = frame + 3 * stops + 3
        keep = has_start & (first_start < stops) & (end - begin >= min_length_nt)
        if circular:
            stop_at = end - 3
            keep &= (stop_at >= keep_from) & (stop_at < keep_from + n)
        if not keep.any():
            continue
        protein_frame = translate_indices(index[frame::3], table, extended_text, frame)
        for b, e in zip(begin[keep].tolist(), end[keep].tolist(), strict=True):
            protein = "M" + protein_frame[(b - frame) // 3 + 1 : (e - frame) // 3 - 1]
            if b >= n:
                b, e = b - n, e - n
            found.append((b, e, protein))
    return found


def _first_stop_per_frame(codes: U8, table: int) -> list[int]:
    """Position of the first stop codon in each frame that has one."""
    firsts: list[int] = []
    for prefix in (4096, codes.size):  # stops are usually found in the first few hundred
        is_stop = lookups(table).is_stop[codon_indices(codes[:prefix])]
        firsts = []
        for frame in range(3):
            hits = np.flatnonzero(is_stop[frame::3])
            if hits.size:
                firsts.append(frame + 3 * int(hits[0]))
        if len(firsts) == 3:
            break
    return firsts
