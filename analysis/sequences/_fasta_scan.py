"""Strict FASTA checking in one streaming pass, with per-record lengths and GC/N counts.

Rules:

* a record is a header line ``>id description`` and the sequence lines up to the next
  header; the id (first word) is required and unique within the file;
* sequence characters are letters (IUPAC nucleotide or amino-acid codes, either case),
  ``*`` (stop) and ``-`` (alignment gap); no digits, spaces inside lines or other signs;
* every record has at least one residue;
* lines end with LF or CR LF; blank lines (empty or only spaces/tabs) are allowed anywhere;
  nothing but blank lines may come before the first header;
* a header line may be at most ``HEADER_BYTES_MAX`` (1 MiB) long.

Memory is bounded whatever the line lengths: a sequence line is checked and counted in
pieces as it arrives (a 1 GiB line is fine), so only header lines are ever kept whole.
"""

from __future__ import annotations

import re
import string
from array import array
from dataclasses import dataclass

import numpy as np

from analysis.sequences._errors import SequenceFormatError
from analysis.sequences._fastq_scan import describe_byte

RECORD_INFO_MAX = 100_000
RESIDUES = (string.ascii_letters + "*-").encode()
_ALLOWED = RESIDUES + b"\r\n"
_BLANK = b" \t\r"
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NUMPY_FROM = 1 << 16  # count with numpy from this many bytes, with bytes methods below
HEADER_BYTES_MAX = 1 << 20
_PIECE_BYTES = 1 << 20  # an unfinished line longer than this is checked piece by piece


@dataclass
class _Open:
    """The record being read."""

    id: str
    description: str
    line: int
    length: int = 0


def gc_n_counts(residues: bytes) -> tuple[int, int]:
    """Count G/C and N (either case) in ``residues``.

    >>> gc_n_counts(b"ACGTNNgcn")
    (4, 3)
    """
    if len(residues) < _NUMPY_FROM:
        gc = len(residues) - len(residues.translate(None, b"GCgc"))
        return gc, len(residues) - len(residues.translate(None, b"Nn"))
    arr = np.frombuffer(residues, dtype=np.uint8)
    # G, C, g, c are exactly the bytes equal to 0x43 once bits 0x20 and 0x04 are cleared.
    gc = int(np.count_nonzero((arr & 0xDB) == 0x43))
    return gc, int(np.count_nonzero((arr & 0xDF) == ord("N")))


