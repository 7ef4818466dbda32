"""Mutations across samples: one table of events x samples, as breseq's ``gdtools COMPARE``.

A row is one event (the same change of the genome, whichever placement each sample's file
gave an indel in a repeat); a column is one sample; a cell is the frequency the sample has
it at, ``0.0`` when its reads cover the site without it, or an :class:`Unknown` when they
cannot tell: the site lies in one of the sample's unresolved stretches (``?``) or inside a
deletion of its own (``D``), as ``gdtools COMPARE`` marks them. Columns are grouped by the
Spaceflight factor (ancestor, ground control, flight, then any other condition).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from analysis.mutations.errors import MutationInputError
from analysis.mutations.genomediff import Entry, GenomeDiff, mutations_from, to_genome_diff
from analysis.mutations.model import Evidence, Kind, Mutation, Unresolved
from analysis.mutations.normalise import left_normalised

__all__ = [
    "ANCESTOR",
    "GROUND_CONTROL",
    "SPACE_FLIGHT",
    "Cell",
    "Row",
    "Sample",
    "Table",
    "Unknown",
    "compare",
    "genome_diff_sample",
    "intersection",
    "private",
    "subtract",
    "to_genome_diff_compare",
    "union",
]

# The Spaceflight factor's levels (ISA-Tab / OSDR vocabulary), in column order.
ANCESTOR = "Ancestor"
GROUND_CONTROL = "Ground Control"
SPACE_FLIGHT = "Space Flight"
CONDITION_ORDER = (ANCESTOR, GROUND_CONTROL, SPACE_FLIGHT)


class Unknown(StrEnum):
    """Why a sample's cell holds no frequency (the marks ``gdtools COMPARE`` writes)."""

    UNRESOLVED = "?"  # too little coverage at the site to say
    DELETED = "D"  # the sample lost the site to a deletion of its own


Cell = float | Unknown


@dataclass(frozen=True)
class Sample:
    """One sequenced isolate or population and its calls.

    ``line`` names the independent evolving line the sample belongs to (several samples of
    one line share its history; empty means the sample is a line of its own).
    ``generations`` since the ancestor, when known, for mutation rates.
    """

    name: str
    condition: str
    mutations: tuple[Mutation, ...]
    generations: float | None = None
    line: str = ""
    unresolved: tuple[Unresolved, ...] = ()

    @property
    def lineage(self) -> str:
        """The line this sample stands for."""
        return self.line or self.name


@dataclass(frozen=True)
class Row:
    """One event: ``mutation`` as the first sample with it wrote it (its frequency is that
    sample's), ``cells`` one per column of the table. ``occurrence`` numbers events that
    one sample reports several times (breseq's ``insert_position``: two insertions of the
    same base after one position), from 0."""

    mutation: Mutation
    cells: tuple[Cell, ...]
    occurrence: int = 0


@dataclass(frozen=True)
class Table:
    """Events x samples. ``samples`` are the columns, grouped by condition."""

    samples: tuple[Sample, ...]
    rows: tuple[Row, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.samples)

    def column(self, name: str) -> int:
        """The index of sample ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise MutationInputError(
                f"no sample {name!r} in the table: use one of {', '.join(self.names)}"
            ) from None

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Sample names by condition, in column order."""
        groups: dict[str, tuple[str, ...]] = {}
        for s in self.samples:
            groups[s.condition] = (*groups.get(s.condition, ()), s.name)
        return groups

    def with_rows(self, rows: Iterable[Row]) -> Table:
        return Table(self.samples, tuple(rows))


def is_present(cell: Cell) -> bool:
    """Whether the sample has the event (at any frequency above zero)."""
    return not isinstance(cell, Unknown) and cell > 0.0


# Building the table.

_Key = tuple[Mutation, int]  # the event as named, and its occurrence in one sample


def compare(samples: Sequence[Sample], sequences: Mapping[str, str] | None = None) -> Table:
    """The multi-sample table of ``samples`` (names must differ).

    Indels are matched after left normalisation on the record ``sequences`` holds for their
    ``seq_id`` (so breseq's right-shifted placement and a VCF's left one meet); on a record
    without a sequence they are matched as written. Every other field that names the
    change must agree (SNPs exactly). Rows sort by record (``sequences`` order first), then
    position.

    >>> a = Sample("A", SPACE_FLIGHT, (Mutation(Kind.DEL, "c", 5, size=1),))
    >>> b = Sample("B", GROUND_CONTROL, (Mutation(Kind.DEL, "c", 3, size=1, frequency=0.5),))
    >>> table = compare([a, b], {"c": "GATTTC"})
    >>> table.names, table.rows[0].cells
    (('B', 'A'), (0.5, 1.0))
    """
    sequences = sequences or {}
    _check_names(samples)
    columns = _grouped(samples)
    found = [_events(s, sequences) for s in columns]
    first: dict[_Key, Mutation] = {}
    for events in found:
        for key, m in events.items():
            first.setdefault(key, m)
    order = {seq_id: i for i, seq_id in enumerate(sequences)}
    rows = []
    for key in sorted(first, key=lambda k: _sort_key(first[k], k, order)):
        cells = tuple(_cell(key, first[key], s, e) for s, e in zip(columns, found, strict=True))
        rows.append(Row(first[key], cells, key[1]))
    return Table(columns, tuple(rows))


