"""The Mutations page in the browser, on breseq's lambda case: a scientist starts a calling
from the page, follows its progress, and the result opens with the four indels and their
NinC/Q annotation in the table and on the genome map (a click on a marker selects its row);
the GenomeDiff downloads and parses. The comparison of two results shows the table grouped by
condition and its statistics. axe finds no serious violation, light and dark; on a phone
nothing scrolls sideways.

One scientist, one logged-in desktop session and one calling result are shared by the
module's tests (the suite must stay fast)."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from analysis.mutations.genomediff import parse
from tests import peers

from .conftest import LiveServer, api_import, api_json, goto_page, screenshot, wait_for_dash
from .design_support import (
    DESKTOP,
    PHONE,
    Account,
    Session,
    axe_violations,
    create_account,
    format_violation,
    open_session,
    require_axe,
    serious_violations,
)

PANEL = '[id=\'{"name":"mutations-call","type":"job-progress-panel"}\']'
ROWS = "#mutations-calls-grid .ag-center-cols-container .ag-row"
LAMBDA_CHANGES = {"+GCGGCGGCG", "Δ3 bp", "+TTTT", "Δ4 bp"}


def _accessible(page: Page, where: str) -> None:
    failing = serious_violations(axe_violations(page))
    assert not failing, f"{where}:\n" + "\n".join(format_violation(v) for v in failing)


def _no_sideways_scroll(page: Page, where: str) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{where}: the page scrolls sideways {width}"


@pytest.fixture(scope="module")
def account(browser: Browser, live_server: LiveServer) -> Account:
    return create_account(live_server, browser, "mut", ["scientist"])


@pytest.fixture(scope="module")
def desk(browser: Browser, live_server: LiveServer, account: Account) -> Iterator[Session]:
    """The shared logged-in desktop session (light), with axe in every document."""
    session = open_session(
        browser, live_server, DESKTOP, "light", account=account, init_scripts=[require_axe()]
    )
    yield session
    session.close()


def _wait_job(page: Page, job_id: int, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, job = api_json(page, "GET", f"/api/v1/jobs/{job_id}")
        assert status == 200, job
        if job["state"] not in ("queued", "running"):
            return dict(job)
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {job}"
        page.wait_for_timeout(200)


@pytest.fixture(scope="module")
def lambda_case(desk: Session, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """breseq's lambda reference and reads (a flight sample), and the same reads as a
    ground sample already called through the API (the second result to compare with)."""
    folder = peers.breseq() / "tests" / "data" / "lambda"
    page = desk.page
    status, experiment = api_json(
        page,
        "POST",
        "/api/v1/experiments",
        {
            "name": f"Lambda mutations {time.time_ns()}",
            "organism": "Enterobacteria phage lambda",
            "arms": [
                {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
                {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
            ],
        },
    )
    assert status == 201, experiment
    arms = {a["spaceflight"]: str(a["id"]) for a in experiment["arms"]}

    def imported(path: Path, sample: str, arm: str) -> int:
        status, made = api_import(page, path, experiment["id"], sample, arm_id=arms[arm])
        assert status == 201, made
        return int(made["id"])

    ground_reads = tmp_path_factory.mktemp("lambda") / "ground-reads.fastq.gz"
    reads = folder / "lambda.short_sequence_repeats.fastq.gz"
    ground_reads.write_bytes(gzip.compress(gzip.decompress(reads.read_bytes()), compresslevel=1))
    case = {
        "reference": imported(folder / "lambda.5.gbk", "founder", "Ground Control"),
        "flight": imported(reads, "lambda-flight", "Space Flight"),
        "ground": imported(ground_reads, "lambda-ground", "Ground Control"),
    }
    status, job = api_json(
        page,
        "POST",
        "/api/v1/mutations/jobs",
        {"reference": case["reference"], "samples": [case["ground"]], "mode": "consensus"},
    )
    assert status == 202, job
    done = _wait_job(page, job["id"])
    assert done["state"] == "succeeded", done
    case["ground_result"] = done["result"]["result_ids"][0]
    return case


@pytest.fixture(scope="module")
def called(desk: Session, lambda_case: dict[str, Any]) -> dict[str, Any]:
    """The flight sample called from the page: the result it opened."""
    page = desk.page
    desk.reset()
    goto_page(page, "/mutations?tab=call")
    expect(page.locator("#mutations-reference")).to_have_value(str(lambda_case["reference"]))
    page.fill("#mutations-reads-search", "lambda-flight")
    row = page.locator("#mutations-reads-grid .ag-center-cols-container .ag-row")
    expect(row).to_have_count(1)
    row.locator("input[type=checkbox]").check()
    expect(page.locator("#mutations-picked")).to_have_text("1 read dataset chosen.")
    screenshot(page, "mutations-call-form")
    page.click("#mutations-start")
    expect(page.locator(PANEL)).to_be_visible()
    page.wait_for_url("**/mutations?result=*tab=result*", timeout=120_000)
    wait_for_dash(page)
    result = int(page.url.split("result=")[1].split("&")[0])
    return {"result": result}


@pytest.mark.browser
def test_a_calling_from_the_page_opens_the_four_lambda_indels(
    desk: Session, called: dict[str, Any]
) -> None:
    page = desk.page
    expect(page.locator(ROWS)).to_have_count(4)
    changes = set(page.locator(f"{ROWS} [col-id=change]").all_inner_texts())
    assert changes == LAMBDA_CHANGES
    genes = page.locator(f"{ROWS} [col-id=gene]").all_inner_texts()
    assert sorted(genes) == ["NinC", "NinC", "NinC", "Q"]
    annotations = page.locator(f"{ROWS} [col-id=annotation]").all_inner_texts()
    assert "coding (325/873 nt)" in annotations
    expect(page.locator("#mutations-mapped")).to_contain_text("99.9%")
    legend = page.evaluate(
        "() => Array.from(document.querySelectorAll('#mutations-map .legend .legendtext'))"
        ".map(e => e.textContent)"
    )
    assert {"Insertion", "Deletion"} <= set(legend), legend
    screenshot(page, "mutations-result-light")

    # A click on the Q deletion's marker selects its row.
    where = page.evaluate(
        """() => {
            const gd = document.querySelector('#mutations-map .js-plotly-plot');
            const full = gd._fullLayout;
            const trace = gd._fullData.find(t => t.name === 'Deletion');
            const i = trace.x.indexOf(Math.max(...trace.x));
            const xa = full[trace.xaxis.replace('x', 'xaxis')];
            const ya = full[trace.yaxis.replace('y', 'yaxis')];
            const box = gd.getBoundingClientRect();
            return {x: box.left + xa._offset + xa.l2p(trace.x[i]),
                    y: box.top + ya._offset + ya.l2p(trace.y[i])};
        }"""
    )
    page.mouse.move(where["x"], where["y"])
    page.wait_for_timeout(200)
    page.mouse.click(where["x"], where["y"])
    selected = page.locator(f"{ROWS}.ag-row-selected [col-id=change]")
    expect(selected).to_have_text("Δ4 bp")

    # The GenomeDiff downloads and parses: four mutations, at breseq's places.
    with page.expect_download() as download:
        page.click("#mutations-download-gd")
    assert download.value.suggested_filename == f"mutations-{called['result']}.gd"
    gd = parse(Path(download.value.path()).read_bytes(), "download.gd")
    found = {(e.type, int(e.fields["position"])) for e in gd.entries if e.type in ("INS", "DEL")}
    assert found == {("INS", 2604), ("DEL", 2800), ("INS", 2915), ("DEL", 5274)}
    _accessible(page, "the result (desktop, light)")
    desk.problems.assert_clean("the result")


@pytest.mark.browser
def test_two_results_compare_grouped_by_condition(
    desk: Session, called: dict[str, Any], lambda_case: dict[str, Any]
) -> None:
    page = desk.page
    desk.reset()
    ids = f"{called['result']},{lambda_case['ground_result']}"
    goto_page(page, f"/mutations?tab=compare&compare={ids}&gens={called['result']}:500")
    expect(page.locator("#mutations-compare-grid .ag-header-group-cell-label")).to_have_count(2)
    groups = page.locator("#mutations-compare-grid .ag-header-group-cell-label").all_inner_texts()
    assert {g.strip() for g in groups} == {"Ground Control", "Space Flight"}
    rows = page.locator("#mutations-compare-grid .ag-center-cols-container .ag-row")
    expect(rows).to_have_count(4)
    expect(page.locator("#mutations-parallel .js-plotly-plot")).to_be_visible()
    expect(page.locator("#mutations-rates")).to_contain_text("500")
    # Entering the ground line's generations gives the flight/ground ratio.
    page.get_by_label(f"lambda-ground (#{lambda_case['ground_result']})").fill("500")
    page.click("#mutations-compare-run")
    expect(page.locator("#mutations-rate-ratio")).to_contain_text("Rate ratio")
    page.wait_for_function("() => location.search.includes('gens=')")
    assert f"compare={ids.replace(',', '%2C')}" in page.url or f"compare={ids}" in page.url
    screenshot(page, "mutations-compare-light")
    _accessible(page, "the comparison (desktop, light)")
    desk.problems.assert_clean("the comparison")


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "scheme"), [(DESKTOP, "dark"), (PHONE, "light")])
def test_the_result_reads_well_dark_and_on_a_phone(
    browser: Browser,
    live_server: LiveServer,
    account: Account,
    called: dict[str, Any],
    viewport: Any,
    scheme: str,
) -> None:
    session = open_session(
        browser, live_server, viewport, scheme, account=account, init_scripts=[require_axe()]
    )
    where = f"the result ({session.label})"
    try:
        page = session.page
        goto_page(page, f"/mutations?result={called['result']}")
        expect(page.locator(ROWS)).to_have_count(4)
        expect(page.locator("#mutations-map .js-plotly-plot")).to_be_visible()
        screenshot(page, f"mutations-result-{viewport.name}-{scheme}")
        _accessible(page, where)
        _no_sideways_scroll(page, where)
        session.problems.assert_clean(where)
    finally:
        session.close()
