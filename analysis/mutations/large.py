"""Large events from coverage and read junctions.

A large deletion shows as a stretch no read covers, with reads beside it that align up to
its edge and then run on (clipped) into the sequence on the far side. Coverage alone cannot
say where the deletion is exactly (bases the deleted stretch shares with its far side are
aligned by chance), so each clipped read's unaligned bases are found on the far side and
the deletion they imply is placed leftmost; the placement most reads agree on is the call.
A stretch without coverage that no junction explains is reported as unresolved, never
dropped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from analysis.mutations.model import Evidence, Kind, Mutation, Unresolved
from analysis.mutations.pileup import Pileup
from analysis.mutations.reference import Contig
from analysis.mutations.small import Settings

KEY = 12  # clipped bases matched on the far side of a gap
SEARCH = 300  # bases either side of the far edge searched for them
SLACK = 4  # a junction read may stop this many bases short of the gap's edge
MIN_JUNCTION_READS = 2
FLANK = 200  # bases each side whose mean depth is the "outside" coverage


def _zero_runs(depth: npt.NDArray[np.int32], circular: bool) -> Iterator[tuple[int, int]]:
    """(first, last) 0-based of each run without coverage; a run across the origin of a
    circular record is one run whose ``last`` is past the end."""
    zero = np.concatenate([[False], depth == 0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    runs = [(int(s), int(e) - 1) for s, e in zip(edges[::2], edges[1::2], strict=True)]
    length = depth.size
    if circular and len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == length - 1:
        first = runs.pop(0)
        last = runs.pop()
        runs.append((last[0], length + first[1]))
    yield from runs


def _occurrences(text: str, key: str, lo: int, hi: int) -> Iterator[int]:
    """Start positions of ``key`` in ``text`` within [lo, hi)."""
    lo = max(0, lo)
    at = text.find(key, lo, hi + len(key))
    while at != -1:
        yield at
        at = text.find(key, at + 1, hi + len(key))


def _leftmost(sequence: str, start: int, size: int) -> int:
    while start > 0 and sequence[start - 1] == sequence[start + size - 1]:
        start -= 1
    return start


def _junction_votes(
    contig: Contig, first: int, last: int, clips: dict[tuple[str, int], list[str]]
) -> Counter[tuple[int, int]]:
    """Deletions (start, size) the clipped reads beside the gap [first, last] imply."""
    length = contig.length
    text = contig.sequence * 2 if contig.circular else contig.sequence
    votes: Counter[tuple[int, int]] = Counter()
    for shift in range(SLACK + 1):
        # Reads on the far side: their unaligned start is the sequence before the gap.
        begins = last + 1 + shift
        for bases in clips.get(("left", begins % length if contig.circular else begins), []):
            key = bases[-KEY:]
            for at in _occurrences(text, key, first - SEARCH - len(key), first + SEARCH):
                start = at + len(key)
                votes[(_leftmost(text, start, begins - start), begins - start)] += 1
        # Reads on the near side: their unaligned end is the sequence after the gap.
        ends = first - shift
        for bases in clips.get(("right", ends), []):
            key = bases[:KEY]
            for at in _occurrences(text, key, last + 1 - SEARCH, last + 1 + SEARCH):
                votes[(_leftmost(text, ends, at - ends), at - ends)] += 1
    return Counter({k: v for k, v in votes.items() if k[1] > 0})


def _mean(depth: npt.NDArray[np.int32], lo: int, hi: int) -> float:
    lo, hi = max(0, lo), min(depth.size, hi)
    return float(depth[lo:hi].mean()) if hi > lo else 0.0


def events(pileup: Pileup, settings: Settings) -> tuple[list[Mutation], list[Unresolved]]:
    """Large deletions and the stretches without coverage no event explains."""
    reference = pileup.reference
    clips_by: dict[int, dict[tuple[str, int], list[str]]] = defaultdict(dict)
    for clip in pileup.clips:
        where = clips_by[clip.contig]
        position = _folded(reference.contigs[clip.contig], clip.position)
        where.setdefault((clip.side, position), []).append(clip.bases)
    calls: list[Mutation] = []
    unresolved: list[Unresolved] = []
    for contig in reference.contigs:
        depth = pileup.depth[contig.offset : contig.offset + contig.length]
        for first, last in _zero_runs(depth, contig.circular):
            call = _deletion(contig, depth, first, last, clips_by[contig.index])
            if call is not None:
                calls.append(call)
            else:
                end = last % contig.length if contig.circular else last
                unresolved.append(Unresolved(contig.id, first + 1, end + 1))
    return calls, unresolved


def _folded(contig: Contig, position: int) -> int:
    return position % contig.length if contig.circular else position


def _deletion(
    contig: Contig,
    depth: npt.NDArray[np.int32],
    first: int,
    last: int,
    clips: dict[tuple[str, int], list[str]],
) -> Mutation | None:
    touches_end = first == 0 or last >= contig.length - 1
    if touches_end and not contig.circular:
        return None  # no far side: a record's end without reads is unresolved
    votes = _junction_votes(contig, first, last, clips)
    if not votes:
        return None
    (start, size), reads = votes.most_common(1)[0]
    if reads < MIN_JUNCTION_READS:
        return None
    outside = (
        _mean(depth, start - FLANK, start) + _mean(depth, start + size, start + size + FLANK)
    ) / 2
    return Mutation(
        kind=Kind.DEL,
        seq_id=contig.id,
        position=_folded(contig, start) + 1,
        size=size,
        evidence=Evidence(
            depth=round(outside),
            junction_reads=reads,
            coverage_ratio=0.0,
        ),
    )


def without_inside(calls: list[Mutation], events: list[Mutation]) -> list[Mutation]:
    """Small calls that fall inside a large deletion are artefacts of its edges: drop them."""
    spans = [(e.seq_id, e.position, e.position + e.size - 1) for e in events if e.kind is Kind.DEL]
    kept = []
    for call in calls:
        if call in events:
            kept.append(call)
            continue
        inside = any(
            seq_id == call.seq_id and lo <= call.position <= hi for seq_id, lo, hi in spans
        )
        if not inside:
            kept.append(call)
    return kept


def explained(
    unresolved: list[Unresolved], calls: list[Mutation], sequences: dict[str, str]
) -> list[Unresolved]:
    """Stretches without coverage that are not simply bases a called deletion removed
    (anywhere it could be placed in its repeat)."""
    deleted = []
    for call in calls:
        if call.kind is Kind.DEL:
            sequence = sequences[call.seq_id]
            start = call.position - 1
            while (
                start + call.size < len(sequence) and sequence[start] == sequence[start + call.size]
            ):
                start += 1
            deleted.append((call.seq_id, call.position, start + call.size))
    return [
        u
        for u in unresolved
        if not any(s == u.seq_id and lo <= u.start and u.end <= hi for s, lo, hi in deleted)
    ]
