"""The Flask-level gate every request passes: login first, then the access policy's pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import Response, g, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from dashboard.services import audit, policy
from dashboard.services.accounts import Principal
from dashboard.services.actor import anonymous
from dashboard.services.text import has_lone_surrogate

from .current import client_ip, current_db, current_principal

PUBLIC_ENDPOINTS = frozenset(
    {"auth.login_form", "auth.login_submit", "auth.logout", "probes.livez", "probes.readyz"}
    # The second step of a login: they check its signed pending note themselves.
    | {"auth.code_form", "auth.code_submit", "auth.enrol_form", "auth.enrol_submit"}
    # Single sign-on: to the provider and back (dashboard.auth.sso).
    | {"sso.start", "sso.callback"}
)
# The static files the login page needs, and no others: they hold no data and name no
# versions (the Bootstrap banner keeps its copyright but not its version).
PUBLIC_ASSETS = frozenset(
    {
        "/assets/favicon.svg",
        "/assets/app.css",
        "/assets/vendor/bootstrap/bootstrap.min.css",
        "/assets/boot/theme-boot.js",
    }
)
MACHINE_PREFIXES = ("/api/", "/assets/", "/_dash-", "/_reload-hash", "/_alive")
# Deeper JSON is refused before anything parses it recursively (Dash component trees stay
# far below this).
JSON_DEPTH_MAX = 256


# Set on a refused page load: the app frame renders it (with the refusal inside), as 403.
REFUSED_PAGE = "msg_refused_page"


@dataclass(frozen=True)
class PageRule:
    """A page path (regex), the module that registered it and who may open it."""

    pattern: re.Pattern[str]
    module: str
    name: str
    grant: policy.Grant


def page_rules(registry: Iterable[Mapping[str, object]]) -> list[PageRule]:
    """Compile the path of every Dash page that the policy does not open to every user."""
    rules = []
    for page in registry:
        module = str(page.get("module"))
        grant = policy.page_grant(module)
        if grant.any_user:
            continue
        template = str(page.get("path_template") or page.get("path"))
        regex = re.sub(
            r"<[^>]+>", "[^/]+", re.escape(template).replace(r"\<", "<").replace(r"\>", ">")
        )
        rules.append(PageRule(re.compile(f"^{regex}/?$"), module, str(page.get("name")), grant))
    return rules


def _json_error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_METHODS = frozenset({"GET", "HEAD"})  # what a browser sends to open a page


def is_cross_site() -> bool:
    """Whether a state-changing request comes from another site's page (CSRF).

    Browsers send ``Origin`` with every cross-site POST; SameSite=Lax cookies already stay
    behind, and this refuses the request outright as a second line.
    """
    if request.method in SAFE_METHODS:
        return False
    # Fetch metadata, where the browser sends it, says so directly (even without Origin).
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if not origin:
        return False
    # Host only, not scheme: behind a TLS-terminating proxy the app itself sees http.
    return urlsplit(origin).netloc != request.host


def query_carries_nul() -> bool:
    """Whether the query string holds a NUL character (no text field may; PostgreSQL cannot
    store one, so it would otherwise surface as a server error deep inside)."""
    return b"%00" in request.query_string or b"\x00" in request.query_string


def json_body_problem() -> str | None:
    """Why a JSON body (any ``application/json`` or ``application/*+json``) is refused, or None.

    Reads the body, so it runs only once the caller is known. Malformed JSON is left to the
    route, which answers it in its own way.
    """
    if not request.is_json:
        return None
    body = request.get_data(cache=True)
    try:
        document = json.loads(body)
    except RecursionError:
        return "The JSON body is nested too deeply."
    except ValueError:
        return None
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > JSON_DEPTH_MAX:
            return f"The JSON body is nested deeper than {JSON_DEPTH_MAX} levels."
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                return "NUL characters are not allowed in requests."
            if has_lone_surrogate(value):
                return "The JSON body holds a lone UTF-16 surrogate, which is not text."
    return None


def check_request(rules: list[PageRule]) -> BaseResponse | None:
    """Answer the request here when it may not go on; return None to let it through."""
    path = request.path
    if is_cross_site():
        _audit_refusal(
            current_principal(),
            policy.CROSS_SITE,
            ("path", path),
            {"origin": request.headers.get("Origin", "")[:200], "method": request.method},
        )
        return _json_error(403, "forbidden", "Cross-site request refused.")
    if request.endpoint in PUBLIC_ENDPOINTS or path in PUBLIC_ASSETS:
        return None
    # Who is asking is decided from the headers alone: nobody unknown gets a body read.
    principal = current_principal()
    if principal is None:
        if path.startswith(MACHINE_PREFIXES) or request.method not in PAGE_METHODS:
            response = _json_error(401, "unauthorized", "Log in or send a valid bearer token.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="microspacegen"'
            return response
        target = request.full_path.rstrip("?")
        return redirect(f"/login?next={quote(target, safe='/')}")
    if query_carries_nul():
        return _json_error(400, "bad_request", "NUL characters are not allowed in requests.")
    problem = json_body_problem()
    if problem:
        return _json_error(400, "bad_request", problem)
    for rule in rules:
        if rule.pattern.match(path) and not rule.grant.allows(principal.roles):
            return _refuse_page(principal, rule, path)
    return None


def _refuse_page(principal: Principal, rule: PageRule, path: str) -> BaseResponse | None:
    """Audit a refused page; a browser's load goes on to the app frame, which says why."""
    needed = rule.grant.describe()
    detail: dict[str, object] = {"page": rule.name, "needs_role": needed}
    _audit_refusal(principal, policy.PAGE_OPEN, ("page", path), detail)
    if request.method not in PAGE_METHODS:
        return _json_error(403, "forbidden", f"The page {rule.name} needs the role {needed}.")
    # Dash serves the same frame for every page path; the page's own layout is guarded
    # (dashboard.access.guard_layout), so the frame shows the navbar and "Not allowed".
    g.setdefault(REFUSED_PAGE, rule.name)
    return None


def refused_page_status(response: BaseResponse) -> BaseResponse:
    """Give the frame of a refused page load the status 403 (an ``after_request`` hook)."""
    if g.get(REFUSED_PAGE):
        response.status_code = 403
    return response


def _audit_refusal(
    principal: Principal | None, action: str, target: tuple[str, str], detail: dict[str, object]
) -> None:
    channel = "api" if request.path.startswith("/api/") else "web"
    ip = client_ip()
    actor = principal.actor(ip, channel) if principal else anonymous(ip, channel)
    target_type, target_id = target
    audit.record(
        current_db(),
        actor,
        action,
        "denied",
        target_type=target_type,
        target_id=target_id[:64],
        detail=detail,
    )
