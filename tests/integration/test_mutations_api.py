"""/api/v1/mutations over HTTP: a calling job (202) saves one result per sample with its
derived GenomeDiff dataset, annotated calls, coverage and VCF/GenomeDiff/CSV downloads; the
comparison groups samples by the Spaceflight factor with its statistics; roles are checked
before the body; hostile requests are refused in the error shape and leave nothing behind."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from analysis.mutations.genomediff import mutations_from, parse
from analysis.mutations.simulate import (
    PlantPlan,
    clonal_haplotypes,
    plant,
    simulate_reads,
    simulated_reference,
    write_genbank,
)
from dashboard.auth import app_state
from dashboard.models import Dataset, DatasetParent, Job, MutationResult, ProvenanceRecord
from dashboard.services import job_runner, mutations
from dashboard.services.explorer import DataFiles
from tests import peers
from tests.integration.conftest import Site, call_callback

PLAN = PlantPlan(
    snps=5,
    substitutions=0,
    small_insertions=1,
    small_deletions=1,
    large_deletions=0,
    duplications=0,
    triplications=0,
    mobile_insertions=0,
    origin_deletions=0,
    spacing=600,
)


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _files(site: Site) -> DataFiles:
    return app_state(site.server).files


def _state(site: Site) -> tuple[int, ...]:
    """Results, datasets, lineage links, provenance records, jobs and stored result files."""
    with site.db.read() as s:
        counts = tuple(
            s.scalar(select(func.count()).select_from(table)) or 0
            for table in (MutationResult, Dataset, DatasetParent, ProvenanceRecord, Job)
        )
    root = mutations.mutation_store(_files(site)).root
    stored = (
        sum(1 for p in root.rglob("*") if p.is_file() and p.name != ".lock") if root.exists() else 0
    )
    return (*counts, stored)


def _import(client: Any, path: Path, experiment: int, sample: str, arm: int, **extra: str) -> int:
    form = {
        "file": (io.BytesIO(path.read_bytes()), path.name),
        "experiment_id": str(experiment),
        "sample_name": sample,
        "arm_id": str(arm),
        **extra,
    }
    made = _json(
        client.post("/api/v1/datasets", data=form, content_type="multipart/form-data"), 201
    )
    return int(made["id"])


def _layout(client: Any, path: str) -> str:
    values = {"_pages_location.pathname": path, "_pages_location.search": ""}
    response = call_callback(client, "_pages_content.children", values)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.dumps(response.get_json(), ensure_ascii=False)


def _run(site: Site, job_id: int) -> str | None:
    files_root = app_state(site.server).settings.job_files_dir
    return job_runner.execute(site.db, job_id, files_root)


@pytest.fixture(scope="module")
def lines(site: Site, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 20 kb annotated genome and four samples: the ancestor (its reads), two flight
    lines from one planted mutant (one of them paired-end, R1/R2), and a ground line."""
    folder = tmp_path_factory.mktemp("lines")
    sci = site.client("sci")
    experiment = _json(
        sci.post(
            "/api/v1/experiments",
            json={
                "name": "Mutations API test",
                "organism": "Bacillus subtilis",
                "arms": [
                    {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
                    {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
                    {"name": "founder", "spaceflight": "Ancestor", "gravity_g": 1},
                ],
            },
        ),
        201,
    )
    arms = {arm["spaceflight"]: arm["id"] for arm in experiment["arms"]}
    reference = simulated_reference(20_000, 0, element_copies=1, seed=3)
    write_genbank(reference, folder / "genome.gbk")
    flight = plant(reference, PLAN, seed=1)
    ground = plant(reference, PLAN, seed=2)
    ids: dict[str, Any] = {"experiment": experiment["id"], "flight": flight, "ground": ground}
    ids["reference"] = _import(
        sci, folder / "genome.gbk", experiment["id"], "founder", arms["Ancestor"]
    )
    sources = {
        "anc": (clonal_haplotypes(reference), "Ancestor", ["anc.fastq.gz"]),
        "fl1": (flight.haplotypes, "Space Flight", ["fl1_R1.fastq.gz", "fl1_R2.fastq.gz"]),
        "fl2": (flight.haplotypes, "Space Flight", ["fl2.fastq.gz"]),
        "gr1": (ground.haplotypes, "Ground Control", ["gr1.fastq.gz"]),
    }
    for seed, (name, (haplotypes, condition, files)) in enumerate(sources.items()):
        paths = [folder / f for f in files]
        simulate_reads(haplotypes, paths, coverage=25, read_length=100, seed=seed, name_prefix=name)
        ids[name] = [_import(sci, p, experiment["id"], name, arms[condition]) for p in paths]
    return ids


@pytest.fixture(scope="module")
def called(site: Site, lines: dict[str, Any]) -> dict[str, Any]:
    """The four samples called in one job: its view and the results by sample name."""
    sci = site.client("sci")
    samples = [*lines["anc"], *lines["fl1"], *lines["fl2"], *lines["gr1"]]
    started = sci.post(
        "/api/v1/mutations/jobs",
        json={"reference": lines["reference"], "samples": samples, "mode": "consensus"},
    )
    job = _json(started, 202)
    assert started.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["kind"], job["state"]) == ("mutations.call", "queued")
    assert _run(site, job["id"]) == "succeeded"
    done = _json(sci.get(f"/api/v1/jobs/{job['id']}"), 200)
    page = _json(sci.get(f"/api/v1/mutations?job_id={job['id']}"), 200)
    return {"job": done, "results": {r["name"]: r for r in page["items"]}}


def test_a_calling_job_saves_one_result_per_sample_with_lineage(
    site: Site, lines: dict[str, Any], called: dict[str, Any]
) -> None:
    job, results = called["job"], called["results"]
    assert set(results) == {"anc", "fl1", "fl2", "gr1"}
    assert sorted(job["result"]["result_ids"]) == sorted(r["id"] for r in results.values())
    assert job["result"]["failed"] == []
    fl1 = results["fl1"]
    # The two files of fl1 were called as one pair, R1 first.
    assert fl1["read_datasets"] == [lines["fl1"]]
    assert fl1["condition"] == "Space Flight"
    assert fl1["reads"] > 0
    assert fl1["mapped"] / fl1["reads"] > 0.95
    assert results["anc"]["mutation_count"] == 0
    # The flight lines carry the planted mutations; the ancestor, none.
    planted = {(m.kind.value, m.position) for m in lines["flight"].truth}
    for name in ("fl1", "fl2"):
        detail = _json(site.client("rev").get(f"/api/v1/mutations/{results[name]['id']}"), 200)
        found = {(c["kind"], c["position"]) for c in detail["calls"] if c["kind"] == "SNP"}
        assert {p for p in planted if p[0] == "SNP"} <= found
        assert all(c["effect"] for c in detail["calls"])
        assert any(c["aa_change"] for c in detail["calls"])
    # The GenomeDiff is a dataset derived from the reads and the reference, with a record.
    dataset = _json(site.client("rev").get(f"/api/v1/datasets/{fl1['dataset_id']}"), 200)
    assert (dataset["format"], dataset["material"]) == ("genomediff", "mutations")
    assert sorted(dataset["parents"]) == sorted([lines["reference"], *lines["fl1"]])
    with site.db.read() as s:
        record = s.scalar(
            select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == fl1["dataset_id"])
        )
        assert record is not None
        assert '"mutation calling"' in record.record_json
    # Datasets list and filter it like any other; its pages open (no explorer: no sequence).
    listed = _json(site.client("rev").get("/api/v1/datasets?format=genomediff"), 200)
    assert fl1["dataset_id"] in {d["id"] for d in listed}
    rev = site.client("rev")
    page = _layout(rev, f"/datasets/{fl1['dataset_id']}")
    assert "GenomeDiff" in page
    assert "dataset-explorer-link" not in page
    assert "GenomeDiff" in _layout(rev, "/datasets")
    assert _json(rev.get(f"/api/v1/datasets/{fl1['dataset_id']}/features"), 422)
    # What a form offers: genomes as references, FASTQ as reads, never a GenomeDiff.
    references = {d.id for d in mutations.reference_choices(site.db)}
    reads = {d.id for d in mutations.read_choices(site.db)}
    assert lines["reference"] in references
    assert set(lines["fl1"]) <= reads
    assert fl1["dataset_id"] not in references | reads
    assert not references & reads
    # Deleting the GenomeDiff under its result is refused (the result would point at nothing).
    refused = site.client("boss").delete(f"/api/v1/datasets/{fl1['dataset_id']}")
    assert _json(refused, 409)["error"]["message"].startswith(f"Dataset {fl1['dataset_id']} is")


