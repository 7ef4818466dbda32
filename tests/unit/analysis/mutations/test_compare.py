"""The multi-sample table against breseq's own ``gdtools COMPARE`` result, and the set
operations on hand-built tables whose answers are read off by eye."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from analysis.mutations.compare import (
    ANCESTOR,
    GROUND_CONTROL,
    SPACE_FLIGHT,
    Cell,
    Sample,
    Table,
    Unknown,
    compare,
    genome_diff_sample,
    intersection,
    private,
    subtract,
    to_genome_diff_compare,
    union,
)
from analysis.mutations.errors import MutationInputError
from analysis.mutations.genomediff import MUTATION_TYPES, GenomeDiff, parse, write
from analysis.mutations.model import Kind, Mutation, Unresolved
from tests import peers

# breseq names COMPARE columns after the files' titles, all "gd" here, made unique.
PEER_KEYS = ("gd", "gd_1", "gd_2")

EventKey = tuple[str, tuple[str, ...], int]


def peer_case() -> Path:
    return peers.breseq() / "tests" / "gdtools_compare_1"


def peer_table() -> Table:
    samples = [
        genome_diff_sample(parse((peer_case() / f"input_{i}.gd").read_text()), key, "x")
        for i, key in enumerate(PEER_KEYS, start=1)
    ]
    return compare(samples)


def cell_of(text: str) -> Cell:
    return Unknown(text) if text in ("?", "D") else float(text)


def cells_by_event(genome_diff: GenomeDiff) -> dict[EventKey, tuple[Cell, ...]]:
    """Each mutation line's ``frequency_<key>`` values, keyed by its type and fields; lines
    identical but for breseq's insert_position are numbered in insert_position order."""
    lines = [e for e in genome_diff.entries if e.type in MUTATION_TYPES]
    lines.sort(key=lambda e: int(e.extra.get("insert_position", "0")))
    seen: defaultdict[tuple[str, tuple[str, ...]], int] = defaultdict(int)
    table: dict[EventKey, tuple[Cell, ...]] = {}
    for e in lines:
        name = (e.type, tuple(e.fields.values()))
        table[(*name, seen[name])] = tuple(cell_of(e.extra[f"frequency_{k}"]) for k in PEER_KEYS)
        seen[name] += 1
    return table


def cells_equal(ours: tuple[Cell, ...], theirs: tuple[Cell, ...]) -> bool:
    return all(
        a == b if isinstance(b, Unknown) else not isinstance(a, Unknown) and abs(a - b) < 1e-9
        for a, b in zip(ours, theirs, strict=True)
    )


def test_peer_compare_gives_breseqs_table() -> None:
    expected = cells_by_event(parse((peer_case() / "expected.gd").read_text()))
    ours = cells_by_event(parse(write(to_genome_diff_compare(peer_table()))))
    assert len(expected) == 64  # the file's mutation lines, counted
    assert ours.keys() == expected.keys()
    differing = {
        k: (ours[k], expected[k]) for k in expected if not cells_equal(ours[k], expected[k])
    }
    assert differing == {}


def test_peer_compare_marks_unknown_cells_as_breseq_does() -> None:
    table = peer_table()
    by_site = {(r.mutation.seq_id, r.mutation.position, r.mutation.kind): r for r in table.rows}
    # input_1 has UN NC_001416-0 1..3000 over the DEL at 139; the others have the DEL.
    assert by_site[("NC_001416-0", 139, Kind.DEL)].cells == (Unknown.UNRESOLVED, 1.0, 1.0)
    # input_2 and input_3 deleted 2338..8333, which holds input_1's SNP at 2789.
    assert by_site[("NC_001416-2", 2789, Kind.SNP)].cells == (1.0, Unknown.DELETED, Unknown.DELETED)
    # input_3's UN 8200..8700 holds 8203 but not 8708.
    assert by_site[("NC_001416-4", 8203, Kind.SNP)].cells == (1.0, 0.0, Unknown.UNRESOLVED)
    assert by_site[("NC_001416-4", 8708, Kind.SNP)].cells == (1.0, 0.0, 0.0)


def test_peer_compare_writes_each_unresolved_stretch_once() -> None:
    written = to_genome_diff_compare(peer_table())
    stretches = [tuple(e.fields.values()) for e in written.entries if e.type == "UN"]
    assert sorted(stretches) == sorted(
        [
            ("NC_001416-0", "1", "154"),
            ("NC_001416-0", "1", "3000"),
            ("NC_001416-2", "2338", "8333"),
            ("NC_001416-4", "8200", "8700"),
            ("NC_001416-4", "9694", "9701"),
        ]
    )


# Hand-built tables.

#          1234567890
SEQUENCE = "GACAACAAGT"  # CAACAA at 3..8: deleting any three bases of 2..8 gives GACAAGT


def sample(
    name: str, condition: str, *mutations: Mutation, unresolved: tuple[Unresolved, ...] = ()
) -> Sample:
    return Sample(name, condition, mutations, unresolved=unresolved)


def test_indels_in_a_repeat_meet_whichever_copy_each_sample_names() -> None:
    left = Mutation(Kind.DEL, "c", 2, size=3)  # ACA at 2..4
    right = Mutation(Kind.DEL, "c", 6, size=3, frequency=0.4)  # CAA at 6..8
    other = Mutation(Kind.DEL, "c", 3, size=3)  # CAA at 3..5
    table = compare(
        [
            sample("a", SPACE_FLIGHT, left),
            sample("b", SPACE_FLIGHT, right),
            sample("o", "x", other),
        ],
        {"c": SEQUENCE},
    )
    assert len(table.rows) == 1
    assert table.rows[0].cells == (1.0, 0.4, 1.0)


