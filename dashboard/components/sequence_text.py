"""Sequences as text: bases in numbered lines, an alignment with its match line, a protein
compared with its annotation (differences marked). Pure functions to Dash components.

Lines are 60 letters with the 1-based position of their first letter on the left, as
GenBank's ORIGIN block and EMBOSS print them; blocks are ``<pre>`` so they copy as text.
"""

from __future__ import annotations

from dash import html

LINE = 60
GROUP = 10


def numbered_lines(bases: str, first: int = 1, width: int = LINE, group: int = GROUP) -> str:
    """``bases`` in lines of ``width`` letters (spaces every ``group``), each after the
    1-based position of its first letter, right-aligned.

    >>> print(numbered_lines("ACGTACGTAC" * 7, first=1001))
    1,001 ACGTACGTAC ACGTACGTAC ACGTACGTAC ACGTACGTAC ACGTACGTAC ACGTACGTAC
    1,061 ACGTACGTAC
    """
    last = first + max(len(bases) - 1, 0)
    pad = len(f"{last:,}")
    lines = []
    for offset in range(0, len(bases), width):
        chunk = bases[offset : offset + width]
        spaced = " ".join(chunk[i : i + group] for i in range(0, len(chunk), group))
        lines.append(f"{first + offset:>{pad},} {spaced}")
    return "\n".join(lines)


def sequence_block(bases: str, first: int = 1, *, block_id: str | None = None) -> html.Pre:
    """Bases in numbered lines of 60, in a scrolling monospace block."""
    return html.Pre(
        numbered_lines(bases, first),
        className="msg-sequence",
        tabIndex="0",
        **{"aria-label": f"Bases from position {first:,}"},
        **({"id": block_id} if block_id else {}),
    )


def match_line(a: str, b: str) -> str:
    """``|`` where the aligned letters are the same, a space where they differ or one is a
    gap.

    >>> match_line("GGACGTA-CCA", "GGACTTAGCCA")
    '|||| || |||'
    """
    return "".join("|" if x == y and x != "-" else " " for x, y in zip(a, b, strict=False))


def alignment_lines(
    aligned_a: str, aligned_b: str, start_a: int = 1, start_b: int = 1, width: int = LINE
) -> str:
    """An alignment in blocks of ``width`` columns: A, the match line, B; each row starts
    with the 1-based position of its first base (gaps do not count) and ends with its last.

    >>> print(alignment_lines("GGACGTA-CCA", "GGACTTAGCCA", 100, 7))
    A 100 GGACGTA-CCA 109
          |||| || |||
    B   7 GGACTTAGCCA 17
    """
    pad = len(f"{max(start_a + len(aligned_a), start_b + len(aligned_b)):,}")
    lines: list[str] = []
    next_a, next_b = start_a, start_b
    for offset in range(0, len(aligned_a), width):
        row_a = aligned_a[offset : offset + width]
        row_b = aligned_b[offset : offset + width]
        bases_a = len(row_a) - row_a.count("-")
        bases_b = len(row_b) - row_b.count("-")
        end_a = next_a + bases_a - 1 if bases_a else next_a - 1
        end_b = next_b + bases_b - 1 if bases_b else next_b - 1
        if lines:
            lines.append("")
        lines.append(f"A {next_a:>{pad},} {row_a} {end_a:,}")
        lines.append(f"  {'':>{pad}} {match_line(row_a, row_b)}")
        lines.append(f"B {next_b:>{pad},} {row_b} {end_b:,}")
        next_a += bases_a
        next_b += bases_b
    return "\n".join(lines)


def alignment_block(aligned_a: str, aligned_b: str, start_a: int = 1, start_b: int = 1) -> html.Pre:
    """An alignment in blocks of 60 columns with its match line, in a monospace block."""
    return html.Pre(
        alignment_lines(aligned_a, aligned_b, start_a, start_b),
        className="msg-sequence",
        tabIndex="0",
        **{"aria-label": "Alignment of A and B"},
    )


def _marked(text: str, other: str) -> list[object]:
    """``text`` with each run of letters that differ from ``other`` (or that ``other`` lacks)
    in a ``<mark>``."""
    parts: list[object] = []
    run: list[str] = []
    is_diff_run = False
    for i, letter in enumerate(text):
        differs = i >= len(other) or other[i] != letter
        if run and differs != is_diff_run:
            chunk = "".join(run)
            parts.append(html.Mark(chunk) if is_diff_run else chunk)
            run = []
        run.append(letter)
        is_diff_run = differs
    if run:
        chunk = "".join(run)
        parts.append(html.Mark(chunk) if is_diff_run else chunk)
    return parts


def protein_differences(computed: str, annotated: str) -> list[int]:
    """1-based residues where the two proteins differ (past the shorter one's end, every
    residue of the longer counts).

    >>> protein_differences("MKVLA", "MRVL")
    [2, 5]
    """
    longest = max(len(computed), len(annotated))
    return [
        i + 1
        for i in range(longest)
        if i >= len(computed) or i >= len(annotated) or computed[i] != annotated[i]
    ]


def protein_comparison(computed: str, annotated: str, width: int = LINE) -> html.Div:
    """The translated and the annotated protein line by line (60 residues), differing
    residues marked; one block when the file annotates no protein."""
    lines: list[object] = []
    if not annotated:
        lines.append(numbered_lines(computed, 1, width))
        return html.Div(html.Pre(lines, className="msg-sequence mb-0", tabIndex="0"))
    pad = len(f"{max(len(computed), len(annotated)):,}")
    for offset in range(0, max(len(computed), len(annotated)), width):
        a = computed[offset : offset + width]
        b = annotated[offset : offset + width]
        if lines:
            lines.append("\n\n")
        lines += [f"translated {offset + 1:>{pad},} ", *_marked(a, b), "\n"]
        lines += [f"annotated  {offset + 1:>{pad},} ", *_marked(b, a)]
    return html.Div(
        html.Pre(
            lines,
            className="msg-sequence mb-0",
            tabIndex="0",
            **{"aria-label": "Translated and annotated protein, differences marked"},
        )
    )
