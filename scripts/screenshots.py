"""Regenerate the screenshots in docs/screenshots/ from the running app.

    python scripts/screenshots.py                 # every page and component
    python scripts/screenshots.py --only overview,experiments --no-components

Starts ``python app.py serve`` on a temporary data directory (as the browser tests do), fills
it through the JSON API with a few experiments, users, edits and jobs (so every number shown is
one the app computed), then writes with headless Chromium:

- ``docs/screenshots/<page>-<light|dark>-<desktop|phone>.png``: full-page shots of every page
  in ``dash.page_registry`` (named after the page's registry name: "Audit log" ->
  ``audit-log``), the login page and a refused page (``forbidden``); the explorer opens on the
  seeded pPCP1 genome (``explorer``: the whole record), and shows its tools in
  ``explorer-cds`` (a gene zoomed, its CDS picked), ``explorer-motif`` (hits of a motif) and
  ``explorer-align`` (two CDS aligned);
- ``docs/screenshots/components/<piece>-<light|dark>.png``: the design system's pieces for
  ``dashboard/components/README.md``.

Desktop is 1400×900 and phone 390×844, as in ``tests/browser/test_design.py``. Needs the test
requirements (Playwright) and Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Locator, Page, sync_playwright  # noqa: E402

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    api_json,
    api_upload,
    registry_pages,
)
from tests.browser.design_support import (  # noqa: E402
    DESKTOP,
    SCHEMES,
    VIEWPORTS,
    Account,
    Session,
    open_session,
    running_app,
    settle,
)

OUT = ROOT / "docs" / "screenshots"
TEMPLATE_PART = re.compile(r"<([^>]+)>")
JOB_TIMEOUT_S = 60.0

# --- the data: real experiments' shapes, entered through the API ----------------------------

FLIGHT = "Space Flight"
GROUND = "Ground Control"


def _arm(name: str, spaceflight: str, gravity_g: float, description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "spaceflight": spaceflight,
        "gravity_g": gravity_g,
        "description": description,
    }


EXPERIMENTS: list[dict[str, Any]] = [
    {
        "name": "BRIC-23 E. coli REL606 adaptation",
        "organism": "Escherichia coli REL606",
        "mission": "SpaceX CRS-9",
        "hardware": "BRIC-PDFU",
        "description": (
            "Lenski's ancestor REL606 grown in BRIC petri dish fixation units for 21 days on "
            "orbit beside a ground control in the same hardware; endpoint populations are "
            "sequenced to call mutations against the ancestor."
        ),
        "arms": [
            _arm("flight µg", FLIGHT, 0.0, "Kennedy to ISS, 21 d at 22 °C"),
            _arm("ground 1 g", GROUND, 1.0, "Same hardware, 4-day delayed synchronous control"),
        ],
    },
    {
        "name": "Bacillus subtilis 168 spores on Kubik",
        "organism": "Bacillus subtilis 168",
        "mission": "ISS Increment 53",
        "hardware": "Kubik incubator with 1 g centrifuge",
        "description": "Germination and outgrowth of spores in microgravity and on the "
        "on-board 1 g centrifuge slot, against a ground control.",
        "arms": [
            _arm("flight µg", FLIGHT, 0.0),
            _arm("flight 1 g centrifuge", FLIGHT, 1.0, "Kubik's centrifuge insert"),
            _arm("ground 1 g", GROUND, 1.0),
        ],
    },
    {
        "name": "Staphylococcus aureus biofilm under LED",
        "organism": "Staphylococcus aureus UAMS-1",
        "mission": "SpaceX CRS-25",
        "hardware": "BRIC-LED",
        "osdr_accession": "OSD-379",
        "arms": [_arm("flight µg", FLIGHT, 0.0), _arm("ground 1 g", GROUND, 1.0)],
    },
    {
        "name": "Pseudomonas aeruginosa PA14 biofilm architecture",
        "organism": "Pseudomonas aeruginosa PA14",
        "mission": "STS-135",
        "hardware": "Fluid Processing Apparatus (FPA)",
        "arms": [_arm("flight µg", FLIGHT, 0.0), _arm("ground 1 g", GROUND, 1.0)],
    },
    {
        "name": "Saccharomyces cerevisiae BY4741 hypergravity",
        "organism": "Saccharomyces cerevisiae BY4741",
        "mission": "",
        "hardware": "Large-diameter centrifuge",
        "description": "Ground study: growth at 1 g and 2 g on the centrifuge.",
        "arms": [_arm("ground 1 g", GROUND, 1.0), _arm("ground 2 g", GROUND, 2.0)],
    },
]
DETAIL = 0  # index of the experiment whose page is shown for /experiments/<experiment_id>

USERS = [
    ("ada", "Ada Okafor", ["scientist"]),
    ("mika", "Mika Lindqvist", ["operator"]),
    ("rosa", "Rosa Delgado", ["reviewer"]),
]


@dataclass
class Seeded:
    """What the seed made, for filling path templates and logging in."""

    experiment_ids: list[int]
    accounts: dict[str, Account]
    dataset_ids: list[int] = dataclass_field(default_factory=list)


def _call(page: Page, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    status, payload = api_json(page, method, path, body)
    if status != expect:
        raise RuntimeError(f"{method} {path} answered {status}, expected {expect}: {payload}")
    return payload


def _wait_for_job(page: Page, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        job = _call(page, "GET", f"/api/v1/jobs/{job_id}")
        if job["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return dict(job)
        page.wait_for_timeout(200)


def seed(admin: Page, anonymous: Page, passwords: dict[str, str]) -> Seeded:
    """Users, experiments with edits, jobs and a few refusals, all through the app."""
    accounts: dict[str, Account] = {}
    for username, display, roles in USERS:
        password = passwords[username]
        _call(
            admin,
            "POST",
            "/api/v1/users",
            {"username": username, "password": password, "roles": roles, "display_name": display},
            expect=201,
        )
        accounts[username] = Account(username, password)

    ids = []
    for body in EXPERIMENTS:
        created = _call(admin, "POST", "/api/v1/experiments", body, expect=201)
        ids.append(int(created["id"]))
    # A history: the description refined, then an arm added.
    first = _call(admin, "GET", f"/api/v1/experiments/{ids[DETAIL]}")
    edited = _call(
        admin,
        "PATCH",
        f"/api/v1/experiments/{ids[DETAIL]}",
        {
            "version": first["version"],
            "osdr_accession": "",
            "hardware": "BRIC-PDFU (petri dish fixation units)",
        },
    )
    _call(
        admin,
        "PATCH",
        f"/api/v1/experiments/{ids[DETAIL]}",
        {
            "version": edited["version"],
            "arms": [
                *(
                    {k: a[k] for k in ("name", "spaceflight", "gravity_g", "description")}
                    for a in edited["arms"]
                ),
                _arm("ancestor", GROUND, 1.0, "Frozen REL606 stock, revived for sequencing"),
            ],
        },
    )
    _call(admin, "POST", "/api/v1/tokens", {"name": "analysis notebook"}, expect=201)

    # Jobs that ran to their ends: two verifications, an export, a cancelled self-test.
    for body in (
        {"kind": "audit.verify"},
        {"kind": "audit.export", "params": {}},
        {"kind": "system.selftest", "params": {"seconds": 0.5, "progress_every_s": 0.1}},
    ):
        job = _call(admin, "POST", "/api/v1/jobs", body, expect=202)
        _wait_for_job(admin, int(job["id"]))
    slow = _call(
        admin,
        "POST",
        "/api/v1/jobs",
        {"kind": "system.selftest", "params": {"seconds": 60, "progress_every_s": 0.2}},
        expect=202,
    )
    admin.wait_for_timeout(1000)
    _call(admin, "POST", f"/api/v1/jobs/{slow['id']}/cancel", expect=200)
    _wait_for_job(admin, int(slow["id"]))

    # A mistyped password (an audited failure).
    anonymous.goto("/login")
    anonymous.fill("#username", "ada")
    anonymous.fill("#password", "not-her-password")
    anonymous.click("#login-submit")
    anonymous.wait_for_load_state("networkidle")
    return Seeded(ids, accounts, seed_datasets(admin, ids[DETAIL]))


SEQUENCES = ROOT / "tests" / "fixtures" / "sequences" / "biopython"
DATASET_DETAIL = 0  # index of the dataset whose page is shown for /datasets/<dataset_id>
GENOME = 1  # index of the dataset the explorer opens on: pPCP1 (NC_005816.gb, 9,609 bp)


def simulated_reads(path: Path, reads: int) -> Path:
    """Gzipped 2×150 bp-style reads: random bases at 51 % GC, qualities falling along the
    read as an Illumina run's do, a few reads trimmed. Simulated, and named so."""
    rng = random.Random(23)  # noqa: S311 - simulated reads, not secrets
    with gzip.open(path, "wt", encoding="ascii", compresslevel=6) as out:
        for number in range(1, reads + 1):
            length = 150 if rng.random() < 0.9 else rng.randint(60, 149)
            bases = "".join(rng.choices("ACGT", weights=(49, 51, 51, 49), k=length))
            quality = "".join(
                chr(33 + max(2, min(41, round(37 - 9 * (i / 150) ** 2 + rng.gauss(0, 2.5)))))
                for i in range(length)
            )
            out.write(f"@simulated:{number}\n{bases}\n+\n{quality}\n")
    return path


