"""The Trees page without a browser: who may open it and build, and its callbacks driven the
way the browser drives them (POST /_dash-update-component): build from datasets, upload a
tree, draw it coloured and searched, pick a node and re-root there, keep the view in the
URL, download it; bad URLs and bad input handled. The About card and the list follow a
tree's provenance from pending to anchored while the page is open."""

from __future__ import annotations

import base64
import io
import json
import random
import secrets
from typing import Any

import pytest
from Bio import Phylo
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from dashboard.models import LedgerBatch, ProvenanceRecord
from dashboard.models.base import utcnow

from .conftest import Site, call_callback, find_callback

BUILD, UPLOAD = "trees-build", "trees-upload"
FORM_FIELDS = {
    BUILD: ["bootstrap", "seed", "name"],
    UPLOAD: ["bootstrap", "seed", "experiment_id", "name"],
}
ERROR_SLOTS = {
    BUILD: ["datasets", "distance", "method", "bootstrap", "seed", "name"],
    UPLOAD: ["file", "kind", "distance", "method", "bootstrap", "seed", "experiment_id", "name"],
}
SAMPLES = {
    "ancestor": "Ancestor",
    "flight-1": "Space Flight",
    "flight-2": "Space Flight",
    "ground-1": "Ground Control",
    "ground-2": "Ground Control",
}


def _genomes(length: int = 1500) -> dict[str, str]:
    """An ancestor and two flight and two ground lines: each group shares its own changes."""
    rng = random.Random(secrets.randbits(32))
    ancestor = [rng.choice("ACGT") for _ in range(length)]

    def mutate(seq: list[str], sites: list[int]) -> list[str]:
        out = list(seq)
        for i in sites:
            out[i] = {"A": "G", "G": "A", "C": "T", "T": "C"}[out[i]]
        return out

    flight = mutate(ancestor, rng.sample(range(length), 40))
    ground = mutate(ancestor, rng.sample(range(length), 40))
    return {
        "ancestor": "".join(ancestor),
        "flight-1": "".join(mutate(flight, rng.sample(range(length), 8))),
        "flight-2": "".join(mutate(flight, rng.sample(range(length), 8))),
        "ground-1": "".join(mutate(ground, rng.sample(range(length), 8))),
        "ground-2": "".join(mutate(ground, rng.sample(range(length), 8))),
    }


