"""Pairwise nucleotide alignment with blastn-like scores, and the differences it shows.

Scores are blastn's defaults: match +2, mismatch −3, and a gap of k bases costs 5 + 2k
(BLAST's "gap open 5, extend 2"). Biopython counts its opening score on the first gap
position, so its ``open_gap_score`` is −7 and ``extend_gap_score`` −2.
"""

from __future__ import annotations

from dataclasses import dataclass

from Bio.Align import PairwiseAligner

ALIGN_MAX_BP = 50_000
# Time and memory grow with len(a) * len(b): 25 million cells (5,000 x 5,000 bases) take
# 0.2-0.3 s and about 50 MB here; 50,000 x 50,000 bases would take about 20 s and several GB.
ALIGN_MAX_CELLS = 25_000_000
MODES = ("global", "local")
MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND = 2, -3, -5, -2


@dataclass(frozen=True)
class Difference:
    """One difference of ``b`` from ``a``; positions are 0-based in each sequence.

    "substitution": one base, ``a[position_a]`` became ``b[position_b]``.
    "insertion": ``b`` has the bases ``b`` (``a`` is "") before ``a[position_a]``.
    "deletion": the bases ``a`` (``b`` is "") are missing from ``b`` before
    ``b[position_b]``. Adjacent gap columns form one insertion or deletion; adjacent
    substitutions stay one per base.
    """

    kind: str
    position_a: int
    position_b: int
    a: str
    b: str


@dataclass(frozen=True)
class PairAlignment:
    """One optimal alignment of ``a`` and ``b``.

    ``aligned_a``/``aligned_b`` are the gapped rows ("-" for a gap), covering only the
    aligned stretch in local mode. ``aligned_length`` counts columns (gaps included) and
    ``identity`` is ``matches / aligned_length`` (0.0 when nothing aligns).
    """

    score: float
    identity: float
    aligned_length: int
    matches: int
    aligned_a: str
    aligned_b: str
    differences: tuple[Difference, ...]


def _aligner(mode: str) -> PairwiseAligner:
    return PairwiseAligner(  # type: ignore[no-untyped-call]
        mode=mode,
        match_score=MATCH,
        mismatch_score=MISMATCH,
        open_gap_score=GAP_OPEN + GAP_EXTEND,
        extend_gap_score=GAP_EXTEND,
    )


def align_pair(a: str, b: str, *, mode: str = "global") -> PairAlignment:
    """Align two nucleotide sequences, globally (end to end) or locally (best stretch).

    Letters are compared case-insensitively and literally (N matches only N).

    >>> alignment = align_pair("GGACGTACCA", "GGACTTAGCCA")
    >>> print(alignment.aligned_a, alignment.aligned_b, sep="\\n")
    GGACGTA-CCA
    GGACTTAGCCA
    >>> [(d.kind, d.position_a, d.position_b, d.a, d.b) for d in alignment.differences]
    [('substitution', 4, 4, 'G', 'T'), ('insertion', 7, 7, '', 'G')]
    >>> alignment.score, alignment.matches, alignment.aligned_length  # 9 x 2 - 3 - (5 + 2)
    (8.0, 9, 11)

    Raises
    ------
    ValueError
        For an empty sequence, one longer than ``ALIGN_MAX_BP`` bases, a pair whose
        lengths multiply past ``ALIGN_MAX_CELLS``, or an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown alignment mode {mode!r}; expected one of {', '.join(MODES)}")
    for name, sequence in (("a", a), ("b", b)):
        if not sequence:
            raise ValueError(f"sequence {name} is empty")
        if len(sequence) > ALIGN_MAX_BP:
            raise ValueError(
                f"sequence {name} has {len(sequence):,} bases; the limit is "
                f"ALIGN_MAX_BP = {ALIGN_MAX_BP:,} per sequence"
            )
    if len(a) * len(b) > ALIGN_MAX_CELLS:
        raise ValueError(
            f"{len(a):,} x {len(b):,} bases is past the limit of ALIGN_MAX_CELLS = "
            f"{ALIGN_MAX_CELLS:,} (the product of the lengths); align shorter regions"
        )
    a, b = a.upper(), b.upper()
    alignments = _aligner(mode).align(a, b)  # type: ignore[no-untyped-call]
    score = float(alignments.score)
    if mode == "local" and score <= 0:  # nothing aligns with a positive score
        return PairAlignment(score, 0.0, 0, 0, "", "", ())
    alignment = alignments[0]
    coordinates = alignment.coordinates.tolist()
    differences: list[Difference] = []
    matches = 0
    for (a0, a1), (b0, b1) in zip(
        zip(coordinates[0][:-1], coordinates[0][1:], strict=True),
        zip(coordinates[1][:-1], coordinates[1][1:], strict=True),
        strict=True,
    ):
        if a1 > a0 and b1 > b0:
            for offset in range(a1 - a0):
                x, y = a[a0 + offset], b[b0 + offset]
                if x == y:
                    matches += 1
                else:
                    differences.append(Difference("substitution", a0 + offset, b0 + offset, x, y))
        elif a1 > a0:
            differences.append(Difference("deletion", a0, b0, a[a0:a1], ""))
        elif b1 > b0:
            differences.append(Difference("insertion", a0, b0, "", b[b0:b1]))
    aligned_a, aligned_b = str(alignment[0]), str(alignment[1])
    columns = len(aligned_a)
    return PairAlignment(
        score=score,
        identity=matches / columns if columns else 0.0,
        aligned_length=columns,
        matches=matches,
        aligned_a=aligned_a,
        aligned_b=aligned_b,
        differences=tuple(differences),
    )
