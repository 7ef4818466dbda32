"""The Flask-level gate every request passes: login first, then page roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import Response, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from .current import current_principal

PUBLIC_ENDPOINTS = frozenset({"auth.login_form", "auth.login_submit", "auth.logout"})
# Static files the login page needs; they hold no data.
PUBLIC_PREFIXES = ("/assets/",)
MACHINE_PREFIXES = ("/api/", "/_dash-", "/_reload-hash", "/_alive")


@dataclass(frozen=True)
class PageRule:
    """A page path (regex) and the roles that may open it (admins always may)."""

    pattern: re.Pattern[str]
    roles: frozenset[str]
    name: str


def page_rules(registry: Iterable[Mapping[str, object]]) -> list[PageRule]:
    """Compile the ``roles`` each Dash page declared in ``register_page``."""
    rules = []
    for page in registry:
        roles = page.get("roles")
        if not roles:
            continue
        template = str(page.get("path_template") or page.get("path"))
        regex = re.sub(
            r"<[^>]+>", "[^/]+", re.escape(template).replace(r"\<", "<").replace(r"\>", ">")
        )
        rules.append(PageRule(re.compile(f"^{regex}/?$"), frozenset(roles), str(page.get("name"))))  # type: ignore[call-overload]
    return rules


def may_open(roles: frozenset[str], required: frozenset[str]) -> bool:
    """Whether a user with ``roles`` may open a page needing one of ``required``."""
    return "admin" in roles or bool(roles & required)


def _json_error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_cross_site() -> bool:
    """Whether a state-changing request comes from another site's page (CSRF).

    Browsers send ``Origin`` with every cross-site POST; SameSite=Lax cookies already stay
    behind, and this refuses the request outright as a second line.
    """
    origin = request.headers.get("Origin")
    if request.method in SAFE_METHODS or not origin:
        return False
    return urlsplit(origin).netloc != request.host


def carries_nul() -> bool:
    """Whether the query or a JSON body holds a NUL character (no text field may; PostgreSQL
    cannot store one, so it would otherwise surface as a server error deep inside)."""
    if b"%00" in request.query_string or b"\x00" in request.query_string:
        return True
    if request.mimetype != "application/json":
        return False
    body = request.get_data(cache=True)
    return b"\\u0000" in body or b"\x00" in body


def check_request(rules: list[PageRule]) -> BaseResponse | None:
    """Answer the request here when it may not go on; return None to let it through."""
    path = request.path
    if is_cross_site():
        return _json_error(403, "forbidden", "Cross-site request refused.")
    if carries_nul():
        return _json_error(400, "bad_request", "NUL characters are not allowed in requests.")
    if request.endpoint in PUBLIC_ENDPOINTS or path.startswith(PUBLIC_PREFIXES):
        return None
    principal = current_principal()
    if principal is None:
        if path.startswith(MACHINE_PREFIXES) or request.method != "GET":
            response = _json_error(401, "unauthorized", "Log in or send a valid bearer token.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="microspacegen"'
            return response
        target = request.full_path.rstrip("?")
        return redirect(f"/login?next={quote(target, safe='/')}")
    for rule in rules:
        if rule.pattern.match(path) and not may_open(principal.roles, rule.roles):
            needed = ", ".join(sorted(rule.roles))
            return Response(
                f"<!doctype html><title>Forbidden</title><h1>403 Forbidden</h1>"
                f"<p>The page {rule.name} needs the role {needed}.</p><p><a href='/'>Home</a></p>",
                status=403,
                mimetype="text/html",
            )
    return None