@pytest.fixture(scope="module")
def seeded(site: Site) -> dict[str, Any]:
    """An experiment and five genome datasets (one per sample) imported as sci."""
    sci = site.client("sci")
    body = {
        "name": f"Tree pages {secrets.token_hex(3)}",
        "organism": "Escherichia coli REL606",
        "arms": [
            {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
            {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
        ],
    }
    response = sci.post("/api/v1/experiments", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    experiment_id = response.get_json()["id"]
    dataset_ids = {}
    for name, seq in _genomes().items():
        form = {
            "file": (io.BytesIO(f">{name}\n{seq}\n".encode()), f"{name}.fasta"),
            "experiment_id": str(experiment_id),
            "sample_name": name,
            "factors": json.dumps({"spaceflight": SAMPLES[name]}),
        }
        answer = sci.post("/api/v1/datasets", data=form, content_type="multipart/form-data")
        assert answer.status_code == 201, answer.get_data(as_text=True)
        dataset_ids[name] = answer.get_json()["id"]
    return {"experiment_id": experiment_id, "datasets": dataset_ids}


def _layout(client: FlaskClient, path: str, search: str = "") -> str:
    values = {"_pages_location.pathname": path, "_pages_location.search": search}
    response = call_callback(client, "_pages_content.children", values)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.dumps(response.get_json(), ensure_ascii=False)


def _parsed(ident: str) -> str | dict[str, Any]:
    return json.loads(ident) if ident.startswith("{") else ident


def _expand(item: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The concrete ids of a wildcard (ALL) form id, or None for a plain id."""
    raw = item["id"]
    if not isinstance(raw, str) or not raw.startswith("{"):
        return None
    parsed = json.loads(raw)
    if parsed.get("field") != ["ALL"]:
        return None
    form = parsed["form"]
    if "part" in parsed:
        return [{"form": form, "field": f, "part": parsed["part"]} for f in ERROR_SLOTS[form]]
    return [{"form": form, "field": f} for f in FORM_FIELDS[form]]


def _run(
    client: FlaskClient, fragment: str, values: dict[str, Any], changed: str
) -> tuple[int, dict[str, Any]]:
    """Call the callback with output ``fragment`` as the browser would after ``changed``.
    ``values``: "id.prop" -> value; a form's fields as "form:field". Returns the status and
    the response's {id: {prop: value}}."""
    deps = client.get("/_dash-dependencies").get_json()
    exact = [d for d in deps if d["output"] == fragment]
    dep = exact[0] if exact else find_callback(client, fragment)

    def fill(item: dict[str, Any]) -> Any:
        concrete = _expand(item)
        if concrete is None:
            value = values.get(f"{item['id']}.{item['property']}")
            return {"id": _parsed(item["id"]), "property": item["property"], "value": value}
        if item["property"] == "id":
            return [{"id": c, "property": "id", "value": c} for c in concrete]
        return [
            {
                "id": c,
                "property": item["property"],
                "value": values.get(f"{c['form']}:{c['field']}"),
            }
            for c in concrete
        ]

    outputs: list[Any] = []
    for part in dep["output"].strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        item = {"id": ident, "property": prop.split("@")[0]}
        concrete = _expand(item)
        if concrete is None:
            outputs.append({**item, "id": _parsed(ident)})
        else:
            outputs.append([{"id": c, "property": item["property"]} for c in concrete])
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [fill(i) for i in dep["inputs"]],
        "state": [fill(s) for s in dep["state"]],
        "changedPropIds": [changed],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    if response.status_code != 200:
        return response.status_code, {}
    payload: dict[str, Any] = response.get_json()["response"]
    return 200, payload


def _errors(payload: dict[str, Any], form: str) -> dict[str, str]:
    """Field -> message of the error slots a form callback filled."""
    found = {}
    for key, props in payload.items():
        if key.startswith("{") and '"part":"error"' in key and props.get("children"):
            found[json.loads(key)["field"]] = props["children"]
    return found


def _build_fragment(client: FlaskClient) -> str:
    deps = client.get("/_dash-dependencies").get_json()
    found = [
        d["output"]
        for d in deps
        if "job-progress-id" in d["output"] and '"trees-build"' in d["output"]
    ]
    assert len(found) == 1, found
    return str(found[0])


def _build_tree(client: FlaskClient, datasets: list[int], **fields: Any) -> int:
    status, payload = _run_build(client, datasets, **fields)
    assert status == 200, payload
    href = payload["trees-navigate"]["href"]
    assert href.startswith("/trees?tree="), payload
    return int(href.split("=", 1)[1])


def _run_build(client: FlaskClient, datasets: list[int], **fields: Any) -> tuple[int, Any]:
    values = {
        "trees-build-submit.n_clicks": 1,
        "trees-pick-grid.selectedRows": [{"id": i} for i in datasets],
        '{"field":"distance","form":"trees-build","part":"radio"}.value': fields.get(
            "distance", "k2p"
        ),
        '{"field":"method","form":"trees-build","part":"radio"}.value': fields.get("method", "nj"),
        "trees-build:bootstrap": str(fields.get("bootstrap", 0)),
        "trees-build:seed": "1",
        "trees-build:name": fields.get("name", ""),
    }
    return _run(client, _build_fragment(client), values, "trees-build-submit.n_clicks")


@pytest.fixture(scope="module")
def tree(site: Site, seeded: dict[str, Any]) -> dict[str, Any]:
    """A neighbour-joining tree of the five genomes, built through the page."""
    sci = site.client("sci")
    ids = list(seeded["datasets"].values())
    tree_id = _build_tree(sci, ids, name="Flight vs ground")
    answer = sci.get(f"/api/v1/trees/{tree_id}")
    body = answer.get_json() if answer.status_code == 200 else {}
    return {"id": tree_id, "datasets": ids, "body": body}


def _view_values(tree_id: int, **extra: Any) -> dict[str, Any]:
    values = {
        "trees-layout.value": "rectangular",
        "trees-branches.value": "phylogram",
        "trees-colour.value": "",
        "trees-labels.value": True,
        "trees-support.value": False,
        "trees-search.value": "",
        "trees-zoom.data": None,
        "trees-collapsed.data": [],
        "trees-selected.data": None,
        "trees-tree.data": tree_id,
        "trees-url-labels.data": None,
    }
    values.update(extra)
    return values


def _render(client: FlaskClient, tree_id: int, changed: str, **extra: Any) -> dict[str, Any]:
    status, payload = _run(client, "trees-figure.figure", _view_values(tree_id, **extra), changed)
    assert status == 200, payload
    return payload


# --- who may open it ------------------------------------------------------------------------


def test_every_user_opens_the_page_and_finds_it_in_the_navbar(site: Site) -> None:
    for user in ("sci", "rev", "oper"):
        client = site.client(user)
        response = client.get("/trees")
        assert response.status_code == 200
        html = client.get("/").get_data(as_text=True)
        shown = _layout(client, "/trees")
        assert '"Trees"' in shown, user
        assert html  # the frame renders; the navbar link comes from the registry
    navbar = json.dumps(site.client("rev").get("/_dash-layout").get_json())
    assert "/trees" in navbar


def test_only_those_who_may_build_see_the_build_forms(site: Site, tree: dict[str, Any]) -> None:
    sci, rev = site.client("sci"), site.client("rev")
    assert "trees-new-link" in _layout(sci, "/trees")
    assert "trees-new-link" not in _layout(rev, "/trees")
    assert "trees-reroot" in _layout(sci, "/trees", f"?tree={tree['id']}")
    assert "trees-reroot" not in _layout(rev, "/trees", f"?tree={tree['id']}")
    assert "trees-build-submit" in _layout(sci, "/trees", "?new=datasets")
    # A reviewer asking for the form gets the list instead.
    assert "trees-build-submit" not in _layout(rev, "/trees", "?new=datasets")


def test_the_server_refuses_a_reviewer_who_calls_build_directly(
    site: Site, seeded: dict[str, Any]
) -> None:
    rev = site.client("rev")
    status, payload = _run_build(rev, list(seeded["datasets"].values()))
    assert status == 200
    summary = json.dumps(payload["trees-build-summary"])
    assert "tree.build" in summary or "role" in summary, summary
    assert "trees-navigate" not in payload or payload["trees-navigate"]["href"] is None


# --- building -------------------------------------------------------------------------------


def test_a_build_from_datasets_opens_the_new_tree_with_its_facts(
    site: Site, tree: dict[str, Any], seeded: dict[str, Any]
) -> None:
    shown = _layout(site.client("rev"), "/trees", f"?tree={tree['id']}")
    assert "Flight vs ground" in shown, shown[:3000]
    assert "Neighbour joining" in shown
    assert "Kimura 2-parameter" in shown
    for dataset_id in seeded["datasets"].values():
        assert f"/datasets/{dataset_id}" in shown
    # The list has it, newest first.
    assert '"name":"Flight vs ground"' in shown.replace(", ", ",").replace(": ", ":")


def test_problems_are_shown_beside_their_fields(site: Site, seeded: dict[str, Any]) -> None:
    sci = site.client("sci")
    status, payload = _run_build(sci, [])
    assert status == 200
    assert "datasets" in _errors(payload, BUILD)
    ids = list(seeded["datasets"].values())
    status, payload = _run_build(sci, ids, distance="mash", bootstrap=100)
    errors = _errors(payload, BUILD)
    assert "bootstrap" in errors, errors
    assert "MinHash" in errors["bootstrap"]
    status, payload = _run_build(sci, ids[:2], method="nj")
    errors = _errors(payload, BUILD)
    assert "method" in errors, errors
    assert "3 taxa" in errors["method"]


def test_a_bootstrap_runs_as_a_job_followed_by_the_progress_panel(
    site: Site, seeded: dict[str, Any]
) -> None:
    sci = site.client("sci")
    status, payload = _run_build(sci, list(seeded["datasets"].values()), bootstrap=20)
    assert status == 200, payload
    job_key = next(k for k in payload if "job-progress-id" in k)
    job_id = payload[job_key]["data"]
    assert isinstance(job_id, int)
    job = sci.get(f"/api/v1/jobs/{job_id}").get_json()
    assert job["kind"] == "tree.build"


def test_the_distance_sets_the_bootstrap_default(site: Site) -> None:
    sci = site.client("sci")
    radio = '{"field":"distance","form":"trees-build","part":"radio"}'
    fragment = '{"field":"bootstrap","form":"trees-build"}.value'
    for distance, expected in (("mash", "0"), ("k2p", "100"), ("p", "100")):
        status, payload = _run(sci, fragment, {f"{radio}.value": distance}, f"{radio}.value")
        assert status == 200
        assert next(iter(payload.values()))["value"] == expected


def test_an_uploaded_newick_is_saved_and_a_broken_one_refused(site: Site) -> None:
    sci = site.client("sci")

    def upload(name: str, content: bytes) -> tuple[int, dict[str, Any]]:
        data = "data:text/plain;base64," + base64.b64encode(content).decode()
        values = {
            "trees-upload-submit.n_clicks": 1,
            "trees-upload-file.data": {"name": name, "size": len(content), "data": data},
            '{"field":"kind","form":"trees-upload","part":"radio"}.value': "auto",
            '{"field":"distance","form":"trees-upload","part":"radio"}.value': "k2p",
            '{"field":"method","form":"trees-upload","part":"radio"}.value': "nj",
            "trees-upload:bootstrap": "0",
            "trees-upload:seed": "1",
            "trees-upload:experiment_id": "",
            "trees-upload:name": "",
        }
        deps = sci.get("/_dash-dependencies").get_json()
        fragment = next(
            d["output"]
            for d in deps
            if "job-progress-id" in d["output"] and '"trees-upload"' in d["output"]
        )
        return _run(sci, fragment, values, "trees-upload-submit.n_clicks")

    status, payload = upload("small.nwk", b"((A:1,B:2):0.5,(C:1,D:1):0.5,E:3);")
    assert status == 200, payload
    assert payload["trees-navigate"]["href"].startswith("/trees?tree=")
    status, payload = upload("broken.nwk", b"((A:1,B:2):0.5,(C:1,D:1;")
    assert "file" in _errors(payload, UPLOAD), payload
    status, payload = upload("empty.nwk", b"")
    assert "file" in _errors(payload, UPLOAD), payload


# --- the view -------------------------------------------------------------------------------


def test_colour_by_spaceflight_gives_a_legend_and_goes_into_the_url(
    site: Site, tree: dict[str, Any]
) -> None:
    payload = _render(
        site.client("rev"),
        tree["id"],
        "trees-colour.value",
        **{"trees-colour.value": "spaceflight"},
    )
    figure = payload["trees-figure"]["figure"]
    legend = {t.get("name") for t in figure["data"] if t.get("showlegend")}
    assert {"Space Flight", "Ground Control", "Ancestor"} <= legend, legend
    assert payload["trees-url-colour"]["data"] == "spaceflight"
    assert payload["trees-url-layout"]["data"] is None  # defaults stay out of the URL


def test_search_counts_and_highlights_matching_tips(site: Site, tree: dict[str, Any]) -> None:
    payload = _render(
        site.client("rev"), tree["id"], "trees-search.value", **{"trees-search.value": "FLIGHT"}
    )
    assert payload["trees-search-info"]["children"] == "2 tips match"
    assert payload["trees-url-search"]["data"] == "FLIGHT"
    names = [t.get("name", "") for t in payload["trees-figure"]["figure"]["data"]]
    assert any(n.startswith("search: 2 matches") for n in names), names
    payload = _render(
        site.client("rev"), tree["id"], "trees-search.value", **{"trees-search.value": "zzz"}
    )
    assert payload["trees-search-info"]["children"] == "No tip matches"


def test_circular_cladogram_and_labels_off_are_kept_in_the_url(
    site: Site, tree: dict[str, Any]
) -> None:
    payload = _render(
        site.client("rev"),
        tree["id"],
        "trees-labels.value",
        **{
            "trees-layout.value": "radial",
            "trees-branches.value": "cladogram",
            "trees-labels.value": False,
            "trees-support.value": True,
        },
    )
    assert payload["trees-url-layout"]["data"] == "circular"
    assert payload["trees-url-branches"]["data"] == "cladogram"
    assert payload["trees-url-labels"]["data"] == "off"
    assert payload["trees-url-support"]["data"] == "1"
    assert payload["trees-labels"]["value"] is False


def test_a_clicked_clade_can_be_zoomed_into_and_collapsed(site: Site, tree: dict[str, Any]) -> None:
    rev = site.client("rev")
    fragment = "..trees-zoom.data...trees-collapsed.data...trees-selected.data.."
    # A two-line clade, picked through the search ("select their clade"). The genomes are
    # random, so neighbour joining may end at a root that holds both flight lines (their
    # clade is then the whole tree); the ground lines' clade is then a proper one.
    picked = []
    for group in ("flight", "ground"):
        _, payload = _run(
            rev,
            fragment,
            {"trees-search.value": group, "trees-tree.data": tree["id"]},
            "trees-search-select.n_clicks",
        )
        picked.append(payload["trees-selected"]["data"])
    assert all(isinstance(node, int) for node in picked), picked
    clade = next((node for node in picked if node > 0), None)
    assert clade is not None, f"both two-line clades are the root: {picked}"
    # A click on a node's marker picks it (the browser reads its node id).
    status, payload = _run(
        rev,
        fragment,
        {"trees-clicked.data": clade, "trees-tree.data": tree["id"]},
        "trees-clicked.data",
    )
    assert status == 200, payload
    assert payload["trees-selected"]["data"] == clade
    shown = _render(rev, tree["id"], "trees-selected.data", **{"trees-selected.data": clade})
    assert shown["trees-actions"]["hidden"] is False
    assert shown["trees-zoom-in"]["disabled"] is False
    assert "2 tips" in json.dumps(shown["trees-action-text"]["children"])
    values = {
        "trees-selected.data": clade,
        "trees-collapsed.data": [],
        "trees-tree.data": tree["id"],
    }
    _, payload = _run(rev, fragment, values, "trees-zoom-in.n_clicks")
    assert payload["trees-zoom"]["data"] == clade
    _, payload = _run(rev, fragment, values, "trees-collapse.n_clicks")
    assert payload["trees-collapsed"]["data"] == [clade]
    zoomed = _render(rev, tree["id"], "trees-zoom.data", **{"trees-zoom.data": clade})
    assert zoomed["trees-url-zoom"]["data"] == str(clade)
    assert zoomed["trees-reset-zoom"]["disabled"] is False
    assert zoomed["trees-figure"]["figure"]["layout"]["meta"]["tips"] == 2
    collapsed = _render(
        rev, tree["id"], "trees-collapsed.data", **{"trees-collapsed.data": [clade]}
    )
    assert collapsed["trees-url-collapsed"]["data"] == str(clade)


def test_reroot_on_the_ancestor_saves_a_new_tree_and_keeps_the_view(
    site: Site, tree: dict[str, Any]
) -> None:
    sci = site.client("sci")
    # Find the ancestor's node through the search's "select their clade".
    fragment = "..trees-zoom.data...trees-collapsed.data...trees-selected.data.."
    _, payload = _run(
        sci,
        fragment,
        {"trees-search.value": "ancestor", "trees-tree.data": tree["id"]},
        "trees-search-select.n_clicks",
    )
    node = payload["trees-selected"]["data"]
    assert isinstance(node, int)
    values = {
        "trees-reroot.n_clicks": 1,
        "trees-selected.data": node,
        "trees-tree.data": tree["id"],
        "trees-layout.value": "radial",
        "trees-branches.value": "phylogram",
        "trees-colour.value": "spaceflight",
        "trees-support.value": False,
        "trees-search.value": "",
    }
    status, payload = _run(sci, "..trees-navigate.href...", values, "trees-reroot.n_clicks")
    assert status == 200, payload
    href = payload["trees-navigate"]["href"]
    assert "layout=circular" in href, href
    assert "colour=spaceflight" in href, href
    new_id = int(href.split("tree=")[1].split("&")[0])
    assert new_id != tree["id"]
    shown = _layout(sci, "/trees", "?" + href.split("?", 1)[1])
    assert "Re-rooted from" in shown
    assert f"tree={tree['id']}" in shown
    # The ancestor now hangs from the root.
    newick = sci.get(f"/api/v1/trees/{new_id}?format=newick").get_data(as_text=True)
    if not newick.startswith("("):  # the API may not be there: ask the page's download
        newick = _download(sci, new_id, "trees-download-newick")
    parsed = Phylo.read(io.StringIO(newick), "newick")
    root_children = parsed.root.clades
    assert any(c.is_terminal() and c.name == "ancestor" for c in root_children), newick


def test_a_reviewer_cannot_reroot(site: Site, tree: dict[str, Any]) -> None:
    values = {"trees-midpoint.n_clicks": 1, "trees-tree.data": tree["id"]}
    status, payload = _run(
        site.client("rev"), "..trees-navigate.href...", values, "trees-midpoint.n_clicks"
    )
    assert status == 200
    assert "role" in json.dumps(payload["trees-message"]), payload


def _download(client: FlaskClient, tree_id: int, button: str) -> str:
    status, payload = _run(
        client,
        "trees-download.data",
        {f"{button}.n_clicks": 1, "trees-tree.data": tree_id},
        f"{button}.n_clicks",
    )
    assert status == 200, payload
    return str(payload["trees-download"]["data"]["content"])


def test_downloads_parse_and_hold_every_tip(site: Site, tree: dict[str, Any]) -> None:
    rev = site.client("rev")
    for button, fmt in (
        ("trees-download-newick", "newick"),
        ("trees-download-nexus", "nexus"),
        ("trees-download-phyloxml", "phyloxml"),
    ):
        text = _download(rev, tree["id"], button)
        parsed = Phylo.read(io.StringIO(text), fmt)
        assert {t.name for t in parsed.get_terminals()} == set(SAMPLES), fmt


@pytest.mark.parametrize(
    "query",
    [
        "?tree=abc",
        "?tree=999999",
        "?tree=-3&layout=sideways&branches=&colour=<script>&labels=maybe",
        "?zoom=99999999&collapsed=1,x,2,,-5&search=%00%01",
        "?tree=1&zoom=0&collapsed=" + ",".join(str(i) for i in range(500)),
    ],
)
def test_bad_urls_fall_back_to_defaults(site: Site, tree: dict[str, Any], query: str) -> None:
    shown = _layout(site.client("rev"), "/trees", query)
    assert "trees-figure" in shown


def test_a_zoom_into_a_tip_shows_the_whole_tree(site: Site, tree: dict[str, Any]) -> None:
    # Node ids: 0 is the root; the last node in preorder is a tip.
    shown = _layout(site.client("rev"), "/trees", f"?tree={tree['id']}&zoom=8")
    assert "Showing the whole tree" in shown


def _upload_newick(client: FlaskClient, newick: str, name: str) -> int:
    form = {"file": (io.BytesIO(newick.encode()), f"{name}.nwk"), "name": name}
    answer = client.post("/api/v1/trees", data=form, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return int(answer.get_json()["id"])


def test_compare_with_another_tree_says_how_they_differ_and_goes_into_the_url(
    site: Site, tree: dict[str, Any]
) -> None:
    sci, rev = site.client("sci"), site.client("rev")
    own = sci.get(f"/api/v1/trees/{tree['id']}?format=newick").get_data(as_text=True).strip()
    same = _upload_newick(sci, own, "Same as built")
    other = _upload_newick(
        sci,
        "((ancestor:1,flight-1:1):1,(flight-2:1,ground-1:1):1,(ground-2:1,extra:1):1);",
        "Shuffled with an extra tip",
    )
    fragment = "..trees-compare-result.children...trees-url-compare.data.."

    def compare(value: object) -> dict[str, Any]:
        values = {"trees-compare.value": value, "trees-tree.data": tree["id"]}
        status, payload = _run(rev, fragment, values, "trees-compare.value")
        assert status == 200, payload
        return payload

    payload = compare(str(same))
    shown = json.dumps(payload["trees-compare-result"]["children"])
    assert "Same topology" in shown, shown
    assert "0 of at most" in shown
    assert "different tips" not in shown
    assert payload["trees-url-compare"]["data"] == str(same)

    payload = compare(str(other))
    shown = json.dumps(payload["trees-compare-result"]["children"])
    assert "Different topologies" in shown, shown
    assert "The trees have different tips: compared on the 5 they share" in shown, shown
    assert "this tree has 5, the other 6" in shown
    assert payload["trees-url-compare"]["data"] == str(other)

    # Nothing chosen, garbage or the tree itself: no comparison, nothing in the URL.
    for value in ("", "abc", str(tree["id"])):
        payload = compare(value)
        assert payload["trees-compare-result"]["children"] is None
        assert payload["trees-url-compare"]["data"] is None
    # A tree that is gone: the service's reason, beside the picker.
    shown = json.dumps(compare("999999")["trees-compare-result"]["children"])
    assert "There is no tree 999999." in shown, shown

    # The URL reproduces it: ?compare= opens with the picker set and the result shown.
    opened = _layout(rev, "/trees", f"?tree={tree['id']}&compare={same}")
    assert "Same topology" in opened
    assert "Compare with another tree" in opened


# --- provenance that changes while the page is open ------------------------------------------


def _follow(client: FlaskClient, watch: object, tree_id: int) -> dict[str, Any]:
    values = {
        "trees-provenance-tick.n_intervals": 1,
        "trees-provenance-watch.data": watch,
        "trees-tree.data": tree_id,
    }
    status, payload = _run(
        client, "trees-info-provenance.children", values, "trees-provenance-tick.n_intervals"
    )
    assert status == 200, payload
    return payload


def _props(tree: Any, component_id: str) -> dict[str, Any]:
    """The props of the component ``component_id`` in a serialised layout ({} if absent)."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return dict(tree["props"])
        children = tree.values()
    elif isinstance(tree, list):
        children = tree
    else:
        return {}
    for child in children:
        found = _props(child, component_id)
        if found:
            return found
    return {}


def _anchor_alone(site: Site, tree_id: int) -> int:
    """Put the tree's record alone in an anchored batch (its root is the leaf), as the
    anchoring worker would once the batch's block is mined."""
    with site.db.begin() as s:
        row = s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.tree_id == tree_id)).one()
        batch = LedgerBatch(
            root=row.leaf,
            leaf_count=1,
            manifest=[row.leaf],
            manifest_sha256="0" * 64,
            state="anchored",
            chain_id=1337,
            tx_hash="0x" + "cd" * 32,
            block_number=7,
            block_time=utcnow(),
            submitter="0x" + "ab" * 20,
        )
        s.add(batch)
        s.flush()
        row.batch_id, row.proof = batch.id, []
        return batch.id


def test_the_about_card_and_the_list_follow_the_ledger_while_the_page_is_open(
    site: Site,
) -> None:
    # The walkthrough: the About card said Pending after the tree had been anchored.
    sci = site.client("sci")
    tree_id = _upload_newick(sci, "((A:1,B:2)90:0.5,(C:1,D:1)80:0.5,E:3);", "Soon anchored")
    shown = json.loads(_layout(sci, "/trees", f"?tree={tree_id}"))
    assert _props(shown, "trees-info-provenance")
    assert _props(shown, "trees-provenance-watch")["data"][str(tree_id)] == "pending"
    assert _props(shown, "trees-provenance-tick")["disabled"] is False

    # Nothing changed yet: nothing is redrawn, the page keeps asking.
    payload = _follow(sci, {str(tree_id): "pending"}, tree_id)
    assert "trees-list-grid" not in payload
    assert "trees-info-provenance" not in payload
    assert payload["trees-provenance-tick"]["disabled"] is False

    batch_id = _anchor_alone(site, tree_id)
    try:
        answer = sci.get(f"/api/v1/trees/{tree_id}/provenance").get_json()
        assert answer["status"]["state"] == "anchored", answer
        # Anchored: the list's row and the About card say so in the same answer, and the
        # page stops asking (nothing else is settling).
        payload = _follow(sci, {str(tree_id): "pending"}, tree_id)
        (row,) = payload["trees-list-grid"]["rowTransaction"]["update"]
        assert row["id"] == tree_id
        assert row["provenance"] == "Anchored"
        assert row["provenance_states"] == ["anchored"]
        badge = json.dumps(payload["trees-info-provenance"]["children"])
        assert '"data-provenance": "anchored"' in badge
        assert "Anchored" in badge
        assert payload["trees-provenance-watch"]["data"] == {}
        assert payload["trees-provenance-tick"]["disabled"] is True
        # Another tree anchored while a different one is shown: its row only.
        payload = _follow(sci, {str(tree_id): "pending"}, tree_id + 10_000)
        assert payload["trees-list-grid"]["rowTransaction"]["update"][0]["id"] == tree_id
        assert "trees-info-provenance" not in payload
        # Hand-made watches are ignored, not trusted.
        payload = _follow(sci, {"x": "pending", "-3": "pending"}, tree_id)
        assert payload["trees-provenance-tick"]["disabled"] is True
    finally:
        with site.db.begin() as s:
            s.execute(
                update(ProvenanceRecord)
                .where(ProvenanceRecord.tree_id == tree_id)
                .values(batch_id=None, proof=None)
            )
            s.execute(delete(LedgerBatch).where(LedgerBatch.id == batch_id))
