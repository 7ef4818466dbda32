"""Mutations as VCF 4.2, one haploid sample, for genome browsers and variant tools.

Small events are written with explicit bases and left-normalised, as ``bcftools norm``
leaves them: a deletion or insertion carries the reference base before it (the base after
it at the start of a record). Large deletions (``model.LARGE`` bases or more),
amplifications and mobile-element insertions are symbolic alleles (``<DEL>``, ``<DUP>``,
``<INS:ME:name>``) with SVTYPE/END/SVLEN in INFO; their POS is the padding base before the
event, except at the first base of a record, where POS is 1 and the event starts there.
Normalisation treats every record as linear, as bcftools does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import LARGE, Kind, Mutation
from analysis.mutations.normalise import left_normalised
from analysis.sequences.records import Record

__all__ = ["write_vcf"]

# INFO keys in the order they are written, with their header lines.
INFO_HEADERS = {
    "SVTYPE": 'Number=1,Type=String,Description="Type of structural variant"',
    "END": 'Number=1,Type=Integer,Description="End position of the variant"',
    "SVLEN": 'Number=1,Type=Integer,Description="Length difference from the reference"',
    "CN": 'Number=1,Type=Integer,Description="Copies of the amplified segment"',
    "MEINFO": 'Number=4,Type=String,Description="Mobile element: NAME,START,END,POLARITY"',
    "TSDLEN": (
        'Number=1,Type=Integer,Description="Target-site duplication of the mobile element '
        'insertion (bases; negative: target bases deleted)"'
    ),
    "DP": 'Number=1,Type=Integer,Description="Reads covering the site"',
    "AF": 'Number=A,Type=Float,Description="Fraction of the population carrying the allele"',
    "SB": (
        'Number=1,Type=Float,Description="Fisher exact p-value of strand bias, supporting '
        'vs reference reads"'
    ),
}
FORMAT_HEADERS = {
    "GT": 'Number=1,Type=String,Description="Haploid genotype (. for a mixed population)"',
    "AF": 'Number=A,Type=Float,Description="Fraction of the population carrying the allele"',
    "DP": 'Number=1,Type=Integer,Description="Reads covering the site"',
    "AD": 'Number=R,Type=Integer,Description="Reads supporting the reference and the allele"',
}
_BASES = re.compile(r"[ACGTN]+")
_VCF_ID = re.compile(r"[^\s,<>=]+")  # what a contig or sample name may hold


@dataclass(frozen=True)
class _Row:
    """One VCF data line before formatting; ``order`` is the record's index."""

    order: int
    chrom: str
    pos: int
    ref: str
    alt: str
    info: dict[str, str]
    mutation: Mutation


def write_vcf(
    mutations: Iterable[Mutation],
    reference: Sequence[Record],
    *,
    sample: str = "sample",
    source: str = "MicroSpaceGen",
) -> str:
    """VCF 4.2 text of ``mutations`` on ``reference``, sorted by record then position.

    Records are named (CHROM) as mutations name them: by LOCUS name, else by id. The
    sample column holds GT (``1`` when the frequency is 1; ``.`` for a mixed
    population, whose alleles AF gives), AF, DP and AD. QUAL is the evidence's quality.

    >>> from analysis.sequences.records import Record
    >>> genome = Record("chr", "", "GATTTC", (), "linear")
    >>> text = write_vcf([Mutation(Kind.DEL, "chr", 5, size=1)], [genome])  # a T of TTT
    >>> text.splitlines()[-1].split("\\t")[:5]
    ['chr', '2', '.', 'AT', 'A']
    """
    records = {_seq_id(r): (i, r) for i, r in enumerate(reference)}
    _check_names(reference, sample, source)
    rows = sorted(
        (_row(m, *_record_of(m, records)) for m in mutations), key=lambda r: (r.order, r.pos)
    )
    return "".join(
        f"{line}\n" for line in [*_header(reference, rows, sample, source), *map(_line, rows)]
    )


def _seq_id(record: Record) -> str:
    """The name mutations use for a record: its LOCUS name, as in GenomeDiff, else its id."""
    return record.name or record.id


def _check_names(reference: Sequence[Record], sample: str, source: str) -> None:
    for name, what in [*((_seq_id(r), "record name") for r in reference), (sample, "sample")]:
        if not _VCF_ID.fullmatch(name):
            raise MutationInputError(
                f"{what} {name!r} cannot be written to VCF: use a name without spaces, "
                "commas, '<', '>' or '='"
            )
    if re.search(r"[\n\r\t]", source):
        raise MutationInputError(f"source {source!r} holds a tab or line break: remove it")


def _record_of(m: Mutation, records: dict[str, tuple[int, Record]]) -> tuple[int, Record]:
    if m.seq_id not in records:
        raise MutationInputError(
            f"{m.kind} at {m.seq_id}:{m.position} names record {m.seq_id!r}, which the "
            f"reference lacks ({', '.join(records) or 'no records'}): pass that record"
        )
    return records[m.seq_id]


def _row(m: Mutation, order: int, record: Record) -> _Row:
    sequence = record.sequence
    if m.kind in (Kind.SNP, Kind.SUB):
        pos, ref, alt, info = _substitution(m, sequence)
    elif m.kind in (Kind.DEL, Kind.INS):
        m = left_normalised(m, sequence)
        if m.kind is Kind.DEL and (m.size >= LARGE or m.size == len(sequence)):
            pos, ref, alt, info = _symbolic(m, sequence, "DEL", m.end, -m.size)
        else:
            pos, ref, alt, info = _indel(m, sequence)
    elif m.kind is Kind.AMP:
        _check_span(m, sequence)
        pos, ref, alt, info = _symbolic(m, sequence, "DUP", m.end, m.size)
        info["CN"] = str(m.copy_number)
    else:
        pos, ref, alt, info = _mobile_element(m, sequence)
    return _Row(order, m.seq_id, pos, ref, alt, info | _measures(m), m)


