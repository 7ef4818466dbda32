"""Fixtures for the browser suite: a live server, Debian's Chromium and watched pages.

The server runs as ``python app.py serve`` in a subprocess, exactly as an operator starts it.
Every page a test opens records console errors, failed requests, error responses and any
request that leaves the server's origin; the suite fails on any of them unless the test
declared the response with :meth:`Problems.expect_response`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    expect,
)
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import remember_secret

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
DEFAULT_TIMEOUT_MS = 15_000
EXPECT_TIMEOUT_MS = 10_000  # a busy 2-core machine sometimes needs more than the 5 s default
SCREENSHOTS_ENV = "MICROSPACEGEN_SCREENSHOTS"

SCIENTIST = "sci"


expect.set_options(timeout=EXPECT_TIMEOUT_MS)


# --- marking and skipping -----------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this directory's tests ``browser``; skip them when there is no Chromium (not in CI)."""
    missing = not CHROMIUM.exists() and not os.environ.get("CI")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt-get install chromium)")
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if missing:
            item.add_marker(skip)


# --- the page registry --------------------------------------------------------------------

_REGISTRY_SCRIPT = """
import json, sys
import dash
from app import create_app
from dashboard.config import load_settings
from dashboard.services import policy

create_app(load_settings(data_dir=sys.argv[1]))
keys = ("module", "path", "path_template", "name", "title", "in_nav")


def roles(module):
    grant = policy.page_grant(module)
    return [] if grant.any_user else sorted(grant.roles)


def plain(value):
    # A title may be a function of the path (it names the object shown): None here.
    return None if callable(value) else value


pages = [
    {**{k: plain(page.get(k)) for k in keys}, "roles": roles(module)}
    for module, page in dash.page_registry.items()
]
print("REGISTRY=" + json.dumps(pages, default=list))
"""


@functools.cache
def registry_pages() -> list[dict[str, Any]]:
    """The app's ``dash.page_registry`` (module, path, path_template, name, title) with the
    roles the access policy requires to open each page (empty: any logged-in user). A title
    computed from the path (one naming the object shown) is None.

    Read from a fresh process that builds the app on a throw-away data directory, so the
    list always comes from the code and never from a copy in the tests.
    """
    with tempfile.TemporaryDirectory(prefix="msg-registry-") as data_dir:
        done = subprocess.run(
            [sys.executable, "-c", _REGISTRY_SCRIPT, data_dir],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "MICROSPACEGEN_DATA_DIR": data_dir},
        )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("REGISTRY=")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"could not read the page registry (exit {done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    pages: list[dict[str, Any]] = json.loads(lines[-1].removeprefix("REGISTRY="))
    return pages


def parametrize_from_registry(
    metafunc: pytest.Metafunc,
    argname: str,
    select: Callable[[list[dict[str, Any]]], list[Any]],
    ids: Callable[[Any], str] = str,
) -> None:
    """Parametrize ``argname`` with values taken from the page registry.

    A registry that cannot be read becomes one failing test (not a collection error that
    would stop unrelated suites), and nothing is read when ``-m "not browser"`` deselects us.
    """
    if argname not in metafunc.fixturenames:
        return
    if "not browser" in (metafunc.config.getoption("markexpr", "") or ""):
        metafunc.parametrize(argname, [None], ids=["deselected"])
        return
    try:
        values = select(registry_pages())
    except RuntimeError as exc:
        metafunc.parametrize(argname, [RegistryUnreadable(str(exc))], ids=["registry-unreadable"])
        return
    metafunc.parametrize(argname, values, ids=[ids(v) for v in values])


