"""The one exception the phylogenetics raises for bad input (its own module so every part
can import it without cycles)."""

from __future__ import annotations


class PhyloInputError(ValueError):
    """Bad phylogenetic input: where it is (a file, a field, a cell), what is wrong, and how
    to fix it.

    >>> str(PhyloInputError("matrix, row 2, column 3", "is -0.1; distances cannot be negative"))
    'matrix, row 2, column 3: is -0.1; distances cannot be negative'
    """

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type[PhyloInputError], tuple[str, str]]:
        # Background jobs pickle exceptions across processes; keep both fields.
        return (type(self), (self.where, self.problem))
