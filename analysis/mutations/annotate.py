"""What each mutation does to the annotated genes, in breseq's terms.

Genes are the reference's CDS and RNA features (``tRNA``, ``rRNA``, ``ncRNA``, ``tmRNA``,
``misc_RNA``, ``RNA``), plus pseudogenes annotated only as a ``gene`` feature; mobile
elements, ``repeat_region``, ``mRNA`` and the like are not genes. A gene's place is its
``parts``, so joined genes and genes across the origin of a circular record are followed
base by base in biological order.

* SNP, and SUB replacing as many bases as it removes, inside a CDS: the codons touched, read
  from ``/codon_start`` with the CDS's ``/transl_table``, before and after (``GAC→AAC``,
  ``D74N``). The first codon of a complete CDS reads as M when it is a start codon of the
  table, as NCBI translates it; ``/transl_except`` is not applied.
* INS, DEL and unequal SUB inside a gene: frameshift unless the length change is a multiple
  of three (in-frame indel). The new protein is not translated, so a stop codon made by an
  in-frame indel is not reported.
* MOB inside a gene: the gene is interrupted. Large deletions (``LARGE`` bases or more) and
  amplifications list every gene wholly or partly inside them.
* Outside every gene: intergenic, with the nearest gene on each side and its distance as
  breseq counts it (1 = the adjacent base). On a circular record the search wraps around
  the origin.

A site inside several overlapping genes is annotated once per gene: the gene that starts
first gives the main fields, the others are in ``others``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import LARGE, Category, Kind, Mutation
from analysis.sequences._codes import genetic_code, reverse_complement, translate
from analysis.sequences.features import feature_sequence, genome_to_offset
from analysis.sequences.records import Feature, Record

__all__ = ["PROMOTER_DISTANCE", "Annotation", "Effect", "Flank", "Gene", "annotate", "as_fields"]

NO_GENE = "–"  # breseq's en dash for "no gene here"
ARROW = "→"
PROMOTER_DISTANCE = 150  # bases upstream of a gene counted as its promoter (our cut-off)

_RNA_TYPES = frozenset({"tRNA", "rRNA", "ncRNA", "tmRNA", "misc_RNA", "RNA"})
I64 = npt.NDArray[np.int64]


class Effect(StrEnum):
    """What a mutation does, the most specific that applies."""

    SYNONYMOUS = "synonymous"
    NONSYNONYMOUS = "nonsynonymous"
    STOP_GAINED = "stop_gained"  # breseq: nonsense
    STOP_LOST = "stop_lost"
    START_LOST = "start_lost"
    FRAMESHIFT = "frameshift"
    INFRAME_INDEL = "inframe_indel"
    NONCODING = "noncoding"  # in an RNA gene, or a CDS whose codon cannot be read
    PSEUDOGENE = "pseudogene"
    INTERGENIC = "intergenic"
    GENES_DELETED = "genes_deleted"  # large deletion
    GENES_AMPLIFIED = "genes_amplified"  # AMP
    GENE_INTERRUPTED = "gene_interrupted"  # mobile element inserted inside a gene


# Effects after which breseq lists the gene as inactivated rather than overlapping.
_INACTIVATING = frozenset(
    {Effect.STOP_GAINED, Effect.FRAMESHIFT, Effect.GENES_DELETED, Effect.GENE_INTERRUPTED}
)
_SNP_TYPE = {
    Effect.SYNONYMOUS: "synonymous",
    Effect.NONSYNONYMOUS: "nonsynonymous",
    Effect.STOP_GAINED: "nonsense",
    Effect.STOP_LOST: "nonsynonymous",
    Effect.START_LOST: "nonsynonymous",
    Effect.NONCODING: "noncoding",
    Effect.PSEUDOGENE: "pseudogene",
    Effect.INTERGENIC: "intergenic",
}


@dataclass(frozen=True)
class Gene:
    """A gene touched by a mutation. ``name`` is ``/gene``, else the locus tag.
    ``is_partial``: only part of it lies inside a large event."""

    name: str
    locus_tag: str
    product: str
    strand: int
    is_partial: bool = False


@dataclass(frozen=True)
class Flank:
    """The nearest gene on one side of an intergenic site; ``distance`` 1 is adjacent."""

    gene: Gene
    distance: int


@dataclass(frozen=True)
class Annotation:
    """The effect of one mutation on the genes.

    ``gene``/``locus_tag``/``product``/``strand`` are those of the gene hit (empty and 0
    when intergenic or for a large event, whose genes are in ``genes``). ``gene_position``
    is breseq's text ("coding (325/873 nt)", "intergenic (+531/–)", "275" for a coding
    SNP). Codon fields are filled for SNP and same-length SUB in a CDS: ``codon_number``
    counts codons (and amino acids) from 1 at ``/codon_start``, ``codon_position`` is the
    place (1-3) of a SNP within its codon. ``category`` is breseq's ``mutation_category``.
    """

    effect: Effect
    category: str
    gene: str = ""
    locus_tag: str = ""
    product: str = ""
    strand: int = 0
    gene_position: str = ""
    codon_ref: str = ""
    codon_new: str = ""
    codon_number: int = 0
    codon_position: int = 0
    aa_ref: str = ""
    aa_new: str = ""
    transl_table: int = 0
    genes: tuple[Gene, ...] = ()
    flanking: tuple[Flank | None, Flank | None] = (None, None)
    others: tuple[Annotation, ...] = ()

    @property
    def codon_change(self) -> str:
        """``GAC→AAC``, or "" when no codon was read."""
        return f"{self.codon_ref}{ARROW}{self.codon_new}" if self.codon_ref else ""

    @property
    def aa_change(self) -> str:
        """``D74N`` (several letters when several codons changed), or ""."""
        if not self.aa_ref:
            return ""
        return f"{self.aa_ref}{self.codon_number}{self.aa_new}"


# Genes of a record, indexed for overlap and neighbour searches.


@dataclass(frozen=True)
class _Gene:
    feature: Feature
    info: Gene
    left: int  # 0-based first base of the gene's span on the record
    right: int  # 0-based end (exclusive); right <= left when it crosses the origin


@dataclass(frozen=True)
class _Genes:
    record: Record
    genes: tuple[_Gene, ...]
    part_start: I64  # every part of every gene, with the index of its gene
    part_end: I64
    part_gene: I64

    @property
    def is_circular(self) -> bool:
        return self.record.topology == "circular"


def _is_gene(feature: Feature, coding_parts: set[tuple[tuple[int, int, int], ...]]) -> bool:
    if feature.type == "CDS" or feature.type in _RNA_TYPES:
        return True
    # A pseudogene annotated with a ``gene`` feature alone (no CDS over the same parts).
    return feature.type == "gene" and feature.is_pseudo and feature.parts not in coding_parts


def _span(feature: Feature, length: int, is_circular: bool) -> tuple[int, int]:
    start, end = feature.start, feature.end
    covered = sorted((a, b) for a, b, _ in feature.parts)
    wraps = is_circular and covered[0][0] == 0 and covered[-1][1] == length
    if wraps and sum(b - a for a, b in covered) < length:
        # Across the origin: from the part that reaches the end round to the one at 0.
        gaps = [(b, c) for (_, b), (c, _) in pairwise(covered) if c > b]
        if gaps:
            widest = max(gaps, key=lambda gap: gap[1] - gap[0])
            return widest[1], widest[0]
    return start, end


def _index(record: Record) -> _Genes:
    coding_parts = {f.parts for f in record.features if f.type == "CDS" or f.type in _RNA_TYPES}
    features = sorted(
        (f for f in record.features if _is_gene(f, coding_parts)), key=lambda f: f.start
    )
    genes = []
    for feature in features:
        left, right = _span(feature, record.length, record.topology == "circular")
        name = feature.gene or feature.locus_tag
        info = Gene(name, feature.locus_tag, feature.product, feature.strand)
        genes.append(_Gene(feature, info, left, right))
    rows = [(a, b, i) for i, g in enumerate(genes) for a, b, _ in g.feature.parts]
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return _Genes(record, tuple(genes), table[:, 0], table[:, 1], table[:, 2])


def _intervals(start: int, end: int, genes: _Genes) -> list[tuple[int, int]]:
    """0-based half-open stretches of 1-based inclusive ``start..end``, split at the origin."""
    length = genes.record.length
    if genes.is_circular and end > length:
        return [(start - 1, length), (0, min(end - length, start - 1))]
    return [(start - 1, min(end, length))]


def _overlapping(start: int, end: int, genes: _Genes) -> list[_Gene]:
    hit = np.zeros(len(genes.genes), dtype=np.bool_)
    for a, b in _intervals(start, end, genes):
        touches = (genes.part_start < b) & (genes.part_end > a)
        hit[genes.part_gene[touches]] = True
    return [genes.genes[i] for i in np.flatnonzero(hit).tolist()]


def _is_inside(gene: _Gene, start: int, end: int, genes: _Genes) -> bool:
    """Whether every base of ``gene`` lies inside ``start..end``."""
    stretches = _intervals(start, end, genes)
    return all(any(a <= s and e <= b for a, b in stretches) for s, e, _ in gene.feature.parts)


def _part_strand(feature: Feature, position: int) -> int:
    return next(s for a, b, s in feature.parts if a <= position < b)


# Breseq's texts.


def _kind_of_gene(feature: Feature) -> str:
    if feature.is_pseudo or feature.type == "gene":
        return "pseudogene"
    return "coding" if feature.type == "CDS" else "noncoding"


def _gene_position(feature: Feature, start: int, end: int, record_length: int) -> str:
    """breseq's "coding (521-523/873 nt)" for 1-based ``start..end`` (clipped to the gene)."""
    found = [
        o
        for p in range(start - 1, end)
        if (o := genome_to_offset(feature, p % record_length)) is not None
    ]
    first, last = min(found) + 1, max(found) + 1
    where = f"{first}" if first == last else f"{first}-{last}"
    return f"{_kind_of_gene(feature)} ({where}/{feature.length} nt)"


