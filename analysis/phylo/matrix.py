"""Distance matrices: the checked type every tree builder takes.

Reading and writing them (PHYLIP square or lower-triangular, CSV) lives here too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._text import decode_upload
from .errors import PhyloInputError

LABEL_MAX = 200
# No distance is this large; larger values overflow the builders' sums (1e308 + 1e308 = inf).
DISTANCE_MAX = 1e100
# Control characters and the bidirectional controls that make a label display as another
# (U+202E turns "evil.exe" around): refused in every taxon and tip label.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Asymmetry tolerated as rounding (relative to the largest distance): files written with
# six decimals round d(a,b) and d(b,a) the same way, so anything larger is a real mistake.
SYMMETRY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class DistanceMatrix:
    """Pairwise distances between labelled taxa: square, symmetric, zero diagonal, finite and
    non-negative (made only through :func:`check_matrix`)."""

    labels: tuple[str, ...]
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def label_problem(label: str) -> str | None:
    """What is wrong with a taxon or tip label's text (too long, unprintable), or None."""
    if len(label) > LABEL_MAX:
        return f"is {len(label):,} characters; at most {LABEL_MAX}"
    bad = _UNPRINTABLE.search(label)
    if bad:
        return (
            f"holds the control character U+{ord(bad.group()):04X} at character "
            f"{bad.start() + 1}; labels are one line of printable text"
        )
    return None


def check_labels(labels: Sequence[str], where: str) -> tuple[str, ...]:
    """``labels`` as a tuple, or the first empty, over-long, unprintable or repeated one
    named."""
    seen: dict[str, int] = {}
    for i, label in enumerate(labels, start=1):
        if not isinstance(label, str) or not label.strip():
            raise PhyloInputError(f"{where}, label {i}", "is empty; give every taxon a name")
        problem = label_problem(label)
        if problem:
            raise PhyloInputError(f"{where}, label {i}", problem)
        if label in seen:
            raise PhyloInputError(
                f"{where}, label {i}",
                f"{label[:60]!r} is also label {seen[label]}; taxon names must be unique",
            )
        seen[label] = i
    return tuple(labels)


def check_matrix(
    labels: Sequence[str], values: ArrayLike, *, where: str = "matrix"
) -> DistanceMatrix:
    """A :class:`DistanceMatrix`, or :class:`PhyloInputError` naming the first bad cell.

    >>> dm = check_matrix(["a", "b", "c"], [[0, 1, 2], [1, 0, 3], [2, 3, 0]])
    >>> dm.values[1, 2]
    np.float64(3.0)
    >>> try:
    ...     check_matrix(["a", "b"], [[0, 1], [2, 0]])
    ... except PhyloInputError as exc:
    ...     print(exc.where)
    matrix, row 2, column 1
    """
    names = check_labels(labels, where)
    try:
        array = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        raise PhyloInputError(
            where, "is not a table of numbers (rows of equal length, numbers only)"
        ) from None
    n = len(names)
    if n < 2:
        raise PhyloInputError(where, f"has {n} taxon; a tree needs at least 2 (3 for NJ)")
    if array.ndim != 2 or array.shape != (n, n):
        raise PhyloInputError(
            where, f"is {'x'.join(map(str, array.shape))} for {n} labels; it must be {n}x{n}"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {j + 1}", f"is {array[i, j]}; distances must be numbers"
        )
    if (array < 0).any():
        i, j = np.argwhere(array < 0)[0]
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {j + 1}",
            f"is {array[i, j]:g}; distances cannot be negative",
        )
    if (array > DISTANCE_MAX).any():
        i, j = np.argwhere(array > DISTANCE_MAX)[0]
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {j + 1}",
            f"is {array[i, j]:g}; distances above {DISTANCE_MAX:g} are not distances "
            "(rescale the matrix)",
        )
    diagonal = np.flatnonzero(np.diagonal(array))
    if diagonal.size:
        i = int(diagonal[0])
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {i + 1}",
            f"is {array[i, i]:g}; a taxon's distance to itself must be 0",
        )
    scale = float(array.max()) or 1.0
    skew = np.abs(array - array.T) > SYMMETRY_TOLERANCE * scale
    if skew.any():
        i, j = np.argwhere(np.tril(skew))[0]
        raise PhyloInputError(
            f"{where}, row {i + 1}, column {j + 1}",
            f"is {array[i, j]:g} but row {j + 1}, column {i + 1} is {array[j, i]:g}; "
            "a distance matrix must be symmetric",
        )
    symmetric = (array + array.T) / 2  # rounding differences below the tolerance averaged out
    symmetric.setflags(write=False)
    return DistanceMatrix(names, symmetric)


