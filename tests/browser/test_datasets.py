"""Datasets in the browser: import through the page (chunked, resumable upload, then the
import job), the dataset's page, refusals, deletion and sample sheets.

Every file here is real: Biopython's test files (a GenBank plasmid, a malformed FASTQ) and a
FASTQ generated for the resumed upload, large enough for several chunks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, Request, Route, expect
from playwright.sync_api import Error as PlaywrightError

from .conftest import (
    ROOT,
    LiveServer,
    PageFactory,
    Problems,
    api_import,
    api_json,
    api_upload,
    goto_page,
    login,
    screenshot,
    unique,
    wait_until,
)
from .design_support import (
    DESKTOP,
    SCHEMES,
    Account,
    axe_violations,
    create_account,
    format_violation,
    open_session,
    require_axe,
    serious_violations,
)

FIXTURES = ROOT / "tests" / "fixtures" / "sequences" / "biopython"
GENBANK = FIXTURES / "NC_005816.gb"
BAD_FASTQ = FIXTURES / "error_short_qual.fastq"
FORM = "dataset-import"
JOB_ID = {"name": FORM, "type": "job-progress-id"}  # the job panel's store of the job's id
CHUNK_BYTES = 8 * 1024 * 1024
IMPORT_TIMEOUT_S = 60.0
ARMS = [
    {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0},
    {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1},
]
# Records what the upload and job panels say, so a test can read it after the page moved on
# (the app opens the new dataset without reloading).
RECORD_PANELS = """
() => {
  window.msgSeen = [];
  const note = () => {
    for (const sel of ['#dataset-import-upload-status', '#dataset-import-upload-note',
                       '.msg-job-progress [role=status]']) {
      const el = document.querySelector(sel);
      const text = el && el.textContent.trim();
      if (text && window.msgSeen[window.msgSeen.length - 1] !== text) window.msgSeen.push(text);
    }
  };
  new MutationObserver(note).observe(document.body,
    {subtree: true, childList: true, characterData: true});
}
"""


def _dom_id(component_id: dict[str, str]) -> str:
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def control(page: Page, field: str) -> Locator:
    """The control of ``field`` in the import form (the file input too)."""
    return page.locator(f"[id='{_dom_id({'form': FORM, 'field': field})}']")


def error_of(page: Page, field: str) -> Locator:
    return page.locator(f"[id='{_dom_id({'form': FORM, 'field': field, 'part': 'error'})}']")


def _experiment(page: Page, prefix: str = "Datasets browser ") -> dict[str, Any]:
    body = {"name": unique(prefix), "organism": "Escherichia coli REL606", "arms": ARMS}
    status, created = api_json(page, "POST", "/api/v1/experiments", body)
    assert status == 201, created
    return dict(created)


def _datasets_of(page: Page, experiment_id: int) -> list[dict[str, Any]]:
    status, found = api_json(page, "GET", f"/api/v1/datasets?experiment_id={experiment_id}")
    assert status == 200, found
    return list(found)


def _fill(page: Page, experiment: dict[str, Any], sample: str, path: Path) -> None:
    """Open the import view for ``experiment`` and fill it in for ``path``."""
    goto_page(page, f"/datasets/import?experiment={experiment['id']}")
    expect(page.locator("#_pages_content h1")).to_have_text("Import dataset")
    expect(control(page, "experiment_id")).to_have_value(str(experiment["id"]))
    control(page, "arm_id").select_option(str(experiment["arms"][1]["id"]))
    expect(control(page, "arm_id").locator("xpath=..").locator("..")).to_contain_text(
        "(Ground Control) and gravity (1 g)"
    )
    control(page, "sample_name").fill(sample)
    control(page, "factors.strain").fill("REL606")
    control(page, "factors.replicate").fill("A")
    control(page, "file").set_input_files(str(path))


def _wait_for_dataset_page(page: Page) -> int:
    page.wait_for_url(re.compile(r"/datasets/\d+\?imported=1$"), timeout=IMPORT_TIMEOUT_S * 1000)
    match = re.search(r"/datasets/(\d+)\?", page.url)
    assert match
    return int(match.group(1))


def _no_dialogs(page: Page) -> list[str]:
    seen: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


def _own_copy(tmp_path: Path, day: int = 22) -> Path:
    """NC_005816.gb dated ``day`` July on its LOCUS line (same size): other tests of the
    session import the file itself, and the same bytes can be only one dataset."""
    copy = tmp_path / GENBANK.name
    original = GENBANK.read_bytes()
    text = original.replace(b"BCT 21-JUL-2008", f"BCT {day}-JUL-2008".encode(), 1)
    assert text != original
    assert len(text) == len(original)
    copy.write_bytes(text)
    return copy


def test_scientist_imports_a_genbank_file_through_the_page(
    page: Page, problems: Problems, live_server: LiveServer, tmp_path: Path
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    dialogs = _no_dialogs(page)
    genbank = _own_copy(tmp_path)
    _fill(page, experiment, "ground-A", genbank)
    page.evaluate(RECORD_PANELS)
    page.click(f"#{FORM}-submit")

    dataset_id = _wait_for_dataset_page(page)
    seen = page.evaluate("() => window.msgSeen")
    data = genbank.read_bytes()
    assert "0 % · 0 bytes of 31.8 kB" in seen, seen  # the progress, from its start
    assert any(s == "All 31.8 kB sent." for s in seen), seen
    assert any("Imported NC_005816.gb as dataset" in s for s in seen), seen  # the job's end
    assert dialogs == []  # no "unsaved changes" question after a successful import

    content = page.locator("#_pages_content")
    expect(content.locator("h1")).to_have_text("NC_005816.gb")
    expect(page).to_have_title("NC_005816.gb · MicroSpaceGen")
    expect(page.locator("#dataset-message")).to_contain_text("Imported NC_005816.gb")
    crumbs = page.locator(".msg-page-header .breadcrumb")
    expect(crumbs).to_have_text(re.compile(r"Overview\s*›?\s*Datasets\s*›?\s*NC_005816\.gb"))
    expect(page.locator("#dataset-sha256")).to_have_text(hashlib.sha256(data).hexdigest())
    expect(content).to_contain_text("ground 1 g")  # the arm
    expect(content.locator(".badge", has_text="Ground Control")).to_have_count(1)  # from it
    expect(content).to_contain_text("REL606")
    expect(page.locator("#dataset-lineage")).to_contain_text("none")
    expect(page.locator("#dataset-stats")).to_contain_text("9,609 bp")
    expect(page.locator("#dataset-stats")).to_contain_text("NC_005816.1")  # records table
    expect(page.locator("#dataset-explorer-link")).to_have_attribute(
        "href", f"/explorer?dataset={dataset_id}"
    )
    expect(page.locator("#dataset-delete")).to_have_count(0)  # scientists do not delete
    screenshot(page, "scientist_dataset_imported")

    with page.expect_download() as original:
        page.click("#dataset-download")
    assert original.value.suggested_filename == "NC_005816.gb"
    assert Path(original.value.path()).read_bytes() == data
    with page.expect_download() as stats:
        page.click("#dataset-stats-csv")
    table = Path(stats.value.path()).read_text(encoding="utf-8")
    assert f"file,sha256,{hashlib.sha256(data).hexdigest()}" in table
    assert "assembly,total_length,9609" in table

    (stored,) = _datasets_of(page, experiment["id"])
    assert (stored["id"], stored["sample"]["name"], stored["sample"]["strain"]) == (
        dataset_id,
        "ground-A",
        "REL606",
    )
    assert stored["sample"]["spaceflight"] == "Ground Control"
    problems.assert_clean("the import flow")


def _hold_the_panels_first_look(page: Page) -> list[Route]:
    """Hold the job panel's first request about the import job (the one its id causes)."""
    held: list[Route] = []
    first_look = f"{_dom_id(JOB_ID)}.data"

    def hold(route: Route, request: Request) -> None:
        if not held and first_look in json.loads(request.post_data or "{}")["changedPropIds"]:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/_dash-update-component(\?|$)"), hold)  # ?endId=… too
    return held


