"""Helpers for the design-system browser tests (``test_design.py``, ``test_a11y.py``) and
``scripts/screenshots.py``: logged-in sessions per viewport and colour scheme, and checks
that report every problem of a page at once, named by page, size and scheme.

A session is one browser context (one login) that visits many pages, so the suite logs in
four times per module instead of once per test; each test still resets the session's
:class:`Problems` recorder before it opens its page, so what it reports is its own page's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Response
from playwright.sync_api import Error as PlaywrightError

from .conftest import (
    DEFAULT_TIMEOUT_MS,
    ROOT,
    START_TIMEOUT_S,
    LiveServer,
    Problems,
    _free_port,
    _login_answers,
    _stop,
    _tail,
    api_json,
    goto_page,
    login,
    unique,
)

# --- what the design system is checked at ---------------------------------------------------


@dataclass(frozen=True)
class Viewport:
    """A window size the app must work at."""

    name: str
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"{self.name} {self.width}×{self.height}"


DESKTOP = Viewport("desktop", 1400, 900)
# An iPhone 12-14 sized window. Not Playwright's is_mobile emulation: a mobile browser zooms
# out until a too-wide page fits, which would make innerWidth grow with the page and hide the
# very overflow we measure. The page's meta viewport is checked separately.
PHONE = Viewport("phone", 390, 844)
VIEWPORTS = (DESKTOP, PHONE)
SCHEMES = ("light", "dark")

AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("critical", "serious")
TARGETS_SHOWN = 4


def page_id(registered: dict[str, Any]) -> str:
    """A registered page's test id: its path template or path."""
    return str(registered.get("path_template") or registered["path"])


# --- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """Who a session logs in as."""

    username: str
    password: str


@dataclass
class Session:
    """One browser context of one size and colour scheme, possibly logged in."""

    context: BrowserContext
    page: Page
    problems: Problems
    viewport: Viewport
    scheme: str
    account: Account | None = None

    @property
    def label(self) -> str:
        who = f" as {self.account.username}" if self.account else ""
        return f"{self.viewport.label}, {self.scheme}{who}"

    def reset(self) -> None:
        """Forget what earlier visits recorded (their own tests reported it)."""
        recorded = self.problems
        for seen in (
            recorded.console_errors,
            recorded.failed_requests,
            recorded.aborted_requests,
            recorded.bad_responses,
            recorded.external_requests,
            recorded.expected,
        ):
            seen.clear()

    def visit(
        self, path: str, *, expect_status: int | None = 200, dash_page: bool = True
    ) -> PageCheck:
        """Open ``path`` with a full load and return a check for it (``expect_status`` None:
        any status, e.g. whatever Dash answers for an unknown path)."""
        self.reset()
        if expect_status is not None and expect_status >= 400:
            self.problems.expect_response(expect_status, path)
        check = PageCheck(self, path)
        try:
            response = goto_page(self.page, path) if dash_page else self._plain_goto(path)
        except PlaywrightError as exc:
            check.add(f"did not load: {str(exc).splitlines()[0]}")
            return check
        status = response.status if response is not None else None
        if expect_status is not None and status != expect_status:
            check.add(f"answered HTTP {status}, expected {expect_status}")
        settle(self.page)
        return check

    def _plain_goto(self, path: str) -> Response | None:
        response = self.page.goto(path)
        self.page.wait_for_load_state("networkidle")
        return response

    def close(self) -> None:
        with contextlib.suppress(PlaywrightError):
            self.context.close()


