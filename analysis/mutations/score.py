"""Score mutation calls against a planted truth, per category (precision, recall, F1).

A call matches a truth mutation of the same category on the same record when:

- SNP, SUB, small INS/DEL and large deletions: both describe the same change, i.e.
  applying either to the reference gives the same sequence. That is normalisation done
  exactly: an indel anywhere in its repeat, a deletion placed at either copy of the repeat
  that flanks it (IS-mediated deletions), all match (``normalise.same_event``, which
  compares left-normalised indels of one kind, is tried first). Large deletions may also
  match when both boundaries are within ``deletion_tolerance`` bases (default 0: exact
  after normalisation).
- AMP: the same copy number and the same change, or both boundaries within
  ``amplification_tolerance`` bases (default 10).
- MOB: the same element (repeat name, compared without case) and strand, and a position
  within the truth's target-site duplication size (at least 1) of the truth's, which
  covers the placements "first duplicated base" (breseq) and "after the duplication".

Each truth mutation matches at most one call; the rest of the calls are false positives.
A deletion across the origin of a circular record is written as one DEL whose end runs past
the record's end (see ``simulate``); it matches only a call written the same way or an
equivalent one (exact sequence comparison on the circle).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Category, Kind, Mutation
from analysis.mutations.normalise import same_event

# Equivalent placements slide through a repeat; none in a bacterial genome is this long,
# and the bound keeps distant pairs from being compared base by base.
MAX_SHIFT = 50_000


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one category."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was called (no false calls made)."""
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when there was nothing to find."""
        present = self.true_positives + self.false_negatives
        return self.true_positives / present if present else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when both are 0)."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True)
class Matching:
    """Which call matched which truth mutation, and what was left over."""

    pairs: tuple[tuple[Mutation, Mutation], ...]  # (call, truth)
    unmatched_calls: tuple[Mutation, ...]
    unmatched_truth: tuple[Mutation, ...]


def match(
    calls: Sequence[Mutation],
    truth: Sequence[Mutation],
    reference: Mapping[str, str],
    *,
    circular: Collection[str] = (),
    deletion_tolerance: int = 0,
    amplification_tolerance: int = 10,
) -> Matching:
    """Pair calls with truth mutations (each at most once), in truth order."""
    remaining = list(calls)
    pairs: list[tuple[Mutation, Mutation]] = []
    missed: list[Mutation] = []
    for planted in truth:
        sequence = reference[planted.seq_id]
        is_circular = planted.seq_id in circular
        found = next(
            (
                i
                for i, call in enumerate(remaining)
                if _matches(
                    call,
                    planted,
                    sequence,
                    is_circular,
                    deletion_tolerance,
                    amplification_tolerance,
                )
            ),
            None,
        )
        if found is None:
            missed.append(planted)
        else:
            pairs.append((remaining.pop(found), planted))
    return Matching(tuple(pairs), tuple(remaining), tuple(missed))


def score(
    calls: Sequence[Mutation],
    truth: Sequence[Mutation],
    reference: Mapping[str, str],
    *,
    circular: Collection[str] = (),
    deletion_tolerance: int = 0,
    amplification_tolerance: int = 10,
) -> dict[Category, Counts]:
    """Counts per category (every category present) of calls against the truth.

    ``reference`` maps record ids to sequences; ``circular`` names the circular records.

    >>> ref = {"x": "ACGTTTTGCA"}
    >>> truth = [Mutation(Kind.DEL, "x", 4, size=1)]       # one T of TTTT
    >>> calls = [Mutation(Kind.DEL, "x", 7, size=1),       # the same T, placed last
    ...          Mutation(Kind.SNP, "x", 1, new_seq="G")]  # not planted
    >>> counts = score(calls, truth, ref)
    >>> counts[Category.SMALL_INDEL], counts[Category.SNP].false_positives
    (Counts(true_positives=1, false_positives=0, false_negatives=0), 1)
    """
    matching = match(
        calls,
        truth,
        reference,
        circular=circular,
        deletion_tolerance=deletion_tolerance,
        amplification_tolerance=amplification_tolerance,
    )
    tally = {c: [0, 0, 0] for c in Category}
    for _, planted in matching.pairs:
        tally[planted.category][0] += 1
    for call in matching.unmatched_calls:
        tally[call.category][1] += 1
    for planted in matching.unmatched_truth:
        tally[planted.category][2] += 1
    return {c: Counts(*values) for c, values in tally.items()}


def frequency_error(
    calls: Sequence[Mutation],
    truth: Sequence[Mutation],
    reference: Mapping[str, str],
    *,
    circular: Collection[str] = (),
) -> float:
    """Mean absolute difference of frequency over matched calls (NaN when none match).

    >>> ref = {"x": "ACGTACGTAC"}
    >>> truth = [Mutation(Kind.SNP, "x", 2, new_seq="A", frequency=0.3)]
    >>> round(frequency_error([Mutation(Kind.SNP, "x", 2, new_seq="A", frequency=0.25)],
    ...                       truth, ref), 6)
    0.05
    """
    pairs = match(calls, truth, reference, circular=circular).pairs
    if not pairs:
        return math.nan
    return sum(abs(call.frequency - planted.frequency) for call, planted in pairs) / len(pairs)


def _matches(
    call: Mutation,
    planted: Mutation,
    sequence: str,
    is_circular: bool,
    deletion_tolerance: int,
    amplification_tolerance: int,
) -> bool:
    if call.seq_id != planted.seq_id or call.category is not planted.category:
        return False
    if planted.kind is Kind.MOB:
        return _same_insertion_site(call, planted)
    if planted.kind is Kind.AMP:
        if call.kind is not Kind.AMP or call.copy_number != planted.copy_number:
            return False
        if _near(call, planted, amplification_tolerance):
            return True
    elif (
        planted.category is Category.LARGE_DELETION
        and call.kind is Kind.DEL
        and _near(call, planted, deletion_tolerance)
    ):
        return True
    return _same_event(call, planted, sequence, is_circular) or same_change(
        call, planted, sequence, circular=is_circular
    )


def _same_insertion_site(call: Mutation, planted: Mutation) -> bool:
    return (
        call.kind is Kind.MOB
        and call.repeat_name.casefold() == planted.repeat_name.casefold()
        and call.strand == planted.strand
        and abs(call.position - planted.position) <= max(1, planted.duplication_size)
    )


def _near(call: Mutation, planted: Mutation, tolerance: int) -> bool:
    return (
        abs(call.position - planted.position) <= tolerance
        and abs(call.end - planted.end) <= tolerance
    )


def _same_event(a: Mutation, b: Mutation, sequence: str, is_circular: bool) -> bool:
    """``normalise.same_event``, for the kinds and spans it takes."""
    try:
        return same_event(a, b, sequence, circular=is_circular)
    except MutationInputError:  # e.g. a deletion written across the origin
        return False


def same_change(a: Mutation, b: Mutation, sequence: str, *, circular: bool = False) -> bool:
    """Whether two SNP/SUB/INS/DEL/AMP mutations give the same sequence when applied.

    Only the stretch holding both is compared: outside it both leave the reference as it
    is, so equal stretches mean equal genomes. On a circular record positions are taken
    modulo its length, so a deletion may be written from either side of the origin.

    >>> same_change(Mutation(Kind.INS, "x", 0, new_seq="AC"),
    ...             Mutation(Kind.INS, "x", 3, new_seq="CA"), "ACACG")
    True
    >>> same_change(Mutation(Kind.DEL, "x", 1, size=1),
    ...             Mutation(Kind.DEL, "x", 2, size=1), "ACACG")
    False
    """
    if Kind.MOB in (a.kind, b.kind):
        return False
    length = len(sequence)
    a_start, a_end = _span(a)
    b_start, b_end = _span(b)
    if circular and abs(b_start - a_start) > length // 2:
        shift = length if b_start < a_start else -length
        b_start, b_end = b_start + shift, b_end + shift
    low = min(a_start, b_start)
    high = max(a_end, b_end)
    apart = max(a_start, b_start) - min(a_end, b_end)
    if apart > MAX_SHIFT or (not circular and (low < 0 or high > length)):
        return False
    window = _window(sequence, low, high, circular)
    return _apply_in(window, a, a_start - low) == _apply_in(window, b, b_start - low)


def _span(m: Mutation) -> tuple[int, int]:
    """0-based half-open reference stretch the mutation reads or changes."""
    if m.kind is Kind.INS:
        return m.position, m.position
    size = 1 if m.kind is Kind.SNP else m.size
    return m.position - 1, m.position - 1 + size


def _window(sequence: str, low: int, high: int, circular: bool) -> str:
    if not circular:
        return sequence[low:high]
    length = len(sequence)
    pieces = []
    position = low
    while position < high:  # walk round the circle, one slice per lap
        start = position % length
        take = min(length - start, high - position)
        pieces.append(sequence[start : start + take])
        position += take
    return "".join(pieces)


def _apply_in(window: str, m: Mutation, offset: int) -> str:
    """The window with the mutation applied at ``offset`` (0-based start of its span)."""
    if m.kind is Kind.INS:
        return window[:offset] + m.new_seq + window[offset:]
    size = 1 if m.kind is Kind.SNP else m.size
    if m.kind is Kind.AMP:
        copies = window[offset : offset + size] * max(0, m.copy_number - 1)
        return window[: offset + size] + copies + window[offset + size :]
    new = "" if m.kind is Kind.DEL else m.new_seq
    return window[:offset] + new + window[offset + size :]
