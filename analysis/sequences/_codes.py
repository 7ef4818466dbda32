"""Nucleotide codes, complements and genetic-code lookups shared by the sequence modules.

Sequences are Python ``str``; the vectorised code works on ``numpy.uint8`` arrays. A base is
coded A=0, C=1, G=2, T/U=3 (either case) and anything else 4, and the codon starting at a
position has the index ``25*b0 + 5*b1 + b2`` (0..124), so one table lookup answers "is it a
stop", "is it a start" or "which amino acid" for definite and indefinite codons alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from Bio.Data import CodonTable
from Bio.Seq import translate as _bio_translate

U8 = npt.NDArray[np.uint8]
BOOL = npt.NDArray[np.bool_]

BASES = "ACGT"
N_CODONS = 125  # 5 ** 3
UNRESOLVED = 0  # amino-acid table entry of a codon holding a code other than A/C/G/T

# IUPAC nucleotide complement, both cases; U pairs with A. Other characters are kept.
_COMPLEMENT = str.maketrans(
    "ACGTURYSWKMBDHVNacgturyswkmbdhvn",
    "TGCAAYRSWMKVHDBNtgcaayrswmkvhdbn",
)

_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _CODE[ord(_b.lower())] = _i
_CODE[ord("U")] = _CODE[ord("u")] = 3
_COMPLEMENT_CODE = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


def reverse_complement(sequence: str) -> str:
    """Return the reverse complement of an IUPAC nucleotide sequence.

    >>> reverse_complement("AACGTRN")
    'NYACGTT'
    """
    return sequence.translate(_COMPLEMENT)[::-1]


def as_bytes(sequence: str) -> U8:
    """View ``sequence`` as an array of ASCII codes (characters beyond ASCII become ``?``)."""
    return np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)


def base_codes(sequence: str) -> U8:
    """Code each base A=0, C=1, G=2, T/U=3 (either case), anything else 4."""
    return _CODE[as_bytes(sequence)]


def reverse_complement_codes(codes: U8) -> U8:
    """Base codes of the reverse complement, from the base codes of the forward strand."""
    return _COMPLEMENT_CODE[codes[::-1]]


def codon_indices(codes: U8) -> U8:
    """Index (0..124) of the codon starting at every position ``0..len-3`` of ``codes``."""
    if codes.size < 3:
        return np.zeros(0, dtype=np.uint8)
    index: U8 = codes[:-2] * np.uint8(25) + codes[1:-1] * np.uint8(5) + codes[2:]
    return index


def genetic_code(table: int) -> CodonTable.CodonTable:
    """Return NCBI genetic code ``table`` or raise ValueError naming the known ones."""
    try:
        code: CodonTable.CodonTable = CodonTable.unambiguous_dna_by_id[table]
    except KeyError:
        known = ", ".join(str(i) for i in sorted(CodonTable.unambiguous_dna_by_id))
        raise ValueError(f"unknown genetic code {table!r}; NCBI tables are {known}") from None
    return code


@dataclass(frozen=True)
class CodeLookups:
    """Per-codon-index lookups (125 entries).

    ``amino_acid`` holds ASCII letters ('*' for stops) and ``UNRESOLVED`` for codons with a
    code other than A/C/G/T, which are neither starts nor stops.
    """

    table: int
    amino_acid: U8
    is_stop: BOOL
    is_start: BOOL


@cache
def lookups(table: int, starts: tuple[str, ...] | None = None) -> CodeLookups:
    """Lookups for genetic code ``table``; start codons are the table's own unless given."""
    code = genetic_code(table)
    start_set = set(code.start_codons if starts is None else starts)
    amino_acid = np.full(N_CODONS, UNRESOLVED, dtype=np.uint8)
    is_stop = np.zeros(N_CODONS, dtype=np.bool_)
    is_start = np.zeros(N_CODONS, dtype=np.bool_)
    for b0, b1, b2 in np.ndindex(4, 4, 4):
        index = 25 * b0 + 5 * b1 + b2
        codon = BASES[b0] + BASES[b1] + BASES[b2]
        if codon in code.stop_codons:
            amino_acid[index] = ord("*")
            is_stop[index] = True
        else:
            amino_acid[index] = ord(code.forward_table[codon])
        is_start[index] = codon in start_set
    for array in (amino_acid, is_stop, is_start):
        array.flags.writeable = False
    return CodeLookups(table, amino_acid, is_stop, is_start)


@cache
def _ambiguous_amino_acid(codon: str, table: int) -> str:
    # Biopython's ambiguous tables resolve codons such as GCN (always Ala) or TAR (always a
    # stop); anything it cannot resolve, or that is not even IUPAC, is X.
    try:
        return str(_bio_translate(codon, table=table))  # type: ignore[no-untyped-call]
    except (CodonTable.TranslationError, KeyError, ValueError):
        return "X"


def translate_indices(indices: U8, table: int, text: Callable[[], str], offset: int = 0) -> str:
    """Translate consecutive codon ``indices``. The k-th codon is ``text()[offset + 3k:]``;
    ``text`` is called only to resolve codons with IUPAC ambiguity codes."""
    letters = lookups(table).amino_acid[indices]
    unresolved = np.flatnonzero(letters == UNRESOLVED)
    if unresolved.size:
        letters = letters.copy()
        sequence = text()
        for k in unresolved.tolist():
            start = offset + 3 * k
            codon = sequence[start : start + 3].upper()
            letters[k] = ord(_ambiguous_amino_acid(codon, table))
    return str(letters.tobytes().decode("ascii"))


def translate(sequence: str, table: int) -> str:
    """Translate every whole codon of ``sequence`` (from its first base) with code ``table``.

    Stops are ``*``. Codons with IUPAC ambiguity codes are resolved as NCBI and Biopython
    do (``GCN`` is A, ``TAR`` is a stop); undetermined ones are ``X``.

    >>> translate("ATGGCNTARNNNTT", 11)
    'MA*X'
    """
    genetic_code(table)
    codes = base_codes(sequence[: len(sequence) - len(sequence) % 3])
    triplets = codes.reshape(-1, 3)
    indices = triplets[:, 0] * np.uint8(25) + triplets[:, 1] * np.uint8(5) + triplets[:, 2]
    return translate_indices(indices, table, lambda: sequence)
