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

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from analysis.mutations.model import LARGE, Evidence, Kind, Mutation, Unresolved
from analysis.mutations.pileup import END_SKIP, MIN_CLIP, Pileup
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


_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
MAX_DUPLICATION = 20  # target-site duplications longer than this are not a MOB's
# Element bases a flank read may align past the insertion site by chance (through a
# sequencing error or a 1 bp gap) before it clips.
CHANCE = 16


def _revcomp(bases: str) -> str:
    return bases.translate(_COMPLEMENT)[::-1]


def mobile_elements(contig: Contig) -> dict[str, str]:
    """Name -> sequence (on its own strand) of the record's annotated mobile elements
    (``/mobile_element`` qualifiers, or mobile_element features), first copy per name."""
    found: dict[str, str] = {}
    for feature in contig.features:
        label = feature.mobile_element or (
            feature.gene or feature.locus_tag if feature.type == "mobile_element" else ""
        )
        if not label:
            continue
        name = label.rsplit(":", 1)[-1].strip() or label
        bases = "".join(contig.sequence[a:b] for a, b, _ in feature.parts)
        if name not in found and len(bases) >= 2 * KEY:
            found[name] = _revcomp(bases) if feature.strand < 0 else bases
    return found


def _element_start(bases: str, elements: dict[str, str]) -> tuple[str, int, int] | None:
    """The element, strand and offset whose copy begins with ``bases`` (a read's unaligned
    end past its flank); offset ``r`` > 0 when the first ``r`` bases of the element aligned
    by chance to the reference past the flank."""
    key = bases[:KEY]
    for name, element in elements.items():
        for strand, copy in ((1, element), (-1, _revcomp(element))):
            at = copy.find(key, 0, CHANCE + len(key))
            if at != -1:
                return name, strand, at
    return None


def _element_end(bases: str, elements: dict[str, str]) -> tuple[str, int, int] | None:
    """The element, strand and offset whose copy ends with ``bases`` (a read's unaligned
    start before its flank); offset as in :func:`_element_start`, at the element's end."""
    key = bases[-KEY:]
    for name, element in elements.items():
        for strand, copy in ((1, element), (-1, _revcomp(element))):
            at = copy.rfind(key, len(copy) - CHANCE - len(key))
            if at != -1:
                return name, strand, len(copy) - (at + len(key))
    return None


def _element_sites(
    clips: dict[tuple[str, int], list[str]], elements: dict[str, str]
) -> tuple[dict[int, Counter[tuple[str, int]]], dict[int, Counter[tuple[str, int]]]]:
    """Per clip position, how many reads run into each element: (ends of left flanks,
    starts of right flanks)."""
    before: dict[int, Counter[tuple[str, int]]] = defaultdict(Counter)
    after: dict[int, Counter[tuple[str, int]]] = defaultdict(Counter)
    for (side, position), reads in clips.items():
        for bases in reads:
            hit = (_element_start if side == "right" else _element_end)(bases, elements)
            if hit is None:
                continue
            name, strand, chance = hit  # bases of the element that aligned past the flank
            if side == "right":
                before[position - chance][(name, strand)] += 1
            else:
                after[position + chance][(name, strand)] += 1
    return before, after


def _mob(
    contig: Contig,
    before: dict[int, Counter[tuple[str, int]]],
    after: dict[int, Counter[tuple[str, int]]],
) -> list[Mutation]:
    """Insertions of an annotated element: reads of the left flank run into its start and
    reads of the right flank out of its end, on one strand; where they overlap is the
    target-site duplication (position = its first base, as breseq writes MOB)."""
    calls = []
    for end, elements in sorted(before.items()):
        (name, strand), left_reads = elements.most_common(1)[0]
        for duplication in range(0, MAX_DUPLICATION + 1):
            start = end - duplication  # 0-based first base of the right flank
            right_reads = after.get(start, Counter()).get((name, strand), 0)
            if left_reads + right_reads >= MIN_JUNCTION_READS and right_reads and left_reads:
                calls.append(
                    Mutation(
                        kind=Kind.MOB,
                        seq_id=contig.id,
                        position=_folded(contig, start) + 1,
                        repeat_name=name,
                        strand=strand,
                        duplication_size=duplication,
                        evidence=Evidence(junction_reads=left_reads + right_reads),
                    )
                )
                break
    return calls