def _strand_text(strand: int) -> str:
    return {1: ">", -1: "<"}.get(strand, NO_GENE)


def _bracketed(gene: Gene, text: str) -> str:
    return f"[{text}]" if gene.is_partial else text


# Codons.


@dataclass(frozen=True)
class _Codons:
    ref: str
    new: str
    number: int  # 1-based codon (amino acid) number of the first codon touched
    position: int  # 1-3 within the codon, of the first changed base
    aa_ref: str
    aa_new: str
    effect: Effect


def _translated(codons: str, table: int, starts_protein: bool) -> str:
    protein = translate(codons, table)
    if starts_protein and codons[:3] in genetic_code(table).start_codons:
        return "M" + protein[1:]  # an alternative start codon still starts with Met
    return protein


def _codons(record: Record, feature: Feature, changes: dict[int, str]) -> _Codons | None:
    """The codons of ``feature`` that ``changes`` (0-based record position -> new base,
    forward strand) touch, before and after; None when no whole codon is touched."""
    coding = feature_sequence(record, feature)[feature.codon_start - 1 :]
    whole = len(coding) - len(coding) % 3
    new = list(coding)
    changed = []
    for position, base in changes.items():
        offset = genome_to_offset(feature, position)
        if offset is None:
            continue
        c = offset - (feature.codon_start - 1)
        if 0 <= c < whole:
            is_minus = _part_strand(feature, position) == -1
            new[c] = reverse_complement(base) if is_minus else base
            changed.append(c)
    if not changed:
        return None
    first, last = min(changed) // 3, max(changed) // 3
    ref_codons = coding[3 * first : 3 * last + 3]
    new_codons = "".join(new[3 * first : 3 * last + 3])
    table = feature.transl_table
    starts_protein = first == 0 and feature.codon_start == 1 and not feature.is_5prime_partial
    aa_ref = _translated(ref_codons, table, starts_protein)
    aa_new = _translated(new_codons, table, starts_protein)
    is_start_lost = starts_protein and aa_ref[0] == "M" and aa_new[0] != "M"
    effect = _codon_effect(aa_ref, aa_new, is_start_lost)
    return _Codons(ref_codons, new_codons, first + 1, min(changed) % 3 + 1, aa_ref, aa_new, effect)