def test_downloads_coverage_and_the_csv_is_inert(site: Site, called: dict[str, Any]) -> None:
    rev = site.client("rev")
    result = called["results"]["fl2"]
    detail = _json(rev.get(f"/api/v1/mutations/{result['id']}"), 200)
    gd = rev.get(f"/api/v1/mutations/{result['id']}.gd")
    assert gd.status_code == 200
    assert "attachment" in gd.headers["Content-Disposition"]
    parsed = parse(gd.get_data())
    assert len(mutations_from(parsed)) == len(detail["calls"]) == result["mutation_count"]
    assert parsed.metadata["TITLE"] == "fl2"
    assert all("gene_name" in e.extra for e in parsed.entries if e.type == "SNP")
    vcf = rev.get(f"/api/v1/mutations/{result['id']}.vcf")
    assert vcf.mimetype == "text/vcf"
    body = vcf.get_data(as_text=True)
    assert body.startswith("##fileformat=VCFv4.2")
    assert len([line for line in body.splitlines() if not line.startswith("#")]) == len(
        detail["calls"]
    )
    table = list(
        csv.DictReader(
            io.StringIO(rev.get(f"/api/v1/mutations/{result['id']}.csv").get_data(as_text=True))
        )
    )
    assert len(table) == len(detail["calls"])
    assert {"gene", "aa_change", "effect", "frequency", "depth"} <= set(table[0])
    # Changes such as "+TTTT" or "-1" would be formulas in a spreadsheet: quoted inert.
    assert not any(cell.startswith(("=", "+", "@")) for row in table for cell in row.values())
    assert rev.get(f"/api/v1/mutations/{result['id']}.xml").status_code == 404
    cover = _json(rev.get(f"/api/v1/mutations/{result['id']}/coverage?max_points=50"), 200)
    track = cover["records"][0]
    assert len(track["start"]) <= 50
    assert track["start"][0] == 1
    assert track["end"][-1] == track["length"] == 20_000
    assert all(
        lo <= mean <= hi
        for lo, mean, hi in zip(track["min"], track["mean"], track["max"], strict=True)
    )
    assert 15 < sum(track["mean"]) / len(track["mean"]) < 40
    window = _json(rev.get(f"/api/v1/mutations/{result['id']}/coverage?start=1001&end=2000"), 200)
    assert window["records"][0]["start"][0] <= 1001 <= window["records"][0]["end"][0]
    assert _json(rev.get(f"/api/v1/mutations/{result['id']}/coverage?seq_id=nope"), 404)


