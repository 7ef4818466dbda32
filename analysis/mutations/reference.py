"""The reference as the caller sees it: records laid end to end in one coordinate space.

Every record (chromosome, plasmid) gets an ``offset`` into one array of base codes, so one
pileup covers them all. A circular record is indexed for alignment with its first bases
appended after its end, so a read across the origin aligns in one piece; positions past
the end fold back to the start (``Contig.fold``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.mutations.errors import MutationInputError
from analysis.sequences.records import Feature, Record

U8 = npt.NDArray[np.uint8]

# A C G T, anything else (N, IUPAC codes) is 4: never a variant base, never a match.
BASES = "ACGTN"
_CODES = np.full(256, 4, dtype=np.uint8)
for _code, _base in enumerate("ACGT"):
    _CODES[ord(_base)] = _code
    _CODES[ord(_base.lower())] = _code


def encode(text: str | bytes) -> U8:
    """Base codes (A=0 C=1 G=2 T=3, other=4) of a sequence."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    return _CODES[np.frombuffer(raw, dtype=np.uint8)]


def decode(codes: U8) -> str:
    """The sequence of base codes (4 reads as N)."""
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[codes].tobytes().decode("ascii")


@dataclass(frozen=True)
class Contig:
    """One reference record in the shared coordinate space."""

    index: int
    id: str
    sequence: str
    circular: bool
    offset: int
    features: tuple[Feature, ...]

    @property
    def length(self) -> int:
        return len(self.sequence)

    def fold(self, position: int) -> int:
        """A 0-based position on the (extended) indexed sequence, on the record itself."""
        return position % self.length if self.circular else position


@dataclass(frozen=True)
class Reference:
    """Records end to end: ``codes[contig.offset + i]`` is base ``i`` of ``contig``."""

    contigs: tuple[Contig, ...]
    codes: U8

    @property
    def total(self) -> int:
        return int(self.codes.size)

    def by_id(self, seq_id: str) -> Contig:
        for contig in self.contigs:
            if contig.id == seq_id:
                return contig
        raise KeyError(seq_id)

    def locate(self, position: int) -> tuple[Contig, int]:
        """The contig and 0-based local position of a global position."""
        for contig in reversed(self.contigs):
            if position >= contig.offset:
                return contig, position - contig.offset
        raise IndexError(position)

    def sequences(self) -> dict[str, str]:
        return {c.id: c.sequence for c in self.contigs}


def reference_from(records: Sequence[Record], *, name: str = "the reference") -> Reference:
    """The caller's reference from loaded records (a GenBank file's chromosome and plasmids
    are one reference).

    Raises
    ------
    MutationInputError
        No records, a record without bases, or two records with one identifier.
    """
    if not records:
        raise MutationInputError(
            f"{name} holds no sequence records: give a FASTA or GenBank file with at least one"
        )
    seen: set[str] = set()
    contigs: list[Contig] = []
    offset = 0
    for index, record in enumerate(records):
        # GenomeDiff names a record by its LOCUS name, as breseq and gdtools do.
        seq_id = record.name or record.id
        if not record.sequence:
            raise MutationInputError(
                f"{name}: record {seq_id!r} has no bases; a reference needs its sequence "
                "(a GenBank file with ORIGIN, not a CONTIG or WGS master record)"
            )
        if seq_id in seen:
            raise MutationInputError(
                f"{name}: two records are named {seq_id!r}; give each record its own name"
            )
        seen.add(seq_id)
        contigs.append(
            Contig(
                index=index,
                id=seq_id,
                sequence=record.sequence.upper(),
                circular=record.topology == "circular",
                offset=offset,
                features=record.features,
            )
        )
        offset += len(record.sequence)
    codes = np.concatenate([encode(c.sequence) for c in contigs])
    return Reference(tuple(contigs), codes)