@dataclass(frozen=True)
class RegistryUnreadable:
    """Stands in for registry values when the registry could not be read."""

    reason: str


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a test parametrized from an unreadable registry before any fixture starts."""
    callspec = getattr(item, "callspec", None)
    for value in callspec.params.values() if callspec else ():
        if isinstance(value, RegistryUnreadable):
            pytest.fail(value.reason, pytrace=False)


# --- the live server ----------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    """A running app: where it answers and who may log in."""

    base_url: str
    data_dir: Path
    log_path: Path
    admin_user: str
    admin_password: str
    sci_user: str
    sci_password: str

    def log_tail(self, lines: int = 60) -> str:
        """The last lines the server wrote (stdout and stderr)."""
        return _tail(self.log_path, lines)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no server log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _login_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        # The server leads its own process group (start_new_session): end it and its children.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``python app.py serve`` on a free port and a fresh data directory, with users admin, sci."""
    data_dir = tmp_path_factory.mktemp("live-data")
    log_path = data_dir / "server.log"
    admin_password = "admin-" + secrets.token_urlsafe(12)
    sci_password = "sci-" + secrets.token_urlsafe(12)
    remember_secret(admin_password)  # the end-of-run check looks for them in the logs
    remember_secret(sci_password)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MICROSPACEGEN_")},
        "MICROSPACEGEN_ADMIN_PASSWORD": admin_password,
        # Also as variables, so a command line that loses its options can never fall back
        # to ./var or port 8050 of the working tree.
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
    server = LiveServer(
        base_url=base_url,
        data_dir=data_dir,
        log_path=log_path,
        admin_user="admin",
        admin_password=admin_password,
        sci_user=SCIENTIST,
        sci_password=sci_password,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _login_answers(f"{base_url}/login"):
            if proc.poll() is not None:
                pytest.fail(
                    f"the server exited with {proc.returncode} during start-up:\n"
                    f"{server.log_tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the server did not answer GET /login within {START_TIMEOUT_S:.0f} s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.2)
        # Only after the first start: `serve` creates admin only while there are no users.
        created = subprocess.run(
            [
                sys.executable,
                "app.py",
                "user",
                "add",
                SCIENTIST,
                "--role",
                "scientist",
                "--password-stdin",
                "--data-dir",
                str(data_dir),
            ],
            cwd=ROOT,
            input=sci_password + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        if created.returncode != 0:
            pytest.fail(f"could not create user {SCIENTIST}:\n{created.stdout}\n{created.stderr}")
        yield server
    finally:
        _stop(proc)
    if proc.returncode not in (0, -15):
        print(f"\nserver exited with {proc.returncode}; log tail:\n{server.log_tail()}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failing browser test, append the server log's tail to the report."""
    report = yield
    if report.failed and "live_server" in getattr(item, "fixturenames", ()):
        server = item.funcargs.get("live_server") if hasattr(item, "funcargs") else None
        if isinstance(server, LiveServer):
            report.sections.append(("server log (tail)", server.log_tail()))
    return report


# --- the browser and watched pages --------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright's sync API."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; CI must provide it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = _Relaunching(
            lambda: pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        )
        try:
            yield cast(Browser, chromium)
        finally:
            chromium.close()


class _Relaunching:
    """The session's Chromium, launched again when it has gone away: a browser that
    crashed in one test failed every later browser test of its worker ("Target page,
    context or browser has been closed"), 89 of them in one CI run."""

    def __init__(self, launch: Callable[[], Browser]) -> None:
        self._launch = launch
        self._browser = launch()

    def __getattr__(self, name: str) -> Any:
        if not self._browser.is_connected():
            self._browser = self._launch()
        return getattr(self._browser, name)

    def close(self) -> None:
        with contextlib.suppress(PlaywrightError):
            self._browser.close()


def _path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


LOCAL_SCHEMES = ("data:", "blob:", "about:")


@dataclass
class Problems:
    """What went wrong while a page was open."""

    origin: str
    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, source url)
    failed_requests: list[str] = field(default_factory=list)
    aborted_requests: list[str] = field(default_factory=list)  # kept for reading, not failed
    bad_responses: list[tuple[int, str, str]] = field(default_factory=list)  # status, method, url
    external_requests: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)  # (status, path)

    def expect_response(self, status: int, path: str) -> None:
        """Declare that a response with ``status`` for ``path`` is part of the test."""
        self.expected.append((status, path))

    def _is_expected(self, status: int, url: str) -> bool:
        return (status, _path_of(url)) in self.expected

    def _console_expected(self, text: str, url: str) -> bool:
        # Chromium logs every >= 400 response as "Failed to load resource: ... status of N".
        return any(
            text.startswith(f"Failed to load resource: the server responded with a status of {s}")
            and _path_of(url) == path
            for s, path in self.expected
        )

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append((msg.text, msg.location.get("url", "")))

    def on_request(self, request: Request) -> None:
        url = request.url
        if url.startswith(LOCAL_SCHEMES):
            return
        if _origin(url) != self.origin:
            self.external_requests.append(f"{request.method} {url}")

    def on_request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        line = f"{request.method} {request.url}: {failure}"
        # The browser cancels requests still in flight when a page is left (e.g. the favicon
        # of /login during the log-in redirect); that is the test moving on, not a fault.
        if failure == "net::ERR_ABORTED":
            self.aborted_requests.append(line)
        else:
            self.failed_requests.append(line)

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.bad_responses.append((response.status, response.request.method, response.url))

    def found(self) -> list[str]:
        """Every unexpected problem, one line each."""
        lines = [
            f"console error: {text} (at {url or '?'})"
            for text, url in self.console_errors
            if not self._console_expected(text, url)
        ]
        lines += [f"failed request: {r}" for r in self.failed_requests]
        lines += [
            f"HTTP {status}: {method} {url}"
            for status, method, url in self.bad_responses
            if not self._is_expected(status, url)
        ]
        lines += [f"external request: {r}" for r in self.external_requests]
        return lines

    def assert_clean(self, where: str = "") -> None:
        """Fail listing every console error, failed request, error response or external call."""
        found = self.found()
        label = f" on {where}" if where else ""
        assert not found, f"browser problems{label}:\n  " + "\n  ".join(found)


@dataclass
class PageFactory:
    """Makes pages in fresh contexts (fresh cookies) and remembers what each one saw."""

    browser: Browser
    server: LiveServer
    contexts: list[BrowserContext] = field(default_factory=list)
    watched: dict[int, Problems] = field(default_factory=dict)

    def __call__(self) -> Page:
        context = self.browser.new_context(
            base_url=self.server.base_url, viewport={"width": 1366, "height": 900}
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        problems = Problems(_origin(self.server.base_url))
        context.on("console", problems.on_console)
        context.on("request", problems.on_request)
        context.on("requestfailed", problems.on_request_failed)
        context.on("response", problems.on_response)
        self.contexts.append(context)
        page = context.new_page()
        self.watched[id(page)] = problems
        return page

    def problems(self, page: Page) -> Problems:
        """What ``page`` recorded so far."""
        return self.watched[id(page)]

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(PlaywrightError):
                context.close()


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[PageFactory]:
    """A factory of watched pages, each in its own context; checked again at teardown."""
    factory = PageFactory(browser, live_server)
    try:
        yield factory
    finally:
        factory.close()
    for problems in factory.watched.values():
        problems.assert_clean("teardown")


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    """One watched page in a fresh context (not logged in)."""
    return new_page()


@pytest.fixture
def problems(new_page: PageFactory, page: Page) -> Problems:
    """The recorder of ``page``."""
    return new_page.problems(page)


# --- helpers ------------------------------------------------------------------------------


def wait_for_dash(page: Page) -> None:
    """Wait until the network is idle and Dash has rendered the page and run its callbacks."""
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#_pages_content > *", state="attached")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")


def login(page: Page, user: str, password: str, *, next_path: str | None = None) -> None:
    """Log in through the form on /login; then wait for the page it leads to."""
    page.goto(f"/login?next={next_path}" if next_path else "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    if _path_of(page.url) == "/login":
        error = page.locator("#login-error")
        message = error.inner_text() if error.count() else "(no #login-error)"
        raise AssertionError(f"login as {user} failed: {message}")
    wait_for_dash(page)


def goto_page(page: Page, path: str) -> Response | None:
    """Open ``path`` with a full load and wait for Dash to render it."""
    response = page.goto(path)
    wait_for_dash(page)
    return response


def navigate_in_app(page: Page, path: str) -> None:
    """Change the URL the way a dcc.Link does (no page load) and wait for the new layout."""
    page.evaluate(
        "path => { window.history.pushState({}, '', path);"
        " window.dispatchEvent(new PopStateEvent('popstate')); }",
        path,
    )
    page.wait_for_function("path => window.location.pathname === path", arg=path)
    wait_for_dash(page)


def screenshot(page: Page, name: str) -> Path | None:
    """Save a full-page PNG under $MICROSPACEGEN_SCREENSHOTS (nothing when it is unset)."""
    directory = os.environ.get(SCREENSHOTS_ENV)
    if not directory:
        return None
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_") or "page"
    path = target / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def api_json(page: Page, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call the API with the page's cookies (same-origin, as the app's own scripts would)."""
    base = _origin(page.url)
    headers = {"Origin": base, "Accept": "application/json"}
    request = page.context.request
    call: Callable[..., Any] = getattr(request, method.lower())
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["data"] = body
    response = call(base + path, **kwargs)
    try:
        payload = response.json()
    except (PlaywrightError, ValueError):
        payload = response.text()
    return response.status, payload


def api_import(
    page: Page, path: Path, experiment_id: int, sample_name: str, **fields: str
) -> tuple[int, Any]:
    """Import the file at ``path`` through ``POST /api/v1/datasets`` (multipart) with the
    page's cookies; ``fields`` are further form fields (``arm_id``, ``derived_from``…)."""
    base = _origin(page.url)
    response = page.context.request.post(
        base + "/api/v1/datasets",
        headers={"Origin": base, "Accept": "application/json"},
        multipart={
            "file": {
                "name": path.name,
                "mimeType": "application/octet-stream",
                "buffer": path.read_bytes(),
            },
            "experiment_id": str(experiment_id),
            "sample_name": sample_name,
            **fields,
        },
    )
    try:
        payload = response.json()
    except (PlaywrightError, ValueError):
        payload = response.text()
    return response.status, payload


def api_upload(
    page: Page, path: Path, details: dict[str, Any], *, timeout_s: float = 60.0
) -> dict[str, Any]:
    """Import the file at ``path`` as the browser's import does: a chunked upload
    (``/api/v1/uploads``) and its import job; returns the new dataset. ``details`` are the
    upload's JSON fields (``experiment_id``, ``sample_name``, ``factors``…)."""
    base = _origin(page.url)
    headers = {"Origin": base, "Accept": "application/json"}
    request = page.context.request
    data = path.read_bytes()
    opened = request.post(
        base + "/api/v1/uploads",
        headers=headers,
        data={"filename": path.name, "size": len(data), **details},
    )
    assert opened.status == 201, f"POST /api/v1/uploads answered {opened.status}: {opened.text()}"
    upload = opened.json()
    step = upload["chunk_max_bytes"]
    for offset in range(0, len(data), step):
        sent = request.put(
            f"{base}/api/v1/uploads/{upload['id']}?offset={offset}",
            headers={**headers, "Content-Type": "application/octet-stream"},
            data=data[offset : offset + step],
        )
        assert sent.status == 200, f"PUT at {offset} answered {sent.status}: {sent.text()}"
    started = request.post(f"{base}/api/v1/uploads/{upload['id']}/complete", headers=headers)
    assert started.status == 202, f"complete answered {started.status}: {started.text()}"
    job_id = started.json()["id"]
    deadline = time.monotonic() + timeout_s
    while True:
        status, job = api_json(page, "GET", f"/api/v1/jobs/{job_id}")
        assert status == 200, job
        if job["state"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, f"the import job {job_id} did not finish: {job}"
        page.wait_for_timeout(200)
    assert job["state"] == "succeeded", f"the import of {path.name} failed: {job}"
    status, dataset = api_json(page, "GET", f"/api/v1/datasets/{job['result']['dataset_id']}")
    assert status == 200, dataset
    return dict(dataset)


def wait_until(
    page: Page, condition: Callable[[], bool], what: str, timeout_s: float = 10.0
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after the timeout.

    Waits through ``page.wait_for_timeout`` so Playwright keeps delivering events meanwhile.
    """
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        page.wait_for_timeout(50)


def unique(prefix: str) -> str:
    """A short, lower-case, unique name (valid as a username too)."""
    return f"{prefix}{secrets.token_hex(4)}"
