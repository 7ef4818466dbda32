"""Strict GenBank / EMBL checking: our own structural pass feeding Biopython's parser.

Biopython's scanners are lenient (a missing ``//`` or a wrong declared length only warns),
so every line goes through a small state machine on its way to Biopython. It checks that
each record opens with ``LOCUS`` (``ID``), has a sequence section (``ORIGIN`` / ``SQ``)
whose lines are numbered consecutively and hold letters only, ends with ``//``, and that
the bases counted agree with the length on the ``LOCUS`` (``ID``) line. Record ids (as
Biopython reads them: ``ACCESSION.VERSION``) must be unique. A problem found by the state
machine ends the text Biopython sees; a problem Biopython finds is reported at the line it
had reached. Biopython's parser warnings (e.g. an unusual LOCUS layout) are not refused.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from typing import Literal

from Bio import SeqIO

from analysis.sequences._errors import SequenceFormatError
from analysis.sequences._fasta_scan import RECORD_INFO_MAX, gc_n_counts
from analysis.sequences._fastq_scan import describe_byte
from analysis.sequences._source import GzipDamage

Flavour = Literal["genbank", "embl"]

_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_LOCUS_LENGTH = re.compile(r"\s(\d+)\s+(?:bp|aa|rc)\b")
_ID_LENGTH = re.compile(r"(\d+)\s+(?:BP|AA)\b")
_GENBANK_SEQUENCE = re.compile(r"\s*(\d+)((?:\s+\S+)*)\s*")
_EMBL_SEQUENCE = re.compile(r"\s+(\S+(?:\s+\S+)*?)\s+(\d+)\s*")
_LETTERS = re.compile(r"[A-Za-z]*")
_OUTSIDE, _HEADER, _SEQUENCE = "outside", "header", "sequence"


class _Structure:
    """The state machine over one file's lines; ``check`` returns a problem or None."""

    def __init__(self, flavour: Flavour) -> None:
        self.genbank = flavour == "genbank"
        self.start_key = "LOCUS" if self.genbank else "ID"
        self.start_token = "LOCUS" if self.genbank else "ID   "
        self.sequence_key = "ORIGIN" if self.genbank else "SQ"
        self.state = _OUTSIDE
        self.record_lines: list[int] = []
        self.name = ""
        self.declared = 0
        self.counted = 0

    def _key(self, line: str) -> str:
        return line[:2] if not self.genbank else line.split(None, 1)[0] if line.strip() else ""

    def check(self, line: str, number: int) -> str | None:
        blank = not line.strip()
        key = self._key(line)
        if self.state == _OUTSIDE:
            if blank:
                return None
            if not self.starts_record(line):
                return (
                    f"expected a {self.what()} record to start with '{self.start_key}' but "
                    f"the line reads '{line[:40]}': is something pasted between records?"
                )
            return self._open(line, number)
        if self.state == _HEADER:
            if self.starts_record(line):
                return (
                    f"a new record starts before the record of line {self.record_lines[-1]} "
                    f"ended: that record has no {self.sequence_key} sequence and no '//' "
                    "end marker; the file was cut or two files were joined"
                )
            if line.startswith("//"):
                return (
                    f"the record '{self.name}' (line {self.record_lines[-1]}) ends without a "
                    f"sequence ({self.sequence_key} section): only records that carry their "
                    "sequence can be explored (download the 'with sequence' version)"
                )
            if key == self.sequence_key:
                self.state = _SEQUENCE
                self.counted = 0
            return None
        # In the sequence section.
        if line.startswith("//"):
            self.state = _OUTSIDE
            if self.counted != self.declared:
                return (
                    f"the record '{self.name}' has {self.counted} bases in its sequence but "
                    f"its {self.start_key} line (line {self.record_lines[-1]}) says "
                    f"{self.declared}: the sequence was cut or edited; fix the length or "
                    "export the record again"
                )
            return None
        if blank:
            return None
        if self.starts_record(line):
            return (
                f"a new record starts before the record of line {self.record_lines[-1]} "
                "ended: that record has no '//' end marker; the file was cut or two files "
                "were joined"
            )
        return self._sequence_line(line)

    def starts_record(self, line: str) -> bool:
        if self.genbank:
            return line.startswith("LOCUS")
        return line.startswith("ID   ")

    def what(self) -> str:
        return "GenBank" if self.genbank else "EMBL"

    def _open(self, line: str, number: int) -> str | None:
        pattern = _LOCUS_LENGTH if self.genbank else _ID_LENGTH
        found = pattern.search(line)
        if not found:
            unit = "'9609 bp'" if self.genbank else "'9609 BP.'"
            return (
                f"the {self.start_key} line gives no sequence length (like {unit}): the "
                "header is damaged; export the record again"
            )
        words = line.split()
        self.name = words[1].rstrip(";") if len(words) > 1 else "?"
        self.declared = int(found.group(1))
        self.record_lines.append(number)
        self.state = _HEADER
        return None

    def _sequence_line(self, line: str) -> str | None:
        if self.genbank:
            found = _GENBANK_SEQUENCE.fullmatch(line)
            if not found:
                return self._bad_sequence_line(line)
            first, letters = int(found.group(1)), "".join(found.group(2).split())
            if first != self.counted + 1:
                return (
                    f"this sequence line starts at base {first} but {self.counted} bases came "
                    "before it: a line is missing or damaged"
                )
        else:
            found = _EMBL_SEQUENCE.fullmatch(line)
            if not found:
                return self._bad_sequence_line(line)
            letters = "".join(found.group(1).split())
            last = int(found.group(2))
            if last != self.counted + len(letters):
                return (
                    f"this sequence line ends at base {last} but holds bases "
                    f"{self.counted + 1}..{self.counted + len(letters)}: a line is missing "
                    "or damaged"
                )
        if not _LETTERS.fullmatch(letters):
            bad = next(c for c in letters if not c.isascii() or not c.isalpha())
            return (
                f"the sequence has {describe_byte(ord(bad)) if ord(bad) < 256 else repr(bad)}: "
                "only letters (IUPAC codes) belong in the sequence section"
            )
        self.counted += len(letters)
        return None

    def _bad_sequence_line(self, line: str) -> str:
        layout = (
            "'  61 acgt...' (position, then bases)"
            if self.genbank
            else "'     acgt...  60' (bases, then position)"
        )
        return (
            f"expected a sequence line like {layout} or '//' but the line reads "
            f"'{line[:40]}': the sequence section is damaged"
        )

    def cut_off(self) -> str:
        return (
            f"the file ends in the middle of this line, inside the record '{self.name}' "
            f"(line {self.record_lines[-1]}): the file is truncated; upload the complete file"
        )

    def at_end(self, records_seen: bool) -> str | None:
        if self.state == _HEADER:
            return (
                f"the file ends inside the record '{self.name}' (line {self.record_lines[-1]}) "
                f"before its {self.sequence_key} sequence and '//' end marker: the file is "
                "truncated; upload the complete file"
            )
        if self.state == _SEQUENCE:
            return (
                f"the file ends inside the sequence of the record '{self.name}' (line "
                f"{self.record_lines[-1]}) without the '//' end marker: the file is "
                "truncated; upload the complete file"
            )
        if not records_seen:
            return f"the file holds no {self.what()} records"
        return None


