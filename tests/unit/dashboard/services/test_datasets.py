"""Importing datasets through the service: all or nothing, content-addressed, audited."""

from __future__ import annotations

import gzip
import hashlib
import threading
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.db import Database
from dashboard.services import audit, datasets, experiments, uploads
from dashboard.services.actor import Actor, Role
from dashboard.services.blobs import BlobStore
from dashboard.services.errors import Conflict, PermissionDenied, ValidationFailed
from tests.conftest import make_user

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sequences" / "biopython"


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "datasets")


@pytest.fixture
def experiment(db: Database, scientist: Actor) -> experiments.ExperimentView:
    return experiments.create_experiment(
        db,
        scientist,
        {
            "name": "Datasets service",
            "organism": "Escherichia coli",
            "arms": [
                {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
                {"name": "founder", "spaceflight": "Ancestor", "gravity_g": 1},
            ],
        },
    )


def _files(store: BlobStore) -> list[Path]:
    """Every file the store holds, stored or left in incoming/ (shard lock files aside)."""
    if not store.root.exists():
        return []
    return sorted(p for p in store.root.rglob("*") if p.is_file() and p.name != ".lock")


def _source(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _details(experiment: experiments.ExperimentView, **extra: object) -> datasets.DatasetDetails:
    return datasets.parse_details({"experiment_id": experiment.id, "sample_name": "S1", **extra})


def test_an_import_is_stored_under_its_hash_read_only(
    db: Database,
    scientist: Actor,
    admin: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
) -> None:
    data = (FIXTURES / "NC_005816.gb").read_bytes()
    arm = experiment.arms[1]
    view = datasets.import_path(
        db,
        scientist,
        store,
        _source(tmp_path, "p.gb", data),
        _details(experiment, arm_id=arm.id, factors={"time_point": "day 0"}),
    )
    sha = hashlib.sha256(data).hexdigest()
    assert view.sha256 == sha
    stored = store.path(sha)
    assert stored.read_bytes() == data
    assert stored.stat().st_mode & 0o222 == 0  # nobody may write it
    assert _files(store) == [stored]  # nothing left in incoming/
    assert view.sample.spaceflight == "Ancestor"  # taken from the arm
    assert view.sample.organism == "Escherichia coli"  # the experiment's, not given
    events = audit.search(db, admin, audit.AuditFilter(action="dataset.import")).rows
    assert [(e.target_id, e.username) for e in events] == [(str(view.id), scientist.username)]


def test_a_refused_file_leaves_nothing(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
) -> None:
    for name, data in [
        ("empty.fa", b""),
        ("junk.fq", bytes(range(256)) * 10),
        ("trunc.fastq", b"@r1\nACGT\n+\nII"),
        ("nul.fa", b">a\nAC\x00GT\n"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            datasets.import_path(
                db, scientist, store, _source(tmp_path, name, data), _details(experiment)
            )
        assert name in caught.value.message
        assert caught.value.field == "file"
    assert _files(store) == []
    assert datasets.list_datasets(db) == []


def test_the_same_bytes_twice_is_a_conflict_naming_the_dataset(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
) -> None:
    data = b">c1\nACGTACGTTT\n>c2\nGGGCCC\n"
    first = datasets.import_path(
        db, scientist, store, _source(tmp_path, "a.fa", data), _details(experiment)
    )
    with pytest.raises(Conflict) as caught:
        datasets.import_path(
            db,
            scientist,
            store,
            _source(tmp_path, "b.fa", data),
            _details(experiment, sample_name="S2"),
        )
    assert f"dataset {first.id}" in caught.value.message
    assert len(_files(store)) == 1
    assert [r.id for r in datasets.records(db, first.id)] == ["c1", "c2"]


def test_concurrent_imports_of_the_same_bytes_make_one_dataset(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
) -> None:
    data = b">x\n" + b"ACGT" * 50_000 + b"\n"
    outcomes: list[object] = []

    def run(i: int) -> None:
        try:
            outcomes.append(
                datasets.import_path(
                    db,
                    scientist,
                    store,
                    _source(tmp_path, f"{i}.fa", data),
                    _details(experiment, sample_name=f"C{i}"),
                )
            )
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [o for o in outcomes if isinstance(o, datasets.DatasetView)]
    assert len(made) == 1
    assert len(outcomes) == 4
    assert _files(store) == [store.path(made[0].sha256)]


def test_details_name_every_bad_field(experiment: experiments.ExperimentView) -> None:
    with pytest.raises(ValidationFailed) as caught:
        datasets.parse_details(
            {
                "experiment_id": "x",
                "sample_name": "",
                "material": "soup",
                "derived_from": ["1", "nope"],
                "factors": {"gravity_g": 9.81, "spaceflight": "Moon", "taxon_id": "E. coli"},
            }
        )
    assert set(caught.value.errors) == {
        "experiment_id",
        "sample_name",
        "material",
        "derived_from",
        "factors.gravity_g",
        "factors.spaceflight",
        "factors.taxon_id",
    }


def test_a_sample_keeps_its_values(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
) -> None:
    datasets.import_path(
        db,
        scientist,
        store,
        _source(tmp_path, "a.fa", b">a\nACGT\n"),
        _details(experiment, factors={"strain": "K-12", "replicate": "1"}),
    )
    with pytest.raises(Conflict) as caught:
        datasets.import_path(
            db,
            scientist,
            store,
            _source(tmp_path, "b.fa", b">b\nACGTT\n"),
            _details(experiment, factors={"strain": "B"}),
        )
    assert "K-12" in caught.value.message
    # Leaving values out uses the sample's.
    second = datasets.import_path(
        db, scientist, store, _source(tmp_path, "c.fa", b">c\nACGTTT\n"), _details(experiment)
    )
    assert (second.sample.strain, second.sample.replicate) == ("K-12", "1")


def test_roles_and_lineage(
    db: Database,
    scientist: Actor,
    operator: Actor,
    admin: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
) -> None:
    with pytest.raises(PermissionDenied):
        datasets.import_path(
            db, operator, store, _source(tmp_path, "a.fa", b">a\nA\n"), _details(experiment)
        )
    parent = datasets.import_path(
        db, scientist, store, _source(tmp_path, "p.fa", b">p\nAC\n"), _details(experiment)
    )
    child = datasets.import_path(
        db,
        scientist,
        store,
        _source(tmp_path, "c.fa", b">c\nACG\n"),
        _details(experiment, derived_from=[parent.id]),
    )
    assert child.parents == (parent.id,)
    assert datasets.get_dataset(db, parent.id).children == (child.id,)
    with pytest.raises(PermissionDenied):
        datasets.delete_dataset(db, scientist, store, child.id)
    with pytest.raises(Conflict):
        datasets.delete_dataset(db, admin, store, parent.id)  # its child would lose its lineage
    datasets.delete_dataset(db, admin, store, child.id)
    datasets.delete_dataset(db, admin, store, parent.id)
    assert _files(store) == []


def test_uploads_append_only_at_the_received_offset(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
) -> None:
    import io

    data = b">r\n" + b"ACGT" * 1000 + b"\n"
    opened = uploads.open_upload(
        db,
        scientist,
        store,
        "r.fa",
        len(data),
        {"experiment_id": experiment.id, "sample_name": "U"},
    )
    part = uploads.part_path(store, opened.id)
    assert (
        uploads.append(db, scientist, store, opened.id, 0, io.BytesIO(data[:100]), 100).received
        == 100
    )
    with pytest.raises(Conflict):
        uploads.append(db, scientist, store, opened.id, 50, io.BytesIO(data[50:60]), 10)
    # A chunk running past the declared size is refused and leaves the upload where it was.
    with pytest.raises(ValidationFailed):
        uploads.append(
            db, scientist, store, opened.id, 100, io.BytesIO(data[100:] + b"extra"), None
        )
    assert part.stat().st_size == 100
    done = uploads.append(db, scientist, store, opened.id, 100, io.BytesIO(data[100:]), None)
    assert done.is_complete
    assert part.read_bytes() == data
    uploads.discard(db, scientist, store, opened.id)
    assert not part.exists()


SEEDS = [
    b"@r1\nACGT\n+\nIIII\n",
    b">c1 desc\nACGTN\nacgt\n",
    (FIXTURES / "example.fastq").read_bytes(),
]
# Random bytes, and valid files with bytes inserted anywhere (truncations come from both).
INPUTS = st.one_of(
    st.binary(max_size=400),
    st.sampled_from(SEEDS).flatmap(
        lambda seed: st.tuples(st.integers(0, len(seed)), st.binary(max_size=8)).map(
            lambda cut: seed[: cut[0]] + cut[1] + seed[cut[0] + len(cut[1]) // 2 :]
        )
    ),
)


def test_no_input_crashes_the_importer_or_leaves_a_file(
    sqlite_db: Database, tmp_path: Path
) -> None:
    scientist = make_user(sqlite_db, "hyp-sci", Role.SCIENTIST)
    boss = make_user(sqlite_db, "hyp-admin", Role.ADMIN)
    experiment = experiments.create_experiment(
        sqlite_db,
        scientist,
        {"name": "fuzz", "organism": "E. coli", "arms": experiments.default_arms()},
    )
    store = BlobStore(tmp_path / "store")

    @settings(max_examples=60, deadline=None)
    @given(data=INPUTS, compress=st.booleans())
    def run(data: bytes, compress: bool) -> None:
        payload = gzip.compress(data) if compress else data
        source = _source(tmp_path, f"in-{uuid.uuid4().hex}.seq", payload)
        try:
            view = datasets.import_path(sqlite_db, scientist, store, source, _details(experiment))
        except (ValidationFailed, Conflict) as exc:
            assert exc.message  # noqa: PT017 - either outcome is allowed; both are checked
            assert _files(store) == []
        else:
            assert _files(store) == [store.path(view.sha256)]
            datasets.delete_dataset(sqlite_db, boss, store, view.id)

    run()


def test_an_imported_genome_opens_in_the_explorer_from_the_cache(
    db: Database, scientist: Actor, experiment: experiments.ExperimentView, tmp_path: Path
) -> None:
    from dashboard.services import explorer

    files = explorer.DataFiles.in_data_dir(tmp_path / "data")
    source = _source(tmp_path, "p.gb", (FIXTURES / "NC_005816.gb").read_bytes())
    view = datasets.import_path(db, scientist, files.store, source, _details(experiment))
    assert not explorer.is_parsed(db, files, view.id)
    assert explorer.warm(db, files, view.id)
    assert explorer.is_parsed(db, files, view.id)
    window, step = explorer.default_window(9609)
    keys = set(files.cache.iterkeys())
    assert any(":gc:" in k and f":{window}:{step}" in k for k in keys)
    assert any(":cds:" in k for k in keys)


def test_the_explorer_declines_what_it_cannot_hold(
    db: Database,
    scientist: Actor,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dashboard.services import explorer

    files = explorer.DataFiles.in_data_dir(tmp_path / "data")
    source = _source(tmp_path, "big.fa", b">big\n" + b"ACGT" * 2_000 + b"\n")
    view = datasets.import_path(db, scientist, files.store, source, _details(experiment))
    monkeypatch.setattr(explorer, "EXPLORER_MAX_BP", 4_000)
    assert not explorer.can_explore(view)
    assert explorer.warm(db, files, view.id)  # nothing to prepare, nothing parsed
    assert not explorer.is_parsed(db, files, view.id)
    with pytest.raises(ValidationFailed, match="the explorer opens genomes and assemblies up"):
        explorer.records(db, files, view.id)