def _codon_effect(aa_ref: str, aa_new: str, is_start_lost: bool) -> Effect:
    if is_start_lost:
        return Effect.START_LOST
    if aa_new.count("*") > aa_ref.count("*"):
        return Effect.STOP_GAINED
    if aa_new.count("*") < aa_ref.count("*"):
        return Effect.STOP_LOST
    return Effect.SYNONYMOUS if aa_new == aa_ref else Effect.NONSYNONYMOUS


# One mutation.


def _category(m: Mutation, effect: Effect) -> str:
    """breseq's ``mutation_category``."""
    if m.kind is Kind.SNP:
        return f"snp_{_SNP_TYPE.get(effect, 'nonsynonymous')}"
    if m.kind is Kind.SUB and m.size >= LARGE:
        return "large_substitution"
    if m.kind is Kind.AMP:
        return "large_amplification"
    return m.category.value


def _extent(m: Mutation) -> tuple[int, int]:
    """1-based inclusive reference bases the mutation is placed on, as breseq counts them:
    an INS on the base it follows, a MOB on its target-site duplication."""
    if m.kind is Kind.MOB:
        return m.position, m.position + max(m.duplication_size, 1) - 1
    if m.kind in (Kind.INS, Kind.SNP):
        return m.position, m.position
    return m.position, m.position + max(m.size, 1) - 1