@pytest.mark.parametrize("ending", ["succeeded", "failed"])
def test_an_import_ended_by_the_panels_first_look_still_lands(
    ending: str, page: Page, problems: Problems, live_server: LiveServer, tmp_path: Path
) -> None:
    """A quick import (0.1 s) can end before the panel first looks at its job: that first
    report is then its last, and it must still open the dataset or show the problem beside
    the file. (It did not: the callback that wrote the job's id also read the report, and
    Dash drops a callback that its own update triggers again; the page stayed on the form.)"""
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    path = _own_copy(tmp_path, day=23) if ending == "succeeded" else BAD_FASTQ
    _fill(page, experiment, f"quick-{ending}", path)
    held = _hold_the_panels_first_look(page)
    page.click(f"#{FORM}-submit")

    wait_until(page, lambda: bool(held), "the panel's first look at the job", IMPORT_TIMEOUT_S)
    job_id = json.loads(held[0].request.post_data or "{}")["inputs"][0]["value"]
    job: dict[str, Any] = {}

    def ended() -> bool:
        status, found = api_json(page, "GET", f"/api/v1/jobs/{job_id}")
        assert status == 200, found
        job.update(found)
        return job["state"] not in ("queued", "running")

    wait_until(page, ended, f"the import job {job_id} to end", IMPORT_TIMEOUT_S)
    assert job["state"] == ending, job
    held[0].continue_()

    if ending == "succeeded":
        dataset_id = _wait_for_dataset_page(page)
        expect(page.locator("#_pages_content h1")).to_have_text(GENBANK.name)
        assert [d["id"] for d in _datasets_of(page, experiment["id"])] == [dataset_id]
    else:
        expect(error_of(page, "file")).to_have_text(
            re.compile(r"^error_short_qual\.fastq, line \d+: .*quality"),
            timeout=IMPORT_TIMEOUT_S * 1000,
        )
        expect(page.locator(f"#{FORM}-submit")).to_be_enabled()
        assert "/datasets/import" in page.url
    problems.assert_clean(f"an import {ending} before the panel looked")


