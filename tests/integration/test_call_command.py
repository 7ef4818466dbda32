"""``python app.py call``: files in, output.vcf and output.gd out, nothing out on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.mutations.genomediff import mutations_from, parse
from app import main
from tests import peers


def _lambda() -> tuple[Path, Path, Path]:
    root = peers.breseq() / "tests"
    data = root / "data" / "lambda"
    return (
        data / "lambda.5.gbk",
        data / "lambda.short_sequence_repeats.fastq.gz",
        root / "lambda_short_sequence_repeats" / "expected.gd",
    )


def test_calling_writes_breseqs_placement_of_the_repeat_indels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference, reads, expected = _lambda()
    out = tmp_path / "out"
    status = main(["call", "--reference", str(reference), "--reads", str(reads), "--out", str(out)])
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["output.gd", "output.vcf"]
    ours = mutations_from(parse((out / "output.gd").read_text(), "output.gd"))
    theirs = mutations_from(parse(expected.read_text(), "expected.gd"))
    # Same events at the same (breseq's right-shifted) positions, field for field.
    assert [(m.kind, m.position, m.size, m.new_seq) for m in ours] == [
        (m.kind, m.position, m.size, m.new_seq) for m in theirs
    ]
    vcf = (out / "output.vcf").read_text()
    assert vcf.startswith("##fileformat=VCFv4.2")
    assert len([line for line in vcf.splitlines() if not line.startswith("#")]) == 4
    err = capsys.readouterr().err
    assert "aligning" in err
    assert "4 mutations" in err


def test_a_bad_read_file_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference, _, _ = _lambda()
    broken = tmp_path / "broken.fastq"
    broken.write_text("@r1\nACGTACGT\n+\nIIII\n")  # quality shorter than the bases
    out = tmp_path / "out"
    status = main(
        ["call", "--reference", str(reference), "--reads", str(broken), "--out", str(out)]
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "broken.fastq" in err
    assert "line" in err
    assert not out.exists()


def test_results_are_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reference, reads, _ = _lambda()
    out = tmp_path / "out"
    out.mkdir()
    (out / "output.gd").write_text("keep me")
    status = main(["call", "--reference", str(reference), "--reads", str(reads), "--out", str(out)])
    assert status == 1
    assert "never overwritten" in capsys.readouterr().err
    assert (out / "output.gd").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["output.gd"]


def test_a_reads_file_as_reference_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, reads, _ = _lambda()
    status = main(
        ["call", "--reference", str(reads), "--reads", str(reads), "--out", str(tmp_path)]
    )
    assert status == 1
    assert "not a genome" in capsys.readouterr().err