def _mob_with_deletion(
    contig: Contig,
    first: int,
    last: int,
    before: dict[int, Counter[tuple[str, int]]],
    after: dict[int, Counter[tuple[str, int]]],
) -> list[Mutation]:
    """An element inserted where a stretch was lost: reads end at the gap's left edge and
    run into the element, reads start at its right edge coming out of it. Written as breseq
    does: MOB after the last kept base with no duplication, then the DEL."""
    # A few bases past either edge may align by chance before the reads clip.
    best: tuple[int, int, int, str, int] | None = None
    for end in range(first - SLACK, first + 1):
        for start in range(last + 1, last + 2 + SLACK):
            into = before.get(end, Counter())
            out_of = after.get(_folded(contig, start), Counter())
            for key in into:
                if out_of.get(key):
                    reads = into[key] + out_of[key]
                    if best is None or reads > best[0]:
                        best = (reads, end, start, key[0], key[1])
    if best is None or best[0] < MIN_JUNCTION_READS:
        return []
    reads, end, start, name, strand = best
    evidence = Evidence(junction_reads=reads)
    return [
        Mutation(Kind.MOB, contig.id, end, repeat_name=name, strand=strand, evidence=evidence),
        Mutation(Kind.DEL, contig.id, end + 1, size=start - end, evidence=evidence),
    ]


MAX_AMPLIFICATION = 100_000  # bases: longest tandem amplification searched for
MIN_AMPLIFICATION_READS = 4  # junction reads: fewer come from reads beside other events
MIN_COPY_RATIO = 1.5  # coverage inside over outside that an extra copy must show
MIN_MIXED_COPY_RATIO = 1.2  # in polymorphism mode: a duplication in a fifth of the cells
MIN_FLANK_DEPTH = 3  # reads beside an amplification, for its ratio to mean anything
COPY_RATIO_NOISE = 0.15  # a copy ratio this far above a whole number is still that number


def _amplifications(
    contig: Contig,
    depth: npt.NDArray[np.int32],
    clips: dict[tuple[str, int], list[str]],
    elements: dict[str, str],
    polymorphism: bool,
) -> list[Mutation]:
    """Tandem copies: reads reach the copy's end and run on into its own start (found
    upstream), and the stretch between is covered more than its sides."""
    text = contig.sequence
    repeats = [
        (f.start, f.end) for f in contig.features if f.mobile_element or f.type == "mobile_element"
    ]
    found: dict[tuple[int, int], Mutation] = {}
    for (side, end), reads in clips.items():
        if side != "right" or len(reads) < MIN_JUNCTION_READS or end > len(text):
            continue
        if any(lo <= end <= hi for lo, hi in repeats):
            continue  # reads in a repeat's copies are placed at random: no junction here
        votes: Counter[int] = Counter()
        for bases in reads:
            if _element_start(bases, elements) is not None:
                continue  # a read running into a mobile element, not into a copy
            key = bases[:KEY]
            for at in _occurrences(text, key, end - MAX_AMPLIFICATION, end - len(key) - 1):
                votes[at] += 1
        if not votes:
            continue
        start, reads_for = votes.most_common(1)[0]
        if reads_for < MIN_AMPLIFICATION_READS or end - start > len(text) // 2:
            continue  # (half a record or more "amplified" is a record's copy number)
        stop = end
        while start > 0 and text[start - 1] == text[stop - 1]:
            start, stop = start - 1, stop - 1
        # Medians: a short amplification inside a long stretch must not lift all of it.
        inside = _median(depth, start, stop)
        outside = _baseline(depth, start, stop)
        floor = MIN_MIXED_COPY_RATIO if polymorphism else MIN_COPY_RATIO
        if outside < MIN_FLANK_DEPTH or inside / outside < floor:
            continue
        ratio = inside / outside
        if stop - start < LARGE:
            continue  # shorter copies are reads' insertions (small indels)
        # Coverage gives 1 + f (copies - 1) only. A clone: the nearest whole number. In a
        # population, the fewest copies that explain it (f at most 1, give or take the
        # ratio's noise), carried by the share f that makes up the rest.
        if polymorphism:
            copies = max(2, math.ceil(ratio - COPY_RATIO_NOISE))
        else:
            copies = max(2, round(ratio))
        frequency = round(min(1.0, (ratio - 1) / (copies - 1)), 4)
        span = (start, stop)
        if span in found and found[span].evidence.junction_reads >= reads_for:
            continue
        found[span] = Mutation(
            Kind.AMP,
            contig.id,
            start + 1,
            size=stop - start,
            copy_number=copies,
            frequency=frequency if polymorphism else 1.0,
            evidence=Evidence(
                depth=round(outside), junction_reads=reads_for, coverage_ratio=round(ratio, 2)
            ),
        )
    return _strongest(list(found.values()))


AMP_GAP = 500  # bases beside a tandem copy left out of its baseline (pairs thin out there)
AMP_FLANK = 2_000  # bases each side whose depth is the baseline of a copy's ratio