def _changes(m: Mutation, start: int) -> dict[int, str] | None:
    """Bases replaced one for one (SNP, same-length SUB), else None."""
    if m.kind is Kind.SNP or (m.kind is Kind.SUB and m.size == len(m.new_seq)):
        return {start - 1 + i: base for i, base in enumerate(m.new_seq)}
    return None


def _in_gene(m: Mutation, gene: _Gene, start: int, end: int, genes: _Genes) -> Annotation:
    feature = gene.feature
    kind = _kind_of_gene(feature)
    base = Annotation(
        effect=Effect.NONCODING,
        category="",
        gene=gene.info.name,
        locus_tag=gene.info.locus_tag,
        product=gene.info.product,
        strand=gene.info.strand,
        gene_position=_gene_position(feature, start, end, genes.record.length),
        genes=(gene.info,),
    )
    if m.kind is Kind.MOB:
        effect = Effect.GENE_INTERRUPTED
    elif kind != "coding":
        effect = Effect.PSEUDOGENE if kind == "pseudogene" else Effect.NONCODING
    elif (changes := _changes(m, start)) is not None:
        return _coding_change(m, feature, changes, genes.record, base)
    else:
        net = len(m.new_seq) - (0 if m.kind is Kind.INS else m.size)
        effect = Effect.INFRAME_INDEL if net % 3 == 0 else Effect.FRAMESHIFT
    return replace(base, effect=effect, category=_category(m, effect))


def _coding_change(
    m: Mutation, feature: Feature, changes: dict[int, str], record: Record, base: Annotation
) -> Annotation:
    length = record.length
    try:
        codons = _codons(record, feature, {p % length: b for p, b in changes.items()})
    except ValueError:  # an unknown /transl_table: no codon can be read
        codons = None
    if codons is None:
        return replace(base, effect=Effect.NONCODING, category=_category(m, Effect.NONCODING))
    gene_position = base.gene_position
    if m.kind is Kind.SNP:  # breseq writes a coding SNP's place as the bare number
        gene_position = str((genome_to_offset(feature, (m.position - 1) % length) or 0) + 1)
    return replace(
        base,
        effect=codons.effect,
        category=_category(m, codons.effect),
        gene_position=gene_position,
        codon_ref=codons.ref,
        codon_new=codons.new,
        codon_number=codons.number,
        codon_position=codons.position if m.kind is Kind.SNP else 0,
        aa_ref=codons.aa_ref,
        aa_new=codons.aa_new,
        transl_table=feature.transl_table,
    )


def _large(m: Mutation, hits: list[_Gene], start: int, end: int, genes: _Genes) -> Annotation:
    """A large deletion or an amplification over ``hits``."""
    effect = Effect.GENES_AMPLIFIED if m.kind is Kind.AMP else Effect.GENES_DELETED
    touched = tuple(replace(g.info, is_partial=not _is_inside(g, start, end, genes)) for g in hits)
    if len(hits) == 1 and touched[0].is_partial and _within(hits[0], start, end, genes):
        # Inside one gene: placed in it as a small event would be.
        only = _in_gene(m, hits[0], start, end, genes)
        return replace(only, effect=effect, category=_category(m, effect), genes=touched)
    return Annotation(effect=effect, category=_category(m, effect), genes=touched)