def test_a_malformed_fastq_is_refused_beside_the_file_field(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    _fill(page, experiment, "broken", BAD_FASTQ)
    page.click(f"#{FORM}-submit")

    error = error_of(page, "file")
    expect(error).to_be_visible(timeout=IMPORT_TIMEOUT_S * 1000)
    expect(error).to_have_text(re.compile(r"^error_short_qual\.fastq, line \d+: .*quality"))
    box = control(page, "file")
    expect(box).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{FORM}-summary")).to_contain_text("line")
    expect(page.locator(f"#{FORM}-submit")).to_be_enabled()  # fix the file, try again
    assert "/datasets/import" in page.url
    assert _datasets_of(page, experiment["id"]) == []  # nothing was created
    screenshot(page, "scientist_dataset_malformed")
    problems.assert_clean("a refused import")


def test_details_are_checked_before_any_byte_is_sent(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/api/v1/uploads" in r.url else None)
    goto_page(page, f"/datasets/import?experiment={experiment['id']}")
    control(page, "factors.gravity_g").fill("-1")
    page.click(f"#{FORM}-submit")

    expect(error_of(page, "sample_name")).to_have_text("Sample name is required.")
    expect(error_of(page, "file")).to_have_text("Choose the file to import.")
    expect(error_of(page, "factors.gravity_g")).to_contain_text("negative")
    expect(control(page, "file")).to_have_attribute("aria-invalid", "true")
    assert uploads == []
    problems.assert_clean("refused details")


def _fastq(path: Path, size_bytes: int) -> Path:
    """A gzip-free FASTQ of about ``size_bytes``: 150 bp reads, Illumina-like qualities."""
    rng = random.Random(20261126)
    with path.open("w", encoding="ascii") as out:
        number = 0
        while out.tell() < size_bytes:
            number += 1
            bases = "".join(rng.choice("ACGT") for _ in range(150))
            quality = "".join(
                chr(33 + max(2, 38 - i // 10 - rng.randint(0, 4))) for i in range(150)
            )
            out.write(f"@sim:{number}\n{bases}\n+\n{quality}\n")
    return path


@pytest.fixture(scope="module")
def big_fastq(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 20 MB of reads: three chunks."""
    return _fastq(tmp_path_factory.mktemp("reads") / "F1-day21_R1.fastq", 20_000_000)


def test_an_interrupted_upload_resumes_when_the_same_file_is_picked_again(
    new_page: PageFactory, live_server: LiveServer, big_fastq: Path
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?" yes
    _fill(page, experiment, "F1-day21", big_fastq)
    sent: list[int] = []

    def first_chunk_only(route: Route, request: Request) -> None:
        offset = int(re.search(r"offset=(\d+)", request.url).group(1))  # type: ignore[union-attr]
        if offset == 0:
            sent.append(offset)
            route.continue_()
        else:
            route.abort("connectionreset")  # the connection drops for every later piece

    page.route(re.compile(r"/api/v1/uploads/[^/]+\?offset="), first_chunk_only)
    page.click(f"#{FORM}-submit")
    status = page.locator(f"#{FORM}-upload-status")
    expect(status).to_contain_text("Connection lost at 8.4 MB", timeout=20_000)
    assert sent == [0]
    page.unroute(re.compile(r"/api/v1/uploads/[^/]+\?offset="))
    # The browser gives up on the page: a reload, as after a crash or a closed laptop.
    page.reload()
    page.wait_for_load_state("networkidle")
    problems.failed_requests.clear()  # the dropped pieces, on purpose
    problems.console_errors.clear()

    offsets: list[int] = []
    page.on(
        "request",
        lambda r: (
            offsets.append(int(r.url.rsplit("offset=", 1)[1]))
            if "offset=" in r.url and r.method == "PUT"
            else None
        ),
    )
    control(page, "file").set_input_files(str(big_fastq))
    note = page.locator(f"#{FORM}-file-note")
    expect(note).to_contain_text("An interrupted upload of this file stands at 8.4 MB of 20.0 MB")
    # The details given then are filled in again.
    expect(control(page, "sample_name")).to_have_value("F1-day21")
    expect(control(page, "factors.strain")).to_have_value("REL606")
    expect(control(page, "arm_id")).to_have_value(str(experiment["arms"][1]["id"]))
    page.evaluate(RECORD_PANELS)
    page.click(f"#{FORM}-submit")

    dataset_id = _wait_for_dataset_page(page)
    assert offsets, "no piece was sent after the file was picked again"
    assert offsets[0] == CHUNK_BYTES, offsets  # it went on, it did not start over
    seen = page.evaluate("() => window.msgSeen")
    assert "Resuming at 8.4 MB of 20.0 MB." in seen, seen
    assert any(re.match(r"\d+ % · [\d.]+ MB of 20\.0 MB", s) for s in seen), seen
    expect(page.locator("#dataset-sha256")).to_have_text(
        hashlib.sha256(big_fastq.read_bytes()).hexdigest()
    )
    expect(page.locator("#dataset-stats")).to_contain_text("Mean quality")
    expect(page.locator("#dataset-quality-chart")).to_be_visible()
    (stored,) = _datasets_of(page, experiment["id"])
    assert (stored["id"], stored["size"]) == (dataset_id, big_fastq.stat().st_size)
    problems.assert_clean("a resumed upload")


def test_cancelling_an_upload_removes_it(
    new_page: PageFactory, live_server: LiveServer, big_fastq: Path
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    _fill(page, experiment, "cancelled", big_fastq)
    held: list[Route] = []
    page.route(re.compile(r"/api/v1/uploads/[^/]+\?offset=[1-9]"), lambda route: held.append(route))
    page.click(f"#{FORM}-submit")
    wait_until(page, lambda: bool(held), "the second piece to be on its way")
    deleted: list[str] = []
    page.on("request", lambda r: deleted.append(r.url) if r.method == "DELETE" else None)
    page.click(f"#{FORM}-upload-cancel")
    expect(page.locator(f"#{FORM}-upload")).to_be_hidden()
    wait_until(page, lambda: bool(deleted), "the upload to be abandoned")
    assert re.search(r"/api/v1/uploads/[^/?]+$", deleted[0])
    expect(page.locator(f"#{FORM}-submit")).to_be_enabled()
    upload_id = deleted[0].rsplit("/", 1)[1]
    status, _body = api_json(page, "GET", f"/api/v1/uploads/{upload_id}")
    assert status == 404
    problems.expect_response(404, f"/api/v1/uploads/{upload_id}")
    problems.aborted_requests.clear()
    problems.failed_requests.clear()  # the piece held back and abandoned
    for route in held:  # the abandoned piece: already cancelled by the browser
        with contextlib.suppress(PlaywrightError):
            route.abort()
    problems.failed_requests.clear()
    problems.assert_clean("a cancelled upload")


def test_operators_may_read_datasets_but_not_import(
    new_page: PageFactory, browser: Browser, live_server: LiveServer
) -> None:
    operator = create_account(live_server, browser, "oper", ["operator"])
    page = new_page()
    problems = new_page.problems(page)
    login(page, operator.username, operator.password)
    goto_page(page, "/datasets")
    expect(page.locator("#_pages_content h1")).to_have_text("Datasets")
    expect(page.locator("#datasets-import-link")).to_have_count(0)
    expect(page.locator("#_pages_content")).not_to_contain_text("Import dataset")
    problems.expect_response(403, "/datasets/import")
    response = goto_page(page, "/datasets/import")
    assert response is not None
    assert response.status == 403
    expect(page.locator("#_pages_content")).to_contain_text("Not allowed")
    expect(control(page, "sample_name")).to_have_count(0)
    problems.assert_clean("an operator")


def test_admin_deletes_a_dataset_after_confirming(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    login(page, live_server.admin_user, live_server.admin_password)
    experiment = _experiment(page)
    status, dataset = api_import(page, FIXTURES / "AE017046.embl", experiment["id"], "pPCP1")
    assert status == 201, dataset
    goto_page(page, f"/datasets/{dataset['id']}")
    page.click("#dataset-delete")
    dialog = page.locator("#dataset-delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Delete AE017046.embl?")
    page.click("#dataset-delete-cancel")
    expect(dialog).to_be_hidden()
    page.click("#dataset-delete")
    page.click("#dataset-delete-confirm")
    page.wait_for_url(re.compile(rf"/datasets\?deleted={dataset['id']}$"))
    expect(page.locator("#datasets-message")).to_contain_text(f"Deleted dataset {dataset['id']}.")
    status, _gone = api_json(page, "GET", f"/api/v1/datasets/{dataset['id']}")
    assert status == 404
    problems.expect_response(404, f"/api/v1/datasets/{dataset['id']}")
    problems.assert_clean("a deletion")


def test_the_list_filters_by_experiment_and_links_each_dataset(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    empty = _experiment(page, "No datasets ")
    status, dataset = api_import(
        page, FIXTURES / "sanger_full_range_original_sanger.fastq", experiment["id"], "S1"
    )
    assert status == 201, dataset
    goto_page(page, f"/experiments/{experiment['id']}")
    link = page.locator("#experiment-datasets-link")
    expect(link).to_have_text("1 dataset")
    link.click()
    page.wait_for_url(re.compile(rf"/datasets\?experiment={experiment['id']}$"))
    grid = page.locator("#datasets-grid")
    expect(grid.locator(".ag-row")).to_have_count(1)
    row = grid.locator(".ag-row").first
    expect(row).to_contain_text(dataset["sha256"][:12])
    expect(row).not_to_contain_text(dataset["sha256"][:13])
    expect(row.locator("[col-id=spaceflight] .badge")).to_have_count(0)  # no factor given
    expect(row.locator("[col-id=provenance] .badge")).to_have_count(1)  # its ledger status
    row.get_by_role("link", name=dataset["filename"]).click()
    page.wait_for_url(re.compile(rf"/datasets/{dataset['id']}$"))
    expect(page.locator("#_pages_content h1")).to_have_text(dataset["filename"])
    goto_page(page, f"/datasets?experiment={empty['id']}")
    expect(page.locator(".msg-empty")).to_contain_text("python app.py import")
    expect(page.locator(".msg-empty a", has_text="Import dataset")).to_have_attribute(
        "href", f"/datasets/import?experiment={empty['id']}"
    )
    problems.assert_clean("the list")


def test_a_sample_sheet_is_imported_from_the_experiment_page(
    new_page: PageFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    login(page, live_server.sci_user, live_server.sci_password)
    experiment = _experiment(page)
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(
        "Sample Name\tFactor Value[Spaceflight]\tFactor Value[Replicate]\n"
        "F1\tSpace Flight\tA\nG1\tGround Control\tA\n",
        encoding="utf-8",
    )
    goto_page(page, f"/experiments/{experiment['id']}")
    file_input = page.locator(f"[id='{_dom_id({'form': 'experiment-sheet', 'field': 'sheet'})}']")
    file_input.set_input_files(str(sheet))
    page.click("#experiment-sheet-import")
    result = page.locator("#experiment-sheet-result")
    expect(result).to_have_text("Sheet imported: 2 samples created, 0 updated, 0 unchanged.")
    with page.expect_download() as exported:
        page.click("#experiment-sheet-link")
    text = Path(exported.value.path()).read_text(encoding="utf-8")
    assert "F1\t" in text
    assert "Ground Control" in text

    sheet.write_text("Sample Name\tFactor Value[Gravity]\nF1\tlots\n", encoding="utf-8")
    file_input.set_input_files(str(sheet))
    problems.expect_response(422, f"/api/v1/experiments/{experiment['id']}/samples.tsv")
    page.click("#experiment-sheet-import")
    error = page.locator(
        f"[id='{_dom_id({'form': 'experiment-sheet', 'field': 'sheet', 'part': 'error'})}']"
    )
    expect(error).to_contain_text("Line 2")
    expect(file_input).to_have_attribute("aria-invalid", "true")
    expect(result).to_have_text("")
    problems.assert_clean("sample sheets")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_genome_page_and_a_refused_form_pass_axe(
    browser: Browser, live_server: LiveServer, scheme: str
) -> None:
    """The page tests check a reads dataset and the empty form; here the other faces: a
    genome with its records table, and the form with every error shown."""
    admin = Account(live_server.admin_user, live_server.admin_password)
    session = open_session(
        browser, live_server, DESKTOP, scheme, account=admin, init_scripts=[require_axe()]
    )
    try:
        page = session.page
        genome = FIXTURES / "NC_000932.gb"
        digest = hashlib.sha256(genome.read_bytes()).hexdigest()
        status, found = api_json(page, "GET", "/api/v1/datasets?limit=1000")
        assert status == 200, found
        dataset = next((d for d in found if d["sha256"] == digest), None)
        if dataset is None:
            details = {"experiment_id": _experiment(page)["id"], "sample_name": "chloroplast"}
            dataset = api_upload(page, genome, details)
        faces = {}
        session.visit(f"/datasets/{dataset['id']}").frame().clean().assert_ok()
        faces["genome"] = serious_violations(axe_violations(page))
        session.visit("/datasets/import").assert_ok()
        page.click(f"#{FORM}-submit")
        expect(error_of(page, "file")).to_be_visible()
        faces["refused form"] = serious_violations(axe_violations(page))
        problems = {face: [format_violation(v) for v in found] for face, found in faces.items()}
        assert not any(problems.values()), problems
    finally:
        session.close()
