"""The sequence explorer in the browser: a scientist finds a gene of pPCP1 (NC_005816) by a
motif, zooms to it, and downloads its protein, which must be NCBI's own (NC_005816.faa)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from Bio import SeqIO
from playwright.sync_api import Browser, Page, expect

from .conftest import (
    ROOT,
    LiveServer,
    PageFactory,
    api_import,
    api_json,
    goto_page,
    login,
    screenshot,
    unique,
    wait_for_dash,
    wait_until,
)
from .design_support import (
    DESKTOP,
    SCHEMES,
    SessionPool,
    axe_violations,
    format_violation,
    require_axe,
    serious_violations,
)

FIXTURES = ROOT / "tests" / "fixtures" / "sequences" / "biopython"
GENBANK = FIXTURES / "NC_005816.gb"
READS = FIXTURES / "example.fastq"
RECORD = "NC_005816.1"
ACTIVE = re.compile(r"\bactive\b")
MOTIF_INPUT = '[id=\'{"field":"motif","form":"explorer-motif-form"}\']'
START_INPUT = '[id=\'{"field":"start","form":"explorer-range"}\']'
END_INPUT = '[id=\'{"field":"end","form":"explorer-range"}\']'
SECOND_START = '[id=\'{"field":"second-start","form":"explorer-align-form"}\']'
SECOND_END = '[id=\'{"field":"second-end","form":"explorer-align-form"}\']'
MOTIF_ERROR = '[id=\'{"field":"motif","form":"explorer-motif-form","part":"error"}\']'


def _seed(page: Page, path: Path, sample: str) -> dict[str, Any]:
    """The dataset holding ``path``'s bytes, imported through the API if the server lacks
    it (the same bytes make one dataset per server, whichever test imports them first)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    status, found = api_json(page, "GET", "/api/v1/datasets?limit=1000")
    assert status == 200, f"GET /api/v1/datasets answered {status}: {found}"
    for dataset in found:
        if dataset["sha256"] == digest:
            return dict(dataset)
    body = {
        "name": unique("Explorer check "),
        "organism": "Yersinia pestis",
        "arms": [
            {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
            {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
        ],
    }
    status, experiment = api_json(page, "POST", "/api/v1/experiments", body)
    assert status == 201, f"POST /api/v1/experiments answered {status}: {experiment}"
    status, created = api_import(
        page, path, experiment["id"], sample, arm_id=str(experiment["arms"][0]["id"])
    )
    assert status == 201, f"POST /api/v1/datasets answered {status}: {created}"
    return dict(created)


def seed_genome(page: Page) -> dict[str, Any]:
    """pPCP1 as a dataset (GenBank, 9,609 bp, 10 CDS)."""
    return _seed(page, GENBANK, "pPCP1-flight")


def explorer_path(page: Page) -> str:
    """The explorer opened on pPCP1 (for the registry-wide page tests)."""
    return f"/explorer?dataset={seed_genome(page)['id']}"


def _genome() -> str:
    return str(next(SeqIO.parse(FIXTURES / "NC_005816.fna", "fasta")).seq)


def _ncbi_proteins() -> dict[str, str]:
    """NCBI's proteins of pPCP1 by accession (``gi|…|ref|NP_995567.1|`` headers)."""
    return {
        r.id.split("|")[3]: str(r.seq) for r in SeqIO.parse(FIXTURES / "NC_005816.faa", "fasta")
    }


def _wait_idle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def _click_map(page: Page, x: float, y: float) -> None:
    """Click the genome map at position ``x`` (bp) and track height ``y`` (+1: plus strand)."""
    page.locator("#explorer-map").scroll_into_view_if_needed()
    point = page.evaluate(
        """([x, y]) => {
            const gd = document.querySelector('#explorer-map .js-plotly-plot');
            const layout = gd._fullLayout, box = gd.getBoundingClientRect();
            return [box.left + layout.xaxis._offset + layout.xaxis.l2p(x),
                    box.top + layout.yaxis._offset + layout.yaxis.l2p(y)];
        }""",
        [x, y],
    )
    page.mouse.click(point[0], point[1])


def _shown_range(page: Page) -> tuple[int, int]:
    values = page.input_value(START_INPUT), page.input_value(END_INPUT)
    start, end = (int(v.replace(",", "")) for v in values)
    return start, end


def test_a_scientist_finds_a_gene_by_motif_and_downloads_its_protein(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    dataset = seed_genome(page)
    goto_page(page, f"/explorer?dataset={dataset['id']}")
    expect(page.locator("h1")).to_have_text("Sequence explorer")
    expect(page.locator("#explorer-feature-counts")).to_contain_text("CDS 10")
    expect(page.locator("#explorer-map .js-plotly-plot .barlayer")).to_have_count(1)

    # The first 20 bases of the CDS at 87..1109 (NCBI's own FASTA of the record).
    motif = _genome()[86:106]
    page.get_by_role("tab", name="Motif search").click()
    page.fill(MOTIF_INPUT, motif)
    page.press(MOTIF_INPUT, "Enter")
    _wait_idle(page)
    expect(page.locator("#explorer-motif-info")).to_contain_text(f"1 hit of {motif}")
    hits = page.locator("#explorer-hits-grid .ag-center-cols-container .ag-row")
    expect(hits).to_have_count(1)
    expect(hits.first.locator('[col-id="start"]')).to_have_text("87")
    expect(hits.first.locator('[col-id="strand"]')).to_have_text("+")
    wait_until(page, lambda: f"motif={motif}" in page.url, "the motif in the URL")

    # Zoom to the hit: the view now shows its bases, the map marks it.
    hits.first.click()
    _wait_idle(page)
    wait_until(page, lambda: _shown_range(page)[0] > 1, "the view to move to the hit")
    start, end = _shown_range(page)
    assert start <= 87, start
    assert end >= 106, end
    assert end - start < 200, (start, end)
    wait_until(page, lambda: f"start={start}" in page.url, "the view in the URL")
    hit_view = page.url
    expect(page.locator("#explorer-view-info")).to_contain_text(f"Bases {start:,}..{end:,}")

    # The CDS beginning there, picked on the map: its protein beside the annotated one.
    _click_map(page, 100, 1.0)
    _wait_idle(page)
    detail = page.locator("#explorer-cds-detail")
    expect(detail).to_contain_text("YP_pPCP01")
    expect(detail).to_contain_text("87..1,109 (+)")
    expect(detail).to_contain_text("agrees")
    expect(page.get_by_role("tab", name="CDS", exact=True)).to_have_class(ACTIVE)
    wait_until(page, lambda: "cds=0" in page.url, "the chosen CDS in the URL")
    assert _shown_range(page) == (1, 1211)  # the CDS with a tenth of its length around it
    screenshot(page, "explorer_cds_chosen")

    with page.expect_download() as event:
        detail.get_by_role("button", name="Protein (FASTA)").click()
    download = event.value
    assert download.suggested_filename == "YP_pPCP01.faa"
    header, *lines = Path(download.path()).read_text().splitlines()
    assert header.startswith(">YP_pPCP01")
    assert "".join(lines) == _ncbi_proteins()["NP_995567.1"]

    # Back returns to the view of the hit.
    page.go_back()
    wait_for_dash(page)
    assert page.url == hit_view
    wait_until(page, lambda: _shown_range(page) == (start, end), "the hit's view after Back")


def test_the_cds_protein_fasta_is_ncbis(new_page: PageFactory, live_server: LiveServer) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    dataset = seed_genome(page)
    goto_page(page, f"/explorer?dataset={dataset['id']}")
    link = page.locator("#explorer-downloads a", has_text="CDS proteins (FASTA)")
    response = page.context.request.get(link.get_attribute("href") or "")
    assert response.status == 200
    found = {}
    for block in response.text().split(">")[1:]:
        header, *lines = block.splitlines()
        found[header.split()[0]] = "".join(lines)
    ncbi = _ncbi_proteins()
    assert len(found) == len(ncbi) == 10
    assert sorted(found.values()) == sorted(ncbi.values())


def test_a_bad_motif_is_explained_beside_the_field(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    dataset = seed_genome(page)
    goto_page(page, f"/explorer?dataset={dataset['id']}&tab=motif")
    page.fill(MOTIF_INPUT, "GAXTTC")
    page.press(MOTIF_INPUT, "Enter")
    expect(page.locator(MOTIF_ERROR)).to_contain_text("'X' at position 3")
    expect(page.locator(MOTIF_INPUT)).to_have_attribute("aria-invalid", "true")


def test_a_view_in_the_url_opens_as_it_was_left(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    dataset = seed_genome(page)
    orfs = "300:11:ATG,GTG,TTG"
    goto_page(
        page,
        f"/explorer?dataset={dataset['id']}&record={RECORD}&start=4800&end=5900&tab=orfs"
        f"&orfs={orfs}&motif=GAATTC",
    )
    assert _shown_range(page) == (4800, 5900)
    expect(page.get_by_role("tab", name="ORF finder")).to_have_class(ACTIVE)
    expect(page.locator("#explorer-orf-info")).to_contain_text("ORFs of at least 300 nt")
    expect(page.locator("#explorer-region-info")).to_contain_text("Bases 4,800..5,900")
    names = page.evaluate(
        "() => document.querySelector('#explorer-map .js-plotly-plot').data.map(t => t.name)"
    )
    assert {"CDS", "ORF"} <= set(names), names
    layout = page.evaluate(
        "() => JSON.stringify(document.querySelector('#explorer-map .js-plotly-plot')"
        ".layout.xaxis.range)"
    )
    assert json.loads(layout) == [4799.5, 5900.5]


def test_reads_are_sent_to_their_dataset_page(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    reads = _seed(page, READS, "reads-1")
    goto_page(page, f"/explorer?dataset={reads['id']}")
    content = page.locator("#_pages_content")
    expect(content).to_contain_text(f"Dataset {reads['id']} holds reads (FASTQ)")
    link = content.get_by_role("link", name="Open its dataset page")
    expect(link).to_have_attribute("href", f"/datasets/{reads['id']}")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_tool_passes_axe_once_used(
    browser: Browser, live_server: LiveServer, scheme: str
) -> None:
    """axe on what the registry-wide check does not reach: each tool with its results (the
    chosen CDS, ORFs, motif hits and a refused motif, the bases, an alignment)."""
    pool = SessionPool(browser, live_server, init_scripts=[require_axe()])
    try:
        session = pool.session("scientist", DESKTOP, scheme)
        page = session.page
        dataset = seed_genome(page)
        goto_page(page, f"/explorer?dataset={dataset['id']}&cds=0&orfs=300:11:ATG&motif=GAATTC")
        found: list[str] = []

        def check(where: str) -> None:
            _wait_idle(page)
            found.extend(
                f"{where}: {format_violation(v)}" for v in serious_violations(axe_violations(page))
            )

        expect(page.locator("#explorer-cds-detail")).to_contain_text("YP_pPCP01")
        check("CDS")
        for tab, ready in (
            ("ORF finder", "#explorer-orf-info"),
            ("Motif search", "#explorer-motif-info"),
            ("Bases", "#explorer-region-info"),
        ):
            page.get_by_role("tab", name=tab).click()
            expect(page.locator(ready)).not_to_be_empty()
            check(tab)
        page.get_by_role("tab", name="Motif search").click()
        page.fill(MOTIF_INPUT, "GAXTTC")
        page.press(MOTIF_INPUT, "Enter")
        expect(page.locator(MOTIF_ERROR)).not_to_be_empty()
        check("refused motif")
        page.get_by_role("tab", name="CDS", exact=True).click()
        page.locator("#explorer-cds-detail").get_by_role("button", name="Align with…").click()
        # Region B by the quick pick: the record's CDS are offered as one types.
        options = page.locator("#explorer-align-second-cds-options option")
        expect(options).to_have_count(10)
        label = options.nth(1).get_attribute("value") or ""
        assert label.startswith("YP_pPCP02"), label
        page.fill("#explorer-align-second-cds", label)
        page.press("#explorer-align-second-cds", "Enter")
        expect(page.locator(SECOND_START)).to_have_value("1,106")
        expect(page.locator(SECOND_END)).to_have_value("1,888")
        page.get_by_role("button", name="Align", exact=True).click()
        expect(page.locator("#explorer-align-summary")).to_contain_text("Identity")
        check("alignment")
        assert not found, "axe found serious problems:\n" + "\n".join(found)
        session.problems.assert_clean("explorer tools")
    finally:
        pool.close()
