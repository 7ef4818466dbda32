"""The one grid in the browser: search, sort, filters and page in the URL; CSV export; the
column chooser; phone width; server paging of the audit log; rows that open."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from dashboard.db import Database
from tests.audit_seed import seed_chained_events

from .conftest import (
    LiveServer,
    PageFactory,
    api_json,
    goto_page,
    login,
    screenshot,
    unique,
    wait_until,
)
from .design_support import PHONE, Account, Session, create_account, open_session

ARMS = [
    {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0},
    {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1},
]
ROWS = ".ag-center-cols-container .ag-row"
SEEDED_DAY = datetime(2001, 1, 1, tzinfo=UTC)  # far from every other test's events
SEEDED = 120


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _rows(page: Page, grid: str) -> Locator:
    return page.locator(f"#{grid} {ROWS}")


def _create(page: Page, name: str, organism: str) -> dict[str, Any]:
    status, body = api_json(
        page, "POST", "/api/v1/experiments", {"name": name, "organism": organism, "arms": ARMS}
    )
    assert status == 201, body
    return dict(body)


@pytest.fixture
def experiments_page(new_page: PageFactory, live_server: LiveServer) -> tuple[Page, str]:
    """A scientist on /experiments with three experiments of a unique tag (two with E. coli)."""
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    tag = unique("grid")
    _create(page, f"{tag} alpha", "Escherichia coli K-12")
    _create(page, f"{tag} beta", "Bacillus subtilis 168")
    _create(page, f"{tag} gamma", "Escherichia coli REL606")
    goto_page(page, "/experiments")
    return page, tag


def test_quick_search_filters_rows_lands_in_the_url_and_survives_a_reload(
    experiments_page: tuple[Page, str], new_page: PageFactory, live_server: LiveServer
) -> None:
    page, tag = experiments_page
    page.fill("#experiments-search", f"{tag} coli")
    expect(_rows(page, "experiments-grid")).to_have_count(2)
    expect(page.locator("#experiments-grid")).to_contain_text(f"{tag} alpha")
    expect(page.locator("#experiments-grid")).not_to_contain_text(f"{tag} beta")
    wait_until(page, lambda: _query(page).get("q") == [f"{tag} coli"], "the search in the URL")

    # Sort by name, descending: the URL says so too.
    header = page.locator("#experiments-grid .ag-header-cell[col-id=name]")
    header.click()
    header.click()
    wait_until(page, lambda: _query(page).get("sort") == ["name:desc"], "the sort in the URL")
    expect(_rows(page, "experiments-grid").first).to_contain_text(f"{tag} gamma")

    # A copied link reproduces the view in a fresh browser.
    link = page.url
    other = new_page()
    login(other, live_server.sci_user, live_server.sci_password)
    goto_page(other, link)
    expect(other.locator("#experiments-search")).to_have_value(f"{tag} coli")
    expect(_rows(other, "experiments-grid")).to_have_count(2)
    expect(_rows(other, "experiments-grid").first).to_contain_text(f"{tag} gamma")
    expect(other.locator("#experiments-grid .ag-header-cell[col-id=name]")).to_have_attribute(
        "aria-sort", "descending"
    )

    # Back returns to the view before (each change of the view is a history entry).
    page.go_back()
    wait_until(page, lambda: _query(page).get("sort") == ["name"], "Back to the ascending sort")
    expect(_rows(page, "experiments-grid").first).to_contain_text(f"{tag} alpha")
    expect(page.locator("#experiments-grid .ag-header-cell[col-id=name]")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(page.locator("#experiments-search")).to_have_value(f"{tag} coli")
    screenshot(page, "grid_search_in_url")
    new_page.problems(page).assert_clean("/experiments search")
    new_page.problems(other).assert_clean("/experiments from a copied link")


def test_csv_export_downloads_the_rows_that_match(
    experiments_page: tuple[Page, str], new_page: PageFactory
) -> None:
    page, tag = experiments_page
    page.fill("#experiments-search", tag)
    expect(_rows(page, "experiments-grid")).to_have_count(3)
    with page.expect_download() as download:
        page.click("#experiments-export")
    assert download.value.suggested_filename == "experiments.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["Experiment"] for r in rows) == [f"{tag} alpha", f"{tag} beta", f"{tag} gamma"]
    assert {r["Arms"] for r in rows} == {"flight µg, ground 1 g"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["Created"]) for r in rows)
    new_page.problems(page).assert_clean("/experiments export")


def test_column_chooser_hides_a_column_and_the_url_remembers(
    experiments_page: tuple[Page, str], new_page: PageFactory
) -> None:
    page, _tag = experiments_page
    organism = page.locator("#experiments-grid .ag-header-cell[col-id=organism]")
    expect(organism).to_have_count(1)
    page.click("#experiments-columns-button")
    chooser = page.locator("#experiments-columns")
    expect(chooser).to_be_visible()
    chooser.get_by_label("Organism").uncheck()
    expect(organism).to_have_count(0)
    wait_until(page, lambda: _query(page).get("hide") == ["organism"], "hidden columns in URL")
    goto_page(page, page.url)
    expect(page.locator("#experiments-grid .ag-header-cell[col-id=organism]")).to_have_count(0)
    expect(page.locator("#experiments-grid .ag-header-cell[col-id=mission]")).to_have_count(1)
    new_page.problems(page).assert_clean("/experiments columns")


def test_arms_are_badges_and_names_link_to_their_experiment(
    experiments_page: tuple[Page, str], new_page: PageFactory
) -> None:
    page, tag = experiments_page
    page.fill("#experiments-search", f"{tag} beta")
    row = _rows(page, "experiments-grid")
    expect(row).to_have_count(1)
    flight = row.locator(".msg-badge", has_text="flight µg")
    expect(flight).to_have_class(re.compile("text-bg-primary"))
    expect(row.locator(".msg-badge", has_text="ground 1 g")).to_have_class(
        re.compile("text-bg-secondary")
    )
    expect(page.locator(".msg-grid-legend")).to_contain_text("Space Flight")
    expect(page.locator("#experiments-grid .ag-header-cell[col-id=version]")).to_have_count(0)
    link = page.locator(f"#experiments-grid a.msg-cell-link:text-is('{tag} beta')")
    link.click()
    page.wait_for_url(re.compile(r"/experiments/\d+$"))
    new_page.problems(page).assert_clean("/experiments link")


@pytest.fixture(scope="module")
def phone_account(browser: Browser, live_server: LiveServer) -> Account:
    return create_account(live_server, browser, "phone", ["admin"])


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("path", "grid"),
    [
        ("/experiments", "experiments-grid"),
        ("/jobs", "jobs-grid"),
        ("/admin/users", "users-grid"),
        ("/admin/audit", "audit-grid"),
    ],
)
def test_phone_width_scrolls_inside_the_grid_never_the_page(
    browser: Browser,
    live_server: LiveServer,
    phone_account: Account,
    path: str,
    grid: str,
    scheme: str,
) -> None:
    session: Session = open_session(browser, live_server, PHONE, scheme, account=phone_account)
    try:
        page = session.page
        _create(page, unique("Phone check "), "Bacillus subtilis 168")  # never an empty list
        goto_page(page, path)
        expect(page.locator(f"#{grid} .ag-header-cell").first).to_be_visible()
        width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{path} scrolls sideways at 390 px: {width}"
        # The name column is pinned while the others scroll inside the grid's card.
        pinned = page.locator(f"#{grid} .ag-pinned-left-header .ag-header-cell")
        expect(pinned).to_have_count(1)
        inner = page.evaluate(
            "id => { const v = document.querySelector('#' + id + ' .ag-center-cols-viewport');"
            " return [v.scrollWidth, v.clientWidth]; }",
            grid,
        )
        assert inner[0] > inner[1], f"the grid of {path} does not scroll inside: {inner}"
        screenshot(page, f"grid_phone_{path.strip('/').replace('/', '_')}_{scheme}")
        session.problems.assert_clean(f"{path} at 390 px, {scheme}")
    finally:
        session.close()


@pytest.fixture(scope="module")
def seeded_day(live_server: LiveServer) -> str:
    """``SEEDED`` chained events on one day long ago: a known set to page through."""
    db = Database(f"sqlite:///{live_server.data_dir / 'microspacegen.sqlite3'}")
    try:
        seed_chained_events(db, SEEDED, start=SEEDED_DAY)
    finally:
        db.dispose()
    return SEEDED_DAY.date().isoformat()


def _summary(page: Page) -> Locator:
    return page.locator("#audit-grid .ag-paging-row-summary-panel")


def test_audit_pages_come_from_the_server_and_live_in_the_url(
    new_page: PageFactory, live_server: LiveServer, seeded_day: str
) -> None:
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    day = f"since={seeded_day}&until={seeded_day}"
    goto_page(page, f"/admin/audit?{day}&size=20&page=3")
    # Newest first: page 3 of 20 holds events 79 down to 60 of the seeded 0..119.
    expect(_summary(page)).to_have_text(re.compile(r"41\s+to\s+60\s+of\s+120"))
    first = _rows(page, "audit-grid").first
    expect(first).to_contain_text("n=79")
    expect(page.locator("#audit-page-info")).to_have_text("120 events match.")

    page.locator("#audit-grid .ag-paging-button[aria-label='Next Page']").click()
    expect(_rows(page, "audit-grid").first).to_contain_text("n=59")
    wait_until(page, lambda: _query(page).get("page") == ["4"], "page 4 in the URL")
    goto_page(page, page.url)
    expect(_summary(page)).to_have_text(re.compile(r"61\s+to\s+80\s+of\s+120"))

    # Oldest first, through the URL alone.
    goto_page(page, f"/admin/audit?{day}&sort=occurred_at")
    expect(_rows(page, "audit-grid").first).to_contain_text("n=0")
    expect(page.locator("#audit-since")).to_have_value(seeded_day)
    # A filter change starts again at page 1 and lands in the URL.
    page.fill("#audit-search", "seed")
    wait_until(page, lambda: _query(page).get("q") == ["seed"], "the search in the URL")
    expect(_summary(page)).to_have_text(re.compile(r"1\s+to\s+50\s+of\s+120"))
    screenshot(page, "grid_audit_paging")
    new_page.problems(page).assert_clean("/admin/audit paging")


def test_audit_targets_are_named_links_and_a_row_opens_in_full(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    created = _create(page, unique("Audit target "), "Deinococcus radiodurans R1")
    goto_page(page, f"/admin/audit?action=experiment.create&q={created['id']}")
    link = page.locator(f"#audit-grid a.msg-cell-link:text-is('{created['name']}')")
    expect(link).to_have_attribute("href", f"/experiments/{created['id']}")

    page.locator("#audit-grid .ag-row").first.locator("[col-id=action]").click()
    modal = page.locator("#audit-detail-modal")
    expect(modal).to_be_visible()
    for shown in ("experiment.create", created["name"], "Deinococcus radiodurans R1", "Hash chain"):
        expect(modal).to_contain_text(shown)
    screenshot(page, "grid_audit_event")
    modal.get_by_role("link", name=created["name"]).click()
    page.wait_for_url(re.compile(rf"/experiments/{created['id']}$"))
    new_page.problems(page).assert_clean("/admin/audit event")


def _escape_from(page: Page, modal: str) -> None:
    """Close the dialog with Escape. A key pressed while the dialog is still fading in (slow
    under a loaded CI machine) is not seen by it, so press again until it closes, for at most
    as long as an ``expect`` would wait."""
    dialog = page.locator(modal)
    for _ in range(20):
        page.keyboard.press("Escape")
        try:
            expect(dialog).to_be_hidden(timeout=500)
            return
        except AssertionError:
            continue
    expect(dialog).to_be_hidden()


def test_users_row_click_opens_the_editor_and_a_link_opens_it_too(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    goto_page(page, "/admin/users")
    page.fill("#users-search", live_server.sci_user)
    # The search applies after a short debounce and AG Grid reuses row elements: wait until
    # every shown row matches, then take the row whose username is exactly the scientist's,
    # so a click cannot land on a row that is being re-filled with another user.
    page.wait_for_function(
        "q => { const rows = [...document.querySelectorAll("
        "'#users-grid .ag-center-cols-container .ag-row')];"
        " return rows.length > 0 && rows.every(r => r.innerText.toLowerCase().includes(q)); }",
        arg=live_server.sci_user,
    )
    row = page.locator("#users-grid .ag-center-cols-container .ag-row").filter(
        has=page.locator("[col-id=username]", has_text=re.compile(f"^{live_server.sci_user}$"))
    )
    expect(row.locator(".msg-badge", has_text="active")).to_have_class(
        re.compile("text-bg-success")
    )
    expect(row.locator(".msg-badge", has_text="scientist")).to_be_visible()
    row.locator("[col-id=display_name]").click()
    modal = page.locator("#users-edit-modal")
    expect(modal).to_be_visible()
    expect(page.locator("#users-edit-title")).to_have_text(f"Edit {live_server.sci_user}")
    expect(page.locator("#users-edit-roles").get_by_label("scientist")).to_be_checked()
    expect(page.locator("#users-edit-active")).to_be_checked()
    expect(page.locator("#users-edit-tokens")).to_be_visible()
    # The list is not repeated above the editor: it is a dialog over the list.
    expect(page.locator("#users-create-modal")).to_be_hidden()
    _escape_from(page, "#users-edit-modal")
    expect(modal).to_be_hidden()

    # Keyboard: Enter on a focused row opens it as well.
    row.locator("[col-id=username]").click()
    expect(modal).to_be_visible()
    _escape_from(page, "#users-edit-modal")
    expect(modal).to_be_hidden()
    row.locator("[col-id=username]").focus()
    page.keyboard.press("Enter")
    expect(modal).to_be_visible()
    _escape_from(page, "#users-edit-modal")

    # A link names the user to open (the audit log links users this way).
    status, users = api_json(page, "GET", "/api/v1/users")
    assert status == 200
    sci_id = next(u["id"] for u in users if u["username"] == live_server.sci_user)
    # As the audit log's link renderer follows a link: no page load, Dash routes the URL.
    page.evaluate(
        "href => { window.history.pushState({}, '', href);"
        " window.dispatchEvent(new CustomEvent('_dashprivate_pushstate')); }",
        f"/admin/users?user={sci_id}",
    )
    expect(page.locator("#users-edit-title")).to_have_text(f"Edit {live_server.sci_user}")
    screenshot(page, "grid_users_editor")
    _escape_from(page, "#users-edit-modal")
    wait_until(page, lambda: "user" not in _query(page), "the URL to forget the user")
    new_page.problems(page).assert_clean("/admin/users editor")


def test_times_follow_the_users_choice_of_utc_or_local(
    browser: Browser, live_server: LiveServer
) -> None:
    account = create_account(live_server, browser, "times", ["scientist"])
    context = browser.new_context(base_url=live_server.base_url, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        login(page, account.username, account.password)
        name = unique("timecheck")
        _create(page, name, "Bacillus subtilis 168")
        goto_page(page, f"/experiments?q={name}")
        cell = _rows(page, "experiments-grid").first.locator("[col-id=created_at]")
        expect(cell).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))
        page.click("#user-menu")
        page.locator(".msg-time-item", has_text="local").click()
        expect(cell).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d GMT\+9$"))
    finally:
        context.close()
