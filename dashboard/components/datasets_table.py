"""The datasets list: its columns, rows and the key to its spaceflight badges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from dashboard.services.datasets import DatasetView
from dashboard.services.experiments import SPACEFLIGHT_VALUES
from dashboard.services.provenance import Status as ProvenanceStatus

from .arm_rows import ARM_KIND
from .grid import (
    Column,
    badge_column,
    link_column,
    number_column,
    text_column,
    time_column,
    vocabulary_legend,
)
from .provenance_badge import provenance_cells, provenance_column
from .sizes import bases, byte_size
from .status import Status, status_of
from .timestamp import iso_utc

SHA_SHOWN = 12  # leading hex digits of a SHA-256 shown in lists (the whole in its tooltip)
# GeneLab's Factor Value[Spaceflight] of a sample as badges of the "arm" family, keyed by the
# value itself so the badge reads "Space Flight", "Ground Control", ...
SPACEFLIGHT_BADGES: dict[str, Status] = {
    str(value): replace(status_of("arm", ARM_KIND[value]), label=str(value))
    for value in SPACEFLIGHT_VALUES
}
FORMAT_LABELS = {
    "fastq": "FASTQ",
    "fasta": "FASTA",
    "genbank": "GenBank",
    "embl": "EMBL",
    "genomediff": "GenomeDiff",
}


def _formatted(field: str, header: str, shown: str, width: int) -> Column:
    """A number that sorts and filters as a number but reads as ``shown`` (e.g. 4.6 Mb)."""
    return {
        **number_column(field, header, width=width),
        "valueFormatter": {"function": f"params.data ? params.data.{shown} : ''"},
        "useValueFormatterForExport": False,
    }


DATASET_COLUMNS: list[Column] = [
    # The columns shown by default fit a 1,300 px desktop card without cutting a value; the
    # id, material, record count, size and importer are one click away in the column chooser.
    number_column("id", "#", width=70, filter_kind=None),
    link_column("filename", "File", href_field="href", min_width=160, flex=2),
    provenance_column(),
    link_column(
        "experiment",
        "Experiment",
        href_field="experiment_href",
        is_name=False,
        min_width=140,
        flex=1.5,
    ),
    text_column("sample", "Sample", min_width=110),
    badge_column("spaceflight", "Spaceflight", statuses=SPACEFLIGHT_BADGES, width=152),
    text_column("material", "Material", min_width=95, flex=0.5),
    text_column("format", "Format", min_width=115, flex=0.5),
    {
        **_formatted("records", "Records", "records_text", 115),
        "headerTooltip": "Reads (FASTQ) or records (FASTA, GenBank, EMBL)",
    },
    _formatted("total_length", "Total", "total_text", 90),
    _formatted("size", "Size", "size_text", 95),
    {
        **text_column("sha256", "SHA-256", min_width=135, flex=0.5),
        "valueFormatter": {"function": f"params.value ? params.value.slice(0, {SHA_SHOWN}) : ''"},
        "cellClass": "font-monospace",
    },
    text_column("imported_by", "Imported by", min_width=110, flex=0.5),
    time_column("imported_at", "Imported"),
]
HIDDEN_COLUMNS = ("id", "material", "records", "size", "imported_by")


def format_label(view: DatasetView, *, short: bool = False) -> str:
    """``FASTQ (gzip)``, ``GenBank``: the format as people name it, with its compression
    (``FASTQ.gz`` when ``short``, for narrow columns)."""
    name = FORMAT_LABELS.get(view.format, view.format)
    if view.compression in ("", "none"):
        return name
    if short:
        return f"{name}.gz" if view.compression == "gzip" else f"{name}.{view.compression}"
    return f"{name} ({view.compression})"


def count_label(view: DatasetView) -> str:
    """``12,000 reads`` or ``3 records``."""
    noun = "read" if view.is_reads else "record" if view.is_sequence else "mutation"
    return f"{view.record_count:,} {noun}{'' if view.record_count == 1 else 's'}"


def dataset_rows(
    views: Iterable[DatasetView], provenance: Mapping[int, ProvenanceStatus] | None = None
) -> list[dict[str, Any]]:
    """One row per dataset; numbers stay numbers (they sort), ``*_text`` is how they read;
    ``provenance`` holds each dataset's ledger status (its badge, label and detail)."""
    statuses = provenance or {}
    return [
        {
            "id": v.id,
            "filename": v.filename,
            "href": f"/datasets/{v.id}",
            "experiment": v.experiment_name,
            "experiment_href": f"/experiments/{v.experiment_id}",
            "sample": v.sample.name,
            "spaceflight": v.sample.spaceflight,
            "material": v.material,
            "format": format_label(v, short=True),
            "records": v.record_count,
            "records_text": f"{v.record_count:,}",
            "total_length": v.total_length,
            "total_text": bases(v.total_length),
            "size": v.size,
            "size_text": byte_size(v.size),
            "sha256": v.sha256,
            "imported_by": v.imported_by,
            "imported_at": iso_utc(v.imported_at),
            **provenance_cells(statuses.get(v.id)),
        }
        for v in views
    ]


def spaceflight_legend() -> Any:
    """What the spaceflight badges mean."""
    return vocabulary_legend(SPACEFLIGHT_BADGES)
