"""The Provenance page in the browser: a reviewer finds a dataset anchored within seconds of
its import, walks its lineage graph, verifies it, learns from a file dropped on the page
(hashed in the browser: its bytes never sent) whether and where those bytes were recorded,
and retracts a parent, which its child and the datasets list then show. The browser's
SHA-256 is checked against the standard's vectors and Python's hashlib."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

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
from .design_support import axe_violations, format_violation, require_axe, serious_violations

ANCHOR_TIMEOUT_S = 30.0
REASON_INPUT = '[id=\'{"field":"reason","form":"provenance-retract"}\']'
REASON_ERROR = '[id=\'{"field":"reason","form":"provenance-retract","part":"error"}\']'

# FIPS 180-2 examples and the empty message.
VECTORS = {
    "": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
}
MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


def _fasta(name: str) -> bytes:
    """Bytes no other test imports (the same bytes are one dataset per server)."""
    bases = "".join(secrets.choice("ACGT") for _ in range(300))
    return f">{name} {secrets.token_hex(8)}\n{bases}\n".encode()


def _anchored(page: Page, dataset_id: int) -> dict[str, Any]:
    """Wait for the anchoring worker (about 2 s on the embedded chain)."""
    found: dict[str, Any] = {}

    def done() -> bool:
        status, body = api_json(page, "GET", f"/api/v1/datasets/{dataset_id}/provenance")
        assert status == 200, body
        found.update(body)
        return bool(body["status"]["state"] == "anchored")

    wait_until(page, done, f"dataset {dataset_id} to be anchored", ANCHOR_TIMEOUT_S)
    return found


@pytest.fixture
def reviewer_page(new_page: PageFactory, live_server: LiveServer) -> Page:
    page = new_page()
    page.context.add_init_script(path=str(require_axe()))
    login(page, live_server.admin_user, live_server.admin_password)
    return page


@pytest.fixture
def family(reviewer_page: Page, tmp_path: Path) -> dict[str, Any]:
    """A parent and a child derived from it, both anchored; the parent's file on disk."""
    page = reviewer_page
    status, experiment = api_json(
        page,
        "POST",
        "/api/v1/experiments",
        {
            "name": unique("Provenance "),
            "organism": "Yersinia pestis",
            "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
        },
    )
    assert status == 201, experiment
    parent_file = tmp_path / "parent.fasta"
    parent_file.write_bytes(_fasta("parent"))
    child_file = tmp_path / "child.fasta"
    child_file.write_bytes(_fasta("child"))
    status, parent = api_import(page, parent_file, experiment["id"], "ancestor")
    assert status == 201, parent
    status, child = api_import(
        page, child_file, experiment["id"], "flight-1", derived_from=str(parent["id"])
    )
    assert status == 201, child
    _anchored(page, parent["id"])
    _anchored(page, child["id"])
    return {"parent": parent, "child": child, "parent_file": parent_file}


def test_the_browser_sha256_matches_the_standard_and_hashlib(reviewer_page: Page) -> None:
    page = reviewer_page
    goto_page(page, "/provenance?tab=file")
    for text, digest in VECTORS.items():
        got = page.evaluate("t => msgSha256.hex(new TextEncoder().encode(t))", text)
        assert got == digest, text
    million = page.evaluate(
        """() => { const h = msgSha256.create();
                   const a = new TextEncoder().encode('a'.repeat(1000));
                   for (let i = 0; i < 1000; i++) { h.update(a); }
                   return h.hex(); }"""
    )
    assert million == MILLION_A
    # Every length around the block and padding boundaries, fed in uneven pieces.
    data = secrets.token_bytes(3000)
    for size in (*range(0, 130), 447, 448, 511, 512, 513, 1000, 3000):
        expected = hashlib.sha256(data[:size]).hexdigest()
        got = page.evaluate(
            """([bytes, piece]) => { const h = msgSha256.create(); const b = new Uint8Array(bytes);
                 for (let o = 0; o < b.length; o += piece) { h.update(b.subarray(o, o + piece)); }
                 return h.hex(); }""",
            [list(data[:size]), 1 + size % 67],
        )
        assert got == expected, size


