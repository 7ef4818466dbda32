"""Where an indel in a repeat is placed: leftmost (VCF, ``bcftools norm``) or rightmost (breseq).

Deleting one ``CAA`` from ``CAACAA`` or inserting ``T`` into ``TTTT`` gives the same
genome whichever copy is named, so callers and files disagree on the position. Shifting
the indel through the repeat to one end makes the placements comparable: the shift moves a
deletion one base while the base leaving it equals the base entering it, and rotates an
inserted sequence while the base it passes equals the inserted base it rotates (the
algorithm of vt normalize and ``bcftools norm``). Positions follow :mod:`.model`: a DEL
starts at ``position``; an INS goes after ``position`` (0 = before the first base).
"""

from __future__ import annotations

from dataclasses import replace

from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Kind, Mutation

__all__ = ["left_normalised", "right_normalised", "same_event"]


def left_normalised(m: Mutation, sequence: str, circular: bool = False) -> Mutation:
    """Return ``m`` with a pure INS or DEL shifted to its leftmost equivalent placement.

    SNP, SUB, MOB and AMP come back unchanged. ``sequence`` is the record ``m.seq_id``
    names. On a ``circular`` record an insertion may shift across the origin (before the
    first base is after the last one, so one at 0 that cannot move is placed after the
    last base; :func:`right_normalised` places one after the last base at 0); a deletion
    stops at the record ends, since a GenomeDiff deletion cannot span the origin.

    >>> left_normalised(Mutation(Kind.DEL, "c", 5, size=1), "GATTTC").position
    3
    >>> m = left_normalised(Mutation(Kind.INS, "c", 5, new_seq="AT"), "GATATC")
    >>> (m.position, m.new_seq)
    (1, 'AT')
    """
    _check(m, sequence)
    if m.kind is Kind.DEL:
        return replace(m, position=_deletion_left(m.position, m.size, sequence))
    if m.kind is Kind.INS:
        position, inserted = _insertion_left(m.position, m.new_seq, sequence, circular)
        return replace(m, position=position, new_seq=inserted)
    return m


def right_normalised(m: Mutation, sequence: str, circular: bool = False) -> Mutation:
    """Return ``m`` with a pure INS or DEL shifted to its rightmost equivalent placement.

    This is where breseq writes repeat indels. SNP, SUB, MOB and AMP come back unchanged;
    ``circular`` as in :func:`left_normalised`.

    >>> right_normalised(Mutation(Kind.DEL, "c", 3, size=1), "GATTTC").position
    5
    >>> m = right_normalised(Mutation(Kind.INS, "c", 1, new_seq="AT"), "GATATC")
    >>> (m.position, m.new_seq)
    (5, 'AT')
    """
    _check(m, sequence)
    if m.kind is Kind.DEL:
        return replace(m, position=_deletion_right(m.position, m.size, sequence))
    if m.kind is Kind.INS:
        position, inserted = _insertion_right(m.position, m.new_seq, sequence, circular)
        return replace(m, position=position, new_seq=inserted)
    return m


def same_event(a: Mutation, b: Mutation, sequence: str, circular: bool = False) -> bool:
    """Whether ``a`` and ``b`` describe the same change of ``sequence``.

    Indels are compared after left normalisation; every kind compares its kind, record,
    position and the fields that say what changed. Frequency and evidence are left out:
    they measure an event, they do not name it.

    >>> same_event(
    ...     Mutation(Kind.DEL, "c", 3, size=1), Mutation(Kind.DEL, "c", 5, size=1), "GATTTC"
    ... )
    True
    """
    if a.kind is not b.kind or a.seq_id != b.seq_id:
        return False
    return _identity(left_normalised(a, sequence, circular)) == _identity(
        left_normalised(b, sequence, circular)
    )


def _identity(m: Mutation) -> tuple[object, ...]:
    return (
        m.kind,
        m.seq_id,
        m.position,
        m.size,
        m.new_seq.upper(),
        m.repeat_name,
        m.strand,
        m.duplication_size,
        m.copy_number,
    )


def _check(m: Mutation, sequence: str) -> None:
    """Refuse indels that do not fit the record, so shifting cannot run off it."""
    length = len(sequence)
    if m.kind is Kind.DEL and (m.size < 1 or m.position < 1 or m.end > length):
        raise MutationInputError(
            f"DEL at {m.seq_id}:{m.position} of {m.size} bases does not lie within the "
            f"record ({length} bases): give a size of at least 1 and positions 1..{length}"
        )
    if m.kind is Kind.INS and (not m.new_seq or not 0 <= m.position <= length):
        raise MutationInputError(
            f"INS at {m.seq_id}:{m.position} of {m.new_seq!r} is not an insertion into "
            f"the record ({length} bases): give a non-empty new_seq and a position "
            f"0..{length} (the base it follows)"
        )


# Internally ``sequence[i]`` is 1-based base ``i + 1``.


def _deletion_left(position: int, size: int, sequence: str) -> int:
    # Deleting bases p..p+L-1 equals deleting p-1..p+L-2 when base p-1 equals base p+L-1.
    while position > 1 and sequence[position - 2] == sequence[position + size - 2]:
        position -= 1
    return position


def _deletion_right(position: int, size: int, sequence: str) -> int:
    # ... and equals deleting p+1..p+L when base p equals base p+L.
    last = len(sequence)
    while position + size <= last and sequence[position - 1] == sequence[position + size - 1]:
        position += 1
    return position


def _insertion_left(position: int, inserted: str, sequence: str, circular: bool) -> tuple[int, str]:
    # S after base p equals rot(S) after base p-1 when base p equals S's last base.
    length = len(sequence)
    for _ in range(length):  # bounded: a record made of one repeat unit would loop forever
        if position == 0:
            if not circular:
                break
            position = length  # before the first base is after the last one
        if sequence[position - 1] != inserted[-1]:
            break
        inserted = inserted[-1] + inserted[:-1]
        position -= 1
    return position, inserted


def _insertion_right(
    position: int, inserted: str, sequence: str, circular: bool
) -> tuple[int, str]:
    # S after base p equals rot(S) after base p+1 when base p+1 equals S's first base.
    length = len(sequence)
    for _ in range(length):
        if position == length:
            if not circular:
                break
            position = 0
        if sequence[position] != inserted[0]:
            break
        inserted = inserted[1:] + inserted[0]
        position += 1
    return position, inserted