def seed_datasets(admin: Page, experiment_id: int) -> list[int]:
    """Reads of the flight arm (simulated), the ancestor's reference genome, and an assembly
    derived from the reads, imported as the browser imports them (chunked upload + job)."""
    arms = {
        a["name"]: a["id"]
        for a in _call(admin, "GET", f"/api/v1/experiments/{experiment_id}")["arms"]
    }
    with tempfile.TemporaryDirectory(prefix="msg-shots-reads-") as tmp:
        reads_path = simulated_reads(Path(tmp) / "F1-day21_R1.fastq.gz", 20_000)
        reads = api_upload(
            admin,
            reads_path,
            {
                "experiment_id": experiment_id,
                "sample_name": "F1-day21",
                "arm_id": arms["flight µg"],
                "instrument": "Illumina MiSeq (simulated reads)",
                "factors": {
                    "strain": "REL606",
                    "taxon_id": 413997,
                    "time_point": "day 21",
                    "replicate": "A",
                    "radiation_mgy": 4.2,
                },
            },
        )
    genome = api_upload(
        admin,
        SEQUENCES / "NC_005816.gb",
        {"experiment_id": experiment_id, "sample_name": "ancestor", "arm_id": arms["ancestor"]},
    )
    assembly = api_upload(
        admin,
        SEQUENCES / "example.fasta",
        {
            "experiment_id": experiment_id,
            "sample_name": "F1-day21",
            "material": "assembly",
            "derived_from": [reads["id"]],
        },
    )
    return [int(reads["id"]), int(genome["id"]), int(assembly["id"])]


