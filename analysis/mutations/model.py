"""What a mutation call is: the GenomeDiff mutation types with their evidence.

Positions are 1-based, as in GenomeDiff and VCF: a SNP, SUB or DEL starts at ``position``
(its first reference base); an INS or MOB goes after ``position`` (0 = before the first
base), as breseq writes them. ``seq_id`` names the reference record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """GenomeDiff mutation types called here."""

    SNP = "SNP"  # one base replaced by another
    SUB = "SUB"  # several bases replaced (multi-base substitution, or indel with change)
    DEL = "DEL"  # bases deleted (small or large)
    INS = "INS"  # bases inserted after ``position``
    MOB = "MOB"  # a copy of an annotated mobile element inserted
    AMP = "AMP"  # a tandem amplification (duplication when copy_number == 2)


class Category(StrEnum):
    """The classes benchmarks and tables score separately."""

    SNP = "snp"
    SMALL_INDEL = "small_indel"  # INS/DEL/SUB shorter than LARGE bases
    LARGE_DELETION = "large_deletion"
    AMPLIFICATION = "amplification"
    MOBILE_ELEMENT = "mobile_element_insertion"


LARGE = 51  # bases: an indel this long or longer is a large event (breseq's own cut-off)


@dataclass(frozen=True)
class Evidence:
    """What supports a call. Counts are reads as ``(forward, reverse)``; ``depth`` is the
    reads that cover the site (for large events, the mean coverage beside it)."""

    depth: int = 0
    supporting: tuple[int, int] = (0, 0)
    reference: tuple[int, int] = (0, 0)
    quality: float = 0.0  # phred-scaled confidence that the call is not sequencing error
    strand_p: float = 1.0  # Fisher exact p of strand bias (supporting vs reference reads)
    junction_reads: int = 0  # split reads across a new junction (large events)
    coverage_ratio: float = 0.0  # coverage inside / outside (deletions ~0, AMP ~copies)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mutation:
    """One called (or planted) mutation, in GenomeDiff terms.

    ``size`` is the reference bases affected (SUB, DEL, AMP). ``new_seq`` is the new base(s)
    (SNP, SUB, INS). MOB carries ``repeat_name``, ``strand`` (+1/-1) and
    ``duplication_size`` (target-site duplication, bases); AMP carries ``copy_number``.
    ``frequency`` is 1.0 in consensus mode.
    """

    kind: Kind
    seq_id: str
    position: int
    size: int = 0
    new_seq: str = ""
    repeat_name: str = ""
    strand: int = 0
    duplication_size: int = 0
    copy_number: int = 0
    frequency: float = 1.0
    evidence: Evidence = field(default_factory=Evidence, compare=False)

    @property
    def category(self) -> Category:
        if self.kind is Kind.SNP:
            return Category.SNP
        if self.kind is Kind.MOB:
            return Category.MOBILE_ELEMENT
        if self.kind is Kind.AMP:
            return Category.AMPLIFICATION
        length = max(self.size, len(self.new_seq))
        if self.kind is Kind.DEL and length >= LARGE:
            return Category.LARGE_DELETION
        return Category.SMALL_INDEL

    @property
    def end(self) -> int:
        """The last reference base affected (1-based, inclusive); ``position`` for INS/MOB."""
        if self.kind in (Kind.INS, Kind.MOB):
            return self.position
        if self.kind is Kind.SNP:
            return self.position
        return self.position + self.size - 1


@dataclass(frozen=True)
class Unresolved:
    """A stretch with too little coverage to call (GenomeDiff UN), 1-based inclusive."""

    seq_id: str
    start: int
    end: int
