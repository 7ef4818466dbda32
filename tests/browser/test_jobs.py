"""Jobs in the browser: a verification runs in the background with a moving bar; cancel works."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from dashboard.db import Database
from tests.audit_seed import seed_chained_events

from .conftest import LiveServer, PageFactory, goto_page, login, screenshot

SEEDED_EVENTS = 80_000  # several seconds of verification on this machine, so the bar is seen moving


def _part(page: Page, kind: str, name: str) -> Locator:
    # Dash writes pattern-matching ids as JSON with sorted keys.
    ident = json.dumps({"name": name, "type": kind}, separators=(",", ":"))
    return page.locator(f"[id='{ident}']")


def _percent(bar: Locator) -> float:
    value = bar.locator(".progress-bar").first.get_attribute("aria-valuenow")
    return float(value or 0)


def test_verification_runs_as_a_job_with_a_moving_bar_and_another_is_cancelled(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    db = Database(f"sqlite:///{live_server.data_dir / 'microspacegen.sqlite3'}")
    try:
        seed_chained_events(db, SEEDED_EVENTS)
    finally:
        db.dispose()
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    goto_page(page, "/admin/audit")

    page.click("#audit-verify")
    bar = _part(page, "job-progress-bar", "audit-verify-job")
    expect(bar).to_be_visible()
    seen: set[float] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen.add(_percent(bar))
        if "succeeded" in (bar.inner_text() or ""):
            break
        page.wait_for_timeout(200)
    between = sorted(p for p in seen if 0 < p < 100)
    assert between, f"the bar never showed progress between 0 and 100 %: {sorted(seen)}"
    result = page.locator("#audit-verify-result")
    expect(result).to_contain_text("Hash chain intact", timeout=30_000)
    expect(result).to_contain_text(f"{SEEDED_EVENTS:,}".replace(",", "")[:2])
    screenshot(page, "jobs_audit_verified")

    # A second verification, cancelled while it runs.
    page.click("#audit-verify")
    cancel = _part(page, "job-progress-cancel", "audit-verify-job")
    expect(cancel).to_be_enabled(timeout=15_000)
    expect(_part(page, "job-progress-elapsed", "audit-verify-job")).to_contain_text("running")
    cancel.click()
    message = _part(page, "job-progress-message", "audit-verify-job")
    expect(message).to_contain_text("Cancelled by admin", timeout=10_000)
    expect(bar).to_contain_text("cancelled")

    # An export runs as a job too; its panel offers the file, which downloads whole.
    page.click("#audit-export")
    link = _part(page, "job-progress-result", "audit-export-job").locator("a")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,seq,occurred_at")
    assert len(lines) > SEEDED_EVENTS

    # The jobs page lists them, with their outcomes.
    goto_page(page, "/jobs")
    grid = page.locator("#jobs-grid")
    expect(grid).to_contain_text("Verify the audit hash chain")
    expect(grid).to_contain_text("cancelled")
    expect(grid).to_contain_text("succeeded")
    page.locator("#jobs-grid .ag-row", has_text="cancelled").first.click()
    expect(_part(page, "job-progress-message", "jobs-detail")).to_contain_text("Cancelled")
    screenshot(page, "jobs_page")
    new_page.problems(page).assert_clean("/admin/audit and /jobs")


def test_a_scientist_sees_only_their_own_jobs_and_no_admin_controls(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    goto_page(page, "/jobs")
    expect(page.locator("#jobs-selftest")).to_have_count(0)
    expect(page.locator("#jobs-everyone")).to_be_hidden()
    expect(page.locator("#jobs-grid")).not_to_contain_text("Verify the audit hash chain")
    new_page.problems(page).assert_clean("/jobs as scientist")