def test_the_comparison_groups_by_condition_with_its_statistics(
    site: Site, called: dict[str, Any]
) -> None:
    results = called["results"]
    ids = [results[name]["id"] for name in ("fl1", "gr1", "anc", "fl2")]
    body = {
        "results": ids,
        "subtract_ancestor": True,
        "generations": {str(results[n]["id"]): 500 for n in ("fl1", "fl2", "gr1")},
    }
    comparison = _json(site.client("rev").post("/api/v1/mutations/compare", json=body), 200)
    assert [s["name"] for s in comparison["samples"]] == ["anc", "gr1", "fl1", "fl2"]
    assert comparison["groups"] == {
        "Ancestor": ["anc"],
        "Ground Control": ["gr1"],
        "Space Flight": ["fl1", "fl2"],
    }
    rows = comparison["rows"]
    assert rows
    shared = [r for r in rows if r["private_to_flight"]]
    assert shared
    assert all(r["cells"][2] > 0 and r["cells"][3] > 0 and r["cells"][1] == 0 for r in shared)
    assert comparison["spectra"]["Space Flight"]["snps"] >= 5
    assert (
        "p_value" in comparison["spectrum_tests"]["transition"]
        or comparison["spectrum_tests"]["transition"]["note"]
    )
    rates = {r["sample"]: r for r in comparison["rates"]}
    assert set(rates) == {"fl1", "fl2", "gr1"}
    assert rates["fl1"]["lower"] <= rates["fl1"]["rate"] <= rates["fl1"]["upper"]
    assert comparison["rate_ratio"]["flight_exposure"] == 1000
    assert comparison["profiles"]["samples"] == ["gr1", "fl1", "fl2"]
    # Both flight lines share every gene hit: each is hit in two lines.
    assert comparison["parallel"]["genes"]
    without = _json(
        site.client("rev").post(
            "/api/v1/mutations/compare", json={"results": ids, "subtract_ground": True}
        ),
        200,
    )
    assert without["subtracted"] == ["ancestor", "ground"]
    assert all(r["cells"][1] in (0, "?", "D") for r in without["rows"])


