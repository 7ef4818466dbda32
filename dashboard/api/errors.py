"""One JSON error shape for the whole API: ``{"error": {"code": ..., "message": ...}}``.

An error about input also carries ``field`` (the first field at fault) and ``errors``, every
field at fault mapped to its message, with the paths services use (``arms[2].gravity_g``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from dashboard.services.errors import ServiceError, TooManyAttempts

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_attempts",
    500: "internal_error",
}
API_PREFIX = "/api/"
log = logging.getLogger("microspacegen.errors")


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    field: str | None = None,
    details: object = None,
    errors: Mapping[str, str] | None = None,
) -> Response:
    """Build the JSON error response."""
    body: dict[str, object] = {"code": code or CODES.get(status, "error"), "message": message}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = dict(errors)
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if not request.path.startswith(API_PREFIX):
        return exc  # pages keep Flask's HTML errors
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    message = exc.description or "Error"
    field = None
    errors: dict[str, str] = {}
    if messages:
        message = "The request does not match the schema; see errors."
        field = _first_field(messages)
        errors = field_errors(messages)
    if status == 413:
        message = "The request body is too large."
    # A 405's Allow header (RFC 9110) is set for every API response in init_api.
    return error_response(status, message, field=field, details=messages, errors=errors)


def _first_field(messages: object) -> str | None:
    """The first field schema validation refused, named like services name them: ``arms[0].name``.

    >>> _first_field({"json": {"arms": {"0": {"name": ["Missing data."]}}}})
    'arms[0].name'
    """
    path: list[str] = []
    node = messages.get("json") or messages.get("query") if isinstance(messages, dict) else None
    while isinstance(node, dict) and node:
        key = str(next(iter(node)))
        path.append(f"[{key}]" if key.isdigit() else f".{key}")
        node = node[next(iter(node))]
    return "".join(path).lstrip(".") or None


def field_errors(messages: object) -> dict[str, str]:
    """Every field schema validation refused, as ``{path: message}`` (services' paths).

    >>> field_errors({"json": {"name": ["Missing data for required field."],
    ...               "arms": {"1": {"gravity_g": ["Not a valid number."]}}}})
    {'name': 'Missing data for required field.', 'arms[1].gravity_g': 'Not a valid number.'}
    """
    found: dict[str, str] = {}

    def walk(node: object, path: str) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                name = str(key)
                walk(child, f"{path}[{name}]" if name.isdigit() else f"{path}.{name}")
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            found.setdefault(path.lstrip(".") or "_schema", " ".join(node))
        elif node is not None:
            found.setdefault(path.lstrip(".") or "_schema", str(node))

    if isinstance(messages, Mapping):
        for location in ("json", "query", "path"):
            walk(messages.get(location), "")
    return found


def _service_error(exc: ServiceError) -> Response:
    # Raised by services from API routes and from Dash callbacks alike (e.g. a refused role).
    response = error_response(
        exc.status,
        exc.message,
        code=exc.code,
        field=exc.field,
        errors=exc.errors,
        details=exc.details or None,
    )
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _unexpected(exc: Exception) -> Response | Exception:
    if isinstance(exc, HTTPException):
        return exc
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    if not request.path.startswith(API_PREFIX):
        return InternalServerError()
    return error_response(500, "Internal error; it was logged on the server.")


def register_error_handlers(server: Flask) -> None:
    """Install the handlers (after flask-smorest's, which they replace)."""
    server.register_error_handler(HTTPException, _http_error)
    server.register_error_handler(ServiceError, _service_error)
    server.register_error_handler(Exception, _unexpected)
