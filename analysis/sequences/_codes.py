"""Nucleotide codes, complements and genetic-code lookups shared by the sequence modules.

Sequences are Python ``str``; the vectorised code works on ``numpy.uint8`` arrays of their
ASCII bytes. A base is coded A=0, C=1, G=2, T/U=3 and anything else 4, so a codon of three
definite bases has the index ``16*b0 + 4*b1 + b2`` (0..63) and any other codon the index 64.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from Bio.Data import CodonTable
from Bio.Seq import translate as _bio_translate

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
BOOL = npt.NDArray[np.bool_]

BASES = "ACGT"
AMBIGUOUS_CODON = 64

# IUPAC nucleotide complement, both cases; U pairs with A. Other characters are kept.
_COMPLEMENT = str.maketrans(
    "ACGTURYSWKMBDHVNacgturyswkmbdhvn",
    "TGCAAYRSWMKVHDBNtgcaayrswmkvhdbn",
)

_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _CODE[ord(_b.lower())] = _i
_CODE[ord("U")] = _CODE[ord("u")] = 3


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


def codon_indices(codes: U8) -> npt.NDArray[np.int16]:
    """Index (0..64) of the codon starting at every position ``0..len-3`` of ``codes``."""
    if codes.size < 3:
        return np.zeros(0, dtype=np.int16)
    c = codes.astype(np.int16)
    index = (c[:-2] << 4) | (c[1:-1] << 2) | c[2:]
    ambiguous = (codes[:-2] == 4) | (codes[1:-1] == 4) | (codes[2:] == 4)
    index[ambiguous] = AMBIGUOUS_CODON
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
    """Per-codon-index lookups (65 entries, index 64 = codon with a non-ACGT base)."""

    table: int
    amino_acid: U8  # ASCII letter; '*' for stops, 'X' for index 64 (refined per codon later)
    is_stop: BOOL
    is_start: BOOL


def _codon(index: int) -> str:
    return BASES[index >> 4] + BASES[(index >> 2) & 3] + BASES[index & 3]


@cache
def lookups(table: int, starts: tuple[str, ...] | None = None) -> CodeLookups:
    """Lookups for genetic code ``table``; start codons are the table's own unless given."""
    code = genetic_code(table)
    start_set = set(code.start_codons if starts is None else starts)
    amino_acid = np.full(65, ord("X"), dtype=np.uint8)
    is_stop = np.zeros(65, dtype=np.bool_)
    is_start = np.zeros(65, dtype=np.bool_)
    for index in range(64):
        codon = _codon(index)
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


def translate(sequence: str, table: int) -> str:
    """Translate every whole codon of ``sequence`` (from its first base) with code ``table``.

    Stops are ``*``. Codons with IUPAC ambiguity codes are resolved as NCBI and Biopython
    do (``GCN`` is A, ``TAR`` is a stop); undetermined ones are ``X``.

    >>> translate("ATGGCNTARTT", 11)
    'MA*'
    """
    genetic_code(table)
    codes = base_codes(sequence)
    n_codons = codes.size // 3
    if n_codons == 0:
        return ""
    triplets = codes[: 3 * n_codons].reshape(n_codons, 3)
    index = (
        (triplets[:, 0].astype(np.int16) << 4)
        | (triplets[:, 1].astype(np.int16) << 2)
        | triplets[:, 2].astype(np.int16)
    )
    ambiguous = np.flatnonzero((triplets == 4).any(axis=1))
    letters = lookups(table).amino_acid[index]
    if ambiguous.size:
        letters = letters.copy()
        upper = sequence.upper()
        for k in ambiguous.tolist():
            letters[k] = ord(_ambiguous_amino_acid(upper[3 * k : 3 * k + 3], table))
    return str(letters.tobytes().decode("ascii"))
