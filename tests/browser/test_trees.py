"""The Trees page in the browser: a scientist builds a tree from datasets (flight lines,
ground controls and their ancestor), colours it by Spaceflight, re-roots it on the ancestor
by clicking its tip, copies the URL into a new tab and sees the same view, and downloads the
Newick, which parses and holds every tip; its provenance turns Anchored in the About card
and the list while the page stays open. A 2,500-tip upload stays responsive. axe finds no
serious violation on the build form and on a populated tree view (coloured, with support
values, a search and a comparison), light and dark, on a desktop and a phone, where the
labels fit, the modebar keeps off the legend and the page never scrolls sideways."""

from __future__ import annotations

import io
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from Bio import Phylo
from playwright.sync_api import Browser, Page, expect

from .conftest import (
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
    SCHEMES,
    VIEWPORTS,
    axe_violations,
    create_account,
    format_violation,
    open_session,
    require_axe,
    serious_violations,
)

SAMPLES = {
    "ancestor": "Ancestor",
    "flight-A": "Space Flight",
    "flight-B": "Space Flight",
    "ground-A": "Ground Control",
    "ground-B": "Ground Control",
}
COLOUR = "#trees-colour"
GRAPH = "#trees-figure .js-plotly-plot"


def _genomes(seed: int, length: int = 2000) -> dict[str, str]:
    """Equal-length genomes: the flight lines share 40 changes, the ground lines 40 others."""
    rng = random.Random(seed)
    ancestor = [rng.choice("ACGT") for _ in range(length)]
    swap = {"A": "G", "G": "A", "C": "T", "T": "C"}

    def mutate(seq: list[str], count: int) -> list[str]:
        out = list(seq)
        for i in rng.sample(range(length), count):
            out[i] = swap[out[i]]
        return out

    flight, ground = mutate(ancestor, 40), mutate(ancestor, 40)
    return {
        "ancestor": "".join(ancestor),
        "flight-A": "".join(mutate(flight, 6)),
        "flight-B": "".join(mutate(flight, 6)),
        "ground-A": "".join(mutate(ground, 6)),
        "ground-B": "".join(mutate(ground, 6)),
    }


