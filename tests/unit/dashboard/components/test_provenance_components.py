"""The provenance pieces: the badge (words, detail as tooltip, the family's look), its grid
column, the lineage graph's elements and rows, a verification's checks and a file look-up."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboard.components import lineage_graph, provenance_badge, provenance_views
from dashboard.components.status import STATUSES
from dashboard.services.provenance import LineageNode, Status
from dashboard.services.provenance_verify import FileMatch

ROOT = Path(__file__).resolve().parents[4]
ANCHORED = Status(
    "anchored",
    "Anchored",
    "Anchored in block 12 at 2026-11-26 09:58:01 UTC by 0xabc; 3 confirmations.",
    confirmations=3,
    required=1,
    tx_hash="0x" + "ab" * 32,
    block_number=12,
    block_time=datetime(2026, 11, 26, 9, 58, 1, tzinfo=UTC),
    submitter="0xabc",
    chain_id=1337,
)
PARENT_RETRACTED = Status(
    "retracted", "Parent retracted", "Derived from dataset 1, which is retracted."
)


def _text(component: object) -> str:
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def test_a_badge_says_its_label_and_its_detail_and_looks_like_its_state() -> None:
    badge = provenance_badge.provenance_badge(PARENT_RETRACTED)
    assert _text(badge) == "Parent retracted"  # words, not colour alone
    assert badge.title == PARENT_RETRACTED.detail
    look = STATUSES["provenance.retracted"]
    assert f"text-bg-{look.tone}" in badge.className
    assert look.tone == "orange"  # never the red of tampered
    assert getattr(badge, "data-provenance") == "retracted"
    missing = provenance_badge.provenance_badge(None)
    assert _text(missing) == "unanchored"
    assert missing.title == provenance_badge.UNKNOWN_DETAIL


def test_failed_is_an_outline_and_tampered_solid_red() -> None:
    assert STATUSES["provenance.failed"].tone == "outline-danger"
    assert STATUSES["provenance.tampered"].tone == "danger"
    assert STATUSES["provenance.anchored"].tone == "success"


def test_the_grid_column_filters_by_words_and_shows_the_detail_on_hover() -> None:
    column = provenance_badge.provenance_column()
    assert column["field"] == "provenance"
    assert column["filter"] == "agTextColumnFilter"
    params = column["cellRendererParams"]
    assert params["stateField"] == "provenance_states"
    assert params["titleField"] == "provenance_detail"
    assert set(params["statuses"]) == {
        "unanchored",
        "pending",
        "anchored",
        "tampered",
        "retracted",
        "failed",
    }
    cells = provenance_badge.provenance_cells(ANCHORED)
    assert cells == {
        "provenance": "Anchored",
        "provenance_states": ["anchored"],
        "provenance_detail": ANCHORED.detail,
    }


def _node(dataset_id: int, status: Status = ANCHORED, *, focus: bool = False) -> LineageNode:
    return LineageNode(dataset_id, f"file-{dataset_id}.fasta", status, focus)


def test_the_graph_has_a_node_per_dataset_and_an_edge_per_parent() -> None:
    nodes = [_node(1), _node(2, PARENT_RETRACTED, focus=True), _node(3)]
    elements = lineage_graph.elements(nodes, [(1, 2), (2, 3), (9, 2)])
    by_id = {e["data"]["id"]: e for e in elements if "id" in e["data"]}
    assert by_id["2"]["classes"] == "retracted focus"
    assert by_id["2"]["data"]["label"] == "#2 file-2.fasta\nParent retracted"
    edges = [(e["data"]["source"], e["data"]["target"]) for e in elements if "source" in e["data"]]
    assert edges == [("1", "2"), ("2", "3")]  # an edge to a dataset not shown is left out
    sheet = {rule["selector"]: rule["style"] for rule in lineage_graph.stylesheet()}
    shapes = {sheet[f".{state}"]["shape"] for state in lineage_graph.LOOKS}
    assert len(shapes) >= 4  # the state shows in the shape too, not only the colour


def test_rows_put_a_child_under_its_lowest_parent() -> None:
    nodes = [_node(i) for i in (1, 2, 3, 4)]
    assert lineage_graph.levels(nodes, [(1, 3), (2, 3), (3, 4), (1, 4)]) == {
        1: 0,
        2: 0,
        3: 1,
        4: 2,
    }


def test_a_long_name_is_shortened_in_the_node_but_whole_in_the_list() -> None:
    node = LineageNode(7, "x" * 60 + ".fastq.gz", ANCHORED, False)
    (element,) = lineage_graph.elements([node], [])
    assert len(element["data"]["label"].split("\n")[0]) <= len("#7 ") + 28
    listed = lineage_graph.lineage_list("l", [node], [], "/provenance?dataset=")
    assert "x" * 60 + ".fastq.gz" in _text(listed)


def test_checks_read_as_marks_with_words_and_nest_the_parents() -> None:
    result = {
        "dataset_id": 2,
        "verified": False,
        "first_failure": "parent dataset 1: file: The stored file is missing.",
        "verified_at": "2026-11-26T10:00:00+00:00",
        "chain": "embedded development chain 1337",
        "checks": [{"name": "record", "ok": True, "detail": "hashes to its leaf"}],
        "parents": [
            {
                "dataset_id": 1,
                "filename": "p.fasta",
                "verified": False,
                "checks": [
                    {"name": "file", "ok": False, "detail": "The stored file is missing."},
                    {"name": "anchored", "ok": None, "detail": "Not anchored yet."},
                ],
                "parents": [],
            }
        ],
    }
    view = provenance_views.checks_view(result)
    text = _text(view)
    assert "does not verify: parent dataset 1" in text
    assert "✓ passed" in text
    assert "✗ failed" in text
    assert "? not checked" in text
    assert "Parent dataset #1 p.fasta: does not verify" in text
    assert getattr(view, "data-verified") == "false"


def test_a_file_never_recorded_says_so_and_a_match_says_who_when_and_where() -> None:
    hashed = provenance_views.HashedFile("a" * 64, "reads.fq", 31_838, 0.4)
    never = provenance_views.file_matches(hashed, [], "/provenance?dataset=")
    assert "Never recorded here" in _text(never)
    assert "31.8 kB, 31,838 bytes" in _text(never)
    match = FileMatch(5, "reads.fq", "ada", "2026-11-26T09:57:30.250000Z", ANCHORED)
    found = provenance_views.file_matches(hashed, [match], "/provenance?dataset=")
    text = _text(found)
    assert "Recorded here" in text
    assert "#5 reads.fq" in text
    assert "Recorded by ada at 2026-11-26 09:57:30 UTC" in text
    assert "Anchored in block 12 at 2026-11-26 09:58:01 UTC" in text
    assert provenance_views.hashed_note(hashed) == (
        "Hashed reads.fq (31.8 kB, 31,838 bytes) in this browser in 0.4 s."
    )


@pytest.mark.parametrize(
    "data", [None, {}, {"sha256": 5}, "abc", {"name": "x"}], ids=["none", "empty", "int", "s", "n"]
)
def test_what_the_script_stores_is_read_carefully(data: object) -> None:
    assert provenance_views.HashedFile.of(data) is None


def test_a_stored_hash_keeps_only_values_of_the_right_kind() -> None:
    found = provenance_views.HashedFile.of(
        {"sha256": "b" * 64, "name": 3, "size": True, "seconds": "1"}
    )
    assert found == provenance_views.HashedFile("b" * 64)


def test_the_batches_grid_keeps_numbers_as_numbers() -> None:
    fields = [c["field"] for c in provenance_views.BATCH_COLUMNS]
    assert {"root", "leaf_count", "tx_hash", "block_number", "gas_per_leaf", "audit_seq"} <= set(
        fields
    )
    rows = provenance_views.batch_rows([])
    assert rows == []


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_browser_sha256_agrees_with_hashlib_in_node(tmp_path: Path) -> None:
    """assets/sha256.js (also checked in Chromium by tests/browser/test_provenance.py)."""
    import hashlib

    data = bytes(range(256)) * 41  # 10,496 bytes: many blocks and a partial one
    script = tmp_path / "check.js"
    script.write_text(
        f"const s = require({json.dumps(str(ROOT / 'assets' / 'sha256.js'))});\n"
        "const bytes = Uint8Array.from({ length: 10496 }, (_, i) => i % 256);\n"
        "const out = [s.hex(new Uint8Array(0)), s.hex(bytes)];\n"
        "for (const piece of [1, 3, 63, 64, 65, 1000]) {\n"
        "  const h = s.create();\n"
        "  for (let o = 0; o < bytes.length; o += piece) h.update(bytes.subarray(o, o + piece));\n"
        "  out.push(h.hex());\n"
        "}\n"
        "console.log(JSON.stringify(out));\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["node", str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    empty, whole, *pieces = json.loads(done.stdout)
    assert empty == hashlib.sha256(b"").hexdigest()
    assert whole == hashlib.sha256(data).hexdigest()
    assert pieces == [whole] * 6
