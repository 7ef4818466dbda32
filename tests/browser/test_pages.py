"""Every page in ``dash.page_registry`` loads cleanly for an admin.

The list of pages is read from the registry of the real app (see ``registry_pages``), so a
new page is covered as soon as it is registered. Each load must produce no console error,
no failed request, no response >= 400 and no request outside the app's own server.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    ROOT,
    LiveServer,
    PageFactory,
    api_import,
    api_json,
    goto_page,
    login,
    parametrize_from_registry,
    registry_pages,
    screenshot,
    unique,
    wait_until,
)

TEMPLATE_PART = re.compile(r"<([^>]+)>")
FLIGHT_AND_GROUND = [
    {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0},
    {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1},
]


def _page_id(page: dict[str, Any]) -> str:
    return str(page.get("path_template") or page["path"])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per registered page."""
    parametrize_from_registry(metafunc, "registered", lambda pages: pages, _page_id)


def test_registry_lists_the_core_pages() -> None:
    """Guard against an empty or broken registry making the page tests vacuous."""
    paths = {p["path_template"] or p["path"] for p in registry_pages()}
    assert {"/", "/experiments", "/admin/users", "/admin/audit", "/account"} <= paths
    admin_only = {p["path"] for p in registry_pages() if p.get("roles")}
    assert {"/admin/users", "/admin/audit"} <= admin_only


def _create_experiment(page: Page) -> dict[str, Any]:
    body = {
        "name": unique("Browser page check "),
        "organism": "Bacillus subtilis 168",
        "arms": FLIGHT_AND_GROUND,
    }
    status, created = api_json(page, "POST", "/api/v1/experiments", body)
    assert status == 201, f"POST /api/v1/experiments answered {status}: {created}"
    return dict(created)


# Pages of one experiment: the heading each shows for it ({} is the experiment's name).
EXPERIMENT_HEADINGS = {
    "/experiments/<experiment_id>": "{}",
    "/experiments/<experiment_id>/edit": "Edit {}",
}
# Pages of one run: the heading each shows for it ({} is the run's name).
RUN_HEADINGS = {"/mission/runs/<run_id>": "{}"}
# Pages of one dataset: the heading each shows for it ({} is the file's name).
DATASET_HEADINGS = {"/datasets/<dataset_id>": "{}"}
# The dataset those pages show: reads (the page's fullest form: figures of lengths and of
# qualities per position). Imported once per server: the same bytes make one dataset.
SEED_READS = ROOT / "tests" / "fixtures" / "sequences" / "biopython" / "example.fastq.gz"


def seed_dataset(page: Page) -> dict[str, Any]:
    """The dataset of ``SEED_READS``, imported through the API if the server lacks it."""
    digest = hashlib.sha256(SEED_READS.read_bytes()).hexdigest()
    status, found = api_json(page, "GET", "/api/v1/datasets?limit=1000")
    assert status == 200, f"GET /api/v1/datasets answered {status}: {found}"
    for dataset in found:
        if dataset["sha256"] == digest:
            return dict(dataset)
    experiment = _create_experiment(page)
    status, created = api_import(
        page,
        SEED_READS,
        experiment["id"],
        "F1-day21",
        arm_id=str(experiment["arms"][0]["id"]),
        factors='{"replicate": "A", "time_point": "day 21"}',
    )
    assert status == 201, f"POST /api/v1/datasets answered {status}: {created}"
    return dict(created)