def test_roles_are_checked_before_the_body_and_audited(site: Site, lines: dict[str, Any]) -> None:
    before = _state(site)
    body = {"reference": lines["reference"], "samples": lines["fl2"]}
    for user in ("oper", "rev"):
        client = site.client(user)
        for response in (
            client.post("/api/v1/mutations/jobs", json=body),
            client.post("/api/v1/mutations/jobs", data="not json", content_type="text/plain"),
            client.post("/api/v1/jobs", json={"kind": "mutations.call", "params": {}}),
        ):
            assert _json(response, 403)["error"]["code"] == "forbidden"
    assert _state(site) == before
    events = _json(
        site.client("boss").get("/api/v1/audit?action=mutation.call&result=denied&limit=50"), 200
    )["items"]
    assert {"oper", "rev"} <= {e["username"] for e in events}
    anonymous = site.client()
    for method, path in (
        ("GET", "/api/v1/mutations"),
        ("POST", "/api/v1/mutations/jobs"),
        ("GET", "/api/v1/mutations/1"),
        ("GET", "/api/v1/mutations/1.vcf"),
        ("GET", "/api/v1/mutations/1/coverage"),
        ("POST", "/api/v1/mutations/compare"),
    ):
        assert anonymous.open(path, method=method, json=body).status_code == 401, path


def test_hostile_requests_are_refused_and_leave_nothing(
    site: Site, lines: dict[str, Any], called: dict[str, Any]
) -> None:
    sci = site.client("sci")
    reference, reads = lines["reference"], lines["fl2"][0]
    genome_diff = called["results"]["fl2"]["dataset_id"]
    before = _state(site)
    cases: list[tuple[object, str]] = [
        ({"reference": 2_000_000_000, "samples": [reads]}, "reference"),
        ({"reference": reference, "samples": [2_000_000_000]}, "samples"),
        ({"reference": reads, "samples": [reads]}, "reference"),  # reads as the reference
        ({"reference": reference, "samples": [reference]}, "samples"),
        ({"reference": reference, "samples": [genome_diff]}, "samples"),
        ({"reference": genome_diff, "samples": [reads]}, "reference"),
        ({"reference": reference, "samples": []}, "samples"),
        ({"reference": reference, "samples": list(range(1, 5000))}, "samples"),
        ({"reference": reference, "samples": [reads, reads]}, "samples"),
        ({"reference": reference, "samples": [reads], "mode": "sloppy"}, "mode"),
        ({"reference": reference, "samples": [reads], "colour": 1}, "colour"),
        ({"reference": "1", "samples": [reads]}, "reference"),
        ({"reference": True, "samples": [reads]}, "reference"),
        ({"reference": reference, "samples": [1.5]}, "samples.0"),
        ({"samples": [reads]}, "reference"),
        ([1, 2], "body"),
    ]
    for body, field in cases:
        refused = _json(sci.post("/api/v1/mutations/jobs", json=body), 422)
        assert refused["error"]["message"]
        assert (refused["error"].get("field") or "").startswith(field.split(".")[0]), (
            body,
            refused,
        )
    for raw in ("{", "[" * 5000 + "]" * 5000, '{"reference": NaN, "samples": [1]}'):
        response = sci.post("/api/v1/mutations/jobs", data=raw, content_type="application/json")
        assert response.status_code in (400, 422), raw
    assert _json(sci.post("/api/v1/mutations/jobs", data="x", content_type="text/plain"), 415)
    compare_cases: list[tuple[object, str]] = [
        ({"results": []}, "results"),
        ({"results": [2_000_000_000]}, "results"),
        ({"results": [1], "generations": {"2": 5}}, "generations"),
        ({"results": [1], "generations": {"1": -5}}, "generations"),
        ({"results": [1], "subtract_ground": "yes"}, "subtract_ground"),
        ({"results": [1, 1]}, "results"),
    ]
    for body, field in compare_cases:
        refused = _json(sci.post("/api/v1/mutations/compare", json=body), 422)
        assert (refused["error"].get("field") or "").startswith(field), (body, refused)
    assert _json(sci.get("/api/v1/mutations/2147483647"), 404)["error"]["code"] == "not_found"
    assert sci.get("/api/v1/mutations/2147483648").status_code == 404
    assert _json(sci.get("/api/v1/mutations/2147483647.vcf"), 404)
    assert _json(sci.get("/api/v1/mutations?limit=0"), 422)["error"]["field"] == "limit"
    assert _state(site) == before