# --- shots ----------------------------------------------------------------------------------


def slug(name: str) -> str:
    """A file-name part from a page name: "Audit log" -> "audit-log"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "page"


@dataclass(frozen=True)
class Shot:
    """A full-page shot: file stem, path, who looks, and what to do on the page first."""

    stem: str
    path: str
    role: str
    stage: Callable[[Page], None] | None = None


def page_shots(seeded: Seeded) -> list[Shot]:
    """Every registered page, the login page, a refusal and the explorer's tools."""
    shots = []
    for registered in registry_pages():
        template = registered.get("path_template")
        path = str(registered["path"])
        if template:
            names = TEMPLATE_PART.findall(template)
            if names == ["dataset_id"] and seeded.dataset_ids:
                path = TEMPLATE_PART.sub(str(seeded.dataset_ids[DATASET_DETAIL]), template)
            elif set(names) == {"experiment_id"}:
                path = TEMPLATE_PART.sub(str(seeded.experiment_ids[DETAIL]), template)
            else:
                print(f"skipped {template}: no screenshot data for {names}", file=sys.stderr)
                continue
        if path == EXPLORER and seeded.dataset_ids:
            shots += explorer_shots(seeded.dataset_ids[GENOME])
            continue
        if path == PROVENANCE and seeded.dataset_ids:  # the assembly: derived from the reads
            path = f"{PROVENANCE}?dataset={seeded.dataset_ids[-1]}"
        shots.append(Shot(slug(str(registered["name"])), path, "admin"))
    shots.append(Shot("login", "/login", "anonymous"))
    shots.append(Shot("forbidden", "/admin/users", "ada"))
    return shots