def _within(gene: _Gene, start: int, end: int, genes: _Genes) -> bool:
    """Whether every base of ``start..end`` lies in ``gene``."""
    parts = gene.feature.parts
    return all(
        any(s <= a and b <= e for s, e, _ in parts) for a, b in _intervals(start, end, genes)
    )


def _intergenic(m: Mutation, start: int, end: int, genes: _Genes) -> Annotation:
    effect = Effect.INTERGENIC
    flanking = (_nearest(start, end, genes, before=True), _nearest(start, end, genes, before=False))
    return Annotation(
        effect=effect,
        category=_category(m, effect),
        gene_position=_intergenic_position(flanking),
        flanking=flanking,
    )


def _nearest(start: int, end: int, genes: _Genes, *, before: bool) -> Flank | None:
    """The gene ending closest before ``start`` (``before``) or starting closest after
    ``end``; on a circular record, around the origin too."""
    length = genes.record.length
    best: Flank | None = None
    for gene in genes.genes:
        # 1-based: gene.right is its last base, gene.left + 1 its first.
        distance = start - gene.right if before else gene.left + 1 - end
        if genes.is_circular:
            distance %= length
        if distance >= 1 and (best is None or distance < best.distance):
            best = Flank(gene.info, distance)
    return best


def _intergenic_position(flanking: tuple[Flank | None, Flank | None]) -> str:
    left, right = flanking
    # The sign says which end of the gene the site lies beyond: + past its 3' end.
    left_text = f"{'+' if left.gene.strand == 1 else '-'}{left.distance}" if left else NO_GENE
    right_text = f"{'-' if right.gene.strand == 1 else '+'}{right.distance}" if right else NO_GENE
    return f"intergenic ({left_text}/{right_text})"


def _annotation(m: Mutation, genes: _Genes) -> Annotation:
    start, end = _extent(m)
    hits = (
        []
        if m.position == 0 and m.kind in (Kind.INS, Kind.MOB)
        else _overlapping(start, end, genes)
    )
    if not hits:
        return _intergenic(m, start, end, genes)
    if m.kind is Kind.AMP or m.category is Category.LARGE_DELETION:
        return _large(m, hits, start, end, genes)
    first, *rest = (_in_gene(m, g, start, end, genes) for g in hits)
    if not rest:
        return first
    return replace(first, genes=tuple(g.info for g in hits), others=tuple(rest))


def annotate(mutations: Sequence[Mutation], records: Sequence[Record]) -> list[Annotation]:
    """Annotate each mutation from the genes of its record, in the order given.

    A mutation's ``seq_id`` names a record by its LOCUS name (``Record.name``), else by its
    id.

    Raises
    ------
    MutationInputError
        When a mutation names a record that ``records`` lacks.
    """
    by_name = {r.id: r for r in records} | {r.name or r.id: r for r in records}
    indexed: dict[str, _Genes] = {}
    annotations = []
    for m in mutations:
        record = by_name.get(m.seq_id)
        if record is None:
            known = ", ".join(r.name or r.id for r in records) or "none"
            raise MutationInputError(
                f"{m.kind} at {m.seq_id}:{m.position} names record {m.seq_id!r}, which the "
                f"reference lacks (records: {known}); annotate with the reference it was "
                "called against"
            )
        if m.seq_id not in indexed:
            indexed[m.seq_id] = _index(record)
        annotations.append(_annotation(m, indexed[m.seq_id]))
    return annotations


# GenomeDiff keys.


