"""Liveness and readiness probes for load balancers and Kubernetes, open without a login.

They answer a status word and nothing else (no versions, no errors); the authenticated
``/api/v1/health`` tells the details.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .current import current_db

bp = Blueprint("probes", __name__)


@bp.get("/livez")
def livez() -> Response:
    """The process answers requests."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """The database answers and carries the schema this code expects."""
    is_ready = current_db().status().is_ok
    response = jsonify({"status": "ok" if is_ready else "unavailable"})
    response.status_code = 200 if is_ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