# --- the explorer: pPCP1 of Yersinia pestis, its map and its tools --------------------------

EXPLORER = "/explorer"
PROVENANCE = "/provenance"
PLA = 7  # pPCP1's eighth CDS: pla, the plasminogen activator, at 6,664..7,602
PLA_VIEW = (6570, 7696)  # the explorer's own zoom to it: the CDS and a tenth of its length
MOTIF = "AGGAGG"  # the Shine-Dalgarno core: 5 hits on pPCP1's two strands
SECOND_START = '[id=\'{"field":"second-start","form":"explorer-align-form"}\']'


def _explorer_ready(page: Page) -> None:
    """The record parsed and the map drawn, every callback answered."""
    page.wait_for_selector("#explorer-map .js-plotly-plot .barlayer", state="attached")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def _explorer_map(page: Page) -> None:
    _explorer_ready(page)
    page.locator("#explorer-feature-counts").filter(has_text="CDS").wait_for()


def _explorer_cds(page: Page) -> None:
    _explorer_ready(page)
    page.locator("#explorer-cds-detail").filter(has_text="YP_pPCP08").wait_for()


def _explorer_motif(page: Page) -> None:
    _explorer_ready(page)
    page.locator("#explorer-motif-info").filter(has_text=f"of {MOTIF}").wait_for()
    page.locator("#explorer-hits-grid .ag-row").first.wait_for()


def _explorer_align(page: Page) -> None:
    """Align pPCP1's two transposases as a scientist does: "Align with…" on the first CDS,
    the second picked from the quick pick, then Align."""
    _explorer_ready(page)
    detail = page.locator("#explorer-cds-detail")
    detail.filter(has_text="YP_pPCP01").wait_for()
    detail.get_by_role("button", name="Align with…").click()
    pick = page.locator("#explorer-align-second-cds")
    pick.wait_for()
    label = page.locator("#explorer-align-second-cds-options option").nth(1).get_attribute("value")
    pick.fill(label or "")
    pick.press("Enter")
    page.wait_for_function("sel => document.querySelector(sel)?.value", arg=SECOND_START)
    page.get_by_role("button", name="Align", exact=True).click()
    page.locator("#explorer-align-summary").filter(has_text="Identity").wait_for()
    page.wait_for_load_state("networkidle")


def explorer_shots(dataset_id: int) -> list[Shot]:
    """The explorer on pPCP1: the whole record, a gene zoomed with its CDS, a motif's hits,
    an alignment."""
    base = f"{EXPLORER}?dataset={dataset_id}"
    start, end = PLA_VIEW
    return [
        Shot("explorer", base, "admin", _explorer_map),
        Shot("explorer-cds", f"{base}&start={start}&end={end}&cds={PLA}", "admin", _explorer_cds),
        Shot("explorer-motif", f"{base}&motif={MOTIF}&tab=motif", "admin", _explorer_motif),
        Shot("explorer-align", f"{base}&cds=0", "admin", _explorer_align),
    ]


def _shoot(
    session: Session,
    path: str,
    target: Path,
    *,
    full_page: bool = True,
    stage: Callable[[Page], None] | None = None,
) -> None:
    page = session.page
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if page.locator("#_pages_content").count():
        page.wait_for_selector("#_pages_content > *", state="attached")
        page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
        page.wait_for_load_state("networkidle")
    if stage is not None:
        stage(page)
    settle(page)
    page.wait_for_timeout(300)  # figures' and grids' own transitions
    page.screenshot(path=str(target), full_page=full_page, animations="disabled")


def _union_clip(page: Page, locators: list[Locator], pad: int = 12) -> dict[str, float]:
    boxes = [b for b in (loc.bounding_box() for loc in locators) if b]
    if not boxes:
        raise RuntimeError("nothing to clip")
    left = max(0.0, min(b["x"] for b in boxes) - pad)
    top = max(0.0, min(b["y"] for b in boxes) - pad)
    right = max(b["x"] + b["width"] for b in boxes) + pad
    bottom = max(b["y"] + b["height"] for b in boxes) + pad
    return {"x": left, "y": top, "width": right - left, "height": bottom - top}


