"""/api/v1/me/preferences: the caller's own theme and time display."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from dashboard.auth import current_actor, current_db
from dashboard.services import preferences
from dashboard.services.preferences import THEMES, TIME_DISPLAYS

from .schemas import ApiErrorSchema

blp = Blueprint(
    "api_preferences",
    __name__,
    url_prefix="/api/v1/me/preferences",
    description="Your display preferences",
)


class PreferencesSchema(Schema):
    theme = fields.String(
        validate=validate.OneOf(THEMES),
        metadata={"description": "'system' follows the operating system's light/dark setting."},
    )
    time_display = fields.String(
        validate=validate.OneOf(TIME_DISPLAYS),
        metadata={"description": "Show times in UTC or in the browser's local time zone."},
    )


@blp.route("")
class Preferences(MethodView):
    @blp.response(200, PreferencesSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="Error")
    def get(self) -> preferences.Preferences:
        """Your theme and time display."""
        return preferences.get_preferences(current_db(), current_actor())

    @blp.arguments(PreferencesSchema)
    @blp.response(200, PreferencesSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="Error")
    @blp.alt_response(422, schema=ApiErrorSchema, description="Error")
    def patch(self, body: dict[str, Any]) -> preferences.Preferences:
        """Change your theme and/or time display (fields left out keep their values)."""
        return preferences.set_preferences(current_db(), current_actor(), **body)