def test_a_job_that_cannot_call_or_is_cancelled_leaves_nothing(
    site: Site, lines: dict[str, Any], tmp_path: Path
) -> None:
    sci = site.client("sci")
    # Reads of another organism: started (the files are fine), but nothing aligns.
    other = simulated_reference(8_000, 0, element_copies=0, seed=99)
    path = tmp_path / "stranger.fastq"
    simulate_reads(clonal_haplotypes(other), [path], coverage=5, read_length=80, seed=1)
    arm = next(iter(_json(sci.get(f"/api/v1/experiments/{lines['experiment']}"), 200)["arms"]))
    stranger = _import(sci, path, lines["experiment"], "stranger", arm["id"])
    before = _state(site)
    job = _json(
        sci.post(
            "/api/v1/mutations/jobs", json={"reference": lines["reference"], "samples": [stranger]}
        ),
        202,
    )
    assert _run(site, job["id"]) == "failed"
    failed = _json(sci.get(f"/api/v1/jobs/{job['id']}"), 200)
    assert "aligns to the reference" in failed["error"]
    # A cancel asked before the worker takes the job: it never runs.
    job = _json(
        sci.post(
            "/api/v1/mutations/jobs",
            json={"reference": lines["reference"], "samples": lines["fl2"]},
        ),
        202,
    )
    _json(sci.post(f"/api/v1/jobs/{job['id']}/cancel"), 200)
    assert _run(site, job["id"]) is None
    after = _state(site)
    assert after[:4] == before[:4]  # no result, dataset, link or record
    assert after[5] == before[5]  # no stored file


def test_breseq_lambda_case_is_called_through_the_api(site: Site, tmp_path: Path) -> None:
    case = peers.breseq() / "tests" / "data" / "lambda"
    sci = site.client("sci")
    experiment = _json(
        sci.post(
            "/api/v1/experiments",
            json={"name": "lambda", "organism": "Escherichia virus Lambda",
                  "arms": [{"name": "a", "spaceflight": "Ground Control", "gravity_g": 1}]},
        ),
        201,
    )  # fmt: skip
    arm = experiment["arms"][0]["id"]
    # Re-compressed, so these bytes are not the ones the page's tests import into the same
    # site (a second import of exact bytes is refused with 409, whichever module runs first).
    gbk = tmp_path / "lambda.5.gbk.gz"
    gbk.write_bytes(gzip.compress((case / "lambda.5.gbk").read_bytes(), 1, mtime=0))
    fastq = tmp_path / "lambda.ssr.fastq.gz"
    raw = gzip.decompress((case / "lambda.short_sequence_repeats.fastq.gz").read_bytes())
    fastq.write_bytes(gzip.compress(raw, 1, mtime=0))
    reference = _import(sci, gbk, experiment["id"], "lambda", arm)
    reads = _import(sci, fastq, experiment["id"], "ssr", arm)
    job = _json(
        sci.post("/api/v1/mutations/jobs", json={"reference": reference, "samples": [reads]}), 202
    )
    assert _run(site, job["id"]) == "succeeded"
    (result_id,) = _json(sci.get(f"/api/v1/jobs/{job['id']}"), 200)["result"]["result_ids"]
    detail = _json(sci.get(f"/api/v1/mutations/{result_id}"), 200)
    # breseq's placements of the four planted repeat indels, and its NinC / Q annotation.
    found = {(c["kind"], c["position"], c["gene"]) for c in detail["calls"]}
    assert found == {
        ("INS", 2604, "NinC"),
        ("DEL", 2800, "NinC"),
        ("INS", 2915, "NinC"),
        ("DEL", 5274, "Q"),
    }
    assert detail["reads"] == 5000


