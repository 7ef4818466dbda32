"""The /api/v1 routes: thin wrappers over the same services the pages call."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from dashboard.auth import current_actor, current_catalog, current_db, current_queue
from dashboard.services import accounts, audit, experiments, health

from .schemas import (
    AuditPageSchema,
    AuditQuerySchema,
    ChainReportSchema,
    ExperimentPatchSchema,
    ExperimentSchema,
    HealthSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from .schemas import error_responses as _errors

PREFIX = "/api/v1"

system = Blueprint("api_system", __name__, url_prefix=PREFIX, description="Health and identity")
users = Blueprint("api_users", __name__, url_prefix=f"{PREFIX}/users", description="Users (admin)")
tokens = Blueprint(
    "api_tokens", __name__, url_prefix=f"{PREFIX}/tokens", description="Your API tokens"
)
experiments_bp = Blueprint(
    "api_experiments",
    __name__,
    url_prefix=f"{PREFIX}/experiments",
    description="Experiments and their arms",
)
audit_bp = Blueprint(
    "api_audit", __name__, url_prefix=f"{PREFIX}/audit", description="Audit log (admin)"
)

BLUEPRINTS = (system, users, tokens, experiments_bp, audit_bp)


@system.route("/health")
class Health(MethodView):
    @system.response(200, HealthSchema)
    @system.alt_response(503, schema=HealthSchema, description="Something is unhealthy")
    @_errors(system)
    def get(self) -> Response:
        """Report version and the state of the database."""
        document, is_ok = health.report(current_db(), current_queue().backend, current_catalog())
        response = jsonify(document)
        response.status_code = 200 if is_ok else 503
        return response


@system.route("/me")
class Me(MethodView):
    @system.response(200, UserSchema)
    @_errors(system)
    def get(self) -> accounts.UserRow:
        """The user behind this session or token."""
        actor = current_actor()
        return accounts.get_user(current_db(), actor, actor.user_id or 0)


@users.route("")
class Users(MethodView):
    @users.response(200, UserSchema(many=True))
    @_errors(users, 403)
    def get(self) -> list[accounts.UserRow]:
        """List users."""
        return accounts.list_users(current_db(), current_actor())

    @users.arguments(UserCreateSchema)
    @users.response(201, UserSchema)
    @_errors(users, 403, 409, 422)
    def post(self, body: dict[str, Any]) -> accounts.UserRow:
        """Create a user with roles."""
        return accounts.create_user(
            current_db(),
            current_actor(),
            body["username"],
            body["password"],
            body["roles"],
            body["display_name"],
        )


@users.route("/<int:user_id>")
class UserById(MethodView):
    @users.response(200, UserSchema)
    @_errors(users, 403, 404)
    def get(self, user_id: int) -> accounts.UserRow:
        """One user."""
        return accounts.get_user(current_db(), current_actor(), user_id)

    @users.arguments(UserUpdateSchema)
    @users.response(200, UserSchema)
    @_errors(users, 403, 404, 409, 422)
    def patch(self, body: dict[str, Any], user_id: int) -> accounts.UserRow:
        """Change roles, active flag, display name or password, all or nothing."""
        db, actor = current_db(), current_actor()
        if not {"password", "roles", "is_active", "display_name"} & body.keys():
            return accounts.get_user(db, actor, user_id)
        return accounts.change_user(
            db,
            actor,
            user_id,
            roles=body.get("roles"),
            is_active=body.get("is_active"),
            display_name=body.get("display_name"),
            password=body.get("password"),
            current_password=body.get("current_password"),
        )


@tokens.route("")
class Tokens(MethodView):
    @tokens.response(200, TokenSchema(many=True))
    @_errors(tokens)
    def get(self) -> list[accounts.TokenRow]:
        """Your API tokens (the secrets are never shown again)."""
        actor = current_actor()
        return accounts.list_tokens(current_db(), actor, actor.user_id or 0)

    @tokens.arguments(TokenCreateSchema)
    @tokens.response(201, TokenCreatedSchema)
    @_errors(tokens, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a token for yourself; the response holds it once."""
        actor = current_actor()
        row, secret = accounts.create_token(current_db(), actor, actor.user_id or 0, body["name"])
        return {**row.__dict__, "token": secret}


@tokens.route("/<int:token_id>")
class TokenById(MethodView):
    @tokens.response(200, TokenSchema)
    @_errors(tokens, 403, 404)
    def delete(self, token_id: int) -> accounts.TokenRow:
        """Revoke a token (yours, or anyone's for admins)."""
        return accounts.revoke_token(current_db(), current_actor(), token_id)


@experiments_bp.route("")
class Experiments(MethodView):
    @experiments_bp.response(200, ExperimentSchema(many=True))
    @_errors(experiments_bp)
    def get(self) -> list[experiments.ExperimentView]:
        """List experiments, newest first."""
        return experiments.list_experiments(current_db())

    @experiments_bp.arguments(ExperimentSchema)
    @experiments_bp.response(201, ExperimentSchema)
    @_errors(experiments_bp, 403, 409, 422)
    def post(self, body: dict[str, Any]) -> experiments.ExperimentView:
        """Create an experiment (scientists and admins)."""
        return experiments.create_experiment(current_db(), current_actor(), body)


@experiments_bp.route("/<int:experiment_id>")
class ExperimentById(MethodView):
    @experiments_bp.response(200, ExperimentSchema)
    @_errors(experiments_bp, 404)
    def get(self, experiment_id: int) -> experiments.ExperimentView:
        """One experiment with its arms."""
        current_actor()
        return experiments.get_experiment(current_db(), experiment_id)

    @experiments_bp.arguments(ExperimentPatchSchema)
    @experiments_bp.response(200, ExperimentSchema)
    @_errors(experiments_bp, 403, 404, 409, 422)
    def patch(self, body: dict[str, Any], experiment_id: int) -> experiments.ExperimentView:
        """Change some fields; ``version`` must be the one you read (else 409)."""
        expected = body.pop("version")
        return experiments.update_experiment(
            current_db(), current_actor(), experiment_id, body, expected
        )


@audit_bp.route("")
class Audit(MethodView):
    @audit_bp.arguments(AuditQuerySchema, location="query")
    @audit_bp.response(200, AuditPageSchema)
    @_errors(audit_bp, 403, 422)
    def get(self, query: dict[str, Any]) -> audit.AuditPage:
        """Audit events, newest first, filtered."""
        offset, limit = query.pop("offset"), query.pop("limit")
        return audit.search(
            current_db(), current_actor(), audit.AuditFilter(**query), offset=offset, limit=limit
        )


@audit_bp.route("/verify")
class AuditVerify(MethodView):
    @audit_bp.response(200, ChainReportSchema)
    @_errors(audit_bp, 403)
    def get(self) -> audit.ChainReport:
        """Recompute the audit log's hash chain and report the first altered event."""
        return audit.verify_chain(current_db(), current_actor())