class FastaScanner:
    """Feed the decompressed text with :meth:`feed`, then call :meth:`finish`."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.record_infos: list[tuple[str, str, int]] = []
        self.lengths = array("q")
        self.gc = 0
        self.n = 0
        self._ids: dict[str, int] = {}
        self._open: _Open | None = None
        self._parts: list[bytes] = []  # a line not yet complete
        self._parts_size = 0
        self._line = 1  # number of the first line of the next complete text
        # A long sequence line checked in pieces: the bytes checked so far (0: none), whether
        # they were all blank (spaces, tabs) and, if so, the first of them.
        self._piece_column = 0
        self._piece_blank = True
        self._piece_first = 0

    @property
    def line_reached(self) -> int:
        """The line where unprocessed text starts (for gzip damage)."""
        return self._line

    def feed(self, data: bytes) -> None:
        """Check every complete line in ``data`` (plus the incomplete line before it)."""
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            self._parts.append(data)
            self._parts_size += len(data)
            if self._parts_size > _PIECE_BYTES:
                self._check_piece()
            return
        text = b"".join([*self._parts, data[:cut]]) if self._parts else data[:cut]
        self._parts = [data[cut:]] if cut < len(data) else []
        self._parts_size = len(data) - cut
        self._complete(text)
        if self._parts_size > _PIECE_BYTES:
            self._check_piece()

    def finish(self) -> None:
        """Check what is left at the end of the file."""
        if self._parts or self._piece_column:
            text = b"".join(self._parts) + b"\n"
            self._parts, self._parts_size = [], 0
            self._complete(text)
        self._close()
        if not self.lengths:
            raise SequenceFormatError(
                self.filename, None, "the file holds no records: upload the FASTA file itself"
            )

    def _complete(self, text: bytes) -> None:
        """Process ``text`` (ending with a line break), ending a line begun in pieces."""
        if self._piece_column:
            end = text.index(b"\n")
            self._piece(text[:end], end_of_line=True)
            self._line += 1
            text = text[end + 1 :]
            if not text:
                return
        self._lines(text)

    def _check_piece(self) -> None:
        """Check the start of a long unfinished line now rather than keep it whole."""
        piece = b"".join(self._parts)
        if not self._piece_column and piece[:1] == b">":
            if len(piece) - piece.endswith(b"\r") > HEADER_BYTES_MAX:
                self._check_piece_header()
            self._parts = [piece]  # a header is kept whole (up to HEADER_BYTES_MAX)
            return
        keep = b"\r" if piece.endswith(b"\r") else b""  # perhaps the CR of a CR LF
        self._parts = [keep] if keep else []
        self._parts_size = len(keep)
        self._piece(piece[: len(piece) - len(keep)], end_of_line=False)

    def _check_piece_header(self) -> None:
        raise self._error(
            self._line,
            f"the header line is longer than {HEADER_BYTES_MAX >> 20} MiB: headers are an id "
            "and a short description; is a line break missing after it?",
        )

    def _piece(self, content: bytes, *, end_of_line: bool) -> None:
        """Check part of a sequence line (the rest of it, with ``end_of_line``)."""
        column, blank = self._piece_column, self._piece_blank
        if end_of_line:
            self._piece_column, self._piece_blank = 0, True
            if content.endswith(b"\r"):
                content = content[:-1]
        else:
            self._piece_column += len(content)
        if blank and not content.strip(_BLANK):
            if column == 0 and content:
                self._piece_first = content[0]
            return
        if self._open is None:
            start = content if not column else bytes([self._piece_first]) * column + content
            raise self._error(
                self._line,
                "expected a FASTA header line starting with '>' before any sequence: "
                f"the line starts with '{start[:20].decode('utf-8', 'replace')}'",
            )
        if blank and column:  # blank so far, then something else: not blank
            self._bad_residue(self._piece_first, 1)
        if not end_of_line:
            self._piece_blank = False
        if content.translate(None, RESIDUES):
            at = next(i for i, b in enumerate(content) if b not in RESIDUES)
            self._bad_residue(content[at], column + at + 1)
        self._open.length += len(content)
        gc, n = gc_n_counts(content)
        self.gc += gc
        self.n += n

    def _bad_residue(self, byte: int, column: int, line: int | None = None) -> None:
        raise self._error(
            self._line if line is None else line,
            f"the sequence has {describe_byte(byte)} at column {column}: FASTA sequences "
            "hold letters (IUPAC nucleotide or amino-acid codes), '*' and '-' only; remove "
            "spaces, digits and other signs",
        )

    def _error(self, line: int, problem: str) -> SequenceFormatError:
        return SequenceFormatError(self.filename, line, problem)

    def _lines(self, text: bytes) -> None:
        """Process ``text``, which ends with a line break."""
        arr = np.frombuffer(text, dtype=np.uint8)
        breaks = np.flatnonzero(arr == ord("\n"))
        starts = np.concatenate([[0], breaks[:-1] + 1])
        headers = np.flatnonzero(arr[starts] == ord(">")).tolist()
        first_line = self._line
        position = 0
        line_index = 0
        for h in headers:
            self._sequence(text, position, int(starts[h]), first_line + line_index)
            end = int(breaks[h])
            self._header(text[int(starts[h]) : end], first_line + h)
            position, line_index = end + 1, h + 1
        self._sequence(text, position, len(text), first_line + line_index)
        self._line = first_line + breaks.size

    def _header(self, raw: bytes, line: int) -> None:
        self._close()
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if len(raw) > HEADER_BYTES_MAX:
            self._line = line
            self._check_piece_header()
        try:
            title = raw[1:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._error(
                line,
                f"the header has bytes that are not UTF-8 text (column {exc.start + 2}): "
                "save the file as plain text (UTF-8 or ASCII)",
            ) from None
        bad = _CONTROL.search(title)
        if bad:
            raise self._error(
                line,
                f"the header has {describe_byte(ord(bad.group()))} at column "
                f"{bad.start() + 2}: remove it (headers are plain text)",
            )
        words = title.split(None, 1)
        if not words:
            raise self._error(
                line,
                "the header has no id: write '>id description', the id being the "
                "record's unique name",
            )
        record_id = words[0]
        if record_id in self._ids:
            raise self._error(
                line,
                f"the id '{record_id}' is used twice (lines {self._ids[record_id]} and {line}): "
                "records are picked by id, so give each record its own",
            )
        self._ids[record_id] = line
        description = words[1].strip() if len(words) > 1 else ""
        self._open = _Open(record_id, description, line)

    def _sequence(self, text: bytes, start: int, end: int, line: int) -> None:
        """Sequence lines ``text[start:end]`` (whole lines) starting at line ``line``."""
        if start >= end:
            return
        chunk = text[start:end]
        if self._open is None or b"\r" in chunk or chunk.translate(None, _ALLOWED):
            residues = self._residues_line_by_line(chunk, line)
        else:
            residues = chunk.replace(b"\n", b"")
        if not residues or self._open is None:
            return
        self._open.length += len(residues)
        gc, n = gc_n_counts(residues)
        self.gc += gc
        self.n += n

    def _residues_line_by_line(self, chunk: bytes, line: int) -> bytes:
        """The slow check: find the first bad line; blank lines are fine."""
        out: list[bytes] = []
        for offset, raw in enumerate(chunk.split(b"\n")[:-1]):
            number = line + offset
            content = raw[:-1] if raw.endswith(b"\r") else raw
            if not content.strip(_BLANK):
                continue
            if self._open is None:
                raise self._error(
                    number,
                    "expected a FASTA header line starting with '>' before any sequence: "
                    f"the line starts with '{content[:20].decode('utf-8', 'replace')}'",
                )
            stray = content.translate(None, RESIDUES)
            if stray:
                column = next(i for i, b in enumerate(content) if b not in RESIDUES)
                self._bad_residue(content[column], column + 1, number)
            out.append(content)
        return b"".join(out)

    def _close(self) -> None:
        record = self._open
        if record is None:
            return
        if record.length == 0:
            raise self._error(
                record.line,
                f"the record '{record.id}' has no sequence: remove its header or add the "
                "sequence below it",
            )
        if len(self.record_infos) < RECORD_INFO_MAX:
            self.record_infos.append((record.id, record.description, record.length))
        self.lengths.append(record.length)
        self._open = None