# --- Reading and writing matrix files -------------------------------------------------------

_MATRIX_HOW = (
    "upload a PHYLIP distance matrix (square or lower-triangular) or a CSV/TSV table with "
    "the taxon names in the header row and the first column"
)


def read_matrix(data: bytes, filename: str) -> DistanceMatrix:
    """Read a distance-matrix file; the content decides the layout.

    * PHYLIP: a first line holding the number of taxa, then one row per taxon (a name, then
      its distances; long rows may continue on following lines). Square, or lower-triangular
      with or without the diagonal. Names end at whitespace (relaxed) or are the first 10
      characters (strict) when the rest of the line is then numbers.
    * CSV or TSV: a header row of taxon names (its first cell ignored) and one row per taxon
      starting with the same name, in the same order. Cells above the diagonal may be left
      empty (a lower triangle).

    >>> dm = read_matrix(b"3\\na\\nb 0.3\\nc 0.5 0.4\\n", "lower.phy")
    >>> dm.labels, dm.values[2].tolist()
    (('a', 'b', 'c'), [0.5, 0.4, 0.0])
    >>> read_matrix(b",a,b\\na,0,2\\nb,2,0\\n", "m.csv").values[0, 1]
    np.float64(2.0)
    """
    where = filename or "matrix"
    text = decode_upload(data, where, _MATRIX_HOW)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise PhyloInputError(where, f"is empty; {_MATRIX_HOW}")
    if "," in first or "\t" in first or ";" in first:
        return _read_delimited(lines, where)
    return _read_phylip_matrix(lines, where)