def _element(page: Page, selector: str) -> Locator:
    found = page.locator(selector)
    if not found.count():
        raise RuntimeError(f"no {selector} on {page.url}")
    return found.first


def _closest(locator: Locator, selector: str) -> Locator:
    """The nearest ancestor (or self) matching ``selector``, as a locator."""
    marker = "msg-shot-" + secrets.token_hex(3)
    locator.evaluate(
        "(el, [sel, mark]) => (el.closest(sel) || el).setAttribute('data-shot', mark)",
        [selector, marker],
    )
    return locator.page.locator(f"[data-shot='{marker}']")


def component_grid(page: Page) -> Locator:
    """The experiments grid with its toolbar, in its card."""
    page.goto("/experiments")
    page.wait_for_selector(".ag-row", state="visible")
    settle(page)
    return _closest(_element(page, ".ag-root-wrapper"), ".card")


def component_header(page: Page, seeded: Seeded) -> list[Locator]:
    page.goto(f"/experiments/{seeded.experiment_ids[DETAIL]}")
    page.wait_for_selector("header.msg-page-header")
    settle(page)
    return [_element(page, "header.msg-page-header")]  # a list: shot with a margin


def component_badges(page: Page) -> Locator:
    """Job states as badges in the jobs grid, with the legend."""
    page.goto("/jobs")
    page.wait_for_selector(".msg-badge", state="visible")
    settle(page)
    return _closest(_element(page, ".msg-legend"), ".card")


def component_form_errors(page: Page) -> Locator:
    """The new-experiment form after submitting impossible values: every error beside its
    field at once."""
    page.goto("/experiments/new")
    form = page.locator("main form").first
    form.wait_for(state="visible")
    settle(page)
    for field in form.locator("input[type=text], textarea").all():
        if field.is_editable():
            field.fill("")
    form.locator("input[id*='osdr']").first.fill("GLDS-12")
    gravity = form.locator("input[type=number]")
    if gravity.count():
        gravity.first.fill("-1")
    form.locator("button[type=submit]").first.click()
    page.wait_for_selector("[aria-invalid=true]")
    page.wait_for_load_state("networkidle")
    settle(page)
    return _closest(form, ".card")


def component_theme_menu(page: Page) -> list[Locator]:
    """The navbar's theme toggle and the user menu with the display choices."""
    page.goto("/")
    page.wait_for_selector("#msg-theme-menu")
    page.click("#user-menu")
    menu = page.locator(".dropdown-menu.show").first
    menu.wait_for(state="visible")
    settle(page)
    return [page.locator("#msg-theme-menu"), page.locator("#user-menu"), menu]


def component_time(page: Page, seeded: Seeded) -> list[Locator]:
    """A time with its relative-time tooltip. Browsers draw ``title`` tooltips outside the
    page, where screenshots cannot see them; we draw the same text as a Bootstrap tooltip."""
    page.goto(f"/experiments/{seeded.experiment_ids[DETAIL]}")
    stamp = page.locator("main time.msg-time").first
    stamp.wait_for(state="visible")
    stamp.hover()
    page.wait_for_timeout(200)
    stamp.evaluate(
        """el => {
          const tip = document.createElement('div');
          tip.className = 'tooltip bs-tooltip-bottom show';
          tip.id = 'msg-shot-tooltip';
          tip.setAttribute('role', 'tooltip');
          tip.innerHTML = '<div class="tooltip-arrow"></div><div class="tooltip-inner"></div>';
          const inner = tip.querySelector('.tooltip-inner');
          inner.textContent = el.getAttribute('title');
          inner.style.maxWidth = 'none';
          inner.style.whiteSpace = 'nowrap';
          document.body.append(tip);
          const r = el.getBoundingClientRect();
          tip.style.position = 'absolute';
          tip.style.top = (window.scrollY + r.bottom + 4) + 'px';
          tip.style.left = (window.scrollX + r.left) + 'px';
          tip.querySelector('.tooltip-arrow').style.left = '12px';
        }"""
    )
    return [_closest(stamp, "dd, li, p, div"), page.locator("#msg-shot-tooltip")]


