"""Simulated references, planted mutations and Illumina-like reads, for tests and benchmarks.

Everything here is deterministic under its ``seed`` (numpy ``Generator``).

Truth is a list of :class:`~analysis.mutations.model.Mutation` in reference coordinates
(1-based, GenomeDiff semantics):

- SNP, SUB and DEL start at ``position``; INS goes after ``position``.
- MOB follows breseq's GenomeDiff: ``position`` is the first base of the target-site
  duplication, so bases ``position .. position+duplication_size-1`` appear on both sides of
  the element (new = ref[:p-1+d] + element + ref[p-1:]). The element is its annotated
  feature's sequence read on the feature's strand, inserted as is for ``strand`` +1 and
  reverse-complemented for -1.
- AMP: bases ``position .. position+size-1`` present ``copy_number`` times in tandem.
- A deletion across the origin of a circular record is one DEL whose ``position`` is its
  first deleted base (near the end) and whose ``size`` runs past the end: bases
  ``position .. length`` and ``1 .. position+size-1-length`` are gone, and the mutated
  record starts at reference base ``position+size-length``.

Mixed populations: each planted mutation has a ``frequency``. The population is the
reference and one mutant haplotype carrying every mutation; around each mutation (its span
plus half the plan's spacing on each side) a fragment comes from the mutant with
probability equal to that mutation's frequency and from the reference otherwise, decided
by where the fragment's middle falls on the reference. Mutations are planted further
apart than a fragment is long, so every read over a mutation carries it at its frequency
and loci are independent.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from Bio import SeqIO
from Bio.Seq import Seq
from Bio.SeqFeature import SeqFeature, SimpleLocation
from Bio.SeqRecord import SeqRecord
from isal import igzip

from analysis.mutations.model import Kind, Mutation
from analysis.sequences.records import Feature, Record

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]

ELEMENT_TYPES = ("mobile_element", "repeat_region")
_ALPHABET = np.frombuffer(b"ACGT", dtype=np.uint8)
_COMPLEMENT = np.zeros(256, dtype=np.uint8)
for _a, _b in zip(b"ACGTN", b"TGCAN", strict=True):
    _COMPLEMENT[_a] = _b
_CODE = np.full(256, 0, dtype=np.uint8)
for _i, _base in enumerate(b"ACGT"):
    _CODE[_base] = _i
_STOPS = ("TAA", "TAG", "TGA")
_SENSE_CODONS = tuple(
    a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in _STOPS
)
_MAX_QUALITY = 40
_MIN_QUALITY = 2
_BATCH_FRAGMENTS = 100_000


def reverse_complement(sequence: str) -> str:
    """The reverse complement of an upper-case DNA sequence.

    >>> reverse_complement("AACGTN")
    'NACGTT'
    """
    raw = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)
    return _COMPLEMENT[raw][::-1].tobytes().decode("ascii")


def random_genome(length: int, gc: float = 0.5, seed: int = 0) -> str:
    """A random sequence of ``length`` bases with GC fraction ``gc``.

    >>> random_genome(12, seed=1) == random_genome(12, seed=1)
    True
    >>> len(random_genome(12, gc=1.0, seed=2).strip("GC"))
    0
    """
    rng = np.random.default_rng(seed)
    return _random_bases(rng, length, gc)


def _random_bases(rng: np.random.Generator, length: int, gc: float = 0.5) -> str:
    weights = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return _ALPHABET[rng.choice(4, size=length, p=weights)].tobytes().decode("ascii")


# --- annotated references ------------------------------------------------------------


def make_feature(
    type: str,
    start: int,
    end: int,
    strand: int,
    *,
    locus_tag: str = "",
    gene: str = "",
    product: str = "",
    mobile_element: str = "",
) -> Feature:
    """A simple-location feature (0-based, half-open), the other qualifiers empty."""
    return Feature(
        type=type,
        start=start,
        end=end,
        strand=strand,
        parts=((start, end, strand),),
        locus_tag=locus_tag,
        gene=gene,
        product=product,
        protein_id="",
        note="",
        annotated_translation="",
        transl_table=11,
        codon_start=1,
        mobile_element=mobile_element,
    )


def simulated_reference(
    chromosome_length: int = 4_600_000,
    plasmid_length: int = 60_000,
    *,
    element_copies: int = 8,
    element_length: int = 1_300,
    gc: float = 0.5,
    seed: int = 0,
) -> list[Record]:
    """A bacterial-like annotated reference: a circular chromosome and a circular plasmid.

    Both are packed with genes (CDS on either strand, ATG ... stop, 80-90 % coding) and
    carry copies of one insertion sequence "ISsim1" (``repeat_region`` features with
    ``/mobile_element="insertion sequence:ISsim1"``): ``element_copies`` on the
    chromosome and one on the plasmid. Set ``plasmid_length`` to 0 for the chromosome only.
    """
    rng = np.random.default_rng(seed)
    element = _random_bases(rng, element_length, gc)
    records = [_annotated_record(rng, "chromosome", chromosome_length, element, element_copies, gc)]
    if plasmid_length > 0:
        records.append(_annotated_record(rng, "plasmid", plasmid_length, element, 1, gc))
    return records


def _annotated_record(
    rng: np.random.Generator, name: str, length: int, element: str, copies: int, gc: float
) -> Record:
    """Genes and intergenic spacers end to end, with element copies in some spacers."""
    pieces: list[str] = []
    features: list[Feature] = []
    cursor = 0
    gene_count = 0
    remaining_copies = copies
    budget = length - copies * len(element)
    element_every = max(1, budget // (copies + 1)) if copies else length + 1
    while cursor < length:
        spacer = _random_bases(rng, int(rng.integers(40, 250)), gc)
        pieces.append(spacer)
        cursor += len(spacer)
        if remaining_copies and cursor >= element_every * (copies - remaining_copies + 1):
            strand = 1 if rng.random() < 0.5 else -1
            copy = element if strand == 1 else reverse_complement(element)
            index = copies - remaining_copies + 1
            features.append(
                make_feature(
                    "repeat_region",
                    cursor,
                    cursor + len(copy),
                    strand,
                    locus_tag=f"{name}_IS{index}",
                    mobile_element="insertion sequence:ISsim1",
                )
            )
            pieces.append(copy)
            cursor += len(copy)
            remaining_copies -= 1
            continue
        gene_length = 3 * int(rng.integers(100, 600))
        if cursor + gene_length + 300 > length:
            break
        strand = 1 if rng.random() < 0.5 else -1
        gene = _open_reading_frame(rng, gene_length)
        pieces.append(gene if strand == 1 else reverse_complement(gene))
        gene_count += 1
        features.append(
            make_feature(
                "CDS",
                cursor,
                cursor + gene_length,
                strand,
                locus_tag=f"{name}_{gene_count:05d}",
                product="hypothetical protein",
            )
        )
        cursor += gene_length
    sequence = "".join(pieces)
    if len(sequence) < length:
        sequence += _random_bases(rng, length - len(sequence), gc)
    sequence = sequence[:length]
    features = [f for f in features if f.end <= length]
    return Record(name, f"simulated {name}", sequence, tuple(features), "circular")


def _open_reading_frame(rng: np.random.Generator, length: int) -> str:
    codons = rng.integers(0, len(_SENSE_CODONS), size=length // 3 - 2)
    stop = _STOPS[int(rng.integers(0, 3))]
    return "ATG" + "".join(_SENSE_CODONS[c] for c in codons) + stop


def write_genbank(records: Sequence[Record], path: Path) -> None:
    """Write records with their features as GenBank (topology kept)."""
    out = []
    for record in records:
        seq_record = SeqRecord(Seq(record.sequence), id=record.id, name=record.id[:16])
        seq_record.description = record.description
        seq_record.annotations["molecule_type"] = "DNA"
        seq_record.annotations["topology"] = record.topology
        for feature in record.features:
            qualifiers: dict[str, list[str]] = {}
            for key, value in (
                ("locus_tag", feature.locus_tag),
                ("gene", feature.gene),
                ("product", feature.product),
                ("mobile_element", feature.mobile_element),
            ):
                if value:
                    qualifiers[key] = [value]
            location = SimpleLocation(  # type: ignore[no-untyped-call]
                feature.start, feature.end, feature.strand or None
            )
            seq_record.features.append(
                SeqFeature(  # type: ignore[no-untyped-call]
                    location, type=feature.type, qualifiers=qualifiers
                )
            )
        out.append(seq_record)
    with Path(path).open("w", encoding="ascii") as handle:
        SeqIO.write(out, handle, "genbank")


def write_fasta(records: Sequence[Record], path: Path, width: int = 80) -> None:
    """Write the records' sequences as FASTA."""
    with Path(path).open("w", encoding="ascii") as handle:
        for record in records:
            handle.write(f">{record.id}\n")
            sequence = record.sequence
            handle.write("\n".join(sequence[i : i + width] for i in range(0, len(sequence), width)))
            handle.write("\n")