class _LineFeed:
    """A text handle for Biopython that checks each line on the way through."""

    def __init__(self, filename: str, blocks: Iterator[bytes], structure: _Structure) -> None:
        self.filename = filename
        self.structure = structure
        self.line = 0
        self.error: SequenceFormatError | None = None
        self.at_eof = False
        self._blocks = blocks
        self._lines: list[bytes] = []
        self._next = 0
        self._partial = b""
        self._unterminated = False  # the last line, cut off without its line break

    def read(self, size: int = -1) -> str:
        if size == 0:
            return ""
        raise NotImplementedError("Biopython reads GenBank and EMBL line by line")

    def readline(self) -> str:
        if self.error is not None or self.at_eof:
            return ""
        raw = self._raw_line()
        if raw is None:
            self.at_eof = True
            problem = self.structure.at_end(bool(self.structure.record_lines))
            if problem:
                self.error = SequenceFormatError(self.filename, self.line or None, problem)
            return ""
        self.line += 1
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        bad = _CONTROL.search(raw)
        if bad:
            return self._fail(
                f"the line has {describe_byte(raw[bad.start()])} at column {bad.start() + 1}: "
                "GenBank and EMBL files are plain text; remove it"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self._fail(
                f"the line has bytes that are not UTF-8 text (column {exc.start + 1}): "
                "save the file as plain text"
            )
        text = text.replace("\t", " ")
        if self._unterminated and text[:2] != "//":
            if self.structure.state != _OUTSIDE:
                return self._fail(self.structure.cut_off())
            if self.structure.starts_record(text) or self.structure.start_token.startswith(text):
                return self._fail(
                    "the file ends in the middle of the first line of a record: the file is "
                    "truncated; upload the complete file"
                )
        problem = self.structure.check(text, self.line)
        if problem:
            return self._fail(problem)
        return text + "\n"

    def _fail(self, problem: str) -> str:
        self.error = SequenceFormatError(self.filename, self.line, problem)
        return ""

    def _raw_line(self) -> bytes | None:
        while self._next >= len(self._lines):
            try:
                block = next(self._blocks, None)
            except GzipDamage as damage:
                self.error = SequenceFormatError(self.filename, self.line + 1, damage.problem)
                return None
            if block is None:
                if self._partial:
                    last, self._partial = self._partial, b""
                    self._unterminated = True
                    return last
                return None
            lines = (self._partial + block).split(b"\n")
            self._partial = lines.pop()
            self._lines, self._next = lines, 0
        line = self._lines[self._next]
        self._next += 1
        return line


def scan_insdc(
    filename: str, blocks: Iterator[bytes], flavour: Flavour
) -> tuple[list[tuple[str, str, int]], array[int], int, int]:
    """Check a GenBank or EMBL text; return (id, description, length) of the records (up
    to RECORD_INFO_MAX), all lengths, and the G/C and N counts over all records."""
    structure = _Structure(flavour)
    feed = _LineFeed(filename, blocks, structure)
    infos: list[tuple[str, str, int]] = []
    lengths: array[int] = array("q")
    gc_total = n_total = 0
    ids: dict[str, int] = {}
    records = SeqIO.parse(feed, flavour)  # type: ignore[no-untyped-call]
    while True:
        try:
            record = next(records, None)
        except Exception as exc:  # noqa: BLE001 - Biopython raises assorted types on bad input
            if feed.error is not None:
                raise feed.error from None
            raise SequenceFormatError(
                filename,
                feed.line or None,
                f"Biopython cannot read this {structure.what()} record ({exc}): check this "
                "line and the lines just above it",
            ) from None
        if feed.error is not None:
            raise feed.error
        if record is None:
            break
        index = len(lengths)
        line = structure.record_lines[index] if index < len(structure.record_lines) else None
        record_id = str(record.id)
        if record_id in ids:
            raise SequenceFormatError(
                filename,
                line,
                f"the id '{record_id}' is used twice (records on lines {ids[record_id]} and "
                f"{line}): records are picked by id, so give each record its own",
            )
        ids[record_id] = line or 0
        residues = bytes(record.seq)
        gc, n = gc_n_counts(residues)
        gc_total += gc
        n_total += n
        lengths.append(len(residues))
        if len(infos) < RECORD_INFO_MAX:
            infos.append((record_id, str(record.description), len(residues)))
    if feed.error is not None:
        raise feed.error
    if not feed.at_eof:  # Biopython stopped early without saying why
        raise SequenceFormatError(
            filename, feed.line or None, "Biopython stopped reading here: check this line"
        )
    return infos, lengths, gc_total, n_total