def _check_names(samples: Sequence[Sample]) -> None:
    seen: set[str] = set()
    for s in samples:
        if not s.name:
            raise MutationInputError("a sample has no name: give every sample a name")
        if s.name in seen:
            raise MutationInputError(
                f"two samples are named {s.name!r}: give each sample its own name"
            )
        seen.add(s.name)


def _grouped(samples: Sequence[Sample]) -> tuple[Sample, ...]:
    others = list(dict.fromkeys(s.condition for s in samples if s.condition not in CONDITION_ORDER))
    rank = {c: i for i, c in enumerate((*CONDITION_ORDER, *others))}
    return tuple(sorted(samples, key=lambda s: rank[s.condition]))  # stable: input order kept


def _events(sample: Sample, sequences: Mapping[str, str]) -> dict[_Key, Mutation]:
    """The sample's mutations by event key; a repeat of one event gets the next occurrence."""
    events: dict[_Key, Mutation] = {}
    for m in sample.mutations:
        identity = _identity(m, sequences)
        occurrence = 0
        while (identity, occurrence) in events:
            occurrence += 1
        events[(identity, occurrence)] = m
    return events


def _identity(m: Mutation, sequences: Mapping[str, str]) -> Mutation:
    if m.seq_id in sequences:
        m = left_normalised(m, sequences[m.seq_id])
    # Frequency and evidence measure an event in one sample; they do not name it.
    return replace(m, frequency=1.0, evidence=Evidence(), new_seq=m.new_seq.upper())


_KIND_ORDER = {kind: i for i, kind in enumerate(Kind)}


def _sort_key(m: Mutation, key: _Key, order: Mapping[str, int]) -> tuple[object, ...]:
    record = (order.get(m.seq_id, len(order)), m.seq_id)
    return (record, m.position, m.end, _KIND_ORDER[m.kind], m.new_seq, key[1])


def _cell(key: _Key, m: Mutation, sample: Sample, events: Mapping[_Key, Mutation]) -> Cell:
    if key in events:
        return events[key].frequency
    first, last = _site(m)
    if any(
        d.kind is Kind.DEL and d.seq_id == m.seq_id and d.position <= first and last <= d.end
        for d in sample.mutations
    ):
        return Unknown.DELETED
    if any(u.seq_id == m.seq_id and u.start <= first and last <= u.end for u in sample.unresolved):
        return Unknown.UNRESOLVED
    return 0.0


def _site(m: Mutation) -> tuple[int, int]:
    """The reference bases a sample needs to tell whether it has ``m``: an insertion needs
    the two bases it goes between (one at a record end)."""
    if m.kind in (Kind.INS, Kind.MOB):
        return max(m.position, 1), m.position + 1
    return m.position, m.end


def genome_diff_sample(
    genome_diff: GenomeDiff,
    name: str,
    condition: str,
    generations: float | None = None,
    line: str = "",
) -> Sample:
    """A sample from a GenomeDiff: its mutations and its unresolved (UN) stretches.

    Insertions breseq stacks after one base (``insert_position`` 0, 1, ...) keep that
    order, so the n-th of identical ones meets the n-th in another sample.
    """
    mutations = mutations_from(genome_diff)
    stacked = [
        int(e.extra.get("insert_position", "0") or 0)
        for e in genome_diff.entries
        if e.type in Kind.__members__
    ]
    ordered = [m for _, m in sorted(zip(stacked, mutations, strict=True), key=lambda p: p[0])]
    unresolved = tuple(
        Unresolved(e.fields["seq_id"], int(e.fields["start"]), int(e.fields["end"]))
        for e in genome_diff.entries
        if e.type == "UN"
    )
    return Sample(name, condition, tuple(ordered), generations, line, unresolved)


# Set operations over rows.


