"""The one exception the file checks raise (defined here so every scanner can import it)."""

from __future__ import annotations


class SequenceFormatError(ValueError):
    """A sequence file is malformed: which file, which line, what is wrong and how to fix it.

    ``line`` is 1-based in the decompressed text, or None when the problem has no line
    (an empty file, a damaged gzip header).

    >>> str(SequenceFormatError("reads.fq", 8, "quality string is 3 characters, sequence 4"))
    'reads.fq, line 8: quality string is 3 characters, sequence 4'
    >>> str(SequenceFormatError("reads.fq", None, "the file is empty"))
    'reads.fq: the file is empty'
    """

    def __init__(self, filename: str, line: int | None, problem: str) -> None:
        self.filename = filename
        self.line = line
        self.problem = problem
        where = filename if line is None else f"{filename}, line {line}"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type[SequenceFormatError], tuple[str, int | None, str]]:
        # Background jobs pickle exceptions across processes; keep the three fields.
        return (type(self), (self.filename, self.line, self.problem))
