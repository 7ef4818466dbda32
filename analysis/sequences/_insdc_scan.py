"""Strict GenBank / EMBL checking: our own structural pass feeding Biopython's parser.

Biopython's scanners are lenient (a missing ``//`` or a wrong declared length only warns),
so every line goes through a small state machine on its way to Biopython. It checks that
each record opens with ``LOCUS`` (``ID``), has a sequence section (``ORIGIN`` / ``SQ``)
whose lines are numbered consecutively and hold letters only, ends with ``//``, and that
the bases counted agree with the length on the ``LOCUS`` (``ID``) line. Record ids (as
Biopython reads them: ``ACCESSION.VERSION``) must be unique. A problem found by the state
machine ends the text Biopython sees; a problem Biopython finds is reported at the line it
had reached. Biopython's parser warnings (e.g. an unusual LOCUS layout) are not refused.

Sequence lines must have the layout Biopython reads by column: GenBank ``'%9d acgt...'``
(the position right-aligned in columns 1-9, a space, then the bases, which Biopython takes
from column 11 on), EMBL ``'     acgt...  60'`` (five spaces, the bases, the position last).
They are checked and counted here and never handed to Biopython, so a record's sequence is
never held in memory (lengths and G/C/N counts come from this pass). Memory is bounded by:

* ``LINE_BYTES_MAX`` (16 MiB): no line may be longer;
* ``FEATURES_MAX`` (250,000) features per record: Biopython keeps a record's features as
  objects of about 700 bytes each until the record ends (a bacterial genome has 5,000 to
  20,000);
* ``HEADER_BYTES_MAX`` (64 MiB) of header and feature-table text per record (a 12 Mb
  Streptomyces GenBank has about 25 MB).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from typing import Literal, NoReturn

from Bio import SeqIO

from analysis.sequences._errors import SequenceFormatError
from analysis.sequences._fasta_scan import RECORD_INFO_MAX, gc_n_counts
from analysis.sequences._fastq_scan import describe_byte
from analysis.sequences._source import GzipDamage

Flavour = Literal["genbank", "embl"]

LINE_BYTES_MAX = 16 << 20
FEATURES_MAX = 250_000
HEADER_BYTES_MAX = 64 << 20

_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_LOCUS_LENGTH = re.compile(r"\s([0-9]+)\s+(?:bp|aa|rc)\b")
_ID_LENGTH = re.compile(r"([0-9]+)\s+(?:BP|AA)\b")
_GENBANK_POSITION = re.compile(r" *([0-9]+)")
_EMBL_SEQUENCE = re.compile(r"     +(\S+(?:\s+\S+)*?)\s+([0-9]+)\s*", re.ASCII)
_LETTERS = re.compile(r"[A-Za-z]*")
_TOO_LONG = (
    f"the line is longer than {LINE_BYTES_MAX >> 20} MiB: GenBank and EMBL lines are short "
    "(80 columns); the file is damaged or not GenBank/EMBL"
)
_COUNT_EVERY = 1 << 20  # count G/C/N once this many bases are pending
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
        self.features = 0
        self.header_bytes = 0
        self.hide = False  # the line just checked is not for Biopython (sequence lines)
        self.lengths: array[int] = array("q")  # bases of each record ended so far
        self.gc = 0
        self.n = 0
        self._pending: list[str] = []  # bases not yet counted for G/C/N
        self._pending_size = 0

    def _key(self, line: str) -> str:
        return line[:2] if not self.genbank else line.split(None, 1)[0] if line.strip() else ""

    def check(self, line: str, number: int) -> str | None:
        self.hide = False
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
            return self._header_line(line)
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
            self.lengths.append(self.counted)
            return None
        self.hide = True
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
        self.features = 0
        self.header_bytes = len(line) + 1
        return None

    def _header_line(self, line: str) -> str | None:
        """Count the record's header bytes and features against the caps."""
        self.header_bytes += len(line) + 1
        if self.header_bytes > HEADER_BYTES_MAX:
            return (
                f"the header and feature table of the record '{self.name}' (line "
                f"{self.record_lines[-1]}) are longer than {HEADER_BYTES_MAX >> 20} MiB by "
                "here: records this large are not supported; split the record or upload "
                "the sequence as FASTA"
            )
        prefix = "     " if self.genbank else "FT   "
        if line.startswith(prefix) and len(line) > 5 and line[5] != " ":
            self.features += 1
            if self.features > FEATURES_MAX:
                return (
                    f"the record '{self.name}' (line {self.record_lines[-1]}) has more than "
                    f"{FEATURES_MAX:,} features by here: records with this many features are "
                    "not supported; split the record or upload the sequence as FASTA"
                )
        return None

    def _sequence_line(self, line: str) -> str | None:
        if self.genbank:
            # Biopython reads the bases from column 11 on: the position must fill columns
            # 1-9, right-aligned, and column 10 must be a space.
            found = _GENBANK_POSITION.fullmatch(line[:9])
            if not found or len(line) < 9 or line[9:10] not in ("", " "):
                return self._bad_sequence_line(line)
            first, letters = int(found.group(1)), line[10:].replace(" ", "")
            if first != self.counted + 1:
                return (
                    f"this sequence line starts at base {first} but {self.counted} bases came "
                    "before it: a line is missing or damaged"
                )
        else:
            found = _EMBL_SEQUENCE.fullmatch(line)
            if not found:
                return self._bad_sequence_line(line)
            letters = found.group(1).replace(" ", "")
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
        self._pending.append(letters)
        self._pending_size += len(letters)
        if self._pending_size >= _COUNT_EVERY:
            self.count_pending()
        return None

    def count_pending(self) -> None:
        """Add the G/C and N counts of the bases checked since the last count."""
        if self._pending:
            gc, n = gc_n_counts("".join(self._pending).encode("ascii"))
            self.gc += gc
            self.n += n
            self._pending, self._pending_size = [], 0

    def _bad_sequence_line(self, line: str) -> str:
        layout = (
            "'       61 acgt...' (position right-aligned in 9 columns, a space, the bases)"
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
        self._too_long = False  # the line after self._lines is over LINE_BYTES_MAX

    def read(self, size: int = -1) -> str:
        if size == 0:
            return ""
        raise NotImplementedError("Biopython reads GenBank and EMBL line by line")

    def readline(self) -> str:
        """The next line Biopython is to see: sequence lines are checked and skipped."""
        while True:
            text = self._checked_line()
            if not self.structure.hide:
                return text

    def _checked_line(self) -> str:
        self.structure.hide = False
        if self.error is not None or self.at_eof:
            return ""
        raw = self._raw_line()
        if raw is None:
            self.at_eof = True
            if self.error is not None:  # gzip damage or an over-long line
                return ""
            problem = self.structure.at_end(bool(self.structure.record_lines))
            if problem:
                self.error = SequenceFormatError(self.filename, self.line or None, problem)
            return ""
        self.line += 1
        if len(raw) > LINE_BYTES_MAX + 1:
            return self._fail(_TOO_LONG)
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
            if self._too_long:
                self.error = SequenceFormatError(self.filename, self.line + 1, _TOO_LONG)
                return None
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
            if len(self._partial) > LINE_BYTES_MAX:
                self._partial, self._too_long = b"", True  # refused once the lines before it pass
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
        if len(structure.lengths) != index + 1:  # Biopython skipped a record (or ran ahead)
            _skipped(filename, structure, index)
        line = structure.record_lines[index]
        record_id = str(record.id)
        if record_id in ids:
            raise SequenceFormatError(
                filename,
                line,
                f"the id '{record_id}' is used twice (records on lines {ids[record_id]} and "
                f"{line}): records are picked by id, so give each record its own",
            )
        ids[record_id] = line
        length = structure.lengths[index]
        lengths.append(length)
        if len(infos) < RECORD_INFO_MAX:
            infos.append((record_id, str(record.description), length))
    if feed.error is not None:
        raise feed.error
    if not feed.at_eof:  # Biopython stopped early without saying why
        raise SequenceFormatError(
            filename, feed.line or None, "Biopython stopped reading here: check this line"
        )
    if len(lengths) != len(structure.record_lines):  # Biopython skipped a record silently
        _skipped(filename, structure, len(lengths))
    structure.count_pending()
    return infos, lengths, structure.gc, structure.n


def _skipped(filename: str, structure: _Structure, index: int) -> NoReturn:
    """Biopython passed over the record ``index`` of those the structure check saw."""
    lines = structure.record_lines
    raise SequenceFormatError(
        filename,
        lines[index] if index < len(lines) else None,
        f"Biopython does not see a {structure.what()} record here: its "
        f"{structure.start_key} line is malformed; export the record again",
    )