def subtract(
    table: Table, ancestor: str | Iterable[str] | None = None, ground: bool = False
) -> Table:
    """The rows no ancestor sample has (and, with ``ground``, no ground control).

    ``ancestor`` names the ancestor sample(s); by default every sample whose condition is
    ``Ancestor``. Only events a sample is seen to have are removed: an event the ancestor
    cannot resolve (``?``) stays, so a new mutation is never lost to missing coverage.
    """
    if ancestor is None:
        names = {s.name for s in table.samples if s.condition == ANCESTOR}
    else:
        names = {ancestor} if isinstance(ancestor, str) else set(ancestor)
    if ground:
        names |= {s.name for s in table.samples if s.condition == GROUND_CONTROL}
    columns = [table.column(n) for n in sorted(names)]
    return table.with_rows(
        r for r in table.rows if not any(is_present(r.cells[c]) for c in columns)
    )


def union(table: Table, samples: Iterable[str]) -> Table:
    """The rows at least one of ``samples`` has."""
    columns = [table.column(n) for n in samples]
    return table.with_rows(r for r in table.rows if any(is_present(r.cells[c]) for c in columns))


def intersection(table: Table, samples: Iterable[str]) -> Table:
    """The rows every one of ``samples`` has (an unresolved cell is not having it)."""
    columns = [table.column(n) for n in samples]
    if not columns:
        raise MutationInputError("intersection of no samples: name at least one sample")
    return table.with_rows(r for r in table.rows if all(is_present(r.cells[c]) for c in columns))


def private(table: Table, condition: str = SPACE_FLIGHT) -> Table:
    """The rows found in ``condition``'s samples and seen absent from every other sample.

    Absent means frequency 0 or the site deleted (``D``); an event another sample cannot
    resolve (``?``) is not called private, since that sample may have it.
    """
    inside = [i for i, s in enumerate(table.samples) if s.condition == condition]
    if not inside:
        raise MutationInputError(
            f"no sample has condition {condition!r}: the table has "
            f"{', '.join(table.groups()) or 'no samples'}"
        )
    outside = [i for i in range(len(table.samples)) if i not in inside]

    def absent(cell: Cell) -> bool:
        return cell is Unknown.DELETED or cell == 0.0

    return table.with_rows(
        r
        for r in table.rows
        if any(is_present(r.cells[i]) for i in inside) and all(absent(r.cells[i]) for i in outside)
    )


# The table as breseq's COMPARE GenomeDiff.


def to_genome_diff_compare(table: Table, reference: Mapping[str, str] | None = None) -> GenomeDiff:
    """The table in ``gdtools COMPARE``'s layout: one mutation line per row carrying
    ``frequency_<sample>=`` for every sample (a frequency, ``?`` or ``D``), then the
    samples' unresolved stretches (UN, each distinct one once).

    Sample names become keys as breseq makes them of file titles: characters a key cannot
    hold become ``_`` and a repeated key gets ``_1``, ``_2``... ``frequency`` is the first
    sample's with the event, as breseq writes it; per-sample evidence is left out (one
    line stands for all samples). With ``reference``, indels on its records are placed as
    breseq places them (rightmost in a repeat).
    """
    keys = _sample_keys(table.names)
    entries: list[Entry] = []
    for number, row in enumerate(table.rows, start=1):
        m = replace(row.mutation, evidence=Evidence())
        record = {m.seq_id: reference[m.seq_id]} if reference and m.seq_id in reference else None
        (entry,) = to_genome_diff([m], reference=record).entries
        extra = dict(entry.extra)
        if row.occurrence and m.kind is Kind.INS:
            extra["insert_position"] = str(row.occurrence)
        extra |= {f"frequency_{k}": _cell_text(c) for k, c in zip(keys, row.cells, strict=True)}
        entries.append(replace(entry, id=str(number), extra=extra))
    records = {r.mutation.seq_id: i for i, r in reversed(list(enumerate(table.rows)))}
    stretches = sorted(
        dict.fromkeys(u for s in table.samples for u in s.unresolved),
        key=lambda u: (records.get(u.seq_id, len(records)), u.seq_id, u.start, u.end),
    )
    entries += [
        Entry("UN", str(i), (), {"seq_id": u.seq_id, "start": str(u.start), "end": str(u.end)})
        for i, u in enumerate(stretches, start=len(entries) + 1)
    ]
    return GenomeDiff({}, entries)


def _sample_keys(names: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)
        key, n = base, 0
        while key in keys:
            n += 1
            key = f"{base}_{n}"
        keys.append(key)
    return keys


def _cell_text(cell: Cell) -> str:
    if isinstance(cell, Unknown):
        return cell.value
    return f"{cell:.6g}"  # six significant digits, as the GenomeDiff writer gives them