def _baseline(depth: npt.NDArray[np.int32], start: int, stop: int) -> float:
    """The depth an amplification's coverage is compared with: the median over
    AMP_FLANK bases each side, AMP_GAP away from its edges (paired reads thin out on one
    side of a tandem copy's edge). Wide, because a copy number is a ratio: over 200 bases
    (a read length or so) the median of 100x reads varies by +-10 % and moved a
    triplication in 60 % of the cells to a duplication in 90 %."""
    lo, hi = max(0, start - AMP_GAP - AMP_FLANK), max(0, start - AMP_GAP)
    left = depth[lo:hi]
    right = depth[min(depth.size, stop + AMP_GAP) : min(depth.size, stop + AMP_GAP + AMP_FLANK)]
    both = np.concatenate([left, right])
    if both.size == 0:
        return max(_median(depth, start - FLANK, start), _median(depth, stop, stop + FLANK))
    return float(np.median(both))


def _strongest(candidates: list[Mutation]) -> list[Mutation]:
    """Of overlapping candidates for one event (reads clipped a few bases apart), the one
    most junction reads support."""
    kept: list[Mutation] = []
    for m in sorted(candidates, key=lambda m: -m.evidence.junction_reads):
        if not any(_overlaps(k, m.position - 1, m.position - 1 + m.size) for k in kept):
            kept.append(m)
    return kept


ANCHOR = 30  # aligned bases a read needs on its own side of a junction to count as spanning it


class _Spans:
    """Uniquely placed alignments of one record, to count reads that run straight through a
    junction's place (the reference allele of a large event)."""

    def __init__(self, table: npt.NDArray[np.int64], contig: int) -> None:
        mine = table[table[:, 0] == contig] if table.size else table
        self.starts = mine[:, 1] if mine.size else np.zeros(0, dtype=np.int64)
        self.ends = mine[:, 2] if mine.size else np.zeros(0, dtype=np.int64)

    def spanning(self, left: int, right: int) -> int:
        """Reads aligned from ANCHOR bases before ``left`` to MIN_CLIP bases past ``right``
        (the two sides of an event's place on the reference): they show no junction."""
        return int(
            np.count_nonzero(
                (self.starts <= left - ANCHOR + END_SKIP)
                & (self.ends >= right + MIN_CLIP - END_SKIP)
            )
        )


def _mostly_before(spans: _Spans, at: int) -> int:
    """Reads through ``at`` with more of their length before it than after, and at least
    KEY bases after (kept spans stop END_SKIP short of a read's end): the reference-allele
    twins of reads that map on a flank and run into an inserted element, which are only
    recognised with KEY bases of the element past the flank (and a read with more of its
    length in the element maps there)."""
    before = at - spans.starts
    after = spans.ends - at
    return int(np.count_nonzero((after >= KEY - END_SKIP) & (before >= after)))


def _mostly_after(spans: _Spans, at: int) -> int:
    """The right flank's twins of :func:`_mostly_before`: reads through ``at`` with more of
    their length after it, and at least KEY bases before."""
    before = at - spans.starts
    after = spans.ends - at
    return int(np.count_nonzero((before >= KEY - END_SKIP) & (after > before)))


def _frequency(junction_reads: int, spanning_reads: int) -> float:
    total = junction_reads + spanning_reads
    return round(junction_reads / total, 4) if total else 1.0


def _median(depth: npt.NDArray[np.int32], lo: int, hi: int) -> float:
    lo, hi = max(0, lo), min(depth.size, hi)
    return float(np.median(depth[lo:hi])) if hi > lo else 0.0


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
    table = pileup.span_table()
    for contig in reference.contigs:
        depth = pileup.depth[contig.offset : contig.offset + contig.length]
        clips = clips_by[contig.index]
        spans = _Spans(table, contig.index)
        elements = mobile_elements(contig)
        before, after = _element_sites(clips, elements)
        explained_here: list[Mutation] = []
        for first, last in _zero_runs(depth, contig.circular):
            call = _deletion(contig, depth, first, last, clips)
            found = [call] if call is not None else []
            found = found or _mob_with_deletion(contig, first, last, before, after)
            if found:
                explained_here += found
            else:
                end = last % contig.length if contig.circular else last
                unresolved.append(Unresolved(contig.id, first + 1, end + 1))
        taken = {m.position for m in explained_here if m.kind is Kind.MOB}
        mobs = [m for m in _mob(contig, before, after) if not _near(m, taken)]
        copies = _amplifications(contig, depth, clips, elements, settings.polymorphism)
        partial = (  # in a clonal isolate a deletion leaves no coverage at all
            _partial_deletions(contig, depth, clips, elements, spans, explained_here + copies)
            if settings.polymorphism
            else []
        )
        found_here = explained_here + mobs + partial
        if settings.polymorphism:
            found_here = [_with_frequency(m, spans, depth, (before, after)) for m in found_here]
        calls += found_here + copies
    unique = {(m.kind, m.seq_id, m.position, m.size, m.repeat_name): m for m in calls}
    return list(unique.values()), unresolved