def settle(page: Page) -> None:
    """Let fonts load and late layout (grids sizing columns, figures) finish."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
    )


def open_session(
    browser: Browser,
    server: LiveServer,
    viewport: Viewport,
    scheme: str,
    *,
    account: Account | None = None,
    init_scripts: Sequence[Path] = (),
) -> Session:
    """A watched context of ``viewport`` whose system colour scheme is ``scheme``.

    The accounts used here keep the default theme preference "system", so the page must
    follow the context's ``prefers-color-scheme`` (the tests assert that it does).
    """
    context = browser.new_context(
        base_url=server.base_url,
        viewport={"width": viewport.width, "height": viewport.height},
        color_scheme="dark" if scheme == "dark" else "light",
        reduced_motion="reduce",  # no half-finished transitions in checks and screenshots
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    for script in init_scripts:
        context.add_init_script(path=str(script))
    problems = Problems(server.base_url.rstrip("/"))
    context.on("console", problems.on_console)
    context.on("request", problems.on_request)
    context.on("requestfailed", problems.on_request_failed)
    context.on("response", problems.on_response)
    page = context.new_page()
    session = Session(context, page, problems, viewport, scheme, account)
    if account is not None:
        try:
            login(page, account.username, account.password)
        except Exception:
            session.close()
            raise
    return session


def create_account(
    server: LiveServer, browser: Browser, prefix: str, roles: Iterable[str]
) -> Account:
    """A user of its own (theme "system"), made through the API by the server's admin.

    Other tests change the shared users' theme preference; ours must stay "system".
    """
    context = browser.new_context(base_url=server.base_url)
    try:
        page = context.new_page()
        login(page, server.admin_user, server.admin_password)
        account = Account(unique(prefix), "Design-" + secrets.token_urlsafe(16))
        status, body = api_json(
            page,
            "POST",
            "/api/v1/users",
            {"username": account.username, "password": account.password, "roles": list(roles)},
        )
        if status != 201:
            raise AssertionError(f"could not create user {account.username}: {status} {body}")
        return account
    finally:
        with contextlib.suppress(PlaywrightError):
            context.close()


@dataclass
class SessionPool:
    """Logged-in sessions made on first use and kept for a module: one per
    (account, viewport, scheme)."""

    browser: Browser
    server: LiveServer
    init_scripts: Sequence[Path] = ()
    accounts: dict[str, Account] = field(default_factory=dict)
    sessions: dict[tuple[str, str, str], Session] = field(default_factory=dict)
    paths: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def account(self, role: str) -> Account:
        """The pool's own user for ``role`` ("admin" holds every role)."""
        if role not in self.accounts:
            from dashboard.services.actor import ALL_ROLES

            roles = sorted(ALL_ROLES) if role == "admin" else [role]
            self.accounts[role] = create_account(self.server, self.browser, f"ds{role}", roles)
        return self.accounts[role]

    def session(self, role: str, viewport: Viewport, scheme: str) -> Session:
        """The logged-in session of ``role`` at ``viewport`` in ``scheme``."""
        key = (role, viewport.name, scheme)
        if key not in self.sessions:
            self.sessions[key] = open_session(
                self.browser,
                self.server,
                viewport,
                scheme,
                account=self.account(role),
                init_scripts=self.init_scripts,
            )
        return self.sessions[key]

    def anonymous(self, viewport: Viewport, scheme: str) -> Session:
        """A fresh session that is not logged in (closed with the pool)."""
        session = open_session(
            self.browser, self.server, viewport, scheme, init_scripts=self.init_scripts
        )
        self.sessions[("anonymous", secrets.token_hex(4), scheme)] = session
        return session

    def concrete_path(self, registered: dict[str, Any], session: Session) -> str:
        """The URL of a registered page (templates filled once per module, with test data
        made by ``test_pages._concrete_path``)."""
        from .test_pages import _concrete_path

        key = page_id(registered)
        if key not in self.paths:
            self.paths[key] = _concrete_path(session.page, registered)
        return self.paths[key][0]

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()


# --- checks ---------------------------------------------------------------------------------

# Elements sticking out past the right edge of the window. Only those that make the page
# scroll count (an element inside a scrolling or clipping box, such as a grid's hidden
# columns, does not), and of each too-wide chain only the element that leaves its parent
# (whose parent still fits), so the report names what to fix rather than its descendants.
_OVERFLOW_JS = """
() => {
  const doc = document.scrollingElement || document.documentElement;
  const width = window.innerWidth;
  const out = {scrollWidth: doc.scrollWidth, innerWidth: width, culprits: []};
  if (doc.scrollWidth <= width) return out;
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (typeof el.className === 'string' ? el.className : '').trim().split(/\\s+/)
      .filter(Boolean).slice(0, 3);
    if (cls.length) s += '.' + cls.join('.');
    return s;
  };
  const tooWide = el => el.getBoundingClientRect().right > width + 0.5;
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || !tooWide(el)) continue;
    const parent = el.parentElement;
    if (parent && parent !== document.body && tooWide(parent)) continue;
    if (clipped(el)) continue;
    const reach = Math.max(r.right, ...[...el.querySelectorAll('*')].map(
      d => d.getBoundingClientRect().right));
    out.culprits.push(`${describe(el)} (right edge ${Math.round(r.right)} px, width `
      + `${Math.round(r.width)} px`
      + (reach > r.right + 0.5 ? `, its content reaches ${Math.round(reach)} px` : '')
      + `) in ${parent ? describe(parent) : '?'}`);
    if (out.culprits.length >= 5) break;
  }
  return out;
}
"""