def _number(token: str, where: str, row: int, column: int, label: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise PhyloInputError(
            f"{where}, row {row} ({label[:40]!r}), column {column}",
            f"{token[:40]!r} is not a number",
        ) from None


def _numbers(tokens: list[str]) -> bool:
    try:
        for token in tokens:
            float(token)
    except ValueError:
        return False
    return True


def _read_phylip_matrix(lines: list[str], where: str) -> DistanceMatrix:
    rows = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    header_line, header = rows[0]
    try:
        n = int(header.split()[0])
    except ValueError:
        raise PhyloInputError(
            f"{where}, line {header_line}",
            f"PHYLIP starts with the number of taxa, found {header.strip()[:40]!r}; " + _MATRIX_HOW,
        ) from None
    if n < 2:
        raise PhyloInputError(where, f"declares {n} taxa; a tree needs at least 2")
    body = rows[1:]
    if not body:
        raise PhyloInputError(where, f"is truncated: the header says {n} taxa, no rows follow")
    labels: list[str] = []
    table: list[list[float]] = []
    layout = ""
    at = 0
    while at < len(body):
        line_no, line = body[at]
        at += 1
        if len(labels) == n:
            raise PhyloInputError(
                f"{where}, line {line_no}", f"holds more rows than the {n} taxa the header says"
            )
        name, tokens = _split_row(line)
        if not layout:
            # The first row tells the layout: no value (lower triangle), only its diagonal
            # (lower triangle with diagonal), else a square row (possibly continued below).
            layout = {0: "lower", 1: "lower-diagonal"}.get(len(tokens), "square")
        row = len(labels)
        expected = {"lower": row, "lower-diagonal": row + 1, "square": n}[layout]
        while len(tokens) < expected and at < len(body) and _numbers(body[at][1].split()):
            tokens += body[at][1].split()
            at += 1
        if len(tokens) != expected:
            shape = "square" if layout == "square" else "lower-triangular"
            raise PhyloInputError(
                f"{where}, line {line_no}",
                f"row {row + 1} ({name[:40]!r}) has {len(tokens)} values; a {shape} "
                f"matrix of {n} taxa needs {expected} there",
            )
        labels.append(name)
        table.append([_number(t, where, row + 1, j + 1, name) for j, t in enumerate(tokens)])
    if len(labels) < n:
        raise PhyloInputError(
            where, f"is truncated: the header says {n} taxa, the file holds {len(labels)} rows"
        )
    values = np.zeros((n, n))
    for i, row_values in enumerate(table):
        values[i, : len(row_values)] = row_values
    if layout != "square":
        values = np.tril(values, -1) + np.tril(values, -1).T + np.diag(np.diagonal(values))
    return check_matrix(labels, values, where=where)


def _split_row(line: str) -> tuple[str, list[str]]:
    """A PHYLIP row's name and value tokens: relaxed (name ends at whitespace) unless that
    leaves non-numbers and strict (10-character name) does not."""
    tokens = line.split()
    if _numbers(tokens[1:]) or len(line) <= 10:
        return tokens[0], tokens[1:]
    strict = line[10:].split()
    if _numbers(strict) and line[:10].strip():
        return line[:10].strip(), strict
    return tokens[0], tokens[1:]


def _read_delimited(lines: list[str], where: str) -> DistanceMatrix:
    first = next(line for line in lines if line.strip())
    delimiter = "\t" if "\t" in first else ("," if "," in first else ";")
    rows = [r for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)]
    header = [c.strip() for c in rows[0][1:]]
    while header and not header[-1]:
        header.pop()  # a trailing delimiter
    n = len(header)
    body = rows[1:]
    if len(body) != n:
        raise PhyloInputError(
            where,
            f"has {n} labels in the header row but {len(body)} rows; a distance matrix is "
            "square, one row per taxon",
        )
    labels = check_labels(header, f"{where}, header row")
    values = np.zeros((n, n))
    lower_only = True
    for i, row in enumerate(body):
        cells = [c.strip() for c in row]
        while len(cells) > n + 1 and not cells[-1]:
            cells.pop()
        if len(cells) != n + 1:
            raise PhyloInputError(
                f"{where}, row {i + 2}",
                f"has {len(cells) - 1} values; the header has {n} labels (the table is ragged)",
            )
        if cells[0] != labels[i]:
            raise PhyloInputError(
                f"{where}, row {i + 2}",
                f"starts with {cells[0][:40]!r} but column {i + 2} is {labels[i][:40]!r}; "
                "list the taxa in the same order in the header row and the first column",
            )
        for j, cell in enumerate(cells[1:]):
            if not cell and j > i:
                continue  # an upper triangle left empty
            if j > i:
                lower_only = False
            if not cell:
                raise PhyloInputError(
                    f"{where}, row {i + 2} ({labels[i][:40]!r}), column {j + 2}",
                    "is empty; give every distance on and below the diagonal",
                )
            values[i, j] = _number(cell, where, i + 2, j + 2, labels[i])
    if lower_only:
        values = np.tril(values, -1) + np.tril(values, -1).T + np.diag(np.diagonal(values))
    return check_matrix(labels, values, where=where)


def _format_distance(value: float) -> str:
    text = repr(float(value))  # the shortest text that reads back as the same float
    return text[:-2] if text.endswith(".0") else text


def matrix_to_phylip(dm: DistanceMatrix) -> str:
    """The matrix as square relaxed PHYLIP (whitespace in names written as ``_``).

    >>> print(matrix_to_phylip(check_matrix(["a b", "c"], [[0, 0.1], [0.1, 0]])), end="")
    2
    a_b 0 0.1
    c 0.1 0
    """
    names = ["_".join(label.split()) for label in dm.labels]
    lines = [str(len(names))]
    for name, row in zip(names, dm.values, strict=True):
        lines.append(" ".join([name, *(_format_distance(v) for v in row)]))
    return "\n".join(lines) + "\n"


def matrix_to_csv(dm: DistanceMatrix) -> str:
    """The matrix as CSV: a header row of names (first cell empty), a name starting each row.

    >>> print(matrix_to_csv(check_matrix(["a,1", "b"], [[0, 2.5], [2.5, 0]])), end="")
    ,"a,1",b
    "a,1",0,2.5
    b,2.5,0
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["", *dm.labels])
    for label, row in zip(dm.labels, dm.values, strict=True):
        writer.writerow([label, *(_format_distance(v) for v in row)])
    return out.getvalue()
