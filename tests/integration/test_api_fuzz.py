"""No input gives a 500: generated bodies and parameters sent to every API route (hypothesis)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.services import accounts, experiments
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD
from tests.integration.conftest import Site

FIELDS = [
    "name", "organism", "description", "mission", "hardware", "osdr_accession", "arms",
    "spaceflight", "gravity_g", "version", "username", "password", "current_password",
    "roles", "display_name", "is_active", "offset", "limit", "since", "until", "action",
    "result", "target_type", "target_id", "state", "kind", "datasets", "distance", "method",
    "bootstrap", "seed", "distance_matrix", "labels", "matrix", "outgroup", "midpoint", "format",
]  # fmt: skip
# Every code point, lone surrogates and NUL included.
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
HUGE = st.sampled_from([-1, 0, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 + 1, 10**30])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), HUGE, st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), TEXT), inner, max_size=5),
    ),
    max_leaves=12,
)
BODIES = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6).map(json.dumps),
    JSON.map(json.dumps),
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
)
QUERY_VALUES = st.one_of(TEXT, HUGE.map(str), st.integers().map(str))
QUERIES = st.dictionaries(st.sampled_from(FIELDS), QUERY_VALUES, max_size=4)
PATH_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _api_routes(site: Site) -> list[tuple[str, str]]:
    """(method, rule) of every route under /api/v1, as the app's URL map lists them."""
    routes = []
    for rule in site.server.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    return sorted(routes)


@pytest.fixture(scope="module")
def fuzz(site: Site) -> tuple[FlaskClient, FlaskClient, list[tuple[str, str]], list[int]]:
    """Routes, and the ids the fuzzer may touch: its own rows, so no other test's data."""
    cli = cli_actor("fuzz")
    target = accounts.create_user(site.db, cli, "fuzz-target", PASSWORD, ["scientist"])
    accounts.create_user(site.db, cli, "fuzz-admin", PASSWORD, ["admin"])
    token, _ = accounts.create_token(site.db, cli, target.id, "fuzz")
    spec = {"name": "fuzz experiment", "organism": "x", "arms": experiments.default_arms()}
    admin = cli_actor("fuzz")
    experiment = experiments.create_experiment(site.db, admin, spec)
    routes = _api_routes(site)
    assert len(routes) >= 10, routes
    # One login for all examples: a login costs a deliberately slow password hash.
    return site.client("fuzz-admin"), site.client(), routes, [target.id, token.id, experiment.id]


def _raw(text: str) -> bytes:
    """The UTF-8 bytes a client would send, lone surrogates included (as WTF-8 would)."""
    return text.encode("utf-8", "surrogatepass")


def _fill(rule: str, values: list[str]) -> str:
    parts = iter(values)
    return PATH_PARAM.sub(lambda _: quote(_raw(next(parts)), safe=""), rule)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_generated_request_gives_a_5xx(
    fuzz: tuple[FlaskClient, FlaskClient, list[tuple[str, str]], list[int]], data: Any
) -> None:
    client, anonymous_client, routes, own_ids = fuzz
    method, rule = data.draw(st.sampled_from(routes), label="route")
    params = PATH_PARAM.findall(rule)
    ids = st.one_of(st.sampled_from(own_ids).map(str), HUGE.map(str), TEXT.map(str))
    path = _fill(rule, [data.draw(ids, label=name) for name in params])
    query = urlencode({key: _raw(value) for key, value in data.draw(QUERIES).items()})
    body = data.draw(BODIES, label="body") if method in {"POST", "PATCH", "PUT"} else None
    response = client.open(
        path, method=method, query_string=query, data=body, content_type="application/json"
    )
    assert response.status_code < 500, (method, path, query, body, response.get_data()[:300])
    anonymous = anonymous_client.open(
        path, method=method, query_string=query, data=body, content_type="application/json"
    )
    assert anonymous.status_code == 401, (method, path)
