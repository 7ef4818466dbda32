"""The mutation service's pieces: request checks, mate pairing, coverage buckets and windows,
the CSV's injection guard, the comparison request."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from analysis.mutations.annotate import Annotation, Effect
from analysis.mutations.model import Evidence, Kind, Mutation
from dashboard.services import mutation_compare, mutation_inputs, mutation_outputs, mutations
from dashboard.services.errors import ValidationFailed
from dashboard.services.mutation_inputs import ReadFile, pair_mates, parse_call_request


def _file(dataset_id: int, filename: str, reads: int = 10, first: str = "r1/1") -> ReadFile:
    return ReadFile(dataset_id, filename, reads, Path(filename), first)


def test_mates_pair_only_by_name_count_and_first_read() -> None:
    r2 = _file(2, "x_S1_L001_R2_001.fastq.gz", first="M:1:FC 2:N:0:1")
    r1 = _file(1, "x_S1_L001_R1_001.fastq.gz", first="M:1:FC 1:N:0:1")
    single = _file(3, "other.fastq")
    assert pair_mates([r2, single, r1]) == ((r1, r2), (single,))
    # Same names but different read counts, or first reads that are not mates: single-end.
    assert pair_mates([_file(1, "a_1.fq"), _file(2, "a_2.fq", reads=9)]) == (
        (_file(1, "a_1.fq"),),
        (_file(2, "a_2.fq", reads=9),),
    )
    unrelated = [_file(1, "a_1.fq", first="q/1"), _file(2, "a_2.fq", first="z/2")]
    assert len(pair_mates(unrelated)) == 2
    # Two R1 files do not pair; a third file finds its mate past them.
    files = [_file(1, "a_R1.fq"), _file(2, "b_R1.fq"), _file(3, "a_R2.fq", first="r1/2")]
    assert pair_mates(files) == ((files[0], files[2]), (files[1],))


def test_first_read_name_reads_plain_and_gzip(tmp_path: Path) -> None:
    plain, packed, empty = tmp_path / "a.fq", tmp_path / "b.fq.gz", tmp_path / "c.fq"
    plain.write_text("@read7/1 x\nACGT\n+\nIIII\n")
    packed.write_bytes(gzip.compress(b"@read7/2\nACGT\n+\nIIII\n"))
    empty.write_text("")
    names = [mutation_inputs.first_read_name(p) for p in (plain, packed, empty)]
    assert names == ["read7/1 x", "read7/2", ""]
    assert mutation_inputs.mate_name(names[0]) == mutation_inputs.mate_name(names[1]) == "read7"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"samples": [1]}, "reference"),
        ({"reference": 0, "samples": [1]}, "reference"),
        ({"reference": True, "samples": [1]}, "reference"),
        ({"reference": 1, "samples": []}, "samples"),
        ({"reference": 1, "samples": "1,2"}, "samples"),
        ({"reference": 1, "samples": [2, 2]}, "samples"),
        ({"reference": 1, "samples": [2**31]}, "samples"),
        ({"reference": 1, "samples": list(range(1, 300))}, "samples"),
        ({"reference": 1, "samples": [2], "mode": "loose"}, "mode"),
        ({"reference": 1, "samples": [2], "extra": 1}, "extra"),
    ],
)
def test_call_requests_are_checked(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_call_request(body)
    assert refused.value.field == field


def test_a_request_survives_the_job_parameters() -> None:
    request = parse_call_request({"reference": 4, "samples": [9, 7], "mode": "polymorphism"})
    params = request.params()
    assert params == {"reference": 4, "samples": "9,7", "mode": "polymorphism"}
    # Job parameters keep numbers as floats.
    again = mutation_inputs.CallRequest.from_params({**params, "reference": 4.0})
    assert again == request
    assert tuple(mutations.Mode) == mutation_inputs.MODES


def test_coverage_buckets_keep_gaps_and_windows_merge_them() -> None:
    depth = np.full(1000, 10, dtype=np.int32)
    depth[500:520] = 0  # a gap
    depth[900] = 99  # a spike
    stored = mutation_outputs.coverage_buckets({"c": depth}, buckets=100)
    (track,) = stored["records"]  # type: ignore[misc]
    assert (track["start"][0], track["end"][-1], len(track["start"])) == (1, 1000, 100)
    assert min(track["min"]) == 0
    assert max(track["max"]) == 99
    merged = mutations._window(track, None, None, 10)
    assert len(merged["start"]) == 10
    assert merged["min"][5] == 0
    assert merged["max"][9] == 99
    assert merged["mean"][0] == 10.0
    assert sum(e - s + 1 for s, e in zip(merged["start"], merged["end"], strict=True)) == 1000
    part = mutations._window(track, 495, 530, 100)
    assert part["start"][0] <= 495
    assert part["end"][-1] >= 530
    assert min(part["min"]) == 0
    with pytest.raises(ValidationFailed):
        mutations._window(track, 50, 10, 10)


def test_short_records_keep_every_base() -> None:
    stored = mutation_outputs.coverage_buckets({"c": np.arange(5, dtype=np.int32)}, buckets=100)
    (track,) = stored["records"]  # type: ignore[misc]
    assert track["min"] == track["max"] == [0, 1, 2, 3, 4]


def test_the_csv_makes_formula_cells_inert() -> None:
    m = Mutation(Kind.INS, "c", 5, new_seq="=HYPERLINK", evidence=Evidence(depth=7))
    row = mutation_outputs.call_row(1, m, Annotation(Effect.INTERGENIC, "small_indel"), {})
    row["product"] = "@SUM(A1)"
    row["notes"] = "-1+2"
    text = mutation_outputs.calls_csv([row], "+flight")
    (written,) = list(csv.DictReader(io.StringIO(text)))
    assert written["sample"] == "'+flight"
    assert written["change"] == "'+=HYPERLINK"
    assert written["product"] == "'@SUM(A1)"
    assert written["notes"] == "'-1+2"
    assert written["depth"] == "7"


def test_comparison_requests_are_checked() -> None:
    ok = mutation_compare.parse_compare_request({"results": [3, 4], "generations": {"4": 100}})
    assert (ok.result_ids, ok.subtract_ancestor, ok.subtract_ground) == ((3, 4), True, False)
    assert ok.generations == ((4, 100.0),)
    for body, field in (
        ({"results": []}, "results"),
        ({"results": [3, 3]}, "results"),
        ({"results": [3], "generations": {"5": 1}}, "generations"),
        ({"results": [3], "generations": {"3": 0}}, "generations"),
        ({"results": [3], "generations": {"3": True}}, "generations"),
        ({"results": [3], "subtract_ancestor": 1}, "subtract_ancestor"),
        ({"results": [3], "colour": 1}, "colour"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            mutation_compare.parse_compare_request(body)
        assert refused.value.field == field, body
