"""Distance-matrix files: every layout gives the same matrix, scikit-bio's lsmat output reads
back, what we write reads back exactly, and each kind of bad file is refused by cell."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

from analysis.phylo.errors import PhyloInputError
from analysis.phylo.matrix import check_matrix, matrix_to_csv, matrix_to_phylip, read_matrix

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import skbio

# The example input of PHYLIP's `neighbor` documentation (7 primates and relatives).
NAMES = ["Bovine", "Mouse", "Gibbon", "Orang", "Gorilla", "Chimp", "Human"]
VALUES = [
    [0.0000, 1.6866, 1.7198, 1.6606, 1.5243, 1.6043, 1.5905],
    [1.6866, 0.0000, 1.5232, 1.4841, 1.4465, 1.4389, 1.4629],
    [1.7198, 1.5232, 0.0000, 0.7115, 0.5958, 0.6179, 0.5583],
    [1.6606, 1.4841, 0.7115, 0.0000, 0.4631, 0.5061, 0.4710],
    [1.5243, 1.4465, 0.5958, 0.4631, 0.0000, 0.3484, 0.3083],
    [1.6043, 1.4389, 0.6179, 0.5061, 0.3484, 0.0000, 0.2692],
    [1.5905, 1.4629, 0.5583, 0.4710, 0.3083, 0.2692, 0.0000],
]
SQUARE = "    7\n" + "".join(
    f"{name:<10}  " + "  ".join(f"{v:.4f}" for v in row) + "\n"
    for name, row in zip(NAMES, VALUES, strict=True)
)
LOWER = "7\n" + "".join(
    f"{name} " + " ".join(f"{v:.4f}" for v in row[:i]) + "\n"
    for i, (name, row) in enumerate(zip(NAMES, VALUES, strict=True))
)
LOWER_DIAGONAL = "7\n" + "".join(
    f"{name} " + " ".join(f"{v:.4f}" for v in row[: i + 1]) + "\n"
    for i, (name, row) in enumerate(zip(NAMES, VALUES, strict=True))
)
# Square rows wrapped after four values, as PHYLIP's own programs write long rows.
WRAPPED = "7\n" + "".join(
    f"{name} "
    + " ".join(f"{v:.4f}" for v in row[:4])
    + "\n  "
    + " ".join(f"{v:.4f}" for v in row[4:])
    + "\n"
    for name, row in zip(NAMES, VALUES, strict=True)
)
CSV = (
    ",".join(["", *NAMES])
    + "\n"
    + "".join(
        ",".join([name, *(f"{v}" for v in row)]) + "\n"
        for name, row in zip(NAMES, VALUES, strict=True)
    )
)
TSV = CSV.replace(",", "\t")
CSV_LOWER = (
    ",".join(["taxon", *NAMES])
    + "\n"
    + "".join(
        ",".join([name, *(f"{v}" for v in row[: i + 1]), *([""] * (6 - i))]) + "\n"
        for i, (name, row) in enumerate(zip(NAMES, VALUES, strict=True))
    )
)


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        (SQUARE, "neighbor.phy"),
        (LOWER, "lower.phy"),
        (LOWER_DIAGONAL, "lower.dist"),
        (WRAPPED, "infile"),
        (CSV, "m.csv"),
        (TSV, "m.tsv"),
        (CSV_LOWER, "m.csv"),
        ("\ufeff" + CSV, "excel.csv"),  # a byte-order mark, as spreadsheets write
        (CSV.replace("\n", "\r\n"), "windows.csv"),
    ],
)
def test_every_layout_reads_the_same_matrix(text: str, filename: str) -> None:
    dm = read_matrix(text.encode(), filename)
    assert dm.labels == tuple(NAMES)
    assert np.array_equal(dm.values, np.array(VALUES))


def test_strict_phylip_names_with_spaces() -> None:
    text = "3\nHomo sapie0 0.1 0.2\nPan trogl 0.1 0 0.3\nGorilla   0.2 0.3 0\n"
    dm = read_matrix(text.encode(), "strict.phy")
    assert dm.labels == ("Homo sapie", "Pan trogl", "Gorilla")
    assert dm.values[1, 2] == 0.3


def test_scikit_bio_lsmat_reads_back() -> None:
    rng = np.random.default_rng(4)
    points = rng.random((9, 3))
    values = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))
    ids = [f"taxon {i}" for i in range(9)]
    out = io.StringIO()
    skbio.DistanceMatrix(values, ids=ids).write(out, format="lsmat")
    dm = read_matrix(out.getvalue().encode(), "skbio.txt")
    assert dm.labels == tuple(ids)
    assert np.allclose(dm.values, values, rtol=1e-15, atol=0)


def test_written_files_read_back_exactly() -> None:
    rng = np.random.default_rng(5)
    values = rng.random((6, 6)) * 3
    values = values + values.T
    np.fill_diagonal(values, 0)
    dm = check_matrix(["a", "b,comma", "c", "d", "e", "f"], values)
    again = read_matrix(matrix_to_csv(dm).encode(), "out.csv")
    assert again.labels == dm.labels
    assert np.array_equal(again.values, dm.values)
    phylip = read_matrix(matrix_to_phylip(dm).encode(), "out.phy")
    assert np.array_equal(phylip.values, dm.values)
    # scikit-bio reads our CSV (as lsmat with a comma) to the same numbers.
    theirs = skbio.DistanceMatrix.read(
        io.StringIO(matrix_to_csv(dm).replace(",comma", "")), format="lsmat", delimiter=","
    )
    assert np.array_equal(theirs.data, dm.values)


def refused(text: str | bytes, filename: str = "m.csv") -> PhyloInputError:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(PhyloInputError) as info:
        read_matrix(data, filename)
    return info.value


def test_empty_and_binary() -> None:
    assert "empty" in refused(" \n").problem
    assert "binary" in refused(b"\x1f\x8b\x08\x00abc").problem
    assert "binary" in refused(b"3\na\x000\n").problem


def test_non_square_csv() -> None:
    error = refused(",a,b,c\na,0,1,2\nb,1,0,3\n")
    assert "3 labels in the header row but 2 rows" in error.problem


def test_ragged_csv_row() -> None:
    error = refused(",a,b,c\na,0,1,2\nb,1,0\nc,2,3,0\n")
    assert error.where == "m.csv, row 3"
    assert "ragged" in error.problem


def test_rows_and_columns_in_another_order() -> None:
    error = refused(",a,b\nb,0,1\na,1,0\n")
    assert error.where == "m.csv, row 2"


def test_asymmetric() -> None:
    error = refused(",a,b,c\na,0,1,2\nb,1,0,3\nc,2,3.5,0\n")
    assert error.where == "m.csv, row 3, column 2"
    assert "symmetric" in error.problem


def test_negative() -> None:
    error = refused("3\na 0 -1 2\nb -1 0 3\nc 2 3 0\n", "m.phy")
    assert error.where == "m.phy, row 1, column 2"
    assert "negative" in error.problem


def test_nan() -> None:
    error = refused(",a,b\na,0,nan\nb,nan,0\n")
    assert error.where == "m.csv, row 1, column 2"


def test_non_numeric_cell_is_named() -> None:
    error = refused(",a,b,c\na,0,1,2\nb,1,0,x3\nc,2,3,0\n")
    assert error.where == "m.csv, row 3 ('b'), column 4"
    assert "'x3' is not a number" in error.problem
    error = refused("3\na\nb 0.1\nc 0.2 ?\n", "m.phy")
    assert error.where == "m.phy, row 3 ('c'), column 2"


def test_duplicate_labels() -> None:
    error = refused(",a,b,a\na,0,1,2\nb,1,0,3\na,2,3,0\n")
    assert "also label 1" in error.problem
    assert "also label 1" in refused("2\na 0 1\na 1 0\n", "m.phy").problem


def test_phylip_truncated_and_overlong() -> None:
    assert "truncated" in refused("4\na\nb 1\nc 2 3\n", "m.phy").problem
    assert "more rows" in refused("2\na 0 1\nb 1 0\nc 1 1\n", "m.phy").problem
    error = refused("3\na 0 1 2\nb 1 0\nc 2 3 0\n", "m.phy")
    assert error.where == "m.phy, line 3"
    assert "has 2 values" in error.problem


def test_phylip_header_must_be_a_count() -> None:
    assert refused("taxa\na 0 1\n", "m.phy").where == "m.phy, line 1"
    assert "at least 2" in refused("1\na 0\n", "m.phy").problem