def test_the_comparison_table_downloads_as_compare_genome_diff_and_csv(
    site: Site, lines: dict[str, Any], called: dict[str, Any]
) -> None:
    rev = site.client("rev")
    results = called["results"]
    query = "&".join(f"results={results[n]['id']}" for n in ("fl1", "gr1", "anc", "fl2"))
    gd = rev.get(f"/api/v1/mutations/compare.gd?{query}")
    assert gd.status_code == 200, gd.get_data(as_text=True)
    assert 'filename="mutations-compare.gd"' in gd.headers["Content-Disposition"]
    entries = [e for e in parse(gd.get_data()).entries if e.type != "UN"]
    columns = ("frequency_anc", "frequency_gr1", "frequency_fl1", "frequency_fl2")
    assert entries
    assert all(set(columns) <= set(e.extra) for e in entries)
    # Ancestor subtracted: what both flight lines have and the ground line lacks is exactly
    # the flight mutant's planted SNPs (the simulator's truth, not the caller's).
    flight_only = {
        (e.type, int(e.fields["position"]))
        for e in entries
        if e.type == "SNP"
        and e.extra["frequency_gr1"] == "0"
        and e.extra["frequency_fl1"] != "0"
        and e.extra["frequency_fl2"] != "0"
    }
    planted = {("SNP", m.position) for m in lines["flight"].truth if m.kind.value == "SNP"}
    assert flight_only == planted
    table = list(
        csv.DictReader(io.StringIO(rev.get(f"/api/v1/mutations/compare.csv?{query}").text))
    )
    assert len(table) == len(entries)
    assert {"kind", "position", "gene", "anc (Ancestor)", "fl1 (Space Flight)"} <= set(table[0])
    assert not any(cell.startswith(("=", "+", "@")) for row in table for cell in row.values())
    kept = rev.get(f"/api/v1/mutations/compare.csv?{query}&subtract_ancestor=false")
    assert len(list(csv.DictReader(io.StringIO(kept.text)))) >= len(table)
    assert _json(rev.get("/api/v1/mutations/compare.gd?results=2147483647"), 404)
    assert _json(rev.get("/api/v1/mutations/compare.gd"), 422)
    assert site.client().get(f"/api/v1/mutations/compare.csv?{query}").status_code == 401


def test_admins_delete_a_result_with_its_dataset_and_files(
    site: Site, called: dict[str, Any]
) -> None:
    result = called["results"]["gr1"]
    path = f"/api/v1/mutations/{result['id']}"
    before = _state(site)
    assert _json(site.client("sci").delete(path), 403)["error"]["code"] == "forbidden"
    assert _state(site) == before
    refused = _json(
        site.client("boss").get("/api/v1/audit?action=mutation.delete&result=denied"), 200
    )
    assert "sci" in {e["username"] for e in refused["items"]}
    # Its GenomeDiff dataset goes with the result, not on its own.
    boss = site.client("boss")
    conflict = _json(boss.delete(f"/api/v1/datasets/{result['dataset_id']}"), 409)
    assert "delete the result instead" in conflict["error"]["message"]
    with site.db.read() as s:
        parents = s.scalar(
            select(func.count())
            .select_from(DatasetParent)
            .where(DatasetParent.dataset_id == result["dataset_id"])
        )
    assert boss.delete(path).status_code == 204
    after = _state(site)
    assert after[0] == before[0] - 1  # the result
    assert after[1] == before[1] - 1  # its GenomeDiff dataset
    assert after[2] == before[2] - parents  # its lineage links
    assert after[5] == before[5] - 4  # VCF, CSV, calls and coverage
    assert _json(boss.get(path), 404)
    assert _json(boss.get(f"/api/v1/datasets/{result['dataset_id']}"), 404)
    assert _json(boss.delete(path), 404)
    done = _json(boss.get("/api/v1/audit?action=mutation.delete&result=ok"), 200)["items"]
    assert any(e["target_id"] == str(result["id"]) for e in done)