# The theme as <html> carries it.
_THEME_JS = """
() => ({
  bs: document.documentElement.dataset.bsTheme || null,
  ag: document.documentElement.dataset.agThemeMode || null,
  choice: document.documentElement.dataset.msgTheme || null,
})
"""

# The frame: navbar, one <main> landmark holding the page, a skip link, one h1, a title.
_FRAME_JS = """
() => {
  const main = document.querySelectorAll('main, [role="main"]');
  const content = document.getElementById('_pages_content');
  const skip = document.querySelector('a[href="#main-content"]');
  return {
    navbar: !!document.querySelector('#navbar'),
    mains: main.length,
    mainId: main.length ? main[0].id : null,
    contentInMain: !!(content && main.length && main[0].contains(content)),
    skip: !!skip,
    h1: main.length ? [...main[0].querySelectorAll('h1')].map(h => h.innerText.trim()) : [],
    title: document.title,
  };
}
"""

# Large light areas in the dark scheme (a white card, grid or framed page left behind),
# same-origin iframes included. Relative luminance as WCAG defines it.
_LIGHT_PATCHES_JS = """
() => {
  const found = [], reported = [];
  const lum = c => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    if (p.length > 3 && p[3] < 0.5) return null;
    const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(p[0]) + 0.7152 * lin(p[1]) + 0.0722 * lin(p[2]);
  };
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (typeof el.className === 'string' ? el.className : '').trim().split(/\\s+/)
      .filter(Boolean).slice(0, 3);
    if (cls.length) s += '.' + cls.join('.');
    return s;
  };
  const scan = (doc, where) => {
    for (const el of doc.querySelectorAll('body, body *')) {
      if (found.length >= 5) return;
      if (reported.some(outer => outer.contains(el))) continue;  // the outermost one is enough
      const r = el.getBoundingClientRect();
      if (r.width * r.height < 20000) continue;
      const view = doc.defaultView;
      const st = view.getComputedStyle(el);
      if (st.visibility === 'hidden' || st.display === 'none') continue;
      const l = lum(st.backgroundColor);
      if (l !== null && l > 0.6) {
        reported.push(el);
        found.push(`${where}${describe(el)} ${Math.round(r.width)}×${Math.round(r.height)} px `
          + `background ${st.backgroundColor}`);
      }
      if (el.tagName === 'IFRAME') {
        try {
          if (el.contentDocument) scan(el.contentDocument, `${describe(el)} > `);
        } catch (e) { /* another origin: not ours to check */ }
      }
    }
  };
  scan(document, '');
  return found;
}
"""


