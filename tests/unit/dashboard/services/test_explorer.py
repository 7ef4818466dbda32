"""The explorer service's page-facing calls on NCBI's pPCP1 (NC_005816), checked against
Biopython's reading of NCBI's own GenBank, FASTA and protein files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from Bio import SeqIO
from Bio.SeqUtils import gc_fraction

from dashboard.db import Database
from dashboard.services import datasets, experiments, explorer
from dashboard.services.actor import Actor
from dashboard.services.errors import ValidationFailed
from dashboard.services.explorer import DataFiles

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sequences" / "biopython"
RECORD = "NC_005816.1"


@pytest.fixture
def files(tmp_path: Path) -> DataFiles:
    return DataFiles.in_data_dir(tmp_path / "data")


@pytest.fixture
def dataset_id(db: Database, scientist: Actor, files: DataFiles) -> int:
    experiment = experiments.create_experiment(
        db,
        scientist,
        {
            "name": "Explorer service",
            "organism": "Yersinia pestis",
            "arms": [{"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1}],
        },
    )
    details = datasets.DatasetDetails(experiment_id=experiment.id, sample_name="G1")
    return datasets.import_path(db, scientist, files.store, FIXTURES / "NC_005816.gb", details).id


@pytest.fixture(scope="module")
def genome() -> str:
    return str(next(SeqIO.parse(FIXTURES / "NC_005816.fna", "fasta")).seq)


def test_the_track_holds_every_feature_as_columns(
    db: Database, files: DataFiles, dataset_id: int, genome: str
) -> None:
    track = explorer.track(db, files, dataset_id, None, 500, 100)
    parsed = SeqIO.read(FIXTURES / "NC_005816.gb", "genbank")
    reference = [f for f in parsed.features if f.type != "source"]
    assert (track.record_id, track.length) == (RECORD, 9609)
    assert len(track.features) == len(reference)
    assert track.features.start.tolist() == [int(f.location.start) for f in reference]
    assert track.features.end.tolist() == [int(f.location.end) for f in reference]
    cds = np.flatnonzero(track.features.cds_index >= 0)
    assert track.features.cds_index[cds].tolist() == list(range(10))
    assert track.gc.window == 500
    assert track.gc_fraction == pytest.approx(gc_fraction(genome))


def test_orfs_and_motif_hits_come_with_the_track(
    db: Database, files: DataFiles, dataset_id: int, genome: str
) -> None:
    motif = genome[86:106]
    track = explorer.track(
        db,
        files,
        dataset_id,
        RECORD,
        500,
        100,
        orf_search=explorer.orf_options("300", "11", ["ATG", "GTG", "TTG"]),
        motif_pattern=motif.lower(),
    )
    assert track.hits is not None
    assert track.orfs is not None
    assert list(zip(track.hits.start.tolist(), track.hits.strand.tolist(), strict=True)) == [
        (86, 1)
    ]
    assert (86, 1109, 1) in zip(
        track.orfs.start.tolist(), track.orfs.end.tolist(), track.orfs.strand.tolist(), strict=True
    )


def test_positions_may_carry_thousands_separators(
    db: Database, files: DataFiles, dataset_id: int
) -> None:
    assert explorer.view_range(db, files, dataset_id, RECORD, "1,001", " 9 609 ") == (1001, 9609)
    with pytest.raises(ValidationFailed) as refused:
        explorer.view_range(db, files, dataset_id, RECORD, "0", "10,000")
    assert set(refused.value.errors) == {"start", "end"}  # both named at once
    with pytest.raises(ValidationFailed) as backwards:
        explorer.view_range(db, files, dataset_id, RECORD, "500", "400")
    assert backwards.value.field == "end"


def test_a_region_shows_its_bases_and_gc(
    db: Database,
    files: DataFiles,
    dataset_id: int,
    genome: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    region = explorer.region_view(db, files, dataset_id, RECORD, 87, "1,109")
    assert region.bases == genome[86:1109]
    assert region.gc_fraction == pytest.approx(gc_fraction(genome[86:1109]))
    assert not region.is_truncated
    monkeypatch.setattr(explorer, "REGION_SHOWN_MAX", 1000)
    whole = explorer.region_view(db, files, dataset_id, RECORD, 1, 9609)
    assert whole.is_truncated
    assert whole.bases == genome[:1000]
    assert (whole.length, whole.gc_fraction) == (9609, pytest.approx(gc_fraction(genome)))


def test_a_protein_download_is_ncbis_protein(
    db: Database, files: DataFiles, dataset_id: int
) -> None:
    proteins = {
        r.id.split("|")[3]: str(r.seq) for r in SeqIO.parse(FIXTURES / "NC_005816.faa", "fasta")
    }
    row, fasta = explorer.cds_protein_fasta(db, files, dataset_id, RECORD, 0)
    header, *lines = fasta.splitlines()
    assert header.startswith(">YP_pPCP01")
    assert "".join(lines) == proteins[row.protein_id] == proteins["NP_995567.1"]


def test_alignment_errors_name_the_region(db: Database, files: DataFiles, dataset_id: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        explorer.align(db, files, (dataset_id, RECORD, 1, 100), (dataset_id, RECORD, 50, 99_999))
    assert refused.value.field == "second.end"
    assert refused.value.message.startswith("Region B:")
    same = explorer.align(db, files, (dataset_id, RECORD, 87, 1109), (dataset_id, RECORD, 87, 1109))
    assert same.identity == 1.0
    assert same.differences == ()


def test_orf_options_name_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        explorer.orf_options("10", "7", ["ATG", "AXG"])
    assert set(refused.value.errors) == {"min_length", "table", "starts"}


def test_motifs_are_checked_before_searching() -> None:
    assert explorer.check_motif(" gaauuc ") == "GAATTC"
    with pytest.raises(ValidationFailed) as refused:
        explorer.check_motif("GAXTTC")
    assert refused.value.field == "motif"
    assert "'X' at position 3" in refused.value.message


def test_gc_windows_are_capped_in_number(db: Database, files: DataFiles, dataset_id: int) -> None:
    assert explorer.gc(db, files, dataset_id, RECORD, 10, 1).starts.size == 9600
    with pytest.raises(ValidationFailed) as refused:
        explorer.gc(db, files, dataset_id, RECORD, 10, "1,000,000,000")
    assert refused.value.field == "step"


def test_the_first_open_is_known(db: Database, files: DataFiles, dataset_id: int) -> None:
    assert not explorer.is_parsed(db, files, dataset_id)
    summary = explorer.summary(db, files, dataset_id, None)
    assert explorer.is_parsed(db, files, dataset_id)
    assert (summary.id, summary.length, summary.topology) == (RECORD, 9609, "circular")
    assert summary.feature_counts["CDS"] == 10