# --- planting mutations ---------------------------------------------------------------


@dataclass(frozen=True)
class PlantPlan:
    """How many mutations of each class to plant, and their sizes (bases, inclusive ranges).

    The defaults suit a bacterial genome of a few megabases. Small events are kept at
    least ``spacing`` bases from any other event, large ones (large deletions,
    amplifications, MOB) ``large_spacing``; nothing is planted inside or beside an
    annotated mobile element (reads there map to several copies). ``frequency`` is the
    range truth frequencies are drawn from (uniformly); (1, 1) is a clonal isolate.
    """

    snps: int = 60
    substitutions: int = 10
    small_insertions: int = 20
    small_deletions: int = 20
    repeat_indel_fraction: float = 0.4  # of small indels, inside homopolymers or STRs
    large_deletions: int = 6
    duplications: int = 4  # AMP, copy_number 2
    triplications: int = 2  # AMP, copy_number 3
    mobile_insertions: int = 5
    origin_deletions: int = 1  # on a circular record, across its origin
    substitution_size: tuple[int, int] = (2, 6)
    small_indel_size: tuple[int, int] = (1, 50)
    large_deletion_size: tuple[int, int] = (200, 30_000)
    amplification_size: tuple[int, int] = (300, 10_000)
    target_duplication_size: tuple[int, int] = (4, 9)
    spacing: int = 1_000
    large_spacing: int = 3_000
    frequency: tuple[float, float] = (1.0, 1.0)

    @classmethod
    def only(cls, **settings: Any) -> PlantPlan:
        """A plan that plants nothing but what ``settings`` name (counts and sizes).

        >>> PlantPlan.only(snps=3).small_insertions, PlantPlan.only(snps=3).snps
        (0, 3)
        """
        counts = (
            "snps",
            "substitutions",
            "small_insertions",
            "small_deletions",
            "large_deletions",
            "duplications",
            "triplications",
            "mobile_insertions",
            "origin_deletions",
        )
        return cls(**{**dict.fromkeys(counts, 0), **settings})