def _with_frequency(
    m: Mutation,
    spans: _Spans,
    depth: npt.NDArray[np.int32],
    sites: tuple[dict[int, Counter[tuple[str, int]]], dict[int, Counter[tuple[str, int]]]],
) -> Mutation:
    """A large event's share of the population. A deletion: the coverage it leaves, over
    the coverage beside it. An insertion: reads that run from either flank into the
    element against reads that run on through the same places (both anchored alike)."""
    if m.kind is Kind.DEL:
        first, stop = m.position - 1, m.position - 1 + m.size
        length = depth.size
        after = stop % length  # a deletion across a circular record's origin wraps
        outside = _baseline(depth, first, after if stop > length else stop)
        if stop <= length:
            inside = _median(depth, first, stop)
        else:
            inside = float(np.median(np.concatenate([depth[first:], depth[:after]])))
        share = 1.0 - inside / outside if outside > 0 else 1.0
        return replace(m, frequency=round(min(1.0, max(0.0, share)), 4))
    if m.kind is Kind.MOB:
        before, after_ = sites
        element = (m.repeat_name, m.strand)
        end = m.position - 1 + m.duplication_size  # where the left flank stops
        start = m.position - 1  # where the right flank starts
        into = before.get(end, Counter()).get(element, 0)
        out_of = after_.get(start, Counter()).get(element, 0)
        through = _mostly_before(spans, end) + _mostly_after(spans, start)
        return replace(m, frequency=_frequency(into + out_of, through))
    return m


MAX_DELETION = 200_000  # bases: the longest deletion searched for across a junction
MIN_PARTIAL_READS = 3  # junction reads for a deletion in part of a population
MAX_PARTIAL_COVERAGE = 0.9  # inside over outside: a deletion in part of the population


def _partial_deletions(
    contig: Contig,
    depth: npt.NDArray[np.int32],
    clips: dict[tuple[str, int], list[str]],
    elements: dict[str, str],
    spans: _Spans,
    called: list[Mutation],
) -> list[Mutation]:
    """Deletions that only part of a population carries (their stretch is covered, by the
    rest): reads reach the deletion's start and run on into the sequence after it."""
    text = contig.sequence
    length = len(text)
    if contig.circular:  # a deletion may run across the origin
        text += text[: min(length, MAX_DELETION)]
    repeats = [(f.start, f.end) for f in contig.features if f.mobile_element]
    found: dict[tuple[int, int], Mutation] = {}
    for (side, end), reads in clips.items():
        if side != "right" or len(reads) < MIN_JUNCTION_READS or end > len(text):
            continue
        if any(lo <= end <= hi for lo, hi in repeats):
            continue
        votes: Counter[int] = Counter()
        for bases in reads:
            if _element_start(bases, elements) is not None:
                continue
            key = bases[:KEY]
            for at in _occurrences(text, key, end + 1, end + MAX_DELETION):
                votes[at] += 1
        if not votes:
            continue
        far, reads_for = votes.most_common(1)[0]
        if reads_for < MIN_PARTIAL_READS:
            continue
        start = _leftmost(text, end, far - end)
        size = far - end
        if size < LARGE or size > length // 2 or any(_overlaps(m, start, far) for m in called):
            continue
        if far <= length:
            inside = _median(depth, start, far)
        else:  # across the origin
            inside = _median(np.concatenate([depth[start:], depth[: far - length]]), 0, size)
        after = far % length
        outside = (_median(depth, start - FLANK, start) + _median(depth, after, after + FLANK)) / 2
        if outside < MIN_FLANK_DEPTH or inside > MAX_PARTIAL_COVERAGE * outside:
            continue
        found[(start, size)] = Mutation(
            Kind.DEL,
            contig.id,
            start + 1,
            size=size,
            evidence=Evidence(
                depth=round(outside),
                junction_reads=reads_for,
                coverage_ratio=round(inside / outside, 2),
            ),
        )
    return _strongest(list(found.values()))


def _overlaps(m: Mutation, start: int, stop: int) -> bool:
    first = m.position - 1
    last = first + max(m.size, 1)
    return first < stop and start < last


def _near(mob: Mutation, positions: set[int]) -> bool:
    return any(abs(mob.position - p) <= MAX_DUPLICATION + 1 for p in positions)


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


def not_called_already(events: list[Mutation], calls: list[Mutation]) -> list[Mutation]:
    """Deletions short enough for reads to span are called from the reads' gaps; the
    coverage gap they leave gives the same deletion again (placed by its junction): keep
    the read-level call."""
    deletions = [c for c in calls if c.kind is Kind.DEL]
    return [
        e
        for e in events
        if e.kind is not Kind.DEL
        or not any(
            d.seq_id == e.seq_id and d.size == e.size and abs(d.position - e.position) <= e.size
            for d in deletions
        )
    ]


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