def test_a_reviewer_sees_walks_and_verifies_a_lineage(
    reviewer_page: Page, family: dict[str, Any]
) -> None:
    page = reviewer_page
    parent, child = family["parent"], family["child"]
    goto_page(page, f"/provenance?dataset={child['id']}")
    status = page.locator("#provenance-status")
    expect(status.locator("[data-provenance=anchored]")).to_have_text("Anchored")
    expect(status).to_contain_text("confirmation")
    expect(page.locator("#provenance-embedded-note")).to_contain_text("trust this server")
    expect(page.locator("#provenance-leaf")).to_have_text(child_leaf(page, child["id"]))
    expect(page.locator("#provenance-lineage-list")).to_contain_text(f"#{parent['id']}")
    expect(page.locator("#provenance-lineage-graph canvas").first).to_be_attached()
    screenshot(page, "provenance-dataset")

    page.click("#provenance-verify")
    checks = page.locator("#provenance-checks [data-verified=true]")
    expect(checks).to_contain_text("and its lineage verify", timeout=60_000)
    marks = page.locator("#provenance-checks .msg-check")
    assert marks.count() >= 10  # its own checks and its parent's
    assert page.locator('#provenance-checks .msg-check[data-ok="false"]').count() == 0
    expect(page.locator("#provenance-checks")).to_contain_text(f"Parent dataset #{parent['id']}")

    # A click on the parent's node opens the parent.
    x, y = page.evaluate(
        """id => { const el = document.querySelector('#provenance-lineage-graph');
                   const host = [el, ...el.querySelectorAll('div')].find(d => d._cyreg);
                   const p = host._cyreg.cy.$('#' + id).renderedPosition();
                   const r = host.getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
        str(parent["id"]),
    )
    page.mouse.click(x, y)
    page.wait_for_function(
        "id => new URLSearchParams(location.search).get('dataset') === id", arg=str(parent["id"])
    )
    wait_for_dash(page)
    expect(page.locator("h1")).to_have_text("Provenance")
    expect(page.locator("#provenance-lineage-list strong")).to_contain_text("parent.fasta")


def child_leaf(page: Page, dataset_id: int) -> str:
    status, body = api_json(page, "GET", f"/api/v1/datasets/{dataset_id}/provenance")
    assert status == 200, body
    return str(body["leaf"])


def test_a_dropped_file_is_hashed_here_and_only_its_digest_is_sent(
    reviewer_page: Page, family: dict[str, Any]
) -> None:
    page = reviewer_page
    parent = family["parent"]
    marker = secrets.token_hex(16)  # in the never-recorded file: must not leave the browser
    sent: list[str] = []

    def watch(request: Request) -> None:
        body = request.post_data_buffer or b""
        if marker.encode() in body or b"parent " in body:
            sent.append(request.url)

    page.on("request", watch)
    goto_page(page, f"/provenance?dataset={parent['id']}")
    # Chosen in the field: the parent's own bytes.
    page.click("#provenance-tab-file")
    page.set_input_files("#provenance-file-input", str(family["parent_file"]))
    answer = page.locator("#provenance-file-result")
    expect(answer.locator("[data-matches='1']")).to_contain_text("Recorded here")
    expect(answer).to_contain_text(f"#{parent['id']} parent.fasta")
    expect(answer).to_contain_text("Anchored in block")
    expect(page.locator("#provenance-hash-status")).to_contain_text("in this browser")
    screenshot(page, "provenance-file-found")

    # Dropped anywhere (on the Dataset tab's heading): bytes never recorded here. The tab
    # switch runs in a callback: wait for it, or it lands after the drop's and wins.
    page.click("#provenance-tab-dataset")
    expect(page.locator("#provenance-panel-dataset")).to_be_visible()
    page.evaluate(
        """marker => { const dt = new DataTransfer();
             dt.items.add(new File([`>x ${marker}\\nACGT\\n`], 'never.fasta'));
             const target = document.querySelector('h1');
             for (const type of ['dragover', 'drop']) {
               target.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true,
                                                         cancelable: true}));
             } }""",
        marker,
    )
    expect(page.locator("#provenance-panel-file")).to_be_visible()
    expect(answer.locator("[data-matches='0']")).to_contain_text("Never recorded here")
    expect(answer).to_contain_text(hashlib.sha256(f">x {marker}\nACGT\n".encode()).hexdigest())
    assert sent == [], f"the file's bytes left the browser: {sent}"


def test_retracting_a_parent_needs_a_reason_and_shows_on_its_child(
    reviewer_page: Page, family: dict[str, Any]
) -> None:
    page = reviewer_page
    parent, child = family["parent"], family["child"]
    goto_page(page, f"/provenance?dataset={parent['id']}")
    page.click("#provenance-retract-submit")
    expect(page.locator(REASON_ERROR)).to_contain_text("Say why")
    expect(page.locator(REASON_INPUT)).to_have_attribute("aria-invalid", "true")

    page.fill(REASON_INPUT, "Contaminated culture: the flight sample was mixed up.")
    page.click("#provenance-retract-submit")
    page.wait_for_function("() => location.search.includes('retracted=1')")
    wait_for_dash(page)
    expect(page.locator("#provenance-status [data-provenance=retracted]")).to_be_visible()
    expect(page.locator("#provenance-status")).to_contain_text("Contaminated culture")

    goto_page(page, f"/provenance?dataset={child['id']}")
    expect(page.locator("#provenance-status")).to_contain_text("Parent retracted")
    goto_page(page, f"/datasets?q={child['filename']}")
    cell = page.locator(f".ag-row[row-id='{child['id']}'] .msg-badge").first
    expect(cell).to_contain_text("Parent retracted")
    expect(cell).to_have_attribute(
        "title", f"Derived from dataset {parent['id']}, which is retracted."
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_with_a_lineage_has_no_serious_axe_violation(
    new_page: PageFactory, live_server: LiveServer, family: dict[str, Any], scheme: str
) -> None:
    page = new_page()
    page.context.add_init_script(path=str(require_axe()))
    page.emulate_media(color_scheme=scheme)
    login(page, live_server.admin_user, live_server.admin_password)
    for tab in ("dataset", "file", "batches"):
        goto_page(page, f"/provenance?dataset={family['child']['id']}&tab={tab}")
        page.wait_for_timeout(300)
        failing = serious_violations(axe_violations(page))
        assert not failing, f"{tab} ({scheme}):\n" + "\n".join(map(format_violation, failing))
