"""/api/v1/me/second-factor and /api/v1/users/{id}/second-factor: whether a user logs in with
a second factor, and an admin's reset (a lost phone).

Setting one up needs the QR code and a code typed from the phone: that happens on the Account
page and in the login's second step, not here. API tokens are a factor of their own and are
not affected by any of this.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from dashboard.auth import current_actor, current_db
from dashboard.services import second_factor

from .schemas import error_responses as _errors

blp = Blueprint(
    "api_second_factor",
    __name__,
    url_prefix="/api/v1",
    description="Second factors (TOTP): status, and an admin's reset",
)


class FactorStatusSchema(Schema):
    user_id = fields.Integer(required=True)
    is_enabled = fields.Boolean(
        required=True, metadata={"description": "Whether logging in asks for a code."}
    )
    enabled_at = fields.AwareDateTime(allow_none=True, required=True)
    recovery_codes_left = fields.Integer(
        required=True,
        metadata={"description": f"Of {second_factor.RECOVERY_CODE_COUNT}; each works once."},
    )
    is_required = fields.Boolean(
        required=True, metadata={"description": "Whether one of the user's roles requires one."}
    )
    required_by = fields.List(fields.String(), required=True)


@blp.route("/me/second-factor")
class MySecondFactor(MethodView):
    @blp.response(200, FactorStatusSchema)
    @_errors(blp)
    def get(self) -> second_factor.FactorStatus:
        """Whether you log in with a second factor."""
        actor = current_actor()
        return second_factor.status(current_db(), actor, actor.user_id or 0)


@blp.route("/users/<int:user_id>/second-factor")
class UserSecondFactor(MethodView):
    @blp.response(200, FactorStatusSchema)
    @_errors(blp, 403, 404)
    def get(self, user_id: int) -> second_factor.FactorStatus:
        """Whether a user logs in with a second factor (yourself, or anyone for admins)."""
        return second_factor.status(current_db(), current_actor(), user_id)

    @blp.response(200, FactorStatusSchema)
    @_errors(blp, 403, 404, 409)
    def delete(self, user_id: int) -> second_factor.FactorStatus:
        """Reset a user's second factor (admins; a lost phone). Audited."""
        db, actor = current_db(), current_actor()
        second_factor.reset(db, actor, user_id)
        return second_factor.status(db, actor, user_id)