def test_without_a_sequence_indels_match_only_as_written_and_snps_exactly() -> None:
    table = compare(
        [
            sample(
                "a",
                SPACE_FLIGHT,
                Mutation(Kind.DEL, "c", 2, size=3),
                Mutation(Kind.SNP, "c", 9, new_seq="T"),
            ),
            sample(
                "b",
                SPACE_FLIGHT,
                Mutation(Kind.DEL, "c", 5, size=3),
                Mutation(Kind.SNP, "c", 9, new_seq="C"),
            ),
        ]
    )
    assert [r.cells for r in table.rows] == [(1.0, 0.0), (0.0, 1.0), (0.0, 1.0), (1.0, 0.0)]


def test_columns_are_grouped_ancestor_ground_flight_then_others() -> None:
    snp = Mutation(Kind.SNP, "c", 1, new_seq="T")
    table = compare(
        [
            sample("f1", SPACE_FLIGHT, snp),
            sample("m", "Microgravity simulator", snp),
            sample("g1", GROUND_CONTROL, snp),
            sample("f2", SPACE_FLIGHT, snp),
            sample("anc", ANCESTOR, snp),
        ]
    )
    assert table.names == ("anc", "g1", "f1", "f2", "m")
    assert table.groups() == {
        ANCESTOR: ("anc",),
        GROUND_CONTROL: ("g1",),
        SPACE_FLIGHT: ("f1", "f2"),
        "Microgravity simulator": ("m",),
    }


def test_a_site_inside_an_insertion_point_needs_both_flanking_bases_resolved() -> None:
    insertion = Mutation(Kind.INS, "c", 5, new_seq="G")
    table = compare(
        [
            sample("has", SPACE_FLIGHT, insertion),
            sample("half", SPACE_FLIGHT, unresolved=(Unresolved("c", 1, 5),)),
            sample("both", SPACE_FLIGHT, unresolved=(Unresolved("c", 5, 6),)),
        ],
        {"c": SEQUENCE},
    )
    assert table.rows[0].cells == (1.0, 0.0, Unknown.UNRESOLVED)


def test_duplicate_sample_names_are_refused() -> None:
    with pytest.raises(MutationInputError, match="two samples are named 'a'"):
        compare([sample("a", SPACE_FLIGHT), sample("a", GROUND_CONTROL)])


# Five events, read across: A = in the ancestor, G = in ground only, S = shared by flight
# and ground, F = flight only (in both flight lines), P = flight 1 only, ground unresolved.
A = Mutation(Kind.SNP, "c", 1, new_seq="T")
G = Mutation(Kind.SNP, "c", 2, new_seq="T")
S = Mutation(Kind.SNP, "c", 3, new_seq="T")
F = Mutation(Kind.SNP, "c", 4, new_seq="C")
P = Mutation(Kind.SNP, "c", 8, new_seq="C")


def experiment() -> Table:
    return compare(
        [
            sample("anc", ANCESTOR, A),
            sample("ground", GROUND_CONTROL, A, G, S, unresolved=(Unresolved("c", 7, 9),)),
            sample("flight1", SPACE_FLIGHT, A, S, F, P),
            sample("flight2", SPACE_FLIGHT, A, F),
        ],
        {"c": SEQUENCE},
    )


def events(table: Table) -> list[Mutation]:
    return [r.mutation for r in table.rows]


def test_subtract_the_ancestor_and_optionally_the_ground_controls() -> None:
    assert events(subtract(experiment())) == [G, S, F, P]
    assert events(subtract(experiment(), ancestor="anc")) == [G, S, F, P]
    assert events(subtract(experiment(), ground=True)) == [F, P]  # P: ground cannot tell, kept


def test_union_and_intersection_of_samples() -> None:
    assert events(union(experiment(), ["flight2", "ground"])) == [A, G, S, F]
    assert events(intersection(experiment(), ["flight1", "flight2"])) == [A, F]
    assert events(intersection(experiment(), ["flight1", "ground"])) == [A, S]


def test_private_to_flight_needs_every_other_sample_seen_without_it() -> None:
    assert events(private(experiment())) == [F]  # P is unresolved in ground
    assert events(private(experiment(), GROUND_CONTROL)) == [G]


def test_unknown_sample_names_and_conditions_are_reported() -> None:
    with pytest.raises(MutationInputError, match="no sample 'nope'"):
        union(experiment(), ["nope"])
    with pytest.raises(MutationInputError, match="no sample has condition 'Mars'"):
        private(experiment(), "Mars")


def test_written_keys_are_safe_and_unique() -> None:
    table = compare(
        [sample("flight 1", SPACE_FLIGHT, F), sample("flight_1", SPACE_FLIGHT), sample("a=b", "x")]
    )
    (line,) = [e for e in to_genome_diff_compare(table).entries if e.type == "SNP"]
    assert line.extra == {
        "frequency_flight_1": "1",
        "frequency_flight_1_1": "0",
        "frequency_a_b": "0",
    }


def test_written_indels_take_breseqs_placement_with_a_reference() -> None:
    table = compare(
        [sample("a", SPACE_FLIGHT, Mutation(Kind.DEL, "c", 2, size=3))], {"c": SEQUENCE}
    )
    (line,) = to_genome_diff_compare(table, {"c": SEQUENCE}).entries
    assert line.fields == {"seq_id": "c", "position": "6", "size": "3"}  # rightmost
