"""Write sequences as FASTA text."""

from __future__ import annotations

from collections.abc import Iterable


def to_fasta(entries: Iterable[tuple[str, str]], width: int = 60) -> str:
    """Format ``(header, sequence)`` pairs as FASTA, sequence lines ``width`` long.

    A leading ``>`` on a header is optional. Every record ends with a newline; no entries
    give "".

    >>> print(to_fasta([("seq1 first", "ACGTACGT"), (">seq2", "GG")], width=5), end="")
    >seq1 first
    ACGTA
    CGT
    >seq2
    GG

    Raises
    ------
    ValueError
        When ``width`` is below 1, or a header is empty or holds a line break.
    """
    if width < 1:
        raise ValueError(f"line width must be at least 1 (got {width})")
    lines: list[str] = []
    for header, sequence in entries:
        title = header[1:] if header.startswith(">") else header
        if not title.strip():
            raise ValueError("FASTA header is empty")
        if "\n" in title or "\r" in title:
            raise ValueError(f"FASTA header {title[:40]!r} holds a line break")
        lines.append(">" + title)
        lines.extend(sequence[i : i + width] for i in range(0, len(sequence), width))
    return "\n".join(lines) + "\n" if lines else ""
