"""The dataset import form's choices and the mapping between its fields and the service's
details (``datasets.DatasetDetails.as_dict``): pure functions, for the page and its tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dashboard.services.datasets import DEFAULT_MATERIAL, MATERIALS
from dashboard.services.experiments import SPACEFLIGHT_VALUES, ArmView
from dashboard.services.samples import KNOWN_KEYS

from .datasets_table import FORMAT_LABELS
from .formatting import gravity
from .sizes import byte_size

Choice = tuple[str, str]  # (value, label)
# What the file picker offers: the extensions the import recognises, and any of them gzipped.
ACCEPT = (".fa", ".fasta", ".fna", ".fq", ".fastq", ".gb", ".gbk", ".embl", ".gz")


def material_choices() -> list[Choice]:
    """Empty (the service picks by the file's format) or one of the materials.

    >>> material_choices()[:2]
    [('', "From the file's format"), ('genome', 'genome')]
    """
    return [("", "From the file's format"), *((str(m), str(m)) for m in MATERIALS)]


def material_help() -> str:
    """What "from the file's format" means (the service's own table).

    >>> material_help()[32:]
    'FASTQ → reads, GenBank → genome, EMBL → genome, FASTA → assembly.'
    """
    by_format = ", ".join(
        f"{FORMAT_LABELS.get(fmt.value, fmt.value)} → {material.value}"
        for fmt, material in DEFAULT_MATERIAL.items()
    )
    return f"What the file holds; by default {by_format}."


def spaceflight_choices() -> list[Choice]:
    """GeneLab's spaceflight values; empty leaves the arm's (or none).

    >>> spaceflight_choices()[:2]
    [('', "Not given (the arm's applies)"), ('Space Flight', 'Space Flight')]
    """
    return [("", "Not given (the arm's applies)"), *((str(v), str(v)) for v in SPACEFLIGHT_VALUES)]


def arm_help(arm: ArmView | None) -> str:
    """What a new sample takes from its arm unless told otherwise (samples.resolve does it).

    >>> arm_help(ArmView(1, "flight", "Space Flight", 0.0, ""))[30:80]
    'spaceflight factor (Space Flight) and gravity (µg)'
    """
    if arm is None:
        return (
            "A new sample takes its arm's spaceflight factor and gravity unless you give its "
            "own below."
        )
    return (
        f"A new sample takes this arm's spaceflight factor ({arm.spaceflight}) and gravity "
        f"({gravity(arm.gravity_g)}) unless you give its own below."
    )


def arm_choices(arms: Iterable[ArmView] | None) -> list[Choice]:
    """The arms of the chosen experiment (None: no experiment chosen yet)."""
    if arms is None:
        return [("", "Choose the experiment first")]
    return [("", "No arm")] + [
        (str(a.id), f"{a.name} ({a.spaceflight}, {gravity(a.gravity_g)})") for a in arms
    ]


def options(choices: Iterable[Choice]) -> list[dict[str, str]]:
    """Choices as a select's ``options``."""
    return [{"label": text, "value": value} for value, text in choices]


def field_of(key: str) -> str:
    """The form field a service error names: a sample's values sit under ``factors.``
    (a refused existing sample names them without the prefix).

    >>> field_of("gravity_g"), field_of("factors.Medium"), field_of("arm_id")
    ('factors.gravity_g', 'factors.Medium', 'arm_id')
    """
    return f"factors.{key}" if key in KNOWN_KEYS else key


def fields_of(errors: Mapping[str, str]) -> dict[str, str]:
    """Service errors keyed by the form's fields (see :func:`field_of`)."""
    return {field_of(str(k)): str(v) for k, v in errors.items()}


def _flatten(details: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def form_values(details: Mapping[str, Any]) -> dict[str, str]:
    """Checked details as the form's fields show them (to fill the form in again).

    >>> form_values({"arm_id": None, "factors": {"gravity_g": 0.0, "taxon_id": 562}})
    {'arm_id': '', 'factors.gravity_g': '0', 'factors.taxon_id': '562'}
    """
    return {
        name: _shown(value)
        for name, value in _flatten(details).items()
        if not isinstance(value, list)
    }


def parents_of(details: Mapping[str, Any]) -> list[int]:
    """The parent dataset ids of checked details.

    >>> parents_of({"derived_from": [4, "x", 9]}), parents_of({})
    ([4, 9], [])
    """
    found = details.get("derived_from")
    return [p for p in found if isinstance(p, int)] if isinstance(found, list) else []


def resume_note(received: object, size: object) -> str:
    """What the file field says when an interrupted upload of the chosen file can go on.

    >>> resume_note(1_200_000_000, 2_000_000_000)[:62]
    'An interrupted upload of this file stands at 1.2 GB of 2.0 GB.'
    """
    where = (
        f"stands at {byte_size(received)} of {byte_size(size)}"
        if isinstance(received, int) and isinstance(size, int)
        else "can go on"
    )
    return (
        f"An interrupted upload of this file {where}. Its details are filled in again; "
        "Import resumes it."
    )
