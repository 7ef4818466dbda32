"""GenomeDiff 1.0, the mutation format of breseq: read, write, and convert to mutations.

A file starts ``#=GENOME_DIFF<TAB>1.0`` (a space is accepted, as hand-written files use),
then ``#=KEY<TAB>value`` metadata and one tab-separated entry a line::

    TYPE  id  parent_ids  <positional fields of TYPE>  key=value ...

``id`` is an integer or ``.``; ``parent_ids`` a comma-separated list of ids or ``.``. The
positional fields of each type are in :data:`FIELDS` (breseq's specification). Mutations
(SNP SUB DEL INS MOB AMP CON INV) come before evidence (RA MC JC UN) in breseq's output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from analysis.mutations.errors import MutationInputError
from analysis.mutations.model import Evidence, Kind, Mutation, Unresolved
from analysis.mutations.normalise import right_normalised

__all__ = [
    "EVIDENCE_TYPES",
    "FIELDS",
    "MUTATION_TYPES",
    "Entry",
    "GenomeDiff",
    "mutations_from",
    "parse",
    "to_genome_diff",
    "write",
]

HEADER = "#=GENOME_DIFF"
VERSION = "1.0"

FIELDS: dict[str, tuple[str, ...]] = {
    "SNP": ("seq_id", "position", "new_seq"),
    "SUB": ("seq_id", "position", "size", "new_seq"),
    "DEL": ("seq_id", "position", "size"),
    "INS": ("seq_id", "position", "new_seq"),
    "MOB": ("seq_id", "position", "repeat_name", "strand", "duplication_size"),
    "AMP": ("seq_id", "position", "size", "new_copy_number"),
    "CON": ("seq_id", "position", "size", "region"),
    "INV": ("seq_id", "position", "size"),
    "RA": ("seq_id", "position", "insert_position", "ref_base", "new_base"),
    "MC": ("seq_id", "start", "end", "start_range", "end_range"),
    "JC": (
        "side_1_seq_id",
        "side_1_position",
        "side_1_strand",
        "side_2_seq_id",
        "side_2_position",
        "side_2_strand",
        "overlap",
    ),
    "UN": ("seq_id", "start", "end"),
}
MUTATION_TYPES = ("SNP", "SUB", "DEL", "INS", "MOB", "AMP", "CON", "INV")
EVIDENCE_TYPES = ("RA", "MC", "JC", "UN")

_COUNTS = frozenset(
    {
        "position",
        "size",
        "new_copy_number",
        "insert_position",
        "start",
        "end",
        "start_range",
        "end_range",
        "side_1_position",
        "side_2_position",
    }
)
_SIGNED = frozenset({"duplication_size", "overlap"})  # breseq writes negative values here
_STRANDS = frozenset({"strand", "side_1_strand", "side_2_strand"})
_ID = re.compile(r"\.|[0-9]+")
_KEY = re.compile(r"[^\s=]+")


@dataclass(frozen=True)
class Entry:
    """One GenomeDiff line: ``fields`` holds the positional fields by name (in
    :data:`FIELDS` order), ``extra`` the ``key=value`` pairs in file order. ``line`` is
    where it was read (0 when built in code)."""

    type: str
    id: str
    parents: tuple[str, ...]
    fields: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class GenomeDiff:
    """Metadata and entries of one file. A metadata key that occurs on several lines (breseq
    writes one ``#=REFSEQ`` per reference file) holds its values joined by newlines, which
    cannot occur inside a value; :meth:`values` splits them."""

    metadata: dict[str, str] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        """Every value of metadata ``key``, in file order (none when absent)."""
        return self.metadata[key].split("\n") if key in self.metadata else []


# Reading.


def parse(text: str | bytes, filename: str = "") -> GenomeDiff:
    """Read GenomeDiff 1.0 text (bytes are decoded as UTF-8).

    Raises :class:`MutationInputError` naming the file, the line and what is wrong.

    >>> gd = parse("#=GENOME_DIFF\\t1.0\\nDEL\\t1\\t.\\tchr\\t40\\t3\\tfrequency=0.5\\n")
    >>> entry = gd.entries[0]
    >>> (entry.type, entry.fields["position"], entry.extra)
    ('DEL', '40', {'frequency': '0.5'})
    """
    where = filename or "GenomeDiff text"
    if isinstance(text, bytes):
        text = _decoded(text, where)
    lines = text.split("\n")
    _check_header(lines, where)
    metadata: dict[str, str] = {}
    entries: list[Entry] = []
    seen_ids: dict[str, int] = {}
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.rstrip("\r")
        if "\x00" in line:
            raise _error(where, number, "holds NUL bytes: this is binary data, not GenomeDiff")
        if not line.strip() or (line.startswith("#") and not line.startswith("#=")):
            continue  # blank lines and comments
        if line.startswith("#="):
            _add_metadata(metadata, line, where, number)
            continue
        entry = _entry(line, where, number)
        if entry.id != "." and entry.id in seen_ids:
            raise _error(
                where,
                number,
                f"reuses id {entry.id} of line {seen_ids[entry.id]}: give each entry its own "
                "id, or '.'",
            )
        seen_ids[entry.id] = number
        entries.append(entry)
    return GenomeDiff(metadata, entries)


def _decoded(data: bytes, where: str) -> str:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise _error(where, line, "holds NUL bytes: this is binary data, not GenomeDiff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error(where, line, "is not UTF-8 text: save the file as UTF-8") from None


def _error(where: str, line: int, what: str) -> MutationInputError:
    return MutationInputError(f"{where}, line {line}: {what}")


def _check_header(lines: list[str], where: str) -> None:
    if not "".join(lines).strip():
        raise MutationInputError(
            f"{where} is empty: a GenomeDiff file starts with the line '#=GENOME_DIFF\\t1.0'"
        )
    first = lines[0].removeprefix("\ufeff").rstrip("\r")
    if "\x00" in first:
        raise _error(where, 1, "holds NUL bytes: this is binary data, not GenomeDiff")
    words = first.split()
    if not words or words[0] != HEADER:
        raise _error(
            where,
            1,
            f"is {first[:40]!r}, not the GenomeDiff header: the first line must be "
            "'#=GENOME_DIFF\\t1.0'",
        )
    if words[1:] != [VERSION]:
        raise _error(
            where,
            1,
            f"declares GenomeDiff version {' '.join(words[1:]) or '(none)'}: only 1.0 is read; "
            "write '#=GENOME_DIFF\\t1.0'",
        )


def _add_metadata(metadata: dict[str, str], line: str, where: str, number: int) -> None:
    key, _, value = line[2:].partition("\t") if "\t" in line else line[2:].partition(" ")
    key = key.strip()
    if not key or not _KEY.fullmatch(key):
        raise _error(
            where,
            number,
            f"has metadata {line[:40]!r} without a one-word key: write #=KEY<TAB>value",
        )
    if key == "GENOME_DIFF":
        raise _error(where, number, "repeats the '#=GENOME_DIFF' header: keep only the first line")
    value = value.strip()
    metadata[key] = f"{metadata[key]}\n{value}" if key in metadata else value


def _entry(line: str, where: str, number: int) -> Entry:
    columns = line.split("\t")
    kind = columns[0]
    if kind not in FIELDS:
        raise _error(
            where,
            number,
            f"has unknown entry type {kind[:20]!r}: use one of {', '.join(FIELDS)} "
            "(fields are separated by tabs)",
        )
    names = FIELDS[kind]
    if len(columns) < 3 + len(names):
        missing = ", ".join(("id", "parent_ids", *names)[len(columns) - 1 :])
        raise _error(where, number, f"{kind} lacks {missing}: a {kind} line is {_usage(kind)}")
    entry_id, parents = _ids(columns[1], columns[2], where, number)
    values = columns[3 : 3 + len(names)]
    place = f"{where}, line {number}"
    fields = {n: _field(kind, n, v, place) for n, v in zip(names, values, strict=True)}
    extra = _extra(columns[3 + len(names) :], kind, where, number)
    return Entry(kind, entry_id, parents, fields, extra, number)


def _usage(kind: str) -> str:
    return "TYPE id parent_ids " + " ".join(FIELDS[kind]) + " [key=value ...], tab-separated"


def _ids(entry_id: str, parents: str, where: str, number: int) -> tuple[str, tuple[str, ...]]:
    if not _ID.fullmatch(entry_id):
        raise _error(where, number, f"has id {entry_id[:20]!r}: an id is a whole number or '.'")
    if parents in (".", ""):  # gdtools leaves the column empty on UN lines
        return entry_id, ()
    parent_ids = tuple(parents.split(","))
    if not all(p.isascii() and p.isdigit() for p in parent_ids):
        raise _error(
            where,
            number,
            f"has parent ids {parents[:40]!r}: give whole numbers separated by commas, or '.'",
        )
    return entry_id, parent_ids


def _field(kind: str, name: str, value: str, place: str) -> str:
    """``value`` checked against what ``name`` holds; ``place`` says where, for the error."""
    if not value:
        problem = f"{kind} has an empty {name}: a {kind} line is {_usage(kind)}"
    elif name in _COUNTS and not re.fullmatch(r"[0-9]+", value):
        problem = f"{kind} {name} is {value[:20]!r}, not a whole number >= 0"
    elif name in _SIGNED and not re.fullmatch(r"-?[0-9]+", value):
        problem = f"{kind} {name} is {value[:20]!r}, not a whole number"
    elif name in _STRANDS and value not in ("1", "-1"):
        problem = f"{kind} {name} is {value[:20]!r}: a strand is 1 or -1"
    elif re.search(r"[\s=]" if name != "region" else r"[\t\n\r]", value):
        problem = f"{kind} {name} is {value[:20]!r}: remove spaces, tabs and '='"
    else:
        return value
    raise MutationInputError(f"{place}: {problem}")


def _extra(columns: list[str], kind: str, where: str, number: int) -> dict[str, str]:
    extra: dict[str, str] = {}
    for column in columns:
        if not column:
            continue  # a trailing tab
        key, equals, value = column.partition("=")
        if not equals or not _KEY.fullmatch(key):
            raise _error(
                where,
                number,
                f"has {column[:40]!r} after the {kind} fields: extra fields are key=value "
                f"(a {kind} line is {_usage(kind)})",
            )
        if key in extra:
            raise _error(where, number, f"gives {key}= twice: keep one")
        extra[key] = value
    return extra


# Writing.


def write(genome_diff: GenomeDiff) -> str:
    """GenomeDiff 1.0 text of ``genome_diff``, one entry a line in stored order.

    >>> entry = Entry("SNP", "1", (), {"seq_id": "chr", "position": "7", "new_seq": "A"})
    >>> write(GenomeDiff({}, [entry])).splitlines()
    ['#=GENOME_DIFF\\t1.0', 'SNP\\t1\\t.\\tchr\\t7\\tA']
    """
    lines = [f"{HEADER}\t{VERSION}"]
    for key, value in genome_diff.metadata.items():
        if key == "GENOME_DIFF":
            continue  # the header line, written above
        place = f"metadata {_key('metadata', key)}"
        lines += [f"#={key}\t{_text(place, v)}" for v in value.split("\n")]
    lines += [_entry_line(entry) for entry in genome_diff.entries]
    return "\n".join(lines) + "\n"


def _entry_line(entry: Entry) -> str:
    names = FIELDS.get(entry.type)
    place = f"{entry.type} entry {entry.id}"
    if names is None:
        raise MutationInputError(
            f"entry type {entry.type!r} cannot be written: use one of {', '.join(FIELDS)}"
        )
    if not _ID.fullmatch(entry.id) or not all(re.fullmatch(r"[0-9]+", p) for p in entry.parents):
        raise MutationInputError(
            f"{place} has parents {entry.parents!r}: ids are whole numbers ('.' for no id)"
        )
    if set(entry.fields) != set(names):
        raise MutationInputError(
            f"{place} has fields {sorted(entry.fields)}: give exactly {', '.join(names)}"
        )
    columns = [entry.type, entry.id, ",".join(entry.parents) or "."]
    columns += [_field(entry.type, name, entry.fields[name], place) for name in names]
    columns += [f"{_key(place, key)}={_text(place, value)}" for key, value in entry.extra.items()]
    return "\t".join(columns)


def _key(place: str, key: str) -> str:
    if not _KEY.fullmatch(key):
        raise MutationInputError(
            f"{place} has key {key[:40]!r}: a key is one word without spaces or '='"
        )
    return key


def _text(place: str, value: str) -> str:
    if re.search(r"[\t\n\r\x00]", value):
        raise MutationInputError(
            f"{place} has value {value[:40]!r}: GenomeDiff values cannot hold tabs, line "
            "breaks or NUL; remove them"
        )
    return value


# Mutations to and from entries.

_ORDER = {kind: i for i, kind in enumerate(Kind)}


def mutations_from(genome_diff: GenomeDiff) -> list[Mutation]:
    """The SNP, SUB, DEL, INS, MOB and AMP entries as mutations, in file order.

    CON and INV (no model kind) and evidence lines are left out: read them from
    ``entries``. breseq's ``insert_position`` (several insertions after one base) is not
    kept. Evidence comes from the keys :func:`to_genome_diff` writes, or breseq's
    ``total_cov``/``new_cov``/``ref_cov`` when present.
    """
    return [_mutation(e) for e in genome_diff.entries if e.type in Kind.__members__]


def _mutation(entry: Entry) -> Mutation:
    kind = Kind(entry.type)
    fields = entry.fields
    where = f"{entry.type} on line {entry.line}" if entry.line else f"{entry.type} {entry.id}"
    return Mutation(
        kind,
        fields["seq_id"],
        int(fields["position"]),
        size=int(fields.get("size", "0")),
        new_seq=fields.get("new_seq", "").upper(),
        repeat_name=fields.get("repeat_name", ""),
        strand=int(fields.get("strand", "0")),
        duplication_size=int(fields.get("duplication_size", "0")),
        copy_number=int(fields.get("new_copy_number", "0")),
        frequency=_frequency(entry.extra.get("frequency"), where),
        evidence=_evidence(entry.extra, where),
    )


def _frequency(value: str | None, where: str) -> float:
    if value is None or value == "NA":
        return 1.0
    frequency = _float(value, "frequency", where)
    if not 0.0 <= frequency <= 1.0:
        raise MutationInputError(f"{where}: frequency={value} is not between 0 and 1")
    return frequency


def _float(value: str, key: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number != number:  # NaN, from the text or from a failed conversion
        raise MutationInputError(f"{where}: {key}={value[:20]} is not a number")
    return number


def _int(value: str, key: str, where: str) -> int:
    if not re.fullmatch(r"[0-9]+", value):
        raise MutationInputError(f"{where}: {key}={value[:20]} is not a whole number >= 0")
    return int(value)


def _pair(value: str, key: str, where: str) -> tuple[int, int]:
    forward, slash, reverse = value.partition("/")
    if not slash:
        raise MutationInputError(
            f"{where}: {key}={value[:20]} is not forward/reverse read counts (e.g. 9/5)"
        )
    if not (re.fullmatch(r"[0-9]+", forward) and re.fullmatch(r"[0-9]+", reverse)):
        raise MutationInputError(f"{where}: {key}={value[:20]} is not two whole numbers >= 0")
    return int(forward), int(reverse)


def _evidence(extra: Mapping[str, str], where: str) -> Evidence:
    def known(key: str) -> str:
        value = extra.get(key, "")
        return "" if value == "NA" else value  # breseq writes NA for "not measured"

    def counts(key: str) -> tuple[int, int]:
        return _pair(known(key), key, where) if known(key) else (0, 0)

    def number(key: str, default: float) -> float:
        return _float(known(key), key, where) if known(key) else default

    # Our depth, else breseq's total_cov (forward/reverse reads at the site).
    depth = _int(known("depth"), "depth", where) if known("depth") else sum(counts("total_cov"))
    junction = known("new_junction_read_count")
    return Evidence(
        depth=depth,
        supporting=counts("new_cov"),
        reference=counts("ref_cov"),
        quality=number("quality", 0.0),
        strand_p=number("fisher_strand_p_value", 1.0),
        junction_reads=_int(junction, "new_junction_read_count", where) if junction else 0,
        coverage_ratio=number("coverage_ratio", 0.0),
        notes=tuple(known("notes").split("; ")) if known("notes") else (),
    )


def to_genome_diff(
    mutations: Iterable[Mutation],
    unresolved: Iterable[Unresolved] = (),
    metadata: Mapping[str, str] | None = None,
    reference: Mapping[str, str] | None = None,
) -> GenomeDiff:
    """A GenomeDiff of ``mutations`` then ``unresolved`` stretches (UN), ids from 1.

    With ``reference`` (seq_id -> sequence) indels are right-normalised, so repeat indels
    sit where breseq places them, and records sort in its order; otherwise in order of
    first appearance. Mutations sort by position within a record. ``frequency`` is written
    when below 1, evidence as key=value (breseq's keys where it has one: ``new_cov``,
    ``ref_cov``, ``fisher_strand_p_value``, ``new_junction_read_count``; otherwise
    ``depth``, ``quality``, ``coverage_ratio``, ``notes``), default values left out.
    """
    mutations = list(mutations)
    unresolved = list(unresolved)
    if reference is not None:
        mutations = [_placed(m, reference) for m in mutations]
    order = _record_order(mutations, unresolved, reference)
    mutations.sort(key=lambda m: (order[m.seq_id], m.position, m.end, _ORDER[m.kind]))
    unresolved.sort(key=lambda u: (order[u.seq_id], u.start, u.end))
    entries = [_mutation_entry(m, str(i)) for i, m in enumerate(mutations, start=1)]
    entries += [
        Entry("UN", str(i), (), {"seq_id": u.seq_id, "start": str(u.start), "end": str(u.end)})
        for i, u in enumerate(unresolved, start=len(entries) + 1)
    ]
    return GenomeDiff(dict(metadata or {}), entries)


def _placed(m: Mutation, reference: Mapping[str, str]) -> Mutation:
    if m.seq_id not in reference:
        raise MutationInputError(
            f"{m.kind} at {m.seq_id}:{m.position} names record {m.seq_id!r}, which the "
            f"reference lacks ({', '.join(reference) or 'no records'}): pass its sequence"
        )
    return right_normalised(m, reference[m.seq_id])


def _record_order(
    mutations: list[Mutation], unresolved: list[Unresolved], reference: Mapping[str, str] | None
) -> dict[str, int]:
    order: dict[str, int] = {}
    for seq_id in [*(reference or {}), *(m.seq_id for m in mutations)]:
        order.setdefault(seq_id, len(order))
    for u in unresolved:
        order.setdefault(u.seq_id, len(order))
    return order


def _mutation_entry(m: Mutation, entry_id: str) -> Entry:
    values = {
        "seq_id": m.seq_id,
        "position": str(m.position),
        "size": str(m.size),
        "new_seq": m.new_seq,
        "repeat_name": m.repeat_name,
        "strand": str(m.strand),
        "duplication_size": str(m.duplication_size),
        "new_copy_number": str(m.copy_number),
    }
    fields = {name: values[name] for name in FIELDS[m.kind]}
    return Entry(m.kind.value, entry_id, (), fields, _evidence_keys(m))


def _evidence_keys(m: Mutation) -> dict[str, str]:
    e = m.evidence
    keys: dict[str, str] = {}
    if m.frequency < 1.0:
        keys["frequency"] = _decimal(m.frequency)
    if e.depth:
        keys["depth"] = str(e.depth)
    if any(e.supporting):
        keys["new_cov"] = f"{e.supporting[0]}/{e.supporting[1]}"
    if any(e.reference):
        keys["ref_cov"] = f"{e.reference[0]}/{e.reference[1]}"
    if e.quality:
        keys["quality"] = _decimal(e.quality)
    if e.strand_p != 1.0:
        keys["fisher_strand_p_value"] = _decimal(e.strand_p)
    if e.junction_reads:
        keys["new_junction_read_count"] = str(e.junction_reads)
    if e.coverage_ratio:
        keys["coverage_ratio"] = _decimal(e.coverage_ratio)
    if e.notes:
        keys["notes"] = "; ".join(e.notes)
    return keys


def _decimal(value: float) -> str:
    """Six significant digits: the precision of the measurement, without float noise."""
    return f"{value:.6g}"