def as_fields(a: Annotation) -> dict[str, str]:
    """breseq's GenomeDiff annotation keys for ``a`` (``gene_name``, ``gene_position``,
    ``snp_type``, ``aa_position``, ``genes_inactivated`` ...), keys without a value left
    out."""
    if a.effect is Effect.INTERGENIC:
        fields = _intergenic_fields(a)
    elif a.effect in (Effect.GENES_DELETED, Effect.GENES_AMPLIFIED) and not a.gene:
        fields = _list_fields(a)
    else:
        fields = _gene_fields(a)
    fields["mutation_category"] = a.category
    if a.category.startswith("snp_"):
        fields["snp_type"] = _SNP_TYPE.get(a.effect, "nonsynonymous")
    return {key: value for key, value in fields.items() if value}


def _gene_fields(a: Annotation) -> dict[str, str]:
    fields = {
        "gene_name": a.gene,
        "gene_position": a.gene_position,
        "gene_product": a.product,
        "gene_strand": _strand_text(a.strand),
        "locus_tag": a.locus_tag,
    }
    if a.codon_ref:
        fields |= {
            "codon_ref_seq": a.codon_ref,
            "codon_new_seq": a.codon_new,
            "codon_number": str(a.codon_number),
            "codon_position": str(a.codon_position or ""),
            "aa_ref_seq": a.aa_ref,
            "aa_new_seq": a.aa_new,
            "aa_position": str(a.codon_number),
            "transl_table": str(a.transl_table),
        }
    per_gene = [a, *a.others]
    if a.effect in (Effect.GENES_DELETED, Effect.GENES_AMPLIFIED):
        per_gene = [replace(a, genes=(g,)) for g in a.genes]
    return fields | _gene_lists(per_gene)


def _gene_lists(per_gene: list[Annotation]) -> dict[str, str]:
    """genes_inactivated / genes_overlapping and their locus tags, by each gene's effect."""
    lists: dict[str, list[str]] = {"inactivated": [], "overlapping": []}
    tags: dict[str, list[str]] = {"inactivated": [], "overlapping": []}
    for one in per_gene:
        which = "inactivated" if one.effect in _INACTIVATING else "overlapping"
        for gene in one.genes[:1]:
            lists[which].append(gene.name)
            tags[which].append(gene.locus_tag)
    fields = {f"genes_{k}": ",".join(v) for k, v in lists.items()}
    fields |= {f"locus_tags_{k}": ",".join(t for t in v if t) for k, v in tags.items()}
    return fields


def _list_fields(a: Annotation) -> dict[str, str]:
    names = [_bracketed(g, g.name) for g in a.genes]
    which = "overlapping" if a.effect is Effect.GENES_AMPLIFIED else "inactivated"
    return {
        "gene_name": _range_text(names),
        "gene_product": ",".join(names),
        f"genes_{which}": ",".join(g.name for g in a.genes),
        "locus_tag": _tag_range_text(a.genes),
        f"locus_tags_{which}": ",".join(g.locus_tag for g in a.genes if g.locus_tag),
    }


def _range_text(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{items[0]}{NO_GENE}{items[-1]}"


def _tag_range_text(genes: tuple[Gene, ...]) -> str:
    # breseq brackets both ends of a locus-tag range even when a gene lies wholly inside
    # (its "[ECB_00232]–[ECB_00235]" beside "[pepD]–crl"); we write what it writes.
    if len(genes) == 1:
        return _bracketed(genes[0], genes[0].locus_tag)
    return f"[{genes[0].locus_tag}]{NO_GENE}[{genes[-1].locus_tag}]"


def _intergenic_fields(a: Annotation) -> dict[str, str]:
    left, right = a.flanking

    def both(text: Callable[[Gene], str]) -> str:
        return "/".join(text(f.gene) if f else NO_GENE for f in (left, right))

    fields = {
        "gene_name": both(lambda g: g.name),
        "gene_position": a.gene_position,
        "gene_product": both(lambda g: g.product),
        "gene_strand": both(lambda g: _strand_text(g.strand)),
        "locus_tag": both(lambda g: g.locus_tag),
    }
    promoters = [
        f.gene
        for f, upstream_strand in ((left, -1), (right, 1))
        if f is not None and f.gene.strand == upstream_strand and f.distance <= PROMOTER_DISTANCE
    ]
    fields["genes_promoter"] = ",".join(g.name for g in promoters)
    fields["locus_tags_promoter"] = ",".join(g.locus_tag for g in promoters if g.locus_tag)
    return fields
