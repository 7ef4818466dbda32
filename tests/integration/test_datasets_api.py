"""/api/v1/datasets, /uploads and sample sheets over HTTP, on real sequence files."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from Bio import SeqIO

from dashboard.auth import app_state
from dashboard.services import job_runner
from tests.integration.conftest import Site

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sequences" / "biopython"
GENBANK = FIXTURES / "NC_005816.gb"


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture(scope="module")
def experiment_id(site: Site) -> int:
    body = {
        "name": "Datasets API test",
        "organism": "Yersinia pestis",
        "arms": [
            {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
            {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
        ],
    }
    return int(_json(site.client("sci").post("/api/v1/experiments", json=body), 201)["id"])


def _post(client: Any, data: bytes, name: str, experiment: int, **extra: object) -> Any:
    form: dict[str, object] = {
        "file": (io.BytesIO(data), name),
        "experiment_id": str(experiment),
        "sample_name": str(extra.pop("sample_name", "F1")),
    }
    form.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in extra.items()})
    return client.post("/api/v1/datasets", data=form, content_type="multipart/form-data")


def _store_files(site: Site) -> set[Path]:
    root = app_state(site.server).files.store.root
    return (
        {p for p in root.rglob("*") if p.is_file() and p.name != ".lock"}
        if root.exists()
        else set()
    )


def test_a_genbank_file_is_imported_kept_byte_for_byte_and_explored(
    site: Site, experiment_id: int
) -> None:
    sci = site.client("sci")
    data = GENBANK.read_bytes()
    arms = _json(sci.get(f"/api/v1/experiments/{experiment_id}"), 200)["arms"]
    created = _json(
        _post(
            sci,
            data,
            "pPCP1.gb",
            experiment_id,
            sample_name="ancestor-1",
            arm_id=str(arms[1]["id"]),
            strain="KIM",
            factors={"replicate": "A", "Medium": "LB"},
        ),
        201,
    )
    assert created["sha256"] == hashlib.sha256(data).hexdigest()
    assert (created["format"], created["size"], created["material"]) == (
        "genbank",
        len(data),
        "genome",
    )
    assert created["sample"]["spaceflight"] == "Ground Control"  # from the arm
    assert created["sample"]["extra"] == {"Medium": "LB"}
    dataset = created["id"]

    content = sci.get(f"/api/v1/datasets/{dataset}/content")
    assert content.status_code == 200
    assert content.get_data() == data

    (record,) = _json(sci.get(f"/api/v1/datasets/{dataset}/records"), 200)
    assert (record["id"], record["length"]) == ("NC_005816.1", 9609)

    # NCBI's own FASTA of the record: the region is the slice of it (1-based, inclusive).
    genome = str(next(SeqIO.parse(FIXTURES / "NC_005816.fna", "fasta")).seq)
    region = sci.get(f"/api/v1/datasets/{dataset}/region?record=NC_005816.1&start=87&end=1109")
    assert region.status_code == 200
    header, *lines = region.get_data(as_text=True).splitlines()
    assert header == ">NC_005816.1:87-1109"
    assert "".join(lines) == genome[86:1109]

    cds = _json(sci.get(f"/api/v1/datasets/{dataset}/features?type=CDS"), 200)
    proteins = {
        r.id.split("|")[3] if "|" in r.id else r.id: str(r.seq)
        for r in SeqIO.parse(FIXTURES / "NC_005816.faa", "fasta")
    }
    assert len(cds) == len(proteins) == 10
    for row in cds:
        assert row["translation"] == row["annotated_translation"]
        assert row["translation"] == proteins[row["protein_id"]]
    first = min(cds, key=lambda r: r["start"])
    assert (first["start"], first["end"], first["strand"]) == (87, 1109, 1)

    orfs = _json(sci.get(f"/api/v1/datasets/{dataset}/orfs?min_length=300&table=11"), 200)
    assert any(o["end"] == 1109 and o["strand"] == 1 for o in orfs)

    stats = _json(sci.get(f"/api/v1/datasets/{dataset}/stats"), 200)
    assert stats["assembly"]["total_length"] == 9609

    listed = _json(sci.get(f"/api/v1/datasets?experiment_id={experiment_id}&format=genbank"), 200)
    assert dataset in [d["id"] for d in listed]
    assert _json(sci.get("/api/v1/datasets?spaceflight=Space Flight"), 200) == [] or all(
        d["sample"]["spaceflight"] == "Space Flight"
        for d in _json(sci.get("/api/v1/datasets?spaceflight=Space Flight"), 200)
    )

    # The same bytes again: 409 naming the dataset, and nothing new on disk.
    before = _store_files(site)
    again = _json(_post(sci, data, "copy.gb", experiment_id, sample_name="other"), 409)
    assert f"dataset {dataset}" in again["error"]["message"]
    assert again["error"]["details"]["dataset_id"] == dataset
    assert _store_files(site) == before


def test_a_malformed_file_is_refused_with_its_line_and_leaves_nothing(
    site: Site, experiment_id: int
) -> None:
    sci = site.client("sci")
    before = _store_files(site)
    count = len(_json(sci.get("/api/v1/datasets"), 200))
    broken = b"@r1\nACGT\n+\nIII\n"  # quality shorter than the sequence
    refused = _json(_post(sci, broken, "bad.fastq", experiment_id, sample_name="bad"), 422)
    message = refused["error"]["message"]
    assert "bad.fastq" in message
    assert "line 4" in message
    assert refused["error"]["field"] == "file"
    assert _store_files(site) == before
    assert len(_json(sci.get("/api/v1/datasets"), 200)) == count
    # Nor was the sample made.
    sheet = sci.get(f"/api/v1/experiments/{experiment_id}/samples.tsv").get_data(as_text=True)
    assert "\nbad\t" not in sheet


def test_gzipped_reads_are_imported_with_read_statistics(site: Site, experiment_id: int) -> None:
    reads = b"".join(
        b"@r%d\n%s\n+\n%s\n" % (i, b"ACGTACGTAC"[: 5 + i % 5], b"IIIII?????"[: 5 + i % 5])
        for i in range(100)
    )
    sci = site.client("sci")
    created = _json(
        _post(
            sci,
            gzip.compress(reads),
            "reads.fq.gz",
            experiment_id,
            sample_name="F2",
            factors={"spaceflight": "Space Flight", "gravity_g": 0},
        ),
        201,
    )
    assert (created["format"], created["compression"], created["material"]) == (
        "fastq",
        "gzip",
        "reads",
    )
    assert created["record_count"] == 100
    assert created["total_length"] == sum(5 + i % 5 for i in range(100))
    by_factor = _json(sci.get("/api/v1/datasets?factor=gravity_g=0&format=fastq"), 200)
    assert created["id"] in [d["id"] for d in by_factor]
    assert _json(sci.get("/api/v1/datasets?factor=gravity_g=1"), 200) == [] or created[
        "id"
    ] not in [d["id"] for d in _json(sci.get("/api/v1/datasets?factor=gravity_g=1"), 200)]
    assert _json(sci.get("/api/v1/datasets?factor=colour=red"), 422)["error"]["field"] == "factor"
    stats = _json(sci.get(f"/api/v1/datasets/{created['id']}/stats"), 200)["reads"]
    assert (stats["reads"], stats["min_length"], stats["max_length"]) == (100, 5, 9)
    csv_text = sci.get(f"/api/v1/datasets/{created['id']}/stats.csv").get_data(as_text=True)
    assert "reads,reads,100" in csv_text


def test_a_file_larger_than_the_parser_buffer_streams_through(
    site: Site, experiment_id: int
) -> None:
    # 300 kB: several of werkzeug's 64 KiB reads (it once refused anything above one).
    bases = "".join("ACGT"[(i * 7 + i // 13) % 4] for i in range(300_000))
    data = (
        ">big\n" + "\n".join(bases[i : i + 80] for i in range(0, len(bases), 80)) + "\n"
    ).encode()
    created = _json(_post(site.client("sci"), data, "big.fa", experiment_id, sample_name="B"), 201)
    assert created["sha256"] == hashlib.sha256(data).hexdigest()
    assert created["total_length"] == 300_000


def test_roles_and_unknown_ids(site: Site, experiment_id: int) -> None:
    oper = site.client("oper")
    refused = _json(_post(oper, b">a\nACGT\n", "a.fa", experiment_id), 403)
    assert refused["error"]["code"] == "forbidden"
    sci = site.client("sci")
    assert sci.get("/api/v1/datasets/999999").status_code == 404
    unknown_experiment = _json(_post(sci, b">a\nACGT\n", "a.fa", 999999), 422)
    assert unknown_experiment["error"]["field"] == "experiment_id"
    assert site.server.test_client().get("/api/v1/datasets").status_code == 401


def test_a_chunked_upload_resumes_and_imports_as_a_job(site: Site, experiment_id: int) -> None:
    sci = site.client("sci")
    data = (FIXTURES / "NC_000932.gb").read_bytes()
    opened = _json(
        sci.post(
            "/api/v1/uploads",
            json={
                "filename": "chloroplast.gb",
                "size": len(data),
                "experiment_id": experiment_id,
                "sample_name": "chloro",
                "material": "genome",
            },
        ),
        201,
    )
    upload = opened["id"]
    half = len(data) // 2
    first = _json(sci.put(f"/api/v1/uploads/{upload}?offset=0", data=data[:half]), 200)
    assert first["received"] == half
    # A client that lost track resends from the wrong place: told where to continue.
    wrong = _json(sci.put(f"/api/v1/uploads/{upload}?offset=0", data=data[:10]), 409)
    assert str(half) in wrong["error"]["message"].replace(",", "")
    assert _json(sci.get(f"/api/v1/uploads/{upload}"), 200)["received"] == half
    # Completing early is refused.
    assert sci.post(f"/api/v1/uploads/{upload}/complete").status_code == 409
    _json(sci.put(f"/api/v1/uploads/{upload}?offset={half}", data=data[half:]), 200)
    job = _json(sci.post(f"/api/v1/uploads/{upload}/complete"), 202)
    assert job["kind"] == "dataset.import"
    files_root = app_state(site.server).settings.job_files_dir
    assert job_runner.execute(site.db, job["id"], files_root) == "succeeded"
    done = _json(sci.get(f"/api/v1/jobs/{job['id']}"), 200)
    dataset = _json(sci.get(f"/api/v1/datasets/{done['result']['dataset_id']}"), 200)
    assert dataset["sha256"] == hashlib.sha256(data).hexdigest()
    # Another user cannot see or feed someone's upload.
    other = _json(
        sci.post(
            "/api/v1/uploads",
            json={
                "filename": "x.fa",
                "size": 10,
                "experiment_id": experiment_id,
                "sample_name": "x",
            },
        ),
        201,
    )
    assert site.client("boss").get(f"/api/v1/uploads/{other['id']}").status_code == 404


def test_upload_details_are_checked_before_any_byte(site: Site, experiment_id: int) -> None:
    refused = _json(
        site.client("sci").post(
            "/api/v1/uploads",
            json={
                "filename": "x.fa",
                "size": 10,
                "experiment_id": experiment_id,
                "sample_name": "x",
                "factors": {"gravity_g": 9.81, "spaceflight": "Moon"},
            },
        ),
        422,
    )
    assert set(refused["error"]["errors"]) >= {"factors.gravity_g", "factors.spaceflight"}


def test_a_sample_sheet_round_trips(site: Site, experiment_id: int) -> None:
    sci = site.client("sci")
    sheet = (
        "Sample Name\tCharacteristics[Strain]\tFactor Value[Spaceflight]\tFactor Value[Gravity]"
        "\tUnit\tFactor Value[Ionizing Radiation]\tUnit\tFactor Value[Medium]\tComment[x]\n"
        "S1\tKIM\tSpace Flight\t0\tg\t1.5\tGy\tLB\tignored\n"
        "S2\tKIM\tGround Control\t1\tg\t\t\tLB\t\n"
    )
    result = _json(
        sci.post(
            f"/api/v1/experiments/{experiment_id}/samples.tsv",
            data=sheet.encode(),
            content_type="text/tab-separated-values",
        ),
        200,
    )
    assert set(result["created"]) == {"S1", "S2"}
    exported = sci.get(f"/api/v1/experiments/{experiment_id}/samples.tsv").get_data(as_text=True)
    header, *rows = exported.splitlines()
    columns = header.split("\t")
    s1 = dict(zip(columns, next(r for r in rows if r.startswith("S1\t")).split("\t"), strict=False))
    assert s1["Factor Value[Ionizing Radiation]"] == "1500"  # 1.5 Gy in mGy
    assert s1["Factor Value[Medium]"] == "LB"
    # A bad row names its line, and nothing of the sheet is applied.
    bad = sheet.replace("S2\tKIM\tGround Control", "S3\tKIM\tMars")
    refused = _json(
        sci.post(
            f"/api/v1/experiments/{experiment_id}/samples.tsv",
            data=bad.encode(),
            content_type="text/tab-separated-values",
        ),
        422,
    )
    assert "Line 3" in refused["error"]["message"]
    again = sci.get(f"/api/v1/experiments/{experiment_id}/samples.tsv").get_data(as_text=True)
    assert "S3" not in again
    assert (
        site.client("oper")
        .post(f"/api/v1/experiments/{experiment_id}/samples.tsv", data=sheet.encode())
        .status_code
        == 403
    )


def test_delete_is_for_admins_and_removes_the_file(site: Site, experiment_id: int) -> None:
    sci = site.client("sci")
    created = _json(
        _post(sci, b">only\nACGTTGCA\n", "only.fa", experiment_id, sample_name="del"), 201
    )
    path = app_state(site.server).files.store.path(created["sha256"])
    assert path.is_file()
    assert sci.delete(f"/api/v1/datasets/{created['id']}").status_code == 403
    boss = site.client("boss")
    assert boss.delete(f"/api/v1/datasets/{created['id']}").status_code == 204
    assert not path.exists()
    assert sci.get(f"/api/v1/datasets/{created['id']}").status_code == 404
