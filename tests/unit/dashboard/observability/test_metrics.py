"""Request metrics in process: labels stay bounded whatever a client sends."""

from __future__ import annotations

from secrets import token_hex

from dashboard.observability import metrics


def test_made_up_methods_share_one_label_and_one_cache_entry() -> None:
    route = "/test-made-up-methods"
    before = len(metrics._request_children)
    for _ in range(50):
        metrics.observe_request(route, "X" + token_hex(4), 405, 0.001)
    metrics.observe_request(route, "GET", 405, 0.001)
    assert len(metrics._request_children) == before + 2  # ("other", 405) and ("GET", 405)
    assert metrics.HTTP_REQUESTS.labels(route, "other", "405")._value.get() == 50