def component_empty(page: Page) -> Locator:
    """The experiments list before there are any: what it is for and the action at hand.
    Shot before the seed."""
    page.goto("/experiments")
    page.wait_for_selector(".msg-empty", state="visible")
    empty = _element(page, ".msg-empty")
    settle(page)
    return _closest(empty, ".card")


def component_grid_empty(page: Page) -> Locator:
    """A grid with no rows (the jobs of someone who started none)."""
    page.goto("/jobs")
    page.wait_for_selector(".msg-grid-empty, .ag-overlay-no-rows-wrapper", state="visible")
    settle(page)
    return _closest(_element(page, ".ag-root-wrapper"), ".card")


def component_loading(page: Page, target: Path) -> None:
    """A page change slower than 300 ms: the spinner in place over the old page. The app's
    answers are held back (not faked) until the shot is taken."""
    page.goto("/")
    page.wait_for_selector("#_pages_content > *")
    settle(page)
    held: list[Any] = []
    holding = [True]

    def hold(route: Any) -> None:
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/_dash-update-component*", hold)
    try:
        page.evaluate(
            "() => { window.history.pushState({}, '', '/admin/audit');"
            " window.dispatchEvent(new PopStateEvent('popstate')); }"
        )
        page.wait_for_selector("main [class*=spinner]", timeout=5000)
        page.wait_for_timeout(300)
        box = page.locator("main").bounding_box()
        spinner = page.locator("main [class*=spinner]").first.bounding_box()
        if box is None or spinner is None:
            raise RuntimeError("no <main> or no spinner")
        middle = spinner["y"] + spinner["height"] / 2
        top = max(box["y"], middle - 200)
        page.screenshot(
            path=str(target),
            clip={"x": box["x"], "y": top, "width": box["width"], "height": 400},
            animations="disabled",
        )
    finally:
        holding[0] = False
        for route in held:
            route.continue_()
        page.wait_for_load_state("networkidle")
        page.unroute("**/_dash-update-component*")


# Stages a piece on the page; returns what to shoot (None: it took the shot itself).
Stage = Callable[[Page, Path], "Locator | list[Locator] | None"]


Piece = tuple[str, Account, Stage]


def shoot_pieces(
    browser: Browser, server: LiveServer, pieces: list[Piece], out: Path, failures: list[str]
) -> list[Path]:
    """Element screenshots of design-system pieces, light and dark, at desktop size."""
    directory = out / "components"
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for scheme in SCHEMES:
        sessions: dict[str, Session] = {}
        try:
            for name, account, stage in pieces:
                if account.username not in sessions:
                    sessions[account.username] = open_session(
                        browser, server, DESKTOP, scheme, account=account
                    )
                page = sessions[account.username].page
                target = directory / f"{name}-{scheme}.png"
                try:
                    staged = stage(page, target)
                    if isinstance(staged, list):
                        clip = _union_clip(page, staged)
                        page.screenshot(path=str(target), clip=clip, animations="disabled")
                    elif staged is not None:
                        staged.screenshot(path=str(target), animations="disabled")
                    written.append(target)
                except Exception as exc:  # noqa: BLE001 - a missing piece is reported, not fatal
                    failures.append(f"components/{target.name}: {str(exc).splitlines()[0]}")
                finally:
                    page.keyboard.press("Escape")
        finally:
            for session in sessions.values():
                session.close()
    return written


def seeded_pieces(server: LiveServer, seeded: Seeded) -> list[Piece]:
    """The pieces shown with the seeded data."""
    admin = Account(server.admin_user, server.admin_password)
    rosa = seeded.accounts["rosa"]  # started no jobs: her jobs grid is empty
    return [
        ("page-header", admin, lambda p, _t: component_header(p, seeded)),
        ("grid", admin, lambda p, _t: component_grid(p)),
        ("form-errors", admin, lambda p, _t: component_form_errors(p)),
        ("status-badges", admin, lambda p, _t: component_badges(p)),
        ("theme-menu", admin, lambda p, _t: component_theme_menu(p)),
        ("time-tooltip", admin, lambda p, _t: component_time(p, seeded)),
        ("grid-empty", rosa, lambda p, _t: component_grid_empty(p)),
        ("loading", admin, component_loading),
    ]


