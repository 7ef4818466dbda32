"""An experiment's samples as an ISA-Tab-style sample sheet (tab-separated), both ways.

Columns follow ISA-Tab's study sample file and GeneLab's use of it: ``Sample Name``,
``Characteristics[...]``, ``Factor Value[...]`` each followed where it has one by its
``Unit`` column, and ``Comment[...]`` columns (ignored on import). Importing is all or
nothing: every problem is named with its line and column, and either every row is applied
or none.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from dashboard.db import Database
from dashboard.models import Dataset, Experiment, Sample

from . import audit, samples
from .actor import Actor
from .errors import NotFound, ValidationFailed
from .policy import Action, authorize
from .spreadsheet import spreadsheet_safe, unescaped

SHEET_MAX_BYTES = 1024 * 1024
ROWS_MAX = 5000
NAME = "Sample Name"
# Column -> the sample's field; a unit column follows the two numeric factors.
COLUMNS: Mapping[str, str] = {
    "Characteristics[Organism]": "organism",
    "Characteristics[Strain]": "strain",
    "Characteristics[NCBI Taxonomy ID]": "taxon_id",
    "Factor Value[Spaceflight]": "spaceflight",
    "Factor Value[Gravity]": "gravity_g",
    "Factor Value[Ionizing Radiation]": "radiation_mgy",
    "Factor Value[Time Point]": "time_point",
    "Factor Value[Replicate]": "replicate",
}
UNITS: Mapping[str, Mapping[str, float]] = {
    # unit as written -> factor to the stored unit (g; mGy)
    "gravity_g": {"g": 1.0, "x g": 1.0, "xg": 1.0},
    "radiation_mgy": {"mgy": 1.0, "gy": 1000.0, "µgy": 0.001, "ugy": 0.001},
}
STORED_UNIT = {"gravity_g": "g", "radiation_mgy": "mGy"}
ARM = "Comment[Arm]"
DATASETS = "Comment[Datasets]"


@dataclass(frozen=True)
class SheetResult:
    """What an import did."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


def _experiment(s: object, experiment_id: int) -> Experiment:
    experiment = s.get(Experiment, experiment_id)  # type: ignore[attr-defined]
    if experiment is None:
        raise NotFound(f"No experiment with id {experiment_id}.")
    return experiment  # type: ignore[no-any-return]


def _cell(value: object) -> str:
    """A value as written in a cell: tabs and line breaks would break the sheet."""
    if value is None:
        return ""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return spreadsheet_safe(" ".join(text.split()))


def export(db: Database, experiment_id: int) -> str:
    """The experiment's samples as a sheet, one row per sample, its datasets in a comment."""
    with db.read() as s:
        experiment = _experiment(s, experiment_id)
        rows = list(
            s.scalars(
                select(Sample).where(Sample.experiment_id == experiment.id).order_by(Sample.name)
            )
        )
        files: dict[int, list[str]] = {}
        for sample_id, dataset_id, filename in s.execute(
            select(Dataset.sample_id, Dataset.id, Dataset.filename)
            .where(Dataset.experiment_id == experiment.id)
            .order_by(Dataset.id)
        ):
            files.setdefault(sample_id, []).append(f"{dataset_id}:{filename}")
    extra_names = sorted({k for r in rows for k in (r.extra or {})})
    header = [NAME]
    for column, key in COLUMNS.items():
        header.append(column)
        if key in STORED_UNIT:
            header.append("Unit")
    header += [f"Factor Value[{name}]" for name in extra_names] + [ARM, DATASETS]
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for r in rows:
        line = [_cell(r.name)]
        for key in COLUMNS.values():
            value = getattr(r, key)
            line.append(_cell(value))
            if key in STORED_UNIT:
                line.append(STORED_UNIT[key] if value is not None else "")
        line += [_cell((r.extra or {}).get(name, "")) for name in extra_names]
        line += [_cell(r.arm.name if r.arm else ""), _cell("; ".join(files.get(r.id, [])))]
        writer.writerow(line)
    return out.getvalue()


@dataclass(frozen=True)
class _Column:
    index: int
    key: str  # a sample field, "extra:<name>", "name", "unit:<field>" or "" (ignored)


def _columns(header: list[str]) -> list[_Column]:
    columns: list[_Column] = []
    previous = ""
    seen: set[str] = set()
    known = {c.casefold(): c for c in COLUMNS}
    for i, raw in enumerate(header):
        title = raw.strip()
        title = known.get(title.casefold(), title)  # Factor Value[spaceflight] is that column
        number = i + 1
        if title == NAME:
            key = "name"
        elif title in COLUMNS:
            key = COLUMNS[title]
        elif title == "Unit":
            if previous not in STORED_UNIT:
                raise ValidationFailed(
                    f"Column {number}: a Unit column must follow Factor Value[Gravity] or "
                    "Factor Value[Ionizing Radiation].",
                    field="sheet",
                )
            key = f"unit:{previous}"
        elif title.startswith("Factor Value[") and title.endswith("]") and len(title) > 14:
            key = f"extra:{title[13:-1].strip()}"
        elif title.startswith(
            ("Comment[", "Term Source REF", "Term Accession Number")
        ) or title in {"Source Name", "Protocol REF"}:
            key = ""
        elif title.startswith("Characteristics["):
            raise ValidationFailed(
                f"Column {number}: {title[:80]!r} is not a characteristic this app records; "
                f"use one of {', '.join(c for c in COLUMNS if c.startswith('Char'))}, or a "
                "Factor Value[...] column.",
                field="sheet",
            )
        else:
            raise ValidationFailed(
                f"Column {number}: unknown heading {title[:80]!r}; expected Sample Name, "
                "Characteristics[...], Factor Value[...], Unit or Comment[...].",
                field="sheet",
            )
        if key and not key.startswith("unit:"):
            if key in seen:
                raise ValidationFailed(f"Column {number}: {title!r} appears twice.", field="sheet")
            seen.add(key)
        columns.append(_Column(i, key))
        previous = key
    if "name" not in seen:
        raise ValidationFailed("The sheet has no 'Sample Name' column.", field="sheet")
    return columns


