"""The Mutations page without a browser, its callbacks driven the way the browser drives
them (POST /_dash-update-component): on breseq's lambda case a scientist starts a calling
from the page, the finished job opens its result (the four indels in NinC and Q with their
annotation, the genome map), two results are compared with generations entered; readers
see everything but may not call; the view lives in the URL; bad URLs are shrugged off."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from dashboard.auth import app_state
from dashboard.services import job_runner
from tests import peers

from .conftest import Site, call_callback

JOB_ID_STORE = '{"name":"mutations-call","type":"job-progress-id"}'
JOB_STATE_STORE = '{"name":"mutations-call","type":"job-progress-state"}'
GENERATION = '{"result":["ALL"],"type":"mutations-generation"}'
LAMBDA_INDELS = {
    (2604, "+GCGGCGGCG", "coding (325/873 nt)"),
    (2800, "Δ3 bp", "coding (521-523/873 nt)"),
    (2915, "+TTTT", "coding (636/873 nt)"),
    (5274, "Δ4 bp", "coding (190-193/624 nt)"),
}


def _layout(client: FlaskClient, path: str, search: str = "") -> dict[str, Any]:
    values = {"_pages_location.pathname": path, "_pages_location.search": search}
    response = call_callback(client, "_pages_content.children", values)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _text(layout: dict[str, Any]) -> str:
    return json.dumps(layout, ensure_ascii=False)


def _find(node: Any, wanted_id: str) -> dict[str, Any] | None:
    """The props of the component with id ``wanted_id`` in a serialised layout."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == wanted_id:
            return props
        for value in node.values():
            found = _find(value, wanted_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find(value, wanted_id)
            if found is not None:
                return found
    return None


def _run(
    client: FlaskClient,
    fragment: str,
    values: dict[str, Any],
    changed: str,
    wildcards: dict[str, list[tuple[dict[str, Any], Any]]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Call the callback whose output is ``fragment`` as the browser would after ``changed``.
    ``values``: "id.prop" -> value; ``wildcards``: a pattern id (as listed) -> its concrete
    components as (id, value). Returns the status and the response's {id: {prop: value}}."""
    deps = client.get("/_dash-dependencies").get_json()
    exact = [d for d in deps if d["output"] == fragment]
    assert len(exact) == 1, [d["output"] for d in deps if fragment in d["output"]]
    dep = exact[0]
    wildcards = wildcards or {}

    def fill(item: dict[str, Any]) -> Any:
        ident = item["id"]
        if ident in wildcards:
            return [
                {
                    "id": cid,
                    "property": item["property"],
                    "value": cid if item["property"] == "id" else v,
                }
                for cid, v in wildcards[ident]
            ]
        parsed = json.loads(ident) if ident.startswith("{") else ident
        value = values.get(f"{ident}.{item['property']}")
        return {"id": parsed, "property": item["property"], "value": value}

    outputs = []
    for part in dep["output"].strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        parsed = json.loads(ident) if ident.startswith("{") else ident
        outputs.append({"id": parsed, "property": prop.split("@")[0]})
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [fill(i) for i in dep["inputs"]],
        "state": [fill(s) for s in dep["state"]],
        "changedPropIds": [changed] if changed else [],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    if response.status_code == 204:
        return 204, {}
    if response.status_code != 200:
        return response.status_code, {"error": response.get_data(as_text=True)}
    payload: dict[str, Any] = response.get_json()["response"]
    return 200, payload


def _output(client: FlaskClient, needle: str, without: str = "\0") -> str:
    """The one callback output string containing ``needle`` (and not ``without``)."""
    deps = client.get("/_dash-dependencies").get_json()
    found = [d["output"] for d in deps if needle in d["output"] and without not in d["output"]]
    assert len(found) == 1, found
    return str(found[0])


def _import(
    client: FlaskClient, name: str, data: bytes, experiment: int, sample: str, arm: int
) -> int:
    form = {
        "file": (io.BytesIO(data), name),
        "experiment_id": str(experiment),
        "sample_name": sample,
        "arm_id": str(arm),
    }
    answer = client.post("/api/v1/datasets", data=form, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return int(answer.get_json()["id"])


@pytest.fixture(scope="module")
def lambda_case(site: Site) -> dict[str, Any]:
    """breseq's lambda reference and its reads as a flight sample and (the same reads,
    compressed otherwise) a ground sample."""
    folder = peers.breseq() / "tests" / "data" / "lambda"
    sci = site.client("sci")
    made = sci.post(
        "/api/v1/experiments",
        json={
            "name": "Mutations page test",
            "organism": "Enterobacteria phage lambda",
            "arms": [
                {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
                {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
            ],
        },
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    experiment = made.get_json()
    arms = {a["spaceflight"]: a["id"] for a in experiment["arms"]}
    reads = (folder / "lambda.short_sequence_repeats.fastq.gz").read_bytes()
    gbk = (folder / "lambda.5.gbk").read_bytes()
    return {
        "reference": _import(
            sci, "lambda.5.gbk", gbk, experiment["id"], "founder", arms["Ground Control"]
        ),
        "flight": _import(
            sci,
            "flight-reads.fastq.gz",
            reads,
            experiment["id"],
            "lambda-flight",
            arms["Space Flight"],
        ),
        "ground": _import(
            sci,
            "ground-reads.fastq.gz",
            gzip.compress(gzip.decompress(reads), compresslevel=1),
            experiment["id"],
            "lambda-ground",
            arms["Ground Control"],
        ),
    }


def _start(
    client: FlaskClient, reference: int, reads: list[int], mode: str = "consensus"
) -> tuple[int, dict[str, Any]]:
    values = {
        "mutations-start.n_clicks": 1,
        "mutations-reference.value": str(reference),
        "mutations-reads-grid.selectedRows": [{"id": i} for i in reads],
        "mutations-mode.value": mode,
    }
    return _run(client, _output(client, JOB_ID_STORE), values, "mutations-start.n_clicks")


def _finish(site: Site, client: FlaskClient, job_id: int) -> str:
    """Run the job here; the page's job-state callback answers with where to go."""
    files_root = app_state(site.server).settings.job_files_dir
    assert job_runner.execute(site.db, job_id, files_root) == "succeeded"
    job = client.get(f"/api/v1/jobs/{job_id}").get_json()
    state = {
        "id": job_id,
        "kind": job["kind"],
        "state": job["state"],
        "result": job["result"],
        "error": None,
    }
    status, payload = _run(
        client,
        _output(client, "mutations-navigate.href@", without="mutations-delete-problem"),
        {f"{JOB_STATE_STORE}.data": state},
        f"{JOB_STATE_STORE}.data",
    )
    assert status == 200, payload
    return str(payload["mutations-navigate"]["href"])


@pytest.fixture(scope="module")
def called(site: Site, lambda_case: dict[str, Any]) -> dict[str, int]:
    """Each sample called from the page as a scientist: result ids by sample."""
    sci = site.client("sci")
    out = {}
    for name, mode in (("flight", "consensus"), ("ground", "polymorphism")):
        status, payload = _start(sci, lambda_case["reference"], [lambda_case[name]], mode)
        assert status == 200, payload
        job_id = payload[JOB_ID_STORE]["data"]
        assert isinstance(job_id, int), payload
        href = _finish(site, sci, job_id)
        assert href.startswith("/mutations?result="), href
        assert "tab=result" in href, href
        out[name] = int(href.split("result=")[1].split("&")[0])
    return out


# --- who may do what ---------------------------------------------------------------------------


def test_every_user_finds_the_page_and_only_scientists_get_the_calling_form(site: Site) -> None:
    navbar = json.dumps(site.client("rev").get("/_dash-layout").get_json())
    assert "/mutations" in navbar
    sci = _text(_layout(site.client("sci"), "/mutations", "?tab=call"))
    assert "mutations-start" in sci
    assert "mutations-new-link" in sci
    for user in ("rev", "oper"):
        shown = _text(_layout(site.client(user), "/mutations", "?tab=call"))
        assert "mutations-start" not in shown, user
        assert "Calling needs another role" in shown, user
        assert "scientist" in shown, user


def test_the_server_refuses_a_reviewer_who_starts_a_calling_directly(
    site: Site, lambda_case: dict[str, Any]
) -> None:
    status, payload = _start(site.client("rev"), lambda_case["reference"], [lambda_case["flight"]])
    assert status == 200
    assert payload.get(JOB_ID_STORE, {}).get("data") is None
    assert "mutation.call" in json.dumps(payload["mutations-call-alert"]), payload


def test_a_calling_needs_reads_and_the_service_names_wrong_datasets(
    site: Site, lambda_case: dict[str, Any]
) -> None:
    sci = site.client("sci")
    _status, payload = _start(sci, lambda_case["reference"], [])
    assert "Tick the reads" in json.dumps(payload["mutations-call-alert"])
    # The reference given as reads: the service's words, no job.
    _status, payload = _start(sci, lambda_case["flight"], [lambda_case["reference"]])
    alert = json.dumps(payload["mutations-call-alert"], ensure_ascii=False)
    assert "reference must be a genome" in alert or "not reads" in alert, alert
    assert JOB_ID_STORE not in payload


# --- a result ----------------------------------------------------------------------------------


def test_a_finished_calling_opens_its_result_with_the_four_lambda_indels(
    site: Site, called: dict[str, int]
) -> None:
    shown = _layout(site.client("rev"), "/mutations", f"?result={called['flight']}")
    grid = _find(shown, "mutations-calls-grid")
    assert grid is not None
    rows = {(r["position"], r["change"], r["annotation"]) for r in grid["rowData"]}
    assert rows == LAMBDA_INDELS
    assert {r["gene"] for r in grid["rowData"]} == {"NinC", "Q"}
    assert all(r["frequency"] == 1.0 for r in grid["rowData"])
    text = _text(shown)
    assert "4,993 of 5,000 (99.9%)" in text  # reads mapped
    assert "4 small indels" in text
    assert "9,700–9,701 (2 bp)" in text  # the unresolved end of the record
    for fmt in ("gd", "vcf", "csv"):
        assert f"/api/v1/mutations/{called['flight']}.{fmt}" in text
    figure = _find(shown, "mutations-map")
    assert figure is not None
    traces = {t.get("name"): t for t in figure["figure"]["data"]}
    assert {"Insertion", "Deletion", "Mean depth"} <= set(traces)
    assert sorted(traces["Deletion"]["customdata"]) == [2, 4]  # the rows' ids
    # The GenomeDiff download is the result's, and parses.
    answer = site.client("rev").get(f"/api/v1/mutations/{called['flight']}.gd")
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).startswith("#=GENOME_DIFF\t1.0")


def test_picking_another_result_opens_it(site: Site, called: dict[str, int]) -> None:
    status, payload = _run(
        site.client("rev"),
        "mutations-navigate.href",
        {
            "mutations-pick-result.value": str(called["ground"]),
            "mutations-result.data": called["flight"],
        },
        "mutations-pick-result.value",
    )
    assert status == 200
    assert (
        payload["mutations-navigate"]["href"] == f"/mutations?result={called['ground']}&tab=result"
    )


def test_bad_urls_show_the_newest_result_and_ignore_garbage(
    site: Site, called: dict[str, int]
) -> None:
    rev = site.client("rev")
    text = _text(_layout(rev, "/mutations", "?result=99999999&tab=<x>&compare=a,,-3&gens=x:y"))
    assert "There is no mutation result 99999999" in text
    text = _text(_layout(rev, "/mutations", "?result=abc"))
    assert "mutations-calls-grid" in text


# --- comparing ---------------------------------------------------------------------------------


def test_two_results_compare_by_condition_with_rates_from_generations(
    site: Site, called: dict[str, int]
) -> None:
    rev = site.client("rev")
    flight, ground = called["flight"], called["ground"]
    # The URL's choice ticks them and gives each a generations field.
    layout = _layout(rev, "/mutations", f"?tab=compare&compare={flight},{ground}&gens={flight}:500")
    pick = _find(layout, "mutations-compare-pick")
    assert pick is not None
    assert pick["value"] == [flight, ground]
    text = _text(layout)
    assert f'"result": {flight}' in text
    assert '"value": "500"' in text
    wildcards = {
        GENERATION: [
            ({"result": flight, "type": "mutations-generation"}, "500"),
            ({"result": ground, "type": "mutations-generation"}, "1,000"),
        ]
    }
    status, payload = _run(
        rev,
        _output(rev, "mutations-compare-message.children"),
        {
            "mutations-compare-run.n_clicks": 1,
            "mutations-compare-pick.value": [flight, ground],
            "mutations-subtract-ancestor.value": True,
            "mutations-subtract-ground.value": False,
        },
        "mutations-compare-run.n_clicks",
        wildcards,
    )
    assert status == 200, payload
    columns = payload["mutations-compare-grid"]["columnDefs"]
    groups = {
        c["headerName"]: [x["headerName"] for x in c["children"]]
        for c in columns
        if "children" in c
    }
    assert groups == {"Ground Control": ["lambda-ground"], "Space Flight": ["lambda-flight"]}
    rows = payload["mutations-compare-grid"]["rowData"]
    indels = {r["change"] for r in rows if r["kind"] in ("INS", "DEL")}
    assert indels == {c for _p, c, _a in LAMBDA_INDELS}
    assert all(r["s0"] == "100%" and r["s1"] == "100%" for r in rows if r["kind"] in ("INS", "DEL"))
    rates = json.dumps(payload["mutations-rates"]["children"], ensure_ascii=False)
    for words in ("Rate ratio", "Genome-generations", "1,000"):
        assert words in rates
    parallel = payload["mutations-parallel"]["figure"]["data"]
    assert "NinC" in parallel[0]["y"]
    assert any(str(t).startswith("q = ") for t in parallel[0]["text"])
    assert "Assumptions" in json.dumps(payload["mutations-parallel-facts"]["children"])
    assert payload["mutations-url-compare"]["data"] == f"{flight},{ground}"
    assert payload["mutations-url-generations"]["data"] == f"{flight}:500,{ground}:1000"
    assert payload["mutations-url-ground"]["data"] is None
    # The table downloads as gdtools COMPARE's GenomeDiff and as CSV, for these choices.
    assert payload["mutations-compare-downloads"]["hidden"] is False
    gd_href = payload["mutations-compare-gd"]["href"]
    assert gd_href == (
        f"/api/v1/mutations/compare.gd?results={flight}&results={ground}"
        "&subtract_ancestor=true&subtract_ground=false"
    )
    compared = rev.get(gd_href)
    assert compared.status_code == 200
    lines = [ln for ln in compared.text.splitlines() if ln.startswith(("INS", "DEL"))]
    assert len(lines) == 4
    assert all("frequency_lambda-flight=1" in ln for ln in lines)
    # Samples placed by their genes: PCA beside the clustering's dendrogram, the two
    # samples merging at the Jaccard distance of the genes the table shows them with.
    hit = [
        {g for r in rows if r[column] for g in (r["gene"] or r["genes"]).split(",") if g}
        for column in ("s0", "s1")
    ]
    jaccard = 1 - len(hit[0] & hit[1]) / len(hit[0] | hit[1])
    profiles = payload["mutations-profiles"]["figure"]
    merges = [t for t in profiles["data"] if t.get("mode") == "lines"]
    assert len(merges) == 1
    assert merges[0]["xaxis"] == "x2"
    assert max(y for y in merges[0]["y"] if y is not None) == pytest.approx(jaccard)
    assert sorted(profiles["layout"]["xaxis2"]["ticktext"]) == ["lambda-flight", "lambda-ground"]
    # Subtracting the ground control leaves the flight line nothing the ground one has.
    status, payload = _run(
        rev,
        _output(rev, "mutations-compare-message.children"),
        {
            "mutations-compare-run.n_clicks": 2,
            "mutations-compare-pick.value": [flight, ground],
            "mutations-subtract-ancestor.value": True,
            "mutations-subtract-ground.value": True,
        },
        "mutations-compare-run.n_clicks",
        wildcards,
    )
    assert payload["mutations-url-ground"]["data"] == "1"
    assert not [r for r in payload["mutations-compare-grid"]["rowData"] if r["s1"]]


def test_generation_fields_follow_the_ticked_results(site: Site, called: dict[str, int]) -> None:
    rev = site.client("rev")
    flight, ground = called["flight"], called["ground"]
    status, payload = _run(
        rev,
        "mutations-generations.children",
        {"mutations-compare-pick.value": [ground, flight]},
        "mutations-compare-pick.value",
        {
            GENERATION: [({"result": flight, "type": "mutations-generation"}, "250")],
        },
    )
    assert status == 200
    text = json.dumps(payload["mutations-generations"]["children"])
    assert text.count('"type": "mutations-generation"') == 2
    assert '"value": "250"' in text  # what was typed stays


def test_comparing_nothing_asks_for_a_choice(site: Site) -> None:
    rev = site.client("rev")
    status, payload = _run(
        rev,
        _output(rev, "mutations-compare-message.children"),
        {"mutations-compare-run.n_clicks": 1, "mutations-compare-pick.value": []},
        "mutations-compare-run.n_clicks",
        {GENERATION: []},
    )
    assert status == 200
    assert "Tick at least one result" in json.dumps(payload["mutations-compare-message"])


def test_only_admins_delete_a_result_and_the_page_then_shows_the_newest(
    site: Site, called: dict[str, int]
) -> None:
    ground = called["ground"]
    search = f"?result={ground}&tab=result"
    assert _find(_layout(site.client("sci"), "/mutations", search), "mutations-delete") is None
    boss = site.client("boss")
    assert _find(_layout(boss, "/mutations", search), "mutations-delete") is not None
    confirm = _output(boss, "mutations-delete-problem")
    values = {"mutations-delete-confirm.n_clicks": 1, "mutations-result.data": ground}
    # The server checks the role itself: a scientist's hand-made callback is refused.
    status, _payload = _run(
        site.client("sci"), confirm, values, "mutations-delete-confirm.n_clicks"
    )
    assert status == 403
    assert boss.get(f"/api/v1/mutations/{ground}").status_code == 200
    status, payload = _run(boss, confirm, values, "mutations-delete-confirm.n_clicks")
    assert status == 200, payload
    href = payload["mutations-navigate"]["href"]
    assert href == f"/mutations?tab=result&deleted={ground}"
    assert boss.get(f"/api/v1/mutations/{ground}").status_code == 404
    shown = _text(_layout(boss, "/mutations", "?" + href.split("?", 1)[1]))
    assert f"Deleted mutation result {ground}." in shown
