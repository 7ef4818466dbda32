"""Sequence records and their annotated features, read from FASTA, GenBank or EMBL.

Coordinates are 0-based and half-open throughout (``sequence[start:end]``), as in Python
and Biopython; GenBank's ``87..1109`` is ``start=86, end=1109``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from Bio import SeqIO
from Bio.Seq import UndefinedSequenceError
from Bio.SeqFeature import CompoundLocation, ExactPosition, SeqFeature, SimpleLocation
from Bio.SeqRecord import SeqRecord

FORMATS = ("fasta", "genbank", "embl")
COMPRESSIONS = ("none", "gzip")
DEFAULT_TRANSL_TABLE = 11


@dataclass(frozen=True)
class Feature:
    """One annotated feature of a record.

    ``start``/``end`` span all parts (the lowest start and the highest end). ``parts`` holds
    each ``(start, end, strand)`` of a compound (``join``/``order``) location in biological
    order, so a minus-strand ``complement(join(a,b))`` lists ``b`` first; a simple location
    has one part. A feature joined across the origin of a circular record spans the whole
    record in ``start``/``end``: use ``parts``. ``strand`` is +1, -1, or 0 for unstranded
    features and mixed-strand joins (trans-spliced genes). Qualifiers missing from the file
    are ``""``, except ``transl_table`` (11) and ``codon_start`` (1); a value that is not a
    number is kept as 0 so the CDS check can say so. Several ``/note`` values are joined by
    "; ".

    Fields after ``codon_start`` extend the agreed interface: ``is_5prime_partial`` and
    ``is_3prime_partial`` say the biological start or end is fuzzy (``<``/``>``) or a part
    lies on another record (such parts are left out of ``parts`` and both flags are set);
    ``is_pseudo`` for ``/pseudo`` or ``/pseudogene``; ``exception`` is ``/exception`` (e.g.
    "RNA editing"); ``transl_except`` the raw ``/transl_except`` values; ``mobile_element``
    the ``/mobile_element`` or ``/mobile_element_type`` value (e.g. "insertion sequence:IS1").
    """

    type: str
    start: int
    end: int
    strand: int
    parts: tuple[tuple[int, int, int], ...]
    locus_tag: str
    gene: str
    product: str
    protein_id: str
    note: str
    annotated_translation: str
    transl_table: int
    codon_start: int
    is_5prime_partial: bool = False
    is_3prime_partial: bool = False
    is_pseudo: bool = False
    exception: str = ""
    transl_except: tuple[str, ...] = ()
    mobile_element: str = ""

    @property
    def is_partial(self) -> bool:
        """Whether either end of the feature is partial."""
        return self.is_5prime_partial or self.is_3prime_partial

    @property
    def length(self) -> int:
        """Bases covered by the parts (the spliced length)."""
        return sum(end - start for start, end, _ in self.parts)


@dataclass(frozen=True)
class Record:
    """One sequence with its features; ``sequence`` is upper-case.

    ``topology`` is "circular" when the file says so (GenBank LOCUS, EMBL ID line) and
    "linear" otherwise, including every FASTA record.
    """

    id: str
    description: str
    sequence: str
    features: tuple[Feature, ...]
    topology: str
    name: str = ""  # GenBank's LOCUS name (what breseq and GenomeDiff files call the record)

    @property
    def length(self) -> int:
        """Length of the sequence in bases."""
        return len(self.sequence)


def load_records(path: Path, format: str, compression: str) -> list[Record]:
    """Read every record of a FASTA, GenBank or EMBL file, plain or gzip-compressed.

    The file is assumed to have passed validation. The ``source`` feature is skipped; all
    other feature types are kept as written. For FASTA the description is the header
    after the identifier.

    Raises
    ------
    ValueError
        For an unknown format or compression, or a record without sequence data (a
        GenBank CONTIG or WGS master record).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if compression not in COMPRESSIONS:
        raise ValueError(
            f"unknown compression {compression!r}; expected one of {', '.join(COMPRESSIONS)}"
        )
    with _open_text(Path(path), compression) as handle:
        parsed = SeqIO.parse(handle, format)  # type: ignore[no-untyped-call]
        return [_record(r, format) for r in parsed]


def _open_text(path: Path, compression: str) -> IO[str]:
    if compression == "gzip":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def _record(seq_record: SeqRecord, format: str) -> Record:
    record_id = seq_record.id or ""
    try:
        sequence = str(seq_record.seq).upper()
    except UndefinedSequenceError as error:
        raise ValueError(f"record {record_id!r} has no sequence data") from error
    description = seq_record.description or ""
    if format == "fasta" and description.split(maxsplit=1)[:1] == [record_id]:
        description = description[len(record_id) :].strip()
    topology = "circular" if seq_record.annotations.get("topology") == "circular" else "linear"
    features = tuple(
        feature
        for feature in map(_feature, seq_record.features)
        if feature is not None and feature.type != "source"
    )
    name = seq_record.name if format != "fasta" and seq_record.name != "<unknown name>" else ""
    return Record(record_id, description, sequence, features, topology, name or record_id)


def _first(qualifiers: dict[str, list[str]], key: str) -> str:
    values = qualifiers.get(key)
    return str(values[0]).strip() if values else ""


def _number(qualifiers: dict[str, list[str]], key: str, default: int) -> int:
    text = _first(qualifiers, key)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        return 0


def _local_parts(location: SimpleLocation | CompoundLocation) -> Iterator[SimpleLocation]:
    for part in location.parts:
        if part.ref is None:
            yield part


def _feature(seq_feature: SeqFeature) -> Feature | None:
    location = seq_feature.location
    if not isinstance(location, SimpleLocation | CompoundLocation):
        return None  # Biopython could not parse the location: nothing to place
    parts = tuple((int(p.start), int(p.end), p.strand or 0) for p in _local_parts(location))
    if not parts:
        return None
    has_remote = len(parts) != len(location.parts)
    first, last = location.parts[0], location.parts[-1]
    five_prime = first.end if first.strand == -1 else first.start
    three_prime = last.start if last.strand == -1 else last.end
    strands = {strand for _, _, strand in parts}
    strand = strands.pop() if len(strands) == 1 else 0
    qualifiers = seq_feature.qualifiers
    notes = [str(v).strip() for v in qualifiers.get("note", [])]
    return Feature(
        type=seq_feature.type,
        start=min(start for start, _, _ in parts),
        end=max(end for _, end, _ in parts),
        strand=strand,
        parts=parts,
        locus_tag=_first(qualifiers, "locus_tag"),
        gene=_first(qualifiers, "gene"),
        product=_first(qualifiers, "product"),
        protein_id=_first(qualifiers, "protein_id"),
        note="; ".join(notes),
        annotated_translation="".join(_first(qualifiers, "translation").split()),
        transl_table=_number(qualifiers, "transl_table", DEFAULT_TRANSL_TABLE),
        codon_start=_number(qualifiers, "codon_start", 1),
        is_5prime_partial=has_remote or not isinstance(five_prime, ExactPosition),
        is_3prime_partial=has_remote or not isinstance(three_prime, ExactPosition),
        is_pseudo="pseudo" in qualifiers or "pseudogene" in qualifiers,
        exception="; ".join(str(v).strip() for v in qualifiers.get("exception", [])),
        transl_except=tuple(str(v).strip() for v in qualifiers.get("transl_except", [])),
        mobile_element=_first(qualifiers, "mobile_element")
        or _first(qualifiers, "mobile_element_type"),
    )
