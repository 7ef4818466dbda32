"""The JSON API under /api/v1 with its generated OpenAPI document."""

from __future__ import annotations

from flask import Flask, abort, request
from flask_smorest import Api

from dashboard import __version__

from .errors import API_PREFIX, register_error_handlers
from .resources import BLUEPRINTS, PREFIX

API_BLUEPRINTS = frozenset(b.name for b in BLUEPRINTS) | {"api-docs"}


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
    api = Api(server)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    register_error_handlers(server)

    @server.before_request
    def _api_limits() -> None:
        if not request.path.startswith(API_PREFIX):
            return
        # Dash's catch-all page route would otherwise answer unknown API paths with HTML.
        if request.routing_exception is None and request.blueprint not in API_BLUEPRINTS:
            abort(404, description=f"No API route {request.method} {request.path}.")
        request.max_content_length = max_body_bytes

    return api
