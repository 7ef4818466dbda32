"""Response headers that keep the browser on this server only."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, request


def content_security_policy(script_hashes: list[str]) -> str:
    """A policy allowing nothing from outside this server (air-gapped by construction)."""
    # Dash's csp_hashes() come quoted already: "'sha256-…'".
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",  # React and Plotly set inline styles
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


HSTS = "max-age=31536000"  # one year; set only when the app is told it sits behind HTTPS


def init_security_headers(server: Flask, script_hashes: Callable[[], list[str]]) -> None:
    """Add the headers to every response; the CSP to HTML pages."""

    @server.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = content_security_policy(script_hashes())
            response.headers.setdefault("Cache-Control", "no-store")
        if request.path.startswith("/api/"):
            # Answers hold personal data and, once, a token's secret: no cache may keep them.
            response.headers["Cache-Control"] = "no-store"
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