def _concrete_path(page: Page, registered: dict[str, Any]) -> tuple[str, str | None]:
    """The URL to open for a registered page, and the heading the page must then show."""
    template = registered.get("path_template")
    if registered["path"] == "/explorer":  # shown on a real genome, not its empty picker
        from .test_explorer import explorer_path

        return explorer_path(page), "Sequence explorer"
    if not template:
        return str(registered["path"]), None
    names = TEMPLATE_PART.findall(template)
    if names == ["dataset_id"]:
        assert template in DATASET_HEADINGS, f"no expected heading for {template!r}; add it"
        dataset = seed_dataset(page)
        heading = DATASET_HEADINGS[template].format(dataset["filename"])
        return TEMPLATE_PART.sub(str(dataset["id"]), template), heading
    if names == ["run_id"]:
        assert template in RUN_HEADINGS, f"no expected heading for {template!r}; add it"
        experiment = _create_experiment(page)
        name = unique("Browser page run ")
        status, run = api_json(
            page, "POST", f"/api/v1/experiments/{experiment['id']}/runs", {"name": name}
        )
        assert status == 201, f"POST .../runs answered {status}: {run}"
        return TEMPLATE_PART.sub(str(run["id"]), template), RUN_HEADINGS[template].format(name)
    assert names == ["experiment_id"], f"no test data for path template {template!r}; add it"
    assert template in EXPERIMENT_HEADINGS, f"no expected heading for {template!r}; add it"
    experiment = _create_experiment(page)
    heading = EXPERIMENT_HEADINGS[template].format(experiment["name"])
    return TEMPLATE_PART.sub(str(experiment["id"]), template), heading


def test_page_loads_cleanly_for_admin(
    new_page: PageFactory, live_server: LiveServer, registered: dict[str, Any]
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    login(page, live_server.admin_user, live_server.admin_password)
    path, must_show = _concrete_path(page, registered)

    response = goto_page(page, path)

    assert response is not None
    assert response.status == 200, f"GET {path} answered {response.status}"
    assert response.url.rstrip("/").endswith(path.rstrip("/")), f"redirected to {response.url}"
    # A page showing one object names it in the tab (its registered title is a function).
    title = registered["title"] or f"{must_show} · MicroSpaceGen"
    expect(page).to_have_title(str(title))
    content = page.locator("#_pages_content")
    expect(content).not_to_be_empty()
    expect(content).not_to_contain_text("Not allowed")
    if registered["module"] != "not_found_404":
        expect(content).not_to_contain_text("Page not found")
    if must_show:
        expect(content.locator("h1")).to_have_text(must_show)
    # The frame: navbar with the admin's name.
    expect(page.locator("#user-menu")).to_contain_text(live_server.admin_user)
    problems.assert_clean(path)
    screenshot(page, f"admin_{str(registered['module']).rsplit('.', 1)[-1]}")


def test_login_page_loads_cleanly(page: Page) -> None:
    response = page.goto("/login")
    page.wait_for_load_state("networkidle")
    assert response is not None
    assert response.status == 200
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("#login-error")).to_have_count(0)
    screenshot(page, "login")


def test_unknown_path_shows_not_found(new_page: PageFactory, live_server: LiveServer) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    new_page.problems(page).expect_response(404, "/no/such/page")
    response = goto_page(page, "/no/such/page")
    assert response is not None
    assert response.status == 404  # the address is wrong, and says so to bookmarks and proxies
    expect(page.locator("#_pages_content")).to_contain_text("Page not found")
    screenshot(page, "unknown_path")


def test_missing_experiment_is_explained(new_page: PageFactory, live_server: LiveServer) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    goto_page(page, "/experiments/999999")
    expect(page.locator("#_pages_content")).to_contain_text("No experiment '999999'")


def test_watcher_reports_problems(new_page: PageFactory) -> None:
    """The recorder behind every page test does catch what it claims to catch."""
    page = new_page()
    problems = new_page.problems(page)
    page.route("http://outside.invalid/**", lambda route: route.fulfill(status=204, body=""))
    page.goto("about:blank")
    page.evaluate(
        "() => { const img = document.createElement('img');"
        " img.src = 'http://outside.invalid/pixel.png'; document.body.append(img); }"
    )
    page.goto("/login")
    page.evaluate("console.error('planted error')")
    page.evaluate("fetch('/assets/no-such-file.js').catch(() => null)")
    wait_until(page, lambda: len(problems.found()) >= 3, "the planted problems to be recorded")
    found = "\n".join(problems.found())
    assert "planted error" in found
    assert "HTTP 401: GET" in found  # before login, /assets/ serves only the login page's files
    assert "external request: GET http://outside.invalid/pixel.png" in found
    problems.expect_response(401, "/assets/no-such-file.js")
    assert not any("no-such-file" in line for line in problems.found())
    # Leave nothing for the teardown check.
    problems.console_errors.clear()
    problems.external_requests.clear()
    problems.failed_requests.clear()