@dataclass(frozen=True)
class Haplotype:
    """A mutated (or reference) record as reads are drawn from it.

    ``origin[i]`` is the 0-based reference position base ``i`` derives from (inserted bases
    take the reference base before them). ``share`` is, per reference position, the
    fraction of the population's fragments there that come from this haplotype (None: all).
    """

    seq_id: str
    sequence: str
    is_circular: bool
    origin: I64
    share: F32 | None = None


@dataclass(frozen=True)
class Planted:
    """The planted truth and what reads are drawn from."""

    truth: tuple[Mutation, ...]
    sequences: dict[str, str]  # the mutant haplotype of each record (every mutation)
    haplotypes: tuple[Haplotype, ...] = field(default=())


@dataclass
class _Layout:
    """Occupied stretches of one record: ``(start, end, spacing)``, 0-based half-open."""

    length: int
    occupied: list[tuple[int, int, int]]

    def fits(self, start: int, end: int, spacing: int) -> bool:
        """Whether the stretch keeps its spacing from the record ends and the larger of
        its own and each neighbour's spacing from that neighbour."""
        if start - spacing < 0 or end + spacing > self.length:
            return False
        return all(
            end + max(spacing, gap) <= s or e + max(spacing, gap) <= start
            for s, e, gap in self.occupied
        )

    def take(self, start: int, end: int, spacing: int) -> None:
        self.occupied.append((start, end, spacing))


class _NoRoom(ValueError):
    """The record has no room left for the event at the plan's spacing."""


def element_name(feature: Feature) -> str:
    """The repeat name breseq uses: the ``/mobile_element`` value after its type."""
    if feature.mobile_element:
        return feature.mobile_element.split(":")[-1].strip()
    return feature.gene or feature.locus_tag or f"{feature.type}_{feature.start + 1}"


def mobile_elements(reference: Sequence[Record]) -> dict[str, str]:
    """Each annotated element's sequence (first copy, on its own strand), by repeat name."""
    elements: dict[str, str] = {}
    for record in reference:
        for feature in record.features:
            if feature.type not in ELEMENT_TYPES:
                continue
            name = element_name(feature)
            if name not in elements:
                copy = record.sequence[feature.start : feature.end]
                elements[name] = reverse_complement(copy) if feature.strand == -1 else copy
    return elements


def plant(reference: Sequence[Record], plan: PlantPlan = PlantPlan(), seed: int = 0) -> Planted:
    """Plant the plan's mutations in the reference; return truth and mutated sequences.

    Raises ValueError when the plan asks for MOB but no element is annotated, or when the
    events do not fit the records at the plan's spacing.
    """
    rng = np.random.default_rng(seed)
    elements = mobile_elements(reference)
    if plan.mobile_insertions and not elements:
        raise ValueError(
            "the plan plants mobile-element insertions but no record annotates a "
            "mobile_element or repeat_region feature; add one or set mobile_insertions=0"
        )
    layouts = {r.id: _new_layout(r, plan) for r in reference}
    truth: list[Mutation] = []
    circular = [r for r in reference if r.topology == "circular"]
    for _ in range(plan.origin_deletions if circular else 0):
        record = circular[int(rng.integers(0, len(circular)))]
        truth.append(_origin_deletion(rng, record, layouts[record.id], plan))
    by_length = sorted(reference, key=lambda r: -r.length)
    has_repeat_indels = plan.repeat_indel_fraction > 0 and (
        plan.small_insertions or plan.small_deletions
    )
    repeats = {r.id: tandem_repeats(r.sequence) if has_repeat_indels else [] for r in reference}
    lengths = np.array([r.length for r in reference], dtype=np.float64)
    weights = lengths / lengths.sum()
    steps: list[tuple[int, str]] = [
        (plan.large_deletions, "large_deletion"),
        (plan.duplications, "duplication"),
        (plan.triplications, "triplication"),
        (plan.mobile_insertions, "mob"),
        (plan.small_insertions, "insertion"),
        (plan.small_deletions, "deletion"),
        (plan.substitutions, "sub"),
        (plan.snps, "snp"),
    ]
    for count, what in steps:
        for _ in range(count):
            chosen = reference[int(rng.choice(len(reference), p=weights))]
            records = [chosen, *by_length]
            truth.append(_plant_one(rng, records, layouts, repeats, plan, elements, what))
    truth = [_with_frequency(rng, m, plan) for m in truth]
    truth.sort(key=lambda m: ([r.id for r in reference].index(m.seq_id), m.position))
    sequences: dict[str, str] = {}
    haplotypes: list[Haplotype] = []
    for record in reference:
        mutations = [m for m in truth if m.seq_id == record.id]
        sequence, origin = _haplotype(record.sequence, mutations, elements)
        sequences[record.id] = sequence
        haplotypes.extend(_population(record, sequence, origin, mutations, plan))
    return Planted(tuple(truth), sequences, tuple(haplotypes))