def _row_values(
    line: int, cells: list[str], columns: list[_Column]
) -> tuple[str, dict[str, object]]:
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    units: dict[str, str] = {}
    name = ""
    for column in columns:
        cell = cells[column.index].strip() if column.index < len(cells) else ""
        if column.key == "name":
            name = cell
        elif column.key.startswith("unit:"):
            units[column.key[5:]] = cell
        elif column.key.startswith("extra:"):
            if cell:
                extra[column.key[6:]] = cell
        elif column.key and cell:
            values[column.key] = cell
    for key, unit in units.items():
        if key not in values:
            continue
        factor = UNITS[key].get(unit.strip().lower() or STORED_UNIT[key].lower())
        if factor is None:
            raise ValidationFailed(
                f"Line {line}: unit {unit[:20]!r} of {key} is not one of {', '.join(UNITS[key])}.",
                field="sheet",
            )
        with contextlib.suppress(ValueError):  # not a number: the sample check names it
            values[key] = float(str(values[key])) * factor
    if extra:
        values["extra"] = extra
    return name, values


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line, cells) of each row; malformed quoting or an over-long cell names its line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t", strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, [unescaped(c) for c in row]))
    except csv.Error as exc:
        raise ValidationFailed(
            f"Line {reader.line_num + 1}: the sheet is not valid tab-separated text ({exc}); "
            "check quotes and very long cells.",
            field="sheet",
        ) from None
    return rows


def parse(text: str) -> list[tuple[int, str, samples.SampleInput]]:
    """Check a sheet: (line, sample name, values) per row; the first problem is refused with
    its line."""
    if len(text.encode("utf-8", "surrogatepass")) > SHEET_MAX_BYTES:
        raise ValidationFailed(
            f"A sample sheet may be at most {SHEET_MAX_BYTES // 1024} KiB.", field="sheet"
        )
    if "\x00" in text:
        raise ValidationFailed("The sample sheet is not text (it holds NUL bytes).", field="sheet")
    numbered = [(line, row) for line, row in _rows(text) if any(c.strip() for c in row)]
    if not numbered:
        raise ValidationFailed(
            "The sample sheet is empty; its first line names the columns.", field="sheet"
        )
    columns = _columns(numbered[0][1])
    if len(numbered) - 1 > ROWS_MAX:
        raise ValidationFailed(f"At most {ROWS_MAX} samples in one sheet.", field="sheet")
    found: list[tuple[int, str, samples.SampleInput]] = []
    names: dict[str, int] = {}
    for line, cells in numbered[1:]:
        name, values = _row_values(line, cells, columns)
        try:
            name = samples.sample_name(name)
            spec = samples.parse_sample(values)
        except ValidationFailed as exc:
            raise ValidationFailed(f"Line {line}: {exc.message}", field="sheet") from None
        if name in names:
            raise ValidationFailed(
                f"Line {line}: sample {name!r} is already on line {names[name]}.", field="sheet"
            )
        names[name] = line
        found.append((line, name, spec))
    return found


def import_sheet(db: Database, actor: Actor, experiment_id: int, text: str) -> SheetResult:
    """Create the sheet's new samples and set the values of existing ones (all or nothing).

    A value in the sheet replaces the sample's; an empty cell leaves it as it is.
    """
    authorize(db, actor, Action.SAMPLE_SHEET_IMPORT, target=("experiment", experiment_id))
    rows = parse(text)
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    with db.begin() as s:
        experiment = _experiment(s, experiment_id)
        for _line, name, spec in rows:
            sample = s.scalar(
                select(Sample).where(Sample.experiment_id == experiment.id, Sample.name == name)
            )
            if sample is None:
                samples.resolve(s, experiment, name, None, spec)
                created.append(name)
                continue
            changes = samples.overwrite(sample, spec)
            (updated if changes else unchanged).append(name)
            if changes:
                audit.add(
                    s,
                    actor,
                    "sample.update",
                    target_type="sample",
                    target_id=sample.id,
                    detail={"name": name, "changes": changes},
                )
        audit.add(
            s,
            actor,
            "sample.sheet_import",
            target_type="experiment",
            target_id=experiment.id,
            detail={"created": created, "updated": updated, "unchanged": len(unchanged)},
        )
    return SheetResult(tuple(created), tuple(updated), tuple(unchanged))
