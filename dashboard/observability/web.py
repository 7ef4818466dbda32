"""The Flask side: request ids, request metrics, an access line per request, ``/metrics``.

Hook order matters and is set here: the first hook (timer and request id) runs before the
request gate, the bearer check of ``/metrics`` runs before the gate too (so a scraper
gets 401/403, never a login redirect), and the metrics-only confinement runs after the
gate, once it has decided who is asking.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, jsonify, request, session
from werkzeug.wrappers import Response as BaseResponse

from dashboard.auth import current_principal
from dashboard.auth.current import client_ip
from dashboard.auth.guard import PUBLIC_ASSETS, PUBLIC_ENDPOINTS
from dashboard.db import Database
from dashboard.services import audit, policy

from . import request_id
from .exposition import CONTENT_TYPE, render
from .metrics import observe_request

METRICS_ENDPOINT = "observability.metrics"
# What a metrics-only account may reach: /metrics and what is open to anyone.
MACHINE_ENDPOINTS = PUBLIC_ENDPOINTS | {METRICS_ENDPOINT}
_STARTED = "msg_started_s"
UNMATCHED = "(unmatched)"
access_log = logging.getLogger("microspacegen.access")


def _json_error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _begin() -> None:
    setattr(g, _STARTED, time.perf_counter())
    request_id.bind_request(request_id.accept(request.headers.get(request_id.HEADER)))


def _metrics_credentials() -> BaseResponse | None:
    """Only a bearer token whose user holds the metrics role reads ``/metrics``."""
    if request.endpoint != METRICS_ENDPOINT:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response = _json_error(401, "unauthorized", "Send the metrics user's bearer token.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="microspacegen"'
        return response
    if "_user_id" in session:
        return _json_error(
            403, "forbidden", "The metrics endpoint takes a bearer token, not a login session."
        )
    principal = current_principal()
    if principal is None:
        response = _json_error(401, "unauthorized", "The bearer token is not valid.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="microspacegen", error="invalid_token"'
        return response
    if not policy.may_read_metrics(principal.roles):
        return _json_error(
            403, "forbidden", f"Reading metrics needs the role {policy.METRICS_ROLE}."
        )
    return None


def _confine_machine_accounts() -> BaseResponse | None:
    """A metrics-only account reaches ``/metrics`` and nothing else: no page, no API."""
    if request.endpoint in MACHINE_ENDPOINTS or request.path in PUBLIC_ASSETS:
        return None  # open to anyone; asked first, so no user is loaded for them
    principal = current_principal()
    if principal is None or not policy.is_machine_only(principal.roles):
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        channel = "api" if request.path.startswith("/api/") else "web"
        audit.record(
            _db(),
            principal.actor(client_ip(), channel),
            policy.MACHINE_ONLY,
            "denied",
            target_type="path",
            target_id=request.path[:64],
            detail={"method": request.method},
        )
    return _json_error(403, "forbidden", "This account may read /metrics only.")


def _db() -> Database:
    from dashboard.auth import current_db

    return current_db()


def _finish(response: BaseResponse) -> BaseResponse:
    rid = request_id.current_request_id()
    if rid:
        response.headers[request_id.HEADER] = rid
    started = g.get(_STARTED)
    if started is None:
        return response
    duration_s = time.perf_counter() - started
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    observe_request(route, request.method, response.status_code, duration_s)
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "%s %s %d %.1f ms",
            request.method,
            route,
            response.status_code,
            duration_s * 1000,
            extra={
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round(duration_s * 1000, 2),
            },
        )
    return response


def metrics_view() -> Response:
    """Prometheus's scrape (the hooks above decided who may)."""
    response = Response(render(_db()), content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_observability(server: Flask) -> None:
    """Wire request ids, request metrics and ``/metrics`` into ``server`` (after init_auth)."""
    server.add_url_rule("/metrics", METRICS_ENDPOINT, metrics_view, methods=["GET"])
    hooks = server.before_request_funcs.setdefault(None, [])
    hooks.insert(0, _metrics_credentials)
    hooks.insert(0, _begin)
    hooks.append(_confine_machine_accounts)
    # Registered first, so Flask (which runs after_request hooks in reverse) runs it last:
    # the status it counts is the one the client gets.
    server.after_request_funcs.setdefault(None, []).insert(0, _finish)