def _plant_one(
    rng: np.random.Generator,
    records: Sequence[Record],
    layouts: Mapping[str, _Layout],
    repeats: Mapping[str, Sequence[tuple[int, int, int]]],
    plan: PlantPlan,
    elements: Mapping[str, str],
    what: str,
) -> Mutation:
    """Plant on the first record with room (a full plasmid passes it on)."""

    def site(record: Record) -> _Site:
        return _Site(rng, record, layouts[record.id], plan, elements, repeats[record.id])

    for record in records[:-1]:
        try:
            return _PLANTERS[what](site(record))
        except _NoRoom:
            continue
    return _PLANTERS[what](site(records[-1]))


def _new_layout(record: Record, plan: PlantPlan) -> _Layout:
    layout = _Layout(record.length, [])
    for feature in record.features:
        if feature.type in ELEMENT_TYPES:
            layout.take(feature.start, feature.end, plan.spacing)
    return layout


def _with_frequency(rng: np.random.Generator, m: Mutation, plan: PlantPlan) -> Mutation:
    low, high = plan.frequency
    if low >= 1.0:
        return m
    frequency = round(float(rng.uniform(low, high)), 3)
    return Mutation(
        m.kind,
        m.seq_id,
        m.position,
        m.size,
        m.new_seq,
        m.repeat_name,
        m.strand,
        m.duplication_size,
        m.copy_number,
        frequency,
    )


def _place(rng: np.random.Generator, layout: _Layout, size: int, spacing: int, what: str) -> int:
    """A 0-based start where ``size`` bases fit; the stretch is then taken."""
    for _ in range(2_000):
        start = int(rng.integers(0, max(1, layout.length - size)))
        if layout.fits(start, start + size, spacing):
            layout.take(start, start + size, spacing)
            return start
    raise _NoRoom(
        f"could not place a {what} of {size} bases on a record of {layout.length} bases "
        "at the plan's spacing; plant fewer mutations or use a longer reference"
    )


def _log_uniform(rng: np.random.Generator, bounds: tuple[int, int], cap: int) -> int:
    low, high = bounds[0], max(bounds[0], min(bounds[1], cap))
    drawn = int(np.exp(rng.uniform(np.log(low), np.log(high + 1))))
    return min(max(drawn, low), high)


