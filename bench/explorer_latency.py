"""How fast the sequence explorer answers on a bacterial genome, beside a tool without a cache.

    python bench/explorer_latency.py [--megabases 5] [--genes 5000] [--repeats 7] [--seed 7]
                                     [--keep DIR] [--no-http]

Builds a synthetic annotated genome with Biopython (--megabases of sequence, --genes CDS with
their /translation, a gene feature each, rRNA and tRNA; genes lean to the leading strand and
G outnumbers C on it, so the cumulative GC skew has an origin and a terminus; 1 % of the
/translation qualifiers carry a wrong residue), writes it as GenBank and imports it through
``dashboard.services.datasets.import_path`` into a temporary data directory, as an operator
would. Then each explorer interaction is timed as its callback does it: the service call plus
the figure or component built from it, serialised to JSON as Dash sends it.

* cold: the first open of the dataset (parsing the file) and, for every other interaction,
  its own computation with the parsed records cached but its result not (median of
  --repeats, the cache emptied of that result before each run);
* warm: the same call again, everything cached (median of --repeats); each must stay under
  300 ms;
* anchor: the straightforward Biopython way, measured in the same run: ``SeqIO.read`` of the
  GenBank file, as a tool without a cache must do before any interaction. The ratio is
  anchor / warm.

Unless --no-http, two interactions are also timed over HTTP through the Flask test client
(``POST /_dash-update-component``), login, session and JSON included.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.io  # noqa: E402
from Bio import SeqIO  # noqa: E402
from Bio.Seq import Seq  # noqa: E402
from Bio.SeqFeature import SeqFeature, SimpleLocation  # noqa: E402
from Bio.SeqRecord import SeqRecord  # noqa: E402
from dash.development.base_component import Component  # noqa: E402
from plotly.utils import PlotlyJSONEncoder  # noqa: E402

from dashboard.components import explorer_views as views  # noqa: E402
from dashboard.components.sequence_figures import (  # noqa: E402
    MapData,
    cds_span,
    padded_view,
    sequence_map,
)
from dashboard.components.sequence_tables import cds_rows, hit_rows, orf_rows  # noqa: E402
from dashboard.db import Database  # noqa: E402
from dashboard.services import accounts, datasets, experiments, explorer  # noqa: E402
from dashboard.services.actor import Actor, cli_actor  # noqa: E402
from dashboard.services.explorer import DataFiles, OrfOptions  # noqa: E402

BUDGET_MS = 300.0
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway user in a temporary database
STOPS = {"TAA", "TAG", "TGA"}
CODONS = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT"]
SENSE = [c for c in CODONS if c not in STOPS]


# --- a synthetic genome -------------------------------------------------------------------


def _bases(generator: random.Random, n: int, g_bias: float) -> str:
    """Random bases, GC about 50 %, with G over C by ``g_bias`` (negative: C over G)."""
    weights = [0.25, 0.25 - g_bias / 2, 0.25 + g_bias / 2, 0.25]  # A C G T
    return "".join(generator.choices("ACGT", weights=weights, k=n))


def _gene(generator: random.Random, codons: int) -> str:
    return "ATG" + "".join(generator.choices(SENSE, k=codons - 2)) + generator.choice(sorted(STOPS))


def synthetic_genbank(path: Path, megabases: float, genes: int, seed: int) -> dict[str, int]:
    """Write a genome of ``megabases`` with ``genes`` CDS (and genes, rRNA, tRNA) to ``path``."""
    generator = random.Random(seed)
    length = int(megabases * 1_000_000)
    terminus = length // 2
    slot = length // (genes + genes // 50 + 1)
    pieces: list[str] = []
    features: list[SeqFeature] = []
    position = 0
    cds_count = wrong = 0
    index = 0
    while position + slot <= length and cds_count < genes:
        index += 1
        leading = 1 if position < terminus else -1  # genes and G lean to the leading strand
        bias = 0.06 * leading
        kind = "CDS" if index % 50 else ("rRNA" if index % 100 == 0 else "tRNA")
        size = {
            "CDS": 3 * generator.randint(100, max(101, (slot - 60) // 3)),
            "rRNA": 1500,
            "tRNA": 76,
        }[kind]
        size = min(size, slot - 40)
        size -= size % 3
        gap = slot - size
        spacer = _bases(generator, gap, bias)
        strand = leading if generator.random() < 0.75 else -leading
        body = _gene(generator, size // 3) if kind == "CDS" else _bases(generator, size, 0)
        forward = body if strand > 0 else str(Seq(body).reverse_complement())
        pieces += [spacer, forward]
        start = position + gap
        end = start + size
        position = end
        tag = f"SYN_{index:05d}"
        location = SimpleLocation(start, end, strand)
        qualifiers: dict[str, list[str]] = {"locus_tag": [tag]}
        features.append(SeqFeature(location, type="gene", qualifiers=dict(qualifiers)))
        if kind == "CDS":
            cds_count += 1
            protein = str(Seq(body).translate(table=11, cds=True))
            if generator.random() < 0.01:  # an annotation that disagrees with the sequence
                protein = protein[:10] + ("W" if protein[10] != "W" else "C") + protein[11:]
                wrong += 1
            qualifiers.update(
                product=[f"hypothetical protein {index}"],
                protein_id=[f"SYN_{index:05d}.1"],
                transl_table=["11"],
                translation=[protein],
            )
        else:
            qualifiers["product"] = ["16S ribosomal RNA" if kind == "rRNA" else "tRNA-Gly"]
        features.append(SeqFeature(location, type=kind, qualifiers=qualifiers))
    pieces.append(_bases(generator, length - position, -0.06))
    record = SeqRecord(
        Seq("".join(pieces)),
        id="SYN000001.1",
        name="SYN000001",
        description=f"Synthetic bacterium, {megabases:g} Mb, {cds_count} CDS",
        features=features,
        annotations={"molecule_type": "DNA", "topology": "circular"},
    )
    SeqIO.write(record, path, "genbank")
    return {"length": length, "cds": cds_count, "features": len(features), "wrong": wrong}


# --- importing it as an operator would ----------------------------------------------------


def import_genome(data_dir: Path, path: Path) -> tuple[Database, DataFiles, int, str]:
    """A fresh database and data directory holding ``path`` as dataset; its id and owner."""
    db = Database(f"sqlite:///{data_dir / 'microspacegen.sqlite3'}")
    db.upgrade()
    row = accounts.create_user(db, cli_actor("bench"), "bench", PASSWORD, ["scientist"])
    actor = Actor(row.id, row.username, frozenset(row.roles), "127.0.0.1", "cli")
    experiment = experiments.create_experiment(
        db,
        actor,
        {
            "name": "Explorer latency",
            "organism": "Synthetic bacterium",
            "arms": [
                {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
                {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
            ],
        },
    )
    files = DataFiles.in_data_dir(data_dir)
    details = datasets.DatasetDetails(experiment_id=experiment.id, sample_name="F1")
    view = datasets.import_path(db, actor, files.store, path, details)
    return db, files, view.id, row.username


# --- timing -------------------------------------------------------------------------------


def _json(value: Any) -> int:
    """Serialise as Dash does (components, figures and numpy arrays); the size in bytes."""
    if isinstance(value, Component):
        value = value.to_plotly_json()
    return len(json.dumps(value, cls=PlotlyJSONEncoder))


def median_ms(function: Callable[[], object], repeats: int, before: Callable[[], None]) -> float:
    times = []
    for _ in range(repeats):
        before()
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@dataclass(frozen=True)
class Row:
    interaction: str
    cold_ms: float
    warm_ms: float
    payload_kb: float


def measure(
    db: Database, files: DataFiles, dataset_id: int, repeats: int
) -> tuple[list[Row], float, dict[str, Any]]:
    """Time every interaction; the first-open (parse) time is returned apart."""
    rec_id = explorer.records(db, files, dataset_id)[0].id  # parse once, to learn the id
    files.cache.clear()
    started = time.perf_counter()
    explorer.summary(db, files, dataset_id, rec_id)
    first_open_ms = (time.perf_counter() - started) * 1000

    length = explorer.record(db, files, dataset_id, rec_id).length
    window, step = explorer.default_window(length)
    rows = explorer.cds(db, files, dataset_id, rec_id)
    middle = rows[len(rows) // 2]
    gene = padded_view(middle.start, middle.end, length)
    orf_options = OrfOptions()

    def keep_records_only() -> None:
        for key in list(files.cache.iterkeys()):
            if not str(key).endswith(":records"):
                files.cache.delete(key)

    def map_at(first: int, last: int, *, orfs: bool, motif: str | None) -> Callable[[], int]:
        def draw() -> int:
            track = explorer.track(
                db,
                files,
                dataset_id,
                rec_id,
                str(window),
                str(step),
                orf_search=orf_options if orfs else None,
                motif_pattern=motif,
            )
            data = MapData(
                track.record_id,
                track.length,
                track.gc,
                track.features,
                track.orfs,
                track.hits,
                track.gc_fraction,
            )
            figure = sequence_map(
                data, first, last, selected=cds_span(track.features, len(rows) // 2)
            )
            return len(plotly.io.to_json(figure, validate=False))

        return draw

    def cds_table() -> int:
        return _json(cds_rows(explorer.cds(db, files, dataset_id, rec_id)))

    def cds_chosen() -> int:
        found = explorer.cds(db, files, dataset_id, rec_id)
        return _json(views.cds_detail(found[len(found) // 2], download_id="d", align_id="a"))

    def orfs() -> int:
        found = explorer.orfs(db, files, dataset_id, rec_id)
        return _json(orf_rows(found))

    def motif() -> int:
        return _json(hit_rows(explorer.motif(db, files, dataset_id, rec_id, "GAATTC").hits))

    def region(first: int, last: int) -> Callable[[], int]:
        def show() -> int:
            shown = explorer.region_view(db, files, dataset_id, rec_id, first, last)
            return _json(views.region_bases(shown)) + _json(views.region_info(shown))

        return show

    def protein() -> int:
        return len(explorer.cds_protein_fasta(db, files, dataset_id, rec_id, len(rows) // 2)[1])

    def align() -> int:
        other = rows[len(rows) // 2 + 1]
        result = explorer.align(
            db,
            files,
            (dataset_id, rec_id, middle.start + 1, middle.end),
            (dataset_id, rec_id, other.start + 1, other.end),
        )
        return _json(views.alignment(result, middle.start + 1, other.start + 1))

    interactions: list[tuple[str, Callable[[], int]]] = [
        (
            "open: summary of the record",
            lambda: _json(explorer.summary(db, files, dataset_id, rec_id).feature_counts),
        ),
        ("map, whole record", map_at(1, length, orfs=False, motif=None)),
        ("map, 50 kb", map_at(gene[0], gene[0] + 50_000, orfs=False, motif=None)),
        ("map, one gene", map_at(*gene, orfs=False, motif=None)),
        ("map, whole, ORFs + motif", map_at(1, length, orfs=True, motif="GAATTC")),
        ("CDS table rows", cds_table),
        ("chosen CDS (protein check)", cds_chosen),
        ("protein FASTA download", protein),
        ("ORF finder (300 nt)", orfs),
        ("motif GAATTC", motif),
        ("bases in view, one gene", region(*gene)),
        ("bases in view, whole record", region(1, length)),
        (
            "typed range checked",
            lambda: _json(explorer.view_range(db, files, dataset_id, rec_id, "1,000", "20,000")),
        ),
        ("align two genes", align),
    ]
    found: list[Row] = []
    for name, call in interactions:
        cold = median_ms(call, repeats, keep_records_only)
        call()
        size = call()
        warm = median_ms(call, repeats, lambda: None)
        found.append(Row(name, cold, warm, size / 1024))
    return found, first_open_ms, {"window": window, "step": step, "cds": len(rows)}


def anchor_ms(path: Path, repeats: int) -> float:
    """The plain Biopython way: read the GenBank file (every interaction of a cacheless tool)."""
    return median_ms(lambda: SeqIO.read(path, "genbank"), repeats, lambda: None)


# --- over HTTP ----------------------------------------------------------------------------


def _dependency(deps: list[dict[str, Any]], fragment: str) -> dict[str, Any]:
    found = [d for d in deps if fragment in d["output"]]
    assert len(found) == 1, [d["output"][:80] for d in found]
    return found[0]


def _concrete(ident: str, wildcards: dict[str, list[str]]) -> list[dict[str, Any]] | None:
    """The ids an ``ALL`` pattern (as /_dash-dependencies writes it) stands for, or None."""
    if not (ident.startswith("{") and '["ALL"]' in ident):
        return None
    pattern = json.loads(ident.replace('["ALL"]', '"ALL"'))
    return [
        {k: (field if v == "ALL" else v) for k, v in pattern.items()}
        for field in wildcards.get(pattern["form"], [])
    ]


def _outputs(output: str, wildcards: dict[str, list[str]]) -> list[Any]:
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    found: list[Any] = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        prop = prop.split("@")[0]
        ids = _concrete(ident, wildcards)
        if ids is None:
            found.append({"id": ident, "property": prop})
        else:
            found.append([{"id": i, "property": prop} for i in ids])
    return found


def _item(item: dict[str, Any], values: dict[str, Any], wildcards: dict[str, list[str]]) -> Any:
    ident, prop = item["id"], item["property"]
    ids = _concrete(ident, wildcards)
    if ids is None and ident.startswith("{"):  # one field of a form: keyed by its name
        field = json.loads(ident)["field"]
        return {"id": json.loads(ident), "property": prop, "value": values.get(f"{field}.{prop}")}
    if ids is None:
        return {**item, "value": values.get(f"{ident}.{prop}")}
    return [
        {
            "id": i,
            "property": prop,
            "value": i if prop == "id" else values.get(f"{i['field']}.{prop}"),
        }
        for i in ids
    ]


def http_call(
    client: Any,
    deps: list[dict[str, Any]],
    fragment: str,
    values: dict[str, Any],
    wildcards: dict[str, list[str]],
    changed: str,
) -> Any:
    """POST one callback as the browser does; ``values`` maps "id.prop" (a form's field:
    "field.prop") to its value."""
    dep = _dependency(deps, fragment)
    outputs = _outputs(dep["output"], wildcards)
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [_item(i, values, wildcards) for i in dep["inputs"]],
        "state": [_item(i, values, wildcards) for i in dep["state"]],
        "changedPropIds": [changed],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response


def measure_http(data_dir: Path, dataset_id: int, username: str, repeats: int) -> list[Row]:
    """Two interactions as the browser asks for them: the map zoomed to 50 kb, and the
    bases of one gene."""
    from app import create_app
    from dashboard.config import load_settings

    app = create_app(load_settings({}, data_dir=data_dir))
    client = app.server.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    deps = client.get("/_dash-dependencies").get_json()
    files = DataFiles.in_data_dir(data_dir)
    db = Database(f"sqlite:///{data_dir / 'microspacegen.sqlite3'}")
    rec = explorer.records(db, files, dataset_id)[0]
    rows = explorer.cds(db, files, dataset_id, rec.id)
    middle = rows[len(rows) // 2]
    window, step = explorer.default_window(rec.length)
    loaded = {"dataset": dataset_id, "record": rec.id, "length": rec.length}
    wildcards = {"explorer-gc": ["window", "step"]}
    gc_values = {"window.value": str(window), "step.value": str(step)}
    found = []
    for name, fragment, values, changed, expected in (
        (
            "HTTP: map zoomed to 50 kb",
            "explorer-map.figure",
            {
                "explorer-loaded.data": loaded,
                "explorer-range-shown.data": [middle.start + 1, middle.start + 50_000],
                **gc_values,
            },
            "explorer-range-shown.data",
            b'"type":"bar"',
        ),
        (
            "HTTP: bases of one gene",
            "explorer-region-bases.children",
            {
                "explorer-loaded.data": loaded,
                "explorer-range-shown.data": [middle.start + 1, middle.end],
            },
            "explorer-range-shown.data",
            f"{middle.start + 1:,} ".encode(),
        ),
    ):

        def call(
            fragment: str = fragment, values: dict[str, Any] = values, changed: str = changed
        ) -> bytes:
            return bytes(http_call(client, deps, fragment, values, wildcards, changed).data)

        answer = call()
        assert expected in answer, answer[:500]  # a real answer, not an error or no update
        warm = median_ms(call, repeats, lambda: None)
        found.append(Row(name, float("nan"), warm, len(answer) / 1024))
    db.dispose()
    return found


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabases", type=float, default=5.0)
    parser.add_argument("--genes", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the GenBank file here too")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-explorer-latency-"))
    try:
        path = work / "synthetic.gb"
        started = time.perf_counter()
        made = synthetic_genbank(path, args.megabases, args.genes, args.seed)
        print(
            f"synthetic genome: {made['length']:,} bp, {made['cds']:,} CDS "
            f"({made['wrong']} with a wrong /translation), {made['features']:,} features, "
            f"{path.stat().st_size / 1e6:.1f} MB GenBank, written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        if args.keep:
            shutil.copy(path, args.keep)
        data_dir = work / "data"
        data_dir.mkdir()
        started = time.perf_counter()
        db, files, dataset_id, username = import_genome(data_dir, path)
        print(f"imported as dataset {dataset_id} in {time.perf_counter() - started:.1f} s")
        rows, first_open, extra = measure(db, files, dataset_id, args.repeats)
        anchor = anchor_ms(path, max(3, args.repeats // 2))
        print(
            f"GC window {extra['window']:,} bp, step {extra['step']:,} bp; "
            f"{extra['cds']:,} CDS; median of {args.repeats} runs\n"
        )
        print(f"first open (parse + summary, cold cache): {first_open:,.0f} ms")
        print(f"anchor, SeqIO.read of the GenBank file:  {anchor:,.0f} ms\n")
        http_rows: list[Row] = []
        if not args.no_http:
            try:
                http_rows = measure_http(data_dir, dataset_id, username, args.repeats)
            except Exception as exc:  # noqa: BLE001 - the app may not build; say so, go on
                print(f"HTTP timings skipped: the app could not be built ({exc!r})\n")
        header = (
            f"{'interaction':34} {'cold ms':>9} {'warm ms':>9} {'JSON kB':>9} {'anchor/warm':>12}"
        )
        print(header)
        print("-" * len(header))
        slow = []
        for row in [*rows, *http_rows]:
            cold = "" if row.cold_ms != row.cold_ms else f"{row.cold_ms:9,.1f}"
            size = "" if row.payload_kb != row.payload_kb else f"{row.payload_kb:9,.0f}"
            print(
                f"{row.interaction:34} {cold:>9} {row.warm_ms:9,.1f} {size:>9} "
                f"{anchor / row.warm_ms:11,.0f}x"
            )
            if row.warm_ms > BUDGET_MS:
                slow.append(row.interaction)
        print(
            f"\nwarm budget {BUDGET_MS:.0f} ms: "
            + (f"over it: {', '.join(slow)}" if slow else "every interaction is within it")
        )
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