def shoot_pages(
    browser: Browser,
    server: LiveServer,
    seeded: Seeded,
    out: Path,
    only: set[str],
    failures: list[str],
) -> list[Path]:
    """Full-page shots of every page in each viewport and scheme."""
    out.mkdir(parents=True, exist_ok=True)
    admin = Account(server.admin_user, server.admin_password)
    shots = [s for s in page_shots(seeded) if not only or s.stem in only]
    written: list[Path] = []
    for viewport in VIEWPORTS:
        for scheme in SCHEMES:
            sessions: dict[str, Session] = {}
            try:
                for shot in shots:
                    role = shot.role
                    if role not in sessions:
                        account = (
                            None
                            if role == "anonymous"
                            else (admin if role == "admin" else seeded.accounts[role])
                        )
                        sessions[role] = open_session(
                            browser, server, viewport, scheme, account=account
                        )
                    target = out / f"{shot.stem}-{scheme}-{viewport.name}.png"
                    try:
                        _shoot(sessions[role], shot.path, target, stage=shot.stage)
                        written.append(target)
                    except Exception as exc:  # noqa: BLE001 - reported, the others still run
                        failures.append(f"{target.name}: {str(exc).splitlines()[0]}")
            finally:
                for session in sessions.values():
                    session.close()
    return written


@dataclass(frozen=True)
class _Args:
    out: Path
    only: set[str]
    pages: bool
    components: bool


def _parse(argv: list[str] | None) -> _Args:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (docs/screenshots)")
    parser.add_argument("--only", default="", help="page stems, comma-separated (e.g. overview)")
    parser.add_argument("--no-pages", action="store_true", help="skip full-page shots")
    parser.add_argument("--no-components", action="store_true", help="skip component shots")
    ns = parser.parse_args(argv)
    only = {s.strip() for s in ns.only.split(",") if s.strip()}
    return _Args(ns.out.resolve(), only, not ns.no_pages, not ns.no_components)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    passwords = {name: "Shots-" + secrets.token_urlsafe(16) for name, _, _ in USERS}
    admin_password = "Shots-" + secrets.token_urlsafe(16)
    failures: list[str] = []
    written: list[Path] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="msg-shots-") as tmp:
        data_dir = Path(tmp)
        with running_app(data_dir, admin_password) as base_url:
            server = LiveServer(
                base_url=base_url,
                data_dir=data_dir,
                log_path=data_dir / "server.log",
                admin_user="admin",
                admin_password=admin_password,
                sci_user="ada",
                sci_password=passwords["ada"],
            )
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    admin_account = Account("admin", admin_password)
                    if args.components:
                        # Before any data: the empty experiments list.
                        empty: list[Piece] = [
                            ("empty-state", admin_account, lambda p, _t: component_empty(p))
                        ]
                        written += shoot_pieces(browser, server, empty, args.out, failures)
                    admin = open_session(
                        browser,
                        server,
                        DESKTOP,
                        "light",
                        account=admin_account,
                    )
                    anonymous = open_session(browser, server, DESKTOP, "light")
                    seeded = seed(admin.page, anonymous.page, passwords)
                    admin.close()
                    anonymous.close()
                    # Audit a refused page load, as it would show in the log.
                    ada = open_session(
                        browser, server, DESKTOP, "light", account=seeded.accounts["ada"]
                    )
                    ada.page.goto("/admin/audit")
                    ada.close()
                    if args.pages:
                        written += shoot_pages(
                            browser, server, seeded, args.out, args.only, failures
                        )
                    if args.components:
                        pieces = seeded_pieces(server, seeded)
                        written += shoot_pieces(browser, server, pieces, args.out, failures)
                finally:
                    browser.close()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    print(f"{len(written)} screenshots in {time.monotonic() - started:.0f} s", file=sys.stderr)
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