_Alleles = tuple[int, str, str, dict[str, str]]  # POS, REF, ALT, INFO


def _substitution(m: Mutation, sequence: str) -> _Alleles:
    size = 1 if m.kind is Kind.SNP else m.size
    _check_span(m, sequence, size)
    ref = sequence[m.position - 1 : m.position - 1 + size]
    alt = _bases(m)
    if (m.kind is Kind.SNP and len(alt) != 1) or alt == ref:
        raise MutationInputError(
            f"{m.kind} at {m.seq_id}:{m.position} replaces {ref} with {alt}: give "
            "new_seq bases that differ from the reference (one base for a SNP)"
        )
    return m.position, ref, alt, {}


def _indel(m: Mutation, sequence: str) -> _Alleles:
    p = m.position
    if m.kind is Kind.DEL:
        if p > 1:  # the base before carries the event
            return p - 1, sequence[p - 2 : m.end], sequence[p - 2], {}
        return 1, sequence[: m.end + 1], sequence[m.end], {}  # at the start: the base after
    inserted = _bases(m)
    if p > 0:
        return p, sequence[p - 1], sequence[p - 1] + inserted, {}
    return 1, sequence[0], inserted + sequence[0], {}


def _symbolic(m: Mutation, sequence: str, svtype: str, end: int, svlen: int) -> _Alleles:
    pos = max(m.position - 1, 1)  # the padding base before the event, if there is one
    info = {"SVTYPE": svtype, "END": str(end), "SVLEN": str(svlen)}
    return pos, sequence[pos - 1], f"<{svtype}>", info


def _mobile_element(m: Mutation, sequence: str) -> _Alleles:
    if not 0 <= m.position <= len(sequence) or not m.repeat_name:
        raise MutationInputError(
            f"MOB at {m.seq_id}:{m.position} ({m.repeat_name!r}) is not an insertion into the "
            f"record ({len(sequence)} bases): give a position 0..{len(sequence)} and a "
            "repeat_name"
        )
    pos = max(m.position, 1)
    polarity = {1: "+", -1: "-"}.get(m.strand, ".")
    info = {
        "SVTYPE": "INS",
        "END": str(pos),
        "MEINFO": f"{_alt_name(m.repeat_name)},.,.,{polarity}",
        "TSDLEN": str(m.duplication_size),
    }
    return pos, sequence[pos - 1], f"<INS:ME:{_alt_name(m.repeat_name)}>", info


def _alt_name(name: str) -> str:
    """A repeat name fit for a symbolic allele and an INFO value."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _bases(m: Mutation) -> str:
    bases = m.new_seq.upper()
    if not _BASES.fullmatch(bases):
        raise MutationInputError(
            f"{m.kind} at {m.seq_id}:{m.position} has new_seq {m.new_seq[:20]!r}: VCF needs "
            "one or more of the bases A, C, G, T, N"
        )
    return bases


def _check_span(m: Mutation, sequence: str, size: int | None = None) -> None:
    size = m.size if size is None else size
    if size < 1 or m.position < 1 or m.position + size - 1 > len(sequence):
        raise MutationInputError(
            f"{m.kind} at {m.seq_id}:{m.position} of {size} bases does not lie within the "
            f"record ({len(sequence)} bases): give a size of at least 1 and positions "
            f"1..{len(sequence)}"
        )


def _measures(m: Mutation) -> dict[str, str]:
    e = m.evidence
    info = {"DP": str(e.depth)} if e.depth else {}
    info["AF"] = _decimal(m.frequency)
    if e.depth:
        info["SB"] = _decimal(e.strand_p)
    return info


def _decimal(value: float) -> str:
    return f"{value:.6g}"


def _header(reference: Sequence[Record], rows: list[_Row], sample: str, source: str) -> list[str]:
    lines = ["##fileformat=VCFv4.2", f"##source={source}"]
    lines += [f"##contig=<ID={_seq_id(r)},length={len(r.sequence)}>" for r in reference]
    symbolic = dict.fromkeys(row.alt for row in rows if row.alt.startswith("<"))
    lines += [f'##ALT=<ID={alt[1:-1]},Description="{_alt_description(alt)}">' for alt in symbolic]
    used = {key for row in rows for key in row.info}
    lines += [f"##INFO=<ID={k},{v}>" for k, v in INFO_HEADERS.items() if k in used]
    lines += [f"##FORMAT=<ID={k},{v}>" for k, v in FORMAT_HEADERS.items()]
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
    return [*lines, "\t".join(columns)]


def _alt_description(alt: str) -> str:
    if alt == "<DEL>":
        return "Deletion relative to the reference"
    if alt == "<DUP>":
        return "Tandem duplication or amplification"
    return f"Insertion of mobile element {alt[len('<INS:ME:') : -1]}"


def _line(row: _Row) -> str:
    m = row.mutation
    e = m.evidence
    quality = _decimal(e.quality) if e.quality > 0 else "."
    info = ";".join(f"{k}={row.info[k]}" for k in INFO_HEADERS if k in row.info)
    genotype = "1" if m.frequency >= 1.0 else "."
    depth = str(e.depth) if e.depth else "."
    counts = (sum(e.reference), sum(e.supporting))
    depths = f"{counts[0]},{counts[1]}" if any(counts) else "."
    sample = f"{genotype}:{_decimal(m.frequency)}:{depth}:{depths}"
    columns = [row.chrom, str(row.pos), ".", row.ref, row.alt, quality, "PASS", info]
    return "\t".join([*columns, "GT:AF:DP:AD", sample])