def _seed(page: Page, tmp_path: Path) -> tuple[str, list[int]]:
    """An experiment and one genome dataset per sample, with its spaceflight factor."""
    name = unique("Tree check ")
    body = {
        "name": name,
        "organism": "Escherichia coli REL606",
        "arms": [
            {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
            {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
        ],
    }
    status, experiment = api_json(page, "POST", "/api/v1/experiments", body)
    assert status == 201, experiment
    ids = []
    for sample, seq in _genomes(random.randrange(2**31)).items():
        path = tmp_path / f"{sample}.fasta"
        path.write_text(f">{sample}\n{seq}\n")
        factors = json.dumps({"spaceflight": SAMPLES[sample]})
        status, created = api_import(page, path, experiment["id"], sample, factors=factors)
        assert status == 201, created
        ids.append(created["id"])
    return name, ids


def _wait_idle(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")


def _tip_position(page: Page, tip: str) -> dict[str, float]:
    """Where the tip named ``tip`` is drawn, in page pixels (from Plotly's own axes)."""
    found: Any = page.evaluate(
        """tip => {
            const gd = document.querySelector('#trees-figure .js-plotly-plot');
            const full = gd._fullLayout;
            for (const trace of gd._fullData) {
                if (trace.mode !== 'markers' || !trace.hovertext) continue;
                for (let i = 0; i < trace.x.length; i++) {
                    if (String(trace.hovertext[i]).startsWith('<b>' + tip + '</b>')) {
                        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
                        return {x: box.left + full.xaxis.l2p(trace.x[i]),
                                y: box.top + full.yaxis.l2p(trace.y[i])};
                    }
                }
            }
            return null;
        }""",
        tip,
    )
    assert found, f"tip {tip} is not drawn"
    return dict(found)


def _legend(page: Page) -> set[str]:
    texts = page.evaluate(
        "sel => Array.from(document.querySelectorAll(sel)).map(e => e.textContent || '')",
        f"{GRAPH} .legend .legendtext",
    )
    return {str(t).strip() for t in texts}


def _assert_accessible(page: Page, where: str) -> None:
    failing = serious_violations(axe_violations(page))
    assert not failing, f"{where}:\n" + "\n".join(format_violation(v) for v in failing)


@pytest.mark.browser
def test_a_scientist_builds_colours_reroots_shares_and_downloads_a_tree(
    new_page: PageFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    page = new_page()
    page.context.add_init_script(path=str(require_axe()))
    login(page, live_server.sci_user, live_server.sci_password)
    experiment, dataset_ids = _seed(page, tmp_path)

    # Build: the datasets of this experiment, ticked in the picker; K2P, NJ, 100 replicates
    # (the default for aligned distances), which runs as a job with its progress shown.
    goto_page(page, "/trees")
    page.click("#trees-new-link")
    wait_for_dash(page)
    expect(page.locator("h1")).to_have_text("Build a tree")
    page.fill("#trees-pick-search", experiment)
    rows = page.locator("#trees-pick-grid .ag-center-cols-container .ag-row")
    expect(rows).to_have_count(len(dataset_ids))
    page.locator("#trees-pick-grid .ag-header-select-all").click()
    expect(page.locator("#trees-picked")).to_have_text("5 datasets chosen.")
    bootstrap = page.locator('[id=\'{"field":"bootstrap","form":"trees-build"}\']')
    expect(bootstrap).to_have_value("100")
    page.fill('[id=\'{"field":"name","form":"trees-build"}\']', "Flight and ground lines")
    _assert_accessible(page, "the build form")
    screenshot(page, "trees-build-form")
    page.click("#trees-build-submit")
    expect(
        page.locator('[id=\'{"name":"trees-build","type":"job-progress-panel"}\']')
    ).to_be_visible()
    wait_until(page, lambda: "tree=" in page.url, "the built tree to open", timeout_s=90)
    wait_for_dash(page)
    tree_id = int(page.url.split("tree=")[1].split("&")[0])
    expect(page.locator("#trees-info")).to_contain_text("100 bootstrap replicates")
    # Its provenance follows the ledger while the page stays open: the About card and the
    # list turn Anchored together once its batch is anchored, without a reload (the card
    # once kept saying Pending).
    badge = page.locator("#trees-info-provenance [data-provenance]")
    expect(badge).to_have_attribute("data-provenance", "anchored", timeout=60_000)
    row = page.locator(
        f"#trees-list-grid .ag-center-cols-container .ag-row[row-id='{tree_id}'] "
        "[col-id='provenance']"
    )
    expect(row).to_have_text("Anchored")
    expect(page.locator("h2.msg-tree-name")).to_have_text("Flight and ground lines")

    # Colour by Spaceflight: a legend of the three groups, and the colour in the URL.
    page.select_option(COLOUR, "spaceflight")
    _wait_idle(page)
    wait_until(page, lambda: "colour=spaceflight" in page.url, "the colour in the URL")
    wait_until(
        page,
        lambda: {"Space Flight", "Ground Control", "Ancestor"} <= _legend(page),
        "the legend of the spaceflight groups",
    )
    page.get_by_label("Support values").check()
    _wait_idle(page)
    screenshot(page, "trees-coloured")

    # Re-root on the ancestor: click its tip, then "Re-root here" in the action bar.
    where = _tip_position(page, "ancestor")
    page.mouse.move(where["x"], where["y"])  # Plotly clicks the point under the hover
    page.wait_for_timeout(300)
    page.mouse.click(where["x"], where["y"])
    expect(page.locator("#trees-actions")).to_be_visible()
    expect(page.locator("#trees-action-text")).to_contain_text("ancestor")
    screenshot(page, "trees-node-selected")
    page.click("#trees-reroot")
    wait_until(page, lambda: f"tree={tree_id}&" not in page.url + "&", "the re-rooted tree to open")
    wait_for_dash(page)
    rerooted = int(page.url.split("tree=")[1].split("&")[0])
    assert rerooted != tree_id
    expect(page.locator("#trees-info")).to_contain_text("Re-rooted from")
    expect(page.locator(COLOUR)).to_have_value("spaceflight")  # the view came along

    # A richer view: circular, a search; all of it in the URL.
    page.get_by_label("Circular").check()
    page.fill("#trees-search", "flight")
    _wait_idle(page)
    expect(page.locator("#trees-search-info")).to_have_text("2 tips match")
    wait_until(
        page,
        lambda: "layout=circular" in page.url and "search=flight" in page.url,
        "the layout and search in the URL",
    )
    screenshot(page, "trees-circular")
    url = page.url

    # The URL in a new tab shows the same view.
    other = page.context.new_page()
    other.goto(url)
    wait_for_dash(other)
    expect(other.locator("h2.msg-tree-name")).to_contain_text("rooted on")
    expect(other.locator(COLOUR)).to_have_value("spaceflight")
    expect(other.get_by_label("Circular")).to_be_checked()
    expect(other.locator("#trees-search")).to_have_value("flight")
    expect(other.locator("#trees-search-info")).to_have_text("2 tips match")
    expect(other.get_by_label("Support values")).to_be_checked()
    assert {"Space Flight", "Ground Control", "Ancestor"} <= _legend(other)
    _assert_accessible(other, "the tree view")
    other.close()

    # Download the Newick: it parses, holds every tip, and the ancestor hangs from the root.
    page.click("#trees-downloads")
    with page.expect_download() as download:
        page.click("#trees-download-newick")
    text = Path(download.value.path()).read_text()
    assert download.value.suggested_filename == f"tree-{rerooted}.nwk"
    parsed = Phylo.read(io.StringIO(text), "newick")
    assert {t.name for t in parsed.get_terminals()} == set(SAMPLES)
    assert any(c.is_terminal() and c.name == "ancestor" for c in parsed.root.clades), text

    # And the figure as SVG, made by Plotly in the browser.
    if not page.locator("#trees-download-svg").is_visible():
        page.click("#trees-downloads")
    with page.expect_download() as image:
        page.click("#trees-download-svg")
    assert image.value.suggested_filename.endswith(".svg")
    assert "<svg" in Path(image.value.path()).read_text()[:2000]


def _big_newick(tips: int, seed: int = 7) -> str:
    """A random binary tree of ``tips`` tips with branch lengths (iterative joining)."""
    rng = random.Random(seed)
    nodes = [f"t{i}:{rng.uniform(0.001, 0.05):.4f}" for i in range(tips)]
    while len(nodes) > 1:
        a = nodes.pop(rng.randrange(len(nodes)))
        b = nodes.pop(rng.randrange(len(nodes)))
        nodes.append(f"({a},{b}):{rng.uniform(0.001, 0.05):.4f}")
    return nodes[0].rsplit(":", 1)[0] + ";"


@pytest.mark.browser
@pytest.mark.alone  # times a redraw: no other test's browser or server beside it
def test_a_2500_tip_upload_stays_responsive(
    new_page: PageFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    path = tmp_path / "big.nwk"
    path.write_text(_big_newick(2500))
    goto_page(page, "/trees?new=file")
    page.locator("#trees-upload-host input[type=file]").set_input_files(str(path))
    expect(page.locator("#trees-upload-note")).to_contain_text("is ready")
    page.click("#trees-upload-submit")
    wait_until(page, lambda: "tree=" in page.url, "the uploaded tree to open", timeout_s=60)
    wait_for_dash(page)
    expect(page.locator("#trees-info")).to_contain_text("2,500")
    screenshot(page, "trees-big")
    # Changing the view redraws within a couple of seconds (a few WebGL traces).
    started = time.monotonic()
    page.get_by_label("Circular").check()
    _wait_idle(page)
    wait_until(page, lambda: "layout=circular" in page.url, "the circular layout")
    assert time.monotonic() - started < 5
    traces = page.evaluate(
        "() => document.querySelector('#trees-figure .js-plotly-plot').data.length"
    )
    assert traces < 12, traces
    screenshot(page, "trees-big-circular")


def _api_upload_tree(page: Page, newick: str, name: str, experiment_id: int) -> int:
    """Upload a Newick through ``POST /api/v1/trees`` with the page's cookies."""
    base = page.url.split("/", 3)[:3]
    origin = "/".join(base)
    response = page.context.request.post(
        origin + "/api/v1/trees",
        headers={"Origin": origin, "Accept": "application/json"},
        multipart={
            "file": {"name": f"{name}.nwk", "mimeType": "text/plain", "buffer": newick.encode()},
            "experiment_id": str(experiment_id),
            "name": name,
        },
    )
    assert response.status == 201, response.text()
    return int(response.json()["id"])


def _boxes_overlap(page: Page, first: str, second: str) -> bool:
    return bool(
        page.evaluate(
            """([a, b]) => {
                const r = document.querySelector(a).getBoundingClientRect();
                const s = document.querySelector(b).getBoundingClientRect();
                return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom;
            }""",
            [first, second],
        )
    )


def _labels_outside_figure(page: Page) -> list[str]:
    """Tip labels drawn (even partly) outside the figure's own box."""
    found: Any = page.evaluate(
        """() => {
            const gd = document.querySelector('#trees-figure .js-plotly-plot');
            const box = gd.getBoundingClientRect();
            return Array.from(gd.querySelectorAll('.scatterlayer .textpoint text'))
                .filter(t => {
                    const r = t.getBoundingClientRect();
                    return r.width && (r.left < box.left - 1 || r.right > box.right + 1);
                })
                .map(t => t.textContent);
        }"""
    )
    return list(found)


@pytest.mark.browser
def test_a_populated_tree_view_reads_well_light_and_dark_on_desktop_and_phone(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    account = create_account(live_server, browser, "trees", ["scientist"])
    first = open_session(browser, live_server, VIEWPORTS[0], "light", account=account)
    try:
        _name, dataset_ids = _seed(first.page, tmp_path)
        experiment_id = int(
            api_json(first.page, "GET", f"/api/v1/datasets/{dataset_ids[0]}")[1]["experiment_id"]
        )
        # An uploaded bootstrap tree whose tips are named like the experiment's samples
        # (its colours come through their factors), and a second one to compare with.
        shape = "((flight-A:0.01,flight-B:0.012){s1}:0.02,(ground-A:0.01,ground-B:0.011){s2}:0.03,"
        tree = _api_upload_tree(
            first.page,
            shape.format(s1="97", s2="88") + "ancestor:0.005);",
            "Uploaded bootstrap tree",
            experiment_id,
        )
        other = _api_upload_tree(
            first.page,
            "((flight-A:1,ground-A:1):1,(flight-B:1,ground-B:1):1,ancestor:1);",
            "Another topology",
            experiment_id,
        )
    finally:
        first.close()
    path = f"/trees?tree={tree}&colour=spaceflight&support=1&search=flight&compare={other}"
    for viewport in VIEWPORTS:
        for scheme in SCHEMES:
            session = open_session(
                browser,
                live_server,
                viewport,
                scheme,
                account=account,
                init_scripts=[require_axe()],
            )
            where = f"the tree view ({session.label})"
            try:
                page = session.page
                goto_page(page, path)
                expect(page.locator("#trees-compare")).to_have_value(str(other))
                expect(page.locator("#trees-compare-result")).to_contain_text(
                    "Different topologies"
                )
                assert {"Space Flight", "Ground Control", "Ancestor"} <= _legend(page), where
                expect(page.locator("#trees-search-info")).to_have_text("2 tips match")
                screenshot(page, f"trees-view-{viewport.name}-{scheme}")
                _assert_accessible(page, where)
                # Nothing wider than the window; every label inside the figure.
                width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
                assert width[0] <= width[1], f"{where}: the page scrolls sideways {width}"
                assert not _labels_outside_figure(page), where
                # The modebar shows on hover, in its own band above the legend.
                box = page.locator("#trees-figure").bounding_box()
                assert box
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                expect(page.locator(f"{GRAPH} .modebar")).to_be_visible()
                assert not _boxes_overlap(page, f"{GRAPH} .modebar", f"{GRAPH} .legend"), where
                session.problems.assert_clean(where)
            finally:
                session.close()