@dataclass
class PageCheck:
    """Everything wrong with one page in one session, reported together."""

    session: Session
    path: str
    issues: list[str] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.session.page

    @property
    def where(self) -> str:
        return f"{self.path} ({self.session.label})"

    def add(self, issue: str) -> None:
        self.issues.append(issue)

    def scheme(self) -> PageCheck:
        """``<html>`` shows the session's scheme, for Bootstrap and AG Grid, chosen by "system"."""
        theme = self.page.evaluate(_THEME_JS)
        want = self.session.scheme
        if theme["bs"] != want:
            self.add(f"data-bs-theme is {theme['bs']!r}, expected {want!r}")
        if theme["ag"] != want:
            self.add(f"data-ag-theme-mode is {theme['ag']!r}, expected {want!r}")
        if self.session.account is not None and theme["choice"] != "system":
            self.add(f"the user's theme is {theme['choice']!r}; the test needs 'system'")
        return self

    def frame(self, *, one_h1: bool = True) -> PageCheck:
        """The app frame: navbar, one ``<main id=main-content>`` holding the page, skip link,
        a title, and (unless told otherwise) exactly one ``h1`` in ``<main>``."""
        frame = self.page.evaluate(_FRAME_JS)
        if not frame["navbar"]:
            self.add("no navbar (#navbar)")
        if frame["mains"] != 1:
            self.add(f"{frame['mains']} main landmarks, expected 1")
        elif frame["mainId"] != "main-content":
            self.add(f"<main> has id {frame['mainId']!r}, expected 'main-content'")
        if not frame["contentInMain"]:
            self.add("the page content (#_pages_content) is not inside <main>")
        if not frame["skip"]:
            self.add("no skip link to #main-content")
        if not frame["title"].strip():
            self.add("empty document title")
        if one_h1 and len(frame["h1"]) != 1:
            self.add(f"{len(frame['h1'])} h1 headings in <main>, expected 1: {frame['h1']}")
        return self

    def no_overflow(self) -> PageCheck:
        """The page does not scroll sideways; names the elements that stick out."""
        result = self.page.evaluate(_OVERFLOW_JS)
        if result["scrollWidth"] > result["innerWidth"]:
            culprits = "".join(f"\n      {c}" for c in result["culprits"]) or " (none found)"
            self.add(
                f"scrolls sideways: scrollWidth {result['scrollWidth']} px > window "
                f"{result['innerWidth']} px; sticking out:{culprits}"
            )
        return self

    def no_light_patches(self) -> PageCheck:
        """In the dark scheme, no large area is painted light."""
        if self.session.scheme != "dark":
            return self
        for patch in self.page.evaluate(_LIGHT_PATCHES_JS):
            self.add(f"light area in the dark theme: {patch}")
        return self

    def clean(self) -> PageCheck:
        """No console error, failed request, error response or external request."""
        # One line per problem (a console error's stack trace is left out), repeats counted.
        counts: dict[str, int] = {}
        for found in self.session.problems.found():
            line = found.splitlines()[0] if found.strip() else found
            counts[line] = counts.get(line, 0) + 1
        for line, count in counts.items():
            self.add(line if count == 1 else f"{line} (×{count})")
        return self

    def contains(self, selector: str, text: str) -> PageCheck:
        """``selector`` shows ``text``."""
        locator = self.page.locator(selector)
        if not locator.count():
            self.add(f"nothing matches {selector}")
        elif text not in locator.first.inner_text():
            self.add(f"{selector} does not say {text!r}")
        return self

    def assert_ok(self) -> None:
        """Fail with every issue found, headed by the page, size and scheme."""
        if self.issues:
            raise AssertionError(
                f"{self.where}: {len(self.issues)} problem(s)\n  - " + "\n  - ".join(self.issues)
            )


# --- accessibility --------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (already injected) on the whole page, same-origin frames included."""
    has_axe = page.evaluate("() => typeof window.axe !== 'undefined'")
    if not has_axe:
        raise AssertionError("axe-core is not on the page (was the init script added?)")
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations'], iframes: true});
          return r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary || ''})),
          }));
        }"""
    )
    return list(result)


def format_violation(violation: dict[str, Any]) -> str:
    """``color-contrast (serious): Elements must meet ... [3 nodes]`` and its first targets."""
    nodes = violation["nodes"]
    lines = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"[{len(nodes)} element(s)] {violation['helpUrl'].split('?')[0]}"
    ]
    for node in nodes[:TARGETS_SHOWN]:
        target = " >> ".join(" ".join(t) if isinstance(t, list) else str(t) for t in node["target"])
        detail = " ".join(node["summary"].split())
        lines.append(f"      {target}" + (f"  ({detail[:200]})" if detail else ""))
    if len(nodes) > TARGETS_SHOWN:
        lines.append(f"      … and {len(nodes) - TARGETS_SHOWN} more")
    return "\n".join(lines)


def serious_violations(violations: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations that fail the suite: impact serious or critical."""
    return [v for v in violations if v.get("impact") in FAILING_IMPACTS]


def require_axe() -> Path:
    """Where axe-core is; fails naming the command that installs it."""
    if not AXE_PATH.exists():
        raise AssertionError(
            f"{AXE_PATH.relative_to(ROOT)} is missing: run `npm ci` in {ROOT} "
            "(bash scripts/test.sh does)"
        )
    return AXE_PATH


def iter_combinations() -> Iterator[tuple[Viewport, str]]:
    """Every (viewport, scheme) pair."""
    for viewport in VIEWPORTS:
        for scheme in SCHEMES:
            yield viewport, scheme


# --- a server outside pytest (scripts/screenshots.py) ----------------------------------------


@contextlib.contextmanager
def running_app(data_dir: Path, admin_password: str) -> Iterator[str]:
    """``python app.py serve`` on a free port and ``data_dir``, as the browser tests start it;
    yields the base URL. The server log is ``data_dir/server.log``."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "server.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MICROSPACEGEN_")},
        "MICROSPACEGEN_ADMIN_PASSWORD": admin_password,
        "MICROSPACEGEN_DATA_DIR": str(data_dir),
        "MICROSPACEGEN_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "serve", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _login_answers(f"{base_url}/login"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{_tail(log_path)}")
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(proc)