def _origin_deletion(
    rng: np.random.Generator, record: Record, layout: _Layout, plan: PlantPlan
) -> Mutation:
    length = record.length
    size = max(2, _log_uniform(rng, plan.large_deletion_size, length // 8))
    past_end = int(rng.integers(1, size))  # bases deleted at the start of the record
    position = length - (size - past_end) + 1
    # Both pieces touch an end, where _Layout.fits refuses spacing: take them directly.
    layout.take(position - 1, length, plan.large_spacing)
    layout.take(0, past_end, plan.large_spacing)
    return Mutation(Kind.DEL, record.id, position, size=size)


@dataclass(frozen=True)
class _Site:
    """What every planter needs: the generator, the record and its layout and repeats, the
    plan, the elements."""

    rng: np.random.Generator
    record: Record
    layout: _Layout
    plan: PlantPlan
    elements: Mapping[str, str]
    repeats: Sequence[tuple[int, int, int]]  # tandem_repeats of the record

    def place(self, size: int, spacing: int, what: str) -> int:
        return _place(self.rng, self.layout, size, spacing, what)


def _snp(site: _Site) -> Mutation:
    start = site.place(1, site.plan.spacing, "SNP")
    new = _other_base(site.rng, site.record.sequence[start])
    return Mutation(Kind.SNP, site.record.id, start + 1, new_seq=new)


def _other_base(rng: np.random.Generator, base: str) -> str:
    choices = [b for b in "ACGT" if b != base]
    return choices[int(rng.integers(0, 3))]


def _sub(site: _Site) -> Mutation:
    low, high = site.plan.substitution_size
    size = int(site.rng.integers(low, high + 1))
    start = site.place(size, site.plan.spacing, "substitution")
    old = site.record.sequence[start : start + size]
    new = "".join(_other_base(site.rng, b) for b in old)  # every base changes: not reducible
    return Mutation(Kind.SUB, site.record.id, start + 1, size=size, new_seq=new)


def _insertion(site: _Site) -> Mutation:
    if site.rng.random() < site.plan.repeat_indel_fraction:
        planted = _repeat_indel(site, is_insertion=True)
        if planted is not None:
            return planted
    size = _log_uniform(site.rng, site.plan.small_indel_size, site.plan.small_indel_size[1])
    start = site.place(1, site.plan.spacing, "insertion")
    inserted = _random_bases(site.rng, size)
    return Mutation(Kind.INS, site.record.id, start + 1, new_seq=inserted)


def _deletion(site: _Site) -> Mutation:
    if site.rng.random() < site.plan.repeat_indel_fraction:
        planted = _repeat_indel(site, is_insertion=False)
        if planted is not None:
            return planted
    size = _log_uniform(site.rng, site.plan.small_indel_size, site.plan.small_indel_size[1])
    start = site.place(size, site.plan.spacing, "deletion")
    return Mutation(Kind.DEL, site.record.id, start + 1, size=size)


def tandem_repeats(sequence: str, min_length: int = 5) -> list[tuple[int, int, int]]:
    """Homopolymers and 2-3 base tandem repeats: ``(start, end, unit)``, 0-based half-open.

    A repeat is at least ``min_length`` bases and, for units of 2-3, three whole copies.

    >>> tandem_repeats("GAAAAACTGTGTGTC")
    [(1, 6, 1), (7, 14, 2)]
    """
    codes = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)
    found: list[tuple[int, int, int]] = []
    for unit in (1, 2, 3):
        same = (codes[unit:] == codes[:-unit]).view(np.int8)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], same, [0]))))
        for run_start, run_end in zip(edges[::2], edges[1::2], strict=True):
            start = int(run_start)
            span = int(run_end) - start + unit
            is_homopolymer = len(set(sequence[start : start + unit])) == 1
            if span >= max(min_length, 3 * unit) and (unit == 1 or not is_homopolymer):
                found.append((start, start + span, unit))
    found.sort()
    return found


def _repeat_indel(site: _Site, is_insertion: bool) -> Mutation | None:
    """An indel of whole repeat units, placed at a random phase inside the repeat."""
    rng, plan, sequence = site.rng, site.plan, site.record.sequence
    repeats = site.repeats
    for _ in range(50 if repeats else 0):
        start, end, unit = repeats[int(rng.integers(0, len(repeats)))]
        copies = (end - start) // unit
        most = 3 if is_insertion else max(1, copies - 1)
        units = int(rng.integers(1, most + 1))
        if units * unit > plan.small_indel_size[1] or not site.layout.fits(
            start, end, plan.spacing
        ):
            continue
        site.layout.take(start, end, plan.spacing)
        if is_insertion:
            cut = int(rng.integers(start + unit, end + 1))  # after a whole unit, inside
            inserted = sequence[cut - unit : cut] * units
            return Mutation(Kind.INS, site.record.id, cut, new_seq=inserted)
        first = int(rng.integers(start, end - units * unit + 1))
        return Mutation(Kind.DEL, site.record.id, first + 1, size=units * unit)
    return None


