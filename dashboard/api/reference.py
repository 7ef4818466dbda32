"""/api/v1/docs: the OpenAPI document rendered by Swagger UI, served from this server only.

Swagger UI's files come from the ``flask-swagger-ui`` package (pinned in requirements.txt),
which carries the upstream ``swagger-ui-dist`` build; only its page template is not used,
since it starts Swagger UI from an inline script, which our Content-Security-Policy blocks.
Ours starts it from ``static/api-reference.js``. Like every route, the page and its files
need a login (the gate answers 401 under /api/).

The page is shown inside the app's "API reference" page (``/api-docs``), in a frame: it alone
may be framed, and only by this server's own pages.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, abort, render_template, request, send_from_directory

from dashboard.auth import current_principal

from .resources import PREFIX

SPEC_PATH = f"{PREFIX}/openapi.json"
DOCS_PATH = f"{PREFIX}/docs"
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
# The two files the page loads; the rest of the package (its own page, icons) is not served.
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})

bp = Blueprint(
    "api-reference",
    __name__,
    url_prefix=DOCS_PATH,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
FRAMED_ENDPOINTS = frozenset({"api-reference.swagger_page"})


@bp.get("")
def swagger_page() -> Response:
    """Swagger UI over the OpenAPI document; "Try it out" calls run with your login."""
    principal = current_principal()
    # Opened on its own, the page takes the user's theme (inside the app's page, the app's).
    theme = principal.theme if principal else "system"
    page = render_template("api_reference.html", spec_url=SPEC_PATH, theme=theme)
    return Response(page, mimetype="text/html")


@bp.get("/swagger-ui/<name>")
def swagger_ui_file(name: str) -> Response:
    """One of Swagger UI's own files, from the installed package."""
    if name not in SWAGGER_UI_FILES:
        abort(404, description=f"No API reference file {name!r}.")
    return send_from_directory(SWAGGER_UI_DIST, name)


def allow_same_origin_framing(response: Response) -> Response:
    """Let this server's own pages frame the reference page (and nothing else frame it).

    An ``after_request`` hook that must run after the security headers are set: Flask runs
    these hooks last-registered first, so register it before ``init_security_headers``.
    """
    if request.endpoint in FRAMED_ENDPOINTS:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        policy = response.headers.get("Content-Security-Policy")
        if policy:
            response.headers["Content-Security-Policy"] = policy.replace(
                "frame-ancestors 'none'", "frame-ancestors 'self'"
            )
    return response
