"""The explorer's figures, tables and text blocks, checked against Biopython's reading of
NCBI's own pPCP1 files (counts, 1-based coordinates, proteins) and against hand-made data."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from Bio import SeqIO

from analysis.sequences import (
    CdsRow,
    Feature,
    Record,
    align_pair,
    cds_rows,
    find_motif,
    gc_windows,
    load_records,
)
from dashboard.components import explorer_views
from dashboard.components.explorer_state import parse_query
from dashboard.components.sequence_figures import (
    BAR_LIMIT,
    GC_POINTS_MAX,
    MapData,
    cds_span,
    decimate,
    motif_trace,
    padded_view,
    sequence_map,
    track_lanes,
    track_traces,
    view_from_relayout,
)
from dashboard.components.sequence_tables import cds_rows as cds_grid_rows
from dashboard.components.sequence_tables import hit_rows
from dashboard.components.sequence_text import alignment_lines, protein_comparison
from dashboard.services.explorer import FeatureTable, SpanTable

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sequences" / "biopython"
GENBANK = FIXTURES / "NC_005816.gb"


@pytest.fixture(scope="module")
def plasmid() -> Record:
    (record,) = load_records(GENBANK, "genbank", "none")
    return record


@pytest.fixture(scope="module")
def table(plasmid: Record) -> FeatureTable:
    return FeatureTable.of(plasmid.features)


def _biopython_counts() -> dict[tuple[str, int], int]:
    """Features per (type, strand) as Biopython reads the file (the independent reference)."""
    counts: dict[tuple[str, int], int] = {}
    for feature in SeqIO.read(GENBANK, "genbank").features:
        key = (feature.type, -1 if feature.location.strand == -1 else 1)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _trace(traces: list[dict[str, Any]], meta: str) -> dict[str, Any]:
    (found,) = [t for t in traces if t.get("meta") == meta]
    return found


def test_one_trace_per_type_and_strand_with_every_feature(table: FeatureTable) -> None:
    reference = _biopython_counts()
    traces = track_traces(track_lanes(table, 1, 9609))
    metas = [t["meta"] for t in traces]
    assert len(metas) == len(set(metas))  # never two traces for one type and strand
    for kind in ("CDS", "gene"):
        for strand, symbol in ((1, "+"), (-1, "−")):
            trace = _trace(traces, f"{kind} ({symbol})")
            assert trace["type"] == "bar"
            assert len(trace["base"]) == reference[(kind, strand)]
    # The legend names each type once, not once per strand.
    assert [t["name"] for t in traces if t["showlegend"]] == ["CDS", "gene"]


def test_hover_and_bars_use_one_based_coordinates(table: FeatureTable) -> None:
    cds = _trace(track_traces(track_lanes(table, 1, 9609)), "CDS (+)")
    first = int(np.argmin(cds["base"]))
    # NC_005816.1's first CDS is 87..1109 in the GenBank file: bases 87 to 1109 on the axis.
    assert cds["base"][first] == 86.5
    assert cds["base"][first] + cds["x"][first] == 1109.5
    hover = cds["hovertext"][first]
    assert "87..1,109 (+)" in hover
    assert "YP_pPCP01" in hover
    assert "putative transposase" in hover
    assert cds["customdata"][first] == ["CDS", 0, 86, 1109]


def test_minus_strand_features_sit_below_the_axis(table: FeatureTable) -> None:
    traces = track_traces(track_lanes(table, 1, 9609))
    assert set(_trace(traces, "CDS (−)")["y"]) == {-1.0}
    assert set(_trace(traces, "CDS (+)")["y"]) == {1.0}
    hover = " ".join(_trace(traces, "CDS (−)")["hovertext"])
    assert "4,815..5,888 (−)" in hover  # pst, complement(4815..5888)


def test_only_features_in_view_are_drawn(table: FeatureTable) -> None:
    traces = track_traces(track_lanes(table, 4000, 5000))
    drawn = {t["meta"]: len(t["base"]) for t in traces}
    # 4343..4780 (+) and 4815..5888 (−) reach into 4,000..5,000, with their genes.
    assert drawn == {"CDS (+)": 1, "gene (+)": 1, "CDS (−)": 1, "gene (−)": 1}


def test_cds_keys_follow_the_order_of_the_cds_table(plasmid: Record, table: FeatureTable) -> None:
    rows = cds_rows(plasmid)
    for index, row in enumerate(rows):
        assert cds_span(table, index) == (row.start, row.end)
    assert cds_span(table, len(rows)) is None


def _many_features(n: int, spacing: int = 1000) -> FeatureTable:
    features = [
        Feature(
            "CDS",
            i * spacing,
            i * spacing + 600,
            1 if i % 2 else -1,
            ((i * spacing, i * spacing + 600, 1 if i % 2 else -1),),
            f"T_{i}",
            "",
            "",
            "",
            "",
            "",
            11,
            1,
        )
        for i in range(n)
    ]
    return FeatureTable.of(features)


def test_a_whole_genome_is_merged_into_blocks_that_count_their_features() -> None:
    table = _many_features(5000)
    lanes = track_lanes(table, 1, 5_000_000)
    assert lanes.is_merged
    marks = [m for found in lanes.marks.values() for m in found]
    assert sum(m.key[1] for m in marks) == 5000  # every CDS is in one block
    assert all(m.key[0] == "zoom" for m in marks)
    assert len(marks) < 5000 / 4
    zoomed = track_lanes(table, 100_000, 120_000)
    assert not zoomed.is_merged
    # CDS i spans bases i*1000+1 .. i*1000+600: i = 100 .. 119 reach into the view.
    assert sum(len(v) for v in zoomed.marks.values()) == 20


def test_many_marks_become_webgl_segments_with_hover_on_each() -> None:
    table = _many_features(4 * BAR_LIMIT, spacing=10_000)  # far apart: nothing merges
    traces = track_traces(track_lanes(table, 1, 4 * BAR_LIMIT * 10_000, merge_pixels=10**9))
    assert {t["type"] for t in traces} == {"scattergl"}
    plus = _trace(traces, "CDS (+)")
    assert plus["x"][3] is None  # segments are separated
    assert plus["hovertext"][0] == plus["hovertext"][2]


def test_decimation_keeps_the_extremes_in_order() -> None:
    generator = np.random.default_rng(3)
    y = generator.normal(size=100_000)
    y[12_345], y[87_654] = 50.0, -50.0
    x = np.arange(y.size)
    dx, dy = decimate(x, y, GC_POINTS_MAX)
    assert dy.size <= GC_POINTS_MAX
    assert dy.max() == y.max()
    assert dy.min() == y.min()
    assert np.all(np.diff(dx) > 0)
    assert set(dx.tolist()) >= {12_345, 87_654}
    # Every bucket's own minimum and maximum are kept, not only the global ones.
    edges = np.linspace(0, y.size, GC_POINTS_MAX // 2 + 1).astype(int)
    for lo, hi in itertools.pairwise(edges):
        assert y[lo:hi].max() in dy
        assert y[lo:hi].min() in dy


def test_short_series_are_not_decimated() -> None:
    x, y = decimate([1, 2, 3], [3.0, 1.0, 2.0])
    assert x.tolist() == [1, 2, 3]
    assert y.tolist() == [3.0, 1.0, 2.0]


def test_the_map_shares_one_x_axis_and_thins_gc(plasmid: Record, table: FeatureTable) -> None:
    data = MapData(plasmid.id, plasmid.length, gc_windows(plasmid.sequence, 20, 1), table)
    figure = sequence_map(data, 87, 1109, cumulative=True)
    layout = figure.to_plotly_json()["layout"]
    for axis in ("xaxis", "xaxis2", "xaxis3", "xaxis4"):
        assert tuple(layout[axis]["range"]) == (86.5, 1109.5)
    assert layout["xaxis2"]["matches"] == "x"
    gc = next(t for t in figure.data if t.name == "GC %")
    assert len(gc.x) <= 1023 + 2  # windows of the view only (one beyond each edge)
    whole = sequence_map(data, 1, plasmid.length)
    assert len(next(t for t in whole.data if t.name == "GC %").x) <= GC_POINTS_MAX


def test_gc_in_the_map_is_biopythons(plasmid: Record, table: FeatureTable) -> None:
    from Bio.SeqUtils import gc_fraction

    windows = gc_windows(plasmid.sequence, 1000, 1000)
    data = MapData(plasmid.id, plasmid.length, windows, table)
    gc = next(t for t in sequence_map(data, 1, plasmid.length).data if t.name == "GC %")
    expected = [100 * gc_fraction(plasmid.sequence[s : s + 1000]) for s in range(0, 8001, 1000)]
    assert np.allclose(gc.y, expected)
    assert gc.x[0] == 500.5  # the centre of bases 1..1000


def test_motif_hits_are_triangles_by_strand(plasmid: Record) -> None:
    result = find_motif(plasmid.sequence, "GAATTC")
    hits = SpanTable(
        np.array([h.start for h in result.hits]),
        np.array([h.end for h in result.hits]),
        np.array([h.strand for h in result.hits]),
        tuple(h.matched for h in result.hits),
    )
    trace = motif_trace(hits, 1, plasmid.length)
    assert trace is not None
    assert len(trace["x"]) == len(result.hits)
    symbols = {("triangle-up" if h.strand > 0 else "triangle-down") for h in result.hits}
    assert set(trace["marker"]["symbol"]) == symbols
    assert trace["customdata"][0][0] == "motif"
    rows = hit_rows(result.hits)
    assert rows[0]["start"] == result.hits[0].start + 1


def test_views_follow_zoom_events_and_clicks() -> None:
    assert view_from_relayout({"xaxis3.range[0]": 86.5, "xaxis3.range[1]": 1109.5}, 9609) == (
        87,
        1109,
    )
    assert view_from_relayout({"xaxis.range": [-100, 99999]}, 9609) == (1, 9609)
    assert view_from_relayout({"autosize": True}, 9609) is None
    assert view_from_relayout({"font.color": "#fff"}, 9609) is None
    assert view_from_relayout("garbage", 9609) is None
    assert padded_view(86, 1109, 9609) == (1, 1211)


def test_cds_rows_say_whether_translations_agree() -> None:
    good = CdsRow("R", 0, 9, 1, "A_1", "", "", "", "MK", "MK", True, "")
    bad = CdsRow("R", 9, 18, -1, "A_2", "", "", "", "MK", "MR", False, "differs at 2")
    bare = CdsRow("R", 18, 27, 1, "A_3", "", "", "", "MK", "", None, "")
    rows = cds_grid_rows([good, bad, bare])
    assert [r["check"] for r in rows] == ["agrees", "differs", "not annotated"]
    only = cds_grid_rows([good, bad, bare], only_differing=True)
    assert [(r["id"], r["name"], r["strand"]) for r in only] == [(1, "A_2", "−")]


def test_protein_comparison_marks_only_the_differences() -> None:
    block = protein_comparison("MKVLAAG", "MKVIAAGW").to_plotly_json()
    pre = block["props"]["children"].to_plotly_json()["props"]["children"]
    marked = [part.children for part in pre if hasattr(part, "children")]
    assert marked == ["L", "I", "W"]  # residue 4 on both lines, and the extra residue 8


def test_alignment_blocks_number_bases_not_gaps() -> None:
    a = "ACGTTGCA" * 10
    assert a[69] == "G"
    same_length = align_pair(a, a[:69] + "A" + a[70:])  # one substitution, no gap
    lines = alignment_lines(same_length.aligned_a, same_length.aligned_b, 101, 1).splitlines()
    assert lines[0] == f"A 101 {a[:60]} 160"
    assert lines[2] == f"B   1 {a[:60]} 60"
    assert lines[1].count("|") == 60
    assert lines[-3].endswith(" 180")
    assert lines[-1].endswith(" 80")
    assert lines[-2].count("|") == 19  # base 70 of 61..80 differs: no bar under it
    gapped = align_pair(a, a[:30] + "TTTTT" + a[30:])
    text = alignment_lines(gapped.aligned_a, gapped.aligned_b, 1, 1)
    for line in text.splitlines():
        if line[:1] in ("A", "B"):
            _side, first, row, last = line.split()
            bases = len(row) - row.count("-")
            assert int(last.replace(",", "")) - int(first.replace(",", "")) + 1 == bases


def test_urls_with_garbage_fall_back_to_defaults() -> None:
    q = parse_query(
        {"dataset": "x", "start": "-5", "tab": "<script>", "orfs": "1:2", "motif": ["a", "b"]}
    )
    assert (q.dataset, q.start, q.tab, q.orfs, q.motif) == (None, None, "cds", None, "")


def test_cds_options_give_one_based_spans(plasmid: Record) -> None:
    options = explorer_views.cds_options(cds_rows(plasmid))
    assert options[0]["span"] == [87, 1109]
    assert options[0]["label"].startswith("YP_pPCP01")
