"""The JSON API under /api/v1 with its generated OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from dashboard import __version__
from dashboard.auth import current_principal

from .datasets import blp as datasets_blueprint
from .errors import API_PREFIX, register_error_handlers
from .jobs import blp as jobs_blueprint
from .mutations import blp as mutations_blueprint
from .preferences import blp as preferences_blueprint
from .provenance import blp as provenance_blueprint
from .reference import allow_same_origin_framing
from .reference import bp as reference_blueprint
from .resources import BLUEPRINTS, PREFIX
from .runs import blp as runs_blueprint
from .schemas import ApiErrorSchema
from .second_factor import blp as second_factor_blueprint
from .trees import blp as trees_blueprint

ALL_BLUEPRINTS = (
    *BLUEPRINTS,
    jobs_blueprint,
    preferences_blueprint,
    datasets_blueprint,
    provenance_blueprint,
    runs_blueprint,
    trees_blueprint,
    mutations_blueprint,
    second_factor_blueprint,
)
API_BLUEPRINTS = frozenset(b.name for b in ALL_BLUEPRINTS) | {"api-docs", reference_blueprint.name}
ID_MAX = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL


class IdConverter(IntegerConverter):
    """``<int:…>`` for row ids: a larger number matches no route (404), never the database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(url_map, *args, **kwargs)


class JsonApi(Api):
    """flask-smorest's Api documenting every error in the shape the API sends.

    Its default (``{code, status, message, errors}``) is not what the error handlers answer.
    """

    ERROR_SCHEMA = ApiErrorSchema


def _id_schema(converter: IdConverter) -> dict[str, object]:
    return {"type": "integer", "minimum": 0, "maximum": converter.max}


def init_api(server: Flask, max_body_bytes: int) -> Api:
    """Register the API blueprints, the OpenAPI document and the JSON error handlers."""
    server.config.update(
        API_TITLE="MicroSpaceGen API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "microspacegen_session"},
                }
            },
            "security": [{"bearer": []}, {"session": []}],
            "info": {"description": "Every route needs a login session or a bearer token."},
        },
    )
    server.url_map.converters["int"] = IdConverter
    api = JsonApi(server)
    api.register_converter(IdConverter, _id_schema)
    for blueprint in ALL_BLUEPRINTS:
        api.register_blueprint(blueprint)
    # The rendered reference (Swagger UI) is no part of the document it shows.
    server.register_blueprint(reference_blueprint)
    # Registered before the security headers, so it runs after them (see its docstring).
    server.after_request(allow_same_origin_framing)
    register_error_handlers(server)

    @server.before_request
    def _api_limits() -> None:
        if not request.path.startswith(API_PREFIX):
            return
        # Dash's catch-all page route would otherwise answer unknown API paths with HTML.
        # Only to a known caller, though: to anyone else the gate answers 401 first, so the
        # API's paths cannot be probed without logging in.
        is_unknown = request.routing_exception is None and request.blueprint not in API_BLUEPRINTS
        if is_unknown and current_principal() is not None:
            # A path the API serves for other methods (POST-only routes) is a 405 (RFC 9110),
            # not a 404: its Allow header is set below.
            allowed = api_methods(request.path)
            if allowed:
                abort(
                    405,
                    description=f"{request.method} is not allowed on {request.path}; "
                    f"it takes {', '.join(allowed)}.",
                )
            abort(404, description=f"No API route {request.method} {request.path}.")
        request.max_content_length = max_body_bytes

    @server.after_request
    def _allow(response: Response) -> Response:
        # Dash's catch-all page route matches every path for GET, so werkzeug's own list
        # would advertise GET where the API has none; name the API's own methods instead.
        is_api = request.path.startswith(API_PREFIX)
        if is_api and (response.status_code == 405 or request.method == "OPTIONS"):
            response.headers["Allow"] = ", ".join(api_methods(request.path))
        return response

    return api


def api_methods(path: str) -> list[str]:
    """The methods API routes take at ``path`` (with HEAD and OPTIONS where GET is)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _args = adapter.match(path, method=method)
        except HTTPException:
            continue
        if str(endpoint).split(".")[0] in API_BLUEPRINTS:
            allowed.append(method)
    if "GET" in allowed:
        allowed.append("HEAD")
    return [*allowed, "OPTIONS"] if allowed else []