def _large_deletion(site: _Site) -> Mutation:
    size = _log_uniform(site.rng, site.plan.large_deletion_size, site.record.length // 8)
    start = site.place(size, site.plan.large_spacing, "large deletion")
    return Mutation(Kind.DEL, site.record.id, start + 1, size=size)


def _amplification(site: _Site, copies: int) -> Mutation:
    size = _log_uniform(site.rng, site.plan.amplification_size, site.record.length // 16)
    start = site.place(size, site.plan.large_spacing, "amplification")
    return Mutation(Kind.AMP, site.record.id, start + 1, size=size, copy_number=copies)


def _duplication(site: _Site) -> Mutation:
    return _amplification(site, 2)


def _triplication(site: _Site) -> Mutation:
    return _amplification(site, 3)


def _mob(site: _Site) -> Mutation:
    names = sorted(site.elements)
    name = names[int(site.rng.integers(0, len(names)))]
    low, high = site.plan.target_duplication_size
    duplication = int(site.rng.integers(low, high + 1))
    start = site.place(duplication, site.plan.large_spacing, "mobile-element insertion")
    strand = 1 if site.rng.random() < 0.5 else -1
    return Mutation(
        Kind.MOB,
        site.record.id,
        start + 1,
        repeat_name=name,
        strand=strand,
        duplication_size=duplication,
    )


_PLANTERS: dict[str, Callable[[_Site], Mutation]] = {
    "snp": _snp,
    "sub": _sub,
    "insertion": _insertion,
    "deletion": _deletion,
    "large_deletion": _large_deletion,
    "duplication": _duplication,
    "triplication": _triplication,
    "mob": _mob,
}


def apply_mutations(
    sequence: str, mutations: Sequence[Mutation], elements: Mapping[str, str] = {}
) -> str:
    """The sequence after the (non-overlapping) mutations, all on this record.

    >>> apply_mutations("ACGTACGT", [Mutation(Kind.SNP, "x", 2, new_seq="T"),
    ...                              Mutation(Kind.INS, "x", 4, new_seq="GG"),
    ...                              Mutation(Kind.AMP, "x", 6, size=2, copy_number=3)])
    'ATGTGGACGCGCGT'
    """
    return _haplotype(sequence, mutations, elements)[0]


def _haplotype(
    sequence: str, mutations: Sequence[Mutation], elements: Mapping[str, str]
) -> tuple[str, I64]:
    """The mutated sequence and, per base, the reference position it derives from."""
    pieces: list[str] = []
    origins: list[I64] = []
    cursor = 0  # 0-based: reference bases before it are already placed
    end = len(sequence)
    steps = sorted(_split_origin_deletions(mutations, len(sequence)), key=_step_start)
    if steps and steps[0].kind is Kind.DEL and steps[0].position == 1:
        cursor = steps[0].size  # the part of an origin-crossing deletion at the start
        steps = steps[1:]

    def keep(upto: int) -> None:
        nonlocal cursor
        if upto > cursor:
            pieces.append(sequence[cursor:upto])
            origins.append(np.arange(cursor, upto, dtype=np.int64))
            cursor = max(cursor, upto)

    def add(text: str, origin: I64) -> None:
        pieces.append(text)
        origins.append(origin)

    for m in steps:
        first = m.position - 1  # 0-based first affected base (INS/MOB: see below)
        if m.kind is Kind.SNP:
            keep(first)
            add(m.new_seq, np.array([first], dtype=np.int64))
            cursor = first + 1
        elif m.kind is Kind.SUB:
            keep(first)
            add(m.new_seq, np.minimum(first + np.arange(len(m.new_seq)), first + m.size - 1))
            cursor = first + m.size
        elif m.kind is Kind.DEL:
            keep(first)
            cursor = min(end, first + m.size)
        elif m.kind is Kind.INS:
            keep(m.position)
            add(m.new_seq, np.full(len(m.new_seq), max(m.position - 1, 0), dtype=np.int64))
        elif m.kind is Kind.MOB:
            element = elements[m.repeat_name]
            copy = element if m.strand >= 0 else reverse_complement(element)
            site_end = first + m.duplication_size
            keep(site_end)
            add(copy, np.full(len(copy), max(site_end - 1, 0), dtype=np.int64))
            add(sequence[first:site_end], np.arange(first, site_end, dtype=np.int64))
        elif m.kind is Kind.AMP:
            last = first + m.size
            keep(last)
            for _ in range(m.copy_number - 1):
                add(sequence[first:last], np.arange(first, last, dtype=np.int64))
    keep(end)
    origin = np.concatenate(origins) if origins else np.zeros(0, dtype=np.int64)
    return "".join(pieces), origin


def _split_origin_deletions(mutations: Sequence[Mutation], length: int) -> list[Mutation]:
    """A deletion running past the end becomes its tail piece and its head piece."""
    steps: list[Mutation] = []
    for m in mutations:
        if m.kind is Kind.DEL and m.position + m.size - 1 > length:
            head = m.position + m.size - 1 - length
            steps.append(Mutation(Kind.DEL, m.seq_id, m.position, size=length - m.position + 1))
            steps.append(Mutation(Kind.DEL, m.seq_id, 1, size=head))
        else:
            steps.append(m)
    return steps


def _step_start(m: Mutation) -> tuple[int, int]:
    # INS after p sorts before a change starting at p + 1; MOB and AMP at their last base.
    if m.kind is Kind.INS:
        return (m.position, 0)
    return (m.position - 1, 1)


def _population(
    record: Record,
    sequence: str,
    origin: I64,
    mutations: Sequence[Mutation],
    plan: PlantPlan,
) -> list[Haplotype]:
    """The mutant haplotype, and the reference beside it where a mutation is not fixed."""
    circular = record.topology == "circular"
    mutant_share = np.ones(record.length, dtype=np.float32)
    for m in mutations:
        if m.frequency >= 1.0:
            continue
        half = plan.spacing // 2
        span = np.arange(m.position - 1 - half, m.end + half, dtype=np.int64)
        span = span % record.length if circular else span[(span >= 0) & (span < record.length)]
        mutant_share[span] = m.frequency
    if np.all(mutant_share == 1.0):
        return [Haplotype(record.id, sequence, circular, origin)]
    reference_share = (1.0 - mutant_share).astype(np.float32)
    return [
        Haplotype(record.id, sequence, circular, origin, mutant_share),
        Haplotype(
            record.id,
            record.sequence,
            circular,
            np.arange(record.length, dtype=np.int64),
            reference_share,
        ),
    ]


def clonal_haplotypes(reference: Sequence[Record]) -> tuple[Haplotype, ...]:
    """Each record unchanged, as a read source (for reads of the reference itself)."""
    return tuple(
        Haplotype(r.id, r.sequence, r.topology == "circular", np.arange(r.length, dtype=np.int64))
        for r in reference
    )


# --- reads ----------------------------------------------------------------------------


class _Sink(Protocol):
    """Where FASTQ bytes go (a buffered file or a gzip stream)."""

    def write(self, data: bytes, /) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ReadSummary:
    """What ``simulate_reads`` wrote: reads per file, bases and substitution errors."""

    reads: int
    bases: int
    errors: int


def simulate_reads(
    haplotypes: Sequence[Haplotype],
    paths: Sequence[Path],
    *,
    coverage: float,
    read_length: int = 150,
    insert_mean: int = 400,
    insert_sd: int = 60,
    error_rate: float = 0.005,
    seed: int = 0,
    name_prefix: str = "sim",
) -> ReadSummary:
    """Write Illumina-like reads drawn from the haplotypes as FASTQ (``.gz``: gzipped).

    One path gives single-end reads, two give pairs (R1, R2; names end ``/1`` and ``/2``
    and match). Fragments start uniformly along each haplotype (across the origin of a
    circular one), their lengths normal(``insert_mean``, ``insert_sd``) but at least one
    read; single-end fragments are one read long. Each fragment is kept with the
    haplotype's ``share`` at the reference position of its middle. Errors are
    substitutions whose probability rises towards the 3' end (mean about
    ``error_rate``); each base's Phred quality is the one its error probability was
    drawn from, so qualities are calibrated. The read description is
    ``h<haplotype index>:<0-based fragment start>:<strand>`` (where the fragment lies).
    """
    if not 35 <= read_length <= 300:
        raise ValueError(f"read_length {read_length} outside 35-300")
    if len(paths) not in (1, 2):
        raise ValueError("give one path (single-end) or two (R1, R2)")
    paired = len(paths) == 2
    rng = np.random.default_rng(seed)
    handles = [_open_fastq(Path(p)) for p in paths]
    reads = bases = errors = 0
    try:
        for index, haplotype in enumerate(haplotypes):
            written = _reads_of(
                rng,
                haplotype,
                index,
                handles,
                coverage=coverage,
                read_length=read_length,
                insert_mean=insert_mean if paired else read_length,
                insert_sd=insert_sd if paired else 0,
                error_rate=error_rate,
                first_id=reads,
                prefix=name_prefix,
            )
            reads += written[0]
            errors += written[1]
    finally:
        for handle in handles:
            handle.close()
    bases = reads * read_length * len(paths)
    return ReadSummary(reads * len(paths), bases, errors)


def _open_fastq(path: Path) -> _Sink:
    if path.suffix == ".gz":
        return _GzipSink(path)
    return io.BufferedWriter(io.FileIO(path, "w"), buffer_size=1 << 22)


class _GzipSink:
    """isal's gzip at level 1, keeping pace with numpy; no name or time in the header, so
    the same seed writes the same bytes."""

    def __init__(self, path: Path) -> None:
        self._raw = io.FileIO(path, "w")
        self._gzip = igzip.IGzipFile(  # type: ignore[no-untyped-call]
            filename="", mode="wb", fileobj=self._raw, compresslevel=1, mtime=0
        )

    def write(self, data: bytes, /) -> int:
        return int(self._gzip.write(data))  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self._gzip.close()
        self._raw.close()


def _reads_of(
    rng: np.random.Generator,
    haplotype: Haplotype,
    index: int,
    handles: Sequence[_Sink],
    *,
    coverage: float,
    read_length: int,
    insert_mean: int,
    insert_sd: int,
    error_rate: float,
    first_id: int,
    prefix: str,
) -> tuple[int, int]:
    """Draw and write this haplotype's fragments; return (fragments kept, errors)."""
    length = len(haplotype.sequence)
    if length < read_length:
        return 0, 0
    per_fragment = read_length * len(handles)
    total = round(coverage * length / per_fragment)
    longest = max(read_length, min(length, insert_mean + 6 * insert_sd))
    codes = np.frombuffer(haplotype.sequence.encode("ascii"), dtype=np.uint8)
    if haplotype.is_circular:
        codes = np.concatenate([codes, codes[:longest]])
    windows = np.lib.stride_tricks.sliding_window_view(codes, read_length)
    kept = errors = 0
    for done in range(0, total, _BATCH_FRAGMENTS):
        n = min(_BATCH_FRAGMENTS, total - done)
        sizes = np.rint(rng.normal(insert_mean, insert_sd, n)).astype(np.int64)
        sizes = np.clip(sizes, read_length, longest)
        span = length if haplotype.is_circular else length - sizes + 1
        starts = (rng.random(n) * span).astype(np.int64)
        minus = rng.random(n) < 0.5
        if haplotype.share is not None:
            middle = haplotype.origin[(starts + sizes // 2) % length]
            keep = rng.random(n) < haplotype.share[middle]
            sizes, starts, minus = sizes[keep], starts[keep], minus[keep]
        n = len(starts)
        if n == 0:
            continue
        left = windows[starts]
        right = _COMPLEMENT[windows[starts + sizes - read_length]][:, ::-1]
        mates = [np.where(minus[:, None], right, left)]
        if len(handles) == 2:
            mates.append(np.where(minus[:, None], left, right))
        ids = np.arange(first_id + kept, first_id + kept + n, dtype=np.int64)
        for mate, (handle, read) in enumerate(zip(handles, mates, strict=True)):
            quality = _qualities(rng, n, read_length, error_rate)
            read, changed = _with_errors(rng, read, quality, error_rate)
            errors += changed
            tag = f"/{mate + 1}" if len(handles) == 2 else ""
            handle.write(_fastq_block(prefix, tag, ids, index, starts, minus, read, quality))
        kept += n
    return kept, errors


def error_profile(read_length: int, error_rate: float) -> npt.NDArray[np.float64]:
    """Mean substitution probability at each read position: rising towards the 3' end.

    >>> profile = error_profile(100, 0.01)
    >>> bool(abs(profile.mean() - 0.01) < 1e-9 and profile[-1] > 5 * profile[0])
    True
    """
    x = np.arange(read_length) / max(1, read_length - 1)
    shape = 1.0 + 9.0 * x**3
    return np.asarray(error_rate * shape / shape.mean(), dtype=np.float64)


def _qualities(rng: np.random.Generator, n: int, read_length: int, error_rate: float) -> U8:
    """Phred scores per base: the profile, a per-read offset and a little per-base noise."""
    if error_rate <= 0:
        return np.full((n, read_length), _MAX_QUALITY, dtype=np.uint8)
    target = -10.0 * np.log10(error_profile(read_length, error_rate))
    offset = rng.integers(-2, 3, size=(n, 1), dtype=np.int8)
    noise = rng.integers(-2, 3, size=(n, read_length), dtype=np.int8)
    quality = np.rint(target).astype(np.int16) + offset + noise
    clipped: U8 = np.clip(quality, _MIN_QUALITY, _MAX_QUALITY).astype(np.uint8)
    return clipped


_ERROR_OF_QUALITY = 10.0 ** (-np.arange(256) / 10.0)


def _with_errors(
    rng: np.random.Generator, read: U8, quality: U8, error_rate: float
) -> tuple[U8, int]:
    """Substitute bases with the probability their quality states (none at rate 0).

    Errors are rare, so candidates are drawn at the batch's highest error probability by
    geometric gaps (a Bernoulli trial per base, without touching every base) and each is
    kept with its own probability over that bound.
    """
    if error_rate <= 0:
        return read, 0
    flat_quality = quality.reshape(-1)
    bound = float(_ERROR_OF_QUALITY[int(flat_quality.min())])
    total = flat_quality.size
    expected = total * bound
    gaps = rng.geometric(bound, size=int(expected + 6 * np.sqrt(expected) + 16))
    candidates = np.cumsum(gaps) - 1
    while candidates[-1] < total:  # rare: draw more gaps
        more = rng.geometric(bound, size=len(gaps))
        candidates = np.concatenate([candidates, candidates[-1] + np.cumsum(more)])
    candidates = candidates[candidates < total]
    kept = rng.random(len(candidates)) * bound < _ERROR_OF_QUALITY[flat_quality[candidates]]
    wrong = candidates[kept]
    if len(wrong) == 0:
        return read, 0
    flat = np.array(read, dtype=np.uint8, copy=True).reshape(-1)
    codes = _CODE[flat[wrong]]
    shifted = (codes + rng.integers(1, 4, size=len(wrong), dtype=np.uint8)) % 4
    flat[wrong] = _ALPHABET[shifted]
    return flat.reshape(read.shape), len(wrong)


def _fastq_block(
    prefix: str,
    tag: str,
    ids: I64,
    haplotype: int,
    starts: I64,
    minus: npt.NDArray[np.bool_],
    read: U8,
    quality: U8,
) -> bytes:
    """FASTQ records of equal layout, built as one byte matrix (no per-read Python)."""
    n = read.shape[0]
    head = np.frombuffer(f"@{prefix}".encode("ascii"), dtype=np.uint8)
    columns: list[U8] = [
        np.broadcast_to(head, (n, len(head))),
        _digits(ids, 10),
        np.broadcast_to(
            np.frombuffer(f"{tag} h{haplotype:03d}:".encode(), np.uint8),
            (n, len(tag) + 6),
        ),
    ]
    columns += [
        _digits(starts, 10),
        np.where(minus, ord("-"), ord("+")).astype(np.uint8)[:, None],
        np.full((n, 1), ord("\n"), dtype=np.uint8),
        read,
        np.broadcast_to(np.frombuffer(b"\n+\n", np.uint8), (n, 3)),
        (quality + 33).astype(np.uint8),
        np.full((n, 1), ord("\n"), dtype=np.uint8),
    ]
    return np.hstack(columns).tobytes()


def _digits(values: I64, width: int) -> U8:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
