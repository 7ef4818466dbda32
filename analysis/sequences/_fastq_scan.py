"""Strict FASTQ checking and read statistics in one streaming pass.

Blocks of text are first tried on the fast path: numpy over the whole block, assuming the
usual four lines per read (header, sequence, '+', qualities). When every check passes the
block's reads are added to the tally at once. Anything unusual (a problem, a blank line,
a read wrapped over several lines, the end of the file) sends that block to the slow path,
a line-by-line parser that accepts the full grammar (wrapped reads, as Biopython and seqkit
do) and reports the first problem with its line. So the fast path decides nothing on its
own: it only accepts what the slow path would accept, faster.

Rules (Sanger / Illumina 1.8+ FASTQ):

* a read is a header line ``@title``, one or more sequence lines, a ``+`` line (bare or
  repeating the title exactly), then quality lines until they hold as many characters as
  the sequence;
* sequence characters are IUPAC nucleotide codes, either case: ``ACGTURYSWKMBDHVN``
  (no gaps ``-``, ``*``, ``.``, digits or spaces);
* quality characters are Phred+33, ``!`` (0) to ``~`` (93): no spaces, tabs or controls;
* header lines may hold any text but control characters (a tab is allowed);
* lines end with LF or CR LF; blank lines are allowed only before the first read and after
  the last; the last line may lack its line break;
* a read's text (header, sequence, '+' and quality lines) is at most ``READ_BYTES_MAX``
  (32 MiB, a read of about 16 Mb): a read is checked whole, so this bounds memory (about
  four times the read's text at worst). The longest real reads (ultra-long ONT) are ~4 Mb.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from analysis.sequences._errors import SequenceFormatError
from analysis.sequences.stats import ReadTally

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

NUCLEOTIDES = b"ACGTURYSWKMBDHVNacgturyswkmbdhvn"
QUALITY_CHARS = bytes(range(33, 127))
READ_BYTES_MAX = 32 << 20
_AT, _PLUS, _NL, _CR, _TAB, _DEL = 64, 43, 10, 13, 9, 127
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BLANK = b" \t\r"
# Line types on the fast path: header, sequence, plus, quality, line break.
_TYPES = np.array([0, 4, 1, 4, 2, 4, 3, 4], dtype=np.uint8)


def describe_byte(byte: int) -> str:
    """How to name a character in a message.

    >>> describe_byte(9), describe_byte(32), describe_byte(0x58), describe_byte(0)
    ('a tab', 'a space', "'X'", 'the control character 0x00')
    """
    if byte == _TAB:
        return "a tab"
    if byte == 32:
        return "a space"
    if byte == _CR:
        return "a carriage return (CR) inside the line"
    if 33 <= byte < 127:
        return repr(chr(byte))
    if byte < 32 or byte == _DEL:
        return f"the control character 0x{byte:02X}"
    return f"the non-ASCII byte 0x{byte:02X}"


def _shorten(text: bytes, limit: int = 40) -> str:
    shown = text[:limit].decode("utf-8", "replace")
    shown = "".join(c if c.isprintable() else "?" for c in shown)
    return shown + ("…" if len(text) > limit else "")


class FastqScanner:
    """Feed the decompressed text in blocks with :meth:`feed`, then call :meth:`finish`."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.tally = ReadTally()
        self._parts: list[bytes] = []  # text not yet consumed, starting at a read boundary
        self._parts_size = 0
        self._parts_newlines = 0
        self._line = 1  # line number of the first line in _parts
        self._trailing_blank: int | None = None  # first of the blank lines after a read

    @property
    def line_reached(self) -> int:
        """The line where unconsumed text starts to be incomplete (for gzip damage)."""
        return self._line + self._parts_newlines

    def feed(self, data: bytes) -> None:
        """Check and count every complete read in ``data`` (plus what was left over)."""
        if not data:
            return
        newlines = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _NL))
        self._parts.append(data)
        self._parts_size += len(data)
        self._parts_newlines += newlines
        # A read needs at least four line breaks; long reads may span many blocks.
        if self._parts_newlines < 4 or (newlines == 0 and self._parts_size > len(data)):
            self._refuse_if_too_long()  # what is kept is all one unfinished read
            return
        buf = b"".join(self._parts)
        self._keep(buf, *self._scan(buf, final=False))
        self._refuse_if_too_long()

    def _refuse_if_too_long(self) -> None:
        """The text kept (one unfinished read) may not grow beyond READ_BYTES_MAX."""
        if self._parts_size <= READ_BYTES_MAX:
            return
        start = self._parts[0][:1] if self._parts else b""
        where = "read" if start == b"@" else "text"
        raise self._error(
            self._line,
            f"the {where} starting on this line is longer than {READ_BYTES_MAX >> 20} MiB "
            "(header, sequence and qualities) without ending: reads this long are not "
            "supported (the longest real reads are a few Mb); is the file damaged? Split the "
            "read or upload the sequence as FASTA",
        )

    def finish(self) -> ReadTally:
        """Check the text left at the end of the file and return the tally of all reads."""
        buf = b"".join(self._parts)
        if buf:
            self._keep(buf, *self._scan(buf, final=True))
        if self.tally.reads == 0:
            raise SequenceFormatError(
                self.filename,
                None,
                "the file holds no reads (it is empty or blank): upload the FASTQ file itself",
            )
        return self.tally

    def _keep(self, buf: bytes, used: int, lines_used: int) -> None:
        self._line += lines_used
        rest = buf[used:]
        self._parts = [rest] if rest else []
        self._parts_size = len(rest)
        self._parts_newlines = rest.count(b"\n")

    def _error(self, line: int, problem: str) -> SequenceFormatError:
        return SequenceFormatError(self.filename, line, problem)

    # -- fast path -------------------------------------------------------------------------

    def _scan(self, buf: bytes, *, final: bool) -> tuple[int, int]:
        """Consume complete reads from ``buf``; return bytes and lines used."""
        if self._trailing_blank is None:
            used = self._fast(buf, final=final)
            if used is not None:
                return used
        return self._slow(buf, final=final)

    def _fast(self, buf: bytes, *, final: bool) -> tuple[int, int] | None:
        """Take whole 4-line reads with numpy; None when the block needs the slow path."""
        if not buf or buf[0] != _AT:
            return None
        text = buf if not final or buf.endswith(b"\n") else buf + b"\n"
        arr = np.frombuffer(text, dtype=np.uint8)
        breaks = np.flatnonzero(arr == _NL)
        n_lines = breaks.size // 4 * 4
        if n_lines == 0 or (final and n_lines != breaks.size):
            return None  # the slow path names the problem with the last read
        breaks = breaks[:n_lines]
        end = int(breaks[-1]) + 1
        starts = np.empty(n_lines, dtype=np.int64)
        starts[0] = 0
        starts[1:] = breaks[:-1] + 1
        has_cr = (breaks > starts) & (arr[np.maximum(breaks - 1, 0)] == _CR)
        lengths = breaks - starts - has_cr
        first = arr[starts]
        seq_lengths = lengths[1::4]
        if not (
            np.all(first[0::4] == _AT)
            and np.all(first[2::4] == _PLUS)
            and np.array_equal(seq_lengths, lengths[3::4])
        ):
            return None
        segments = np.empty(2 * n_lines, dtype=np.int64)
        segments[0::2] = lengths
        segments[1::2] = 1 + has_cr
        types = np.repeat(np.tile(_TYPES, n_lines // 4), segments)
        block = arr[:end]
        # Control characters: none but the line breaks (and tabs, allowed in headers only;
        # the sequence and quality checks below refuse them there).
        controls = np.count_nonzero(block < 32) - np.count_nonzero(block == _TAB)
        if controls != n_lines + int(has_cr.sum()) or np.any(block == _DEL):
            return None
        sequences = block[types == 1]
        qualities = block[types == 3]
        if qualities.size and (qualities.min() < 33 or qualities.max() > 126):
            return None
        if sequences.tobytes().translate(None, NUCLEOTIDES):
            return None
        if not self._plus_lines_repeat_titles(text, starts, lengths):
            return None
        self.tally.add(sequences, qualities, seq_lengths.astype(np.int64))
        return (len(buf) if final else end), n_lines

    @staticmethod
    def _plus_lines_repeat_titles(text: bytes, starts: I64, lengths: I64) -> bool:
        """Every '+' line is bare or repeats its header's title exactly."""
        plus_lengths = lengths[2::4]
        with_title = np.flatnonzero(plus_lengths != 1)
        if with_title.size == 0:
            return True
        header_starts, plus_starts = starts[0::4], starts[2::4]
        for i in with_title.tolist():
            h, p, n = int(header_starts[i]), int(plus_starts[i]), int(plus_lengths[i])
            if n != lengths[4 * i] or text[h + 1 : h + n] != text[p + 1 : p + n]:
                return False
        return True

    # -- slow path -------------------------------------------------------------------------

    def _slow(self, buf: bytes, *, final: bool) -> tuple[int, int]:
        """Parse ``buf`` line by line; return bytes and lines used (up to an incomplete read)."""
        lines = _Lines(buf, self._line, final=final)
        sequences: list[bytes] = []
        qualities: list[bytes] = []
        used, used_lines = 0, 0
        while True:
            header = lines.next()
            if header is None:
                break
            title, header_line = header
            if not title.strip(_BLANK):
                if self._trailing_blank is None and self.tally.reads + len(sequences) > 0:
                    self._trailing_blank = header_line
                used, used_lines = lines.pos, lines.last_line - self._line + 1
                continue
            if self._trailing_blank is not None:
                raise self._error(
                    self._trailing_blank,
                    "blank line between reads: FASTQ has no blank lines inside; remove it",
                )
            read = self._read_record(lines, title, header_line)
            if read is None:
                break
            sequences.append(read[0])
            qualities.append(read[1])
            used, used_lines = lines.pos, lines.last_line - self._line + 1
        if sequences:
            self.tally.add(
                np.frombuffer(b"".join(sequences), dtype=np.uint8),
                np.frombuffer(b"".join(qualities), dtype=np.uint8),
                np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences)),
            )
        return used, used_lines

    def _read_record(
        self, lines: _Lines, title: bytes, header_line: int
    ) -> tuple[bytes, bytes] | None:
        """One read whose header is ``title``; None if the text ends before it does."""
        if title[0] != _AT:
            hint = " (is the '+' line of the read above repeated?)" if title[0] == _PLUS else ""
            raise self._error(
                header_line,
                f"expected a read header starting with '@' but the line starts with "
                f"{describe_byte(title[0])}{hint}: '{_shorten(title)}'. Each read is "
                "'@title', the sequence, '+', the qualities",
            )
        self._check_title(title, header_line)
        if lines.at_end_of_text():
            self._truncated(lines, header_line, "after its header line")
            return None
        sequence_parts: list[bytes] = []
        while True:
            got = lines.next()
            if got is None:
                self._truncated(lines, header_line, "in its sequence, no '+' line")
                return None
            line, number = got
            if line[:1] == b"+":
                break
            if line[:1] == b"@":
                raise self._error(
                    number,
                    f"expected the '+' line after the sequence of the read on line "
                    f"{header_line}, but a new header starts here: that read lacks its "
                    "'+' and quality lines (or its header is repeated)",
                )
            self._check_sequence(line, number, after_sequence=bool(sequence_parts))
            sequence_parts.append(line)
        plus_line = number
        sequence = b"".join(sequence_parts)
        want = len(sequence)
        if lines.at_end_of_text():
            if want == 0:  # an empty read's empty quality line is indistinguishable
                lines.pos = len(lines.buf)
                return b"", b""
            self._truncated(lines, header_line, "at its '+' line")
            return None
        if len(line) > 1 and line[1:] != title[1:]:
            raise self._error(
                plus_line,
                f"the '+' line repeats a different title ('{_shorten(line[1:])}') than the "
                f"header on line {header_line} ('{_shorten(title[1:])}'): the reads are "
                "mixed up; the '+' line may be bare or repeat its own header exactly",
            )
        quality_parts: list[bytes] = []
        have = 0
        last = plus_line
        while True:
            got = lines.next()
            if got is None:
                if not lines.final:
                    return None
                if quality_parts:
                    raise self._quality_mismatch(last, have, want)
                self._truncated(lines, header_line, "after its '+' line")
                return None
            line, number = got
            if quality_parts and line[:1] == b"@" and have + len(line) > want:
                # This line starts the next read: the quality string above is too short.
                raise self._quality_mismatch(last, have, want)
            self._check_quality(line, number)
            quality_parts.append(line)
            have += len(line)
            last = number
            if have > want:
                raise self._quality_mismatch(number, have, want)
            if have == want:
                return sequence, b"".join(quality_parts)

    def _truncated(self, lines: _Lines, header_line: int, where: str) -> None:
        """At the end of the file, refuse the read that is cut off (else wait for more)."""
        if not lines.final:
            return
        raise self._error(
            lines.last_line,
            f"the file ends inside the read that starts on line {header_line} ({where}): "
            "the file is truncated; upload the complete file",
        )

    def _quality_mismatch(self, line: int, have: int, want: int) -> SequenceFormatError:
        return self._error(
            line,
            f"quality string is {have} characters but the sequence is {want} "
            "(truncated record?): each base needs exactly one quality character",
        )

    def _check_title(self, title: bytes, line: int) -> None:
        bad = _CONTROL.search(title)
        if bad:
            raise self._error(
                line,
                f"the header has {describe_byte(title[bad.start()])} at column "
                f"{bad.start() + 1}: remove it (titles are plain text)",
            )

    def _check_sequence(self, line: bytes, number: int, *, after_sequence: bool) -> None:
        if not line.translate(None, NUCLEOTIDES):
            return
        column = next(i for i, b in enumerate(line) if b not in NUCLEOTIDES)
        hint = " (is the '+' line above missing?)" if after_sequence else ""
        raise self._error(
            number,
            f"the sequence has {describe_byte(line[column])} at column {column + 1}{hint}: "
            "FASTQ sequences hold IUPAC nucleotide codes only (ACGTURYSWKMBDHVN, either "
            "case), without spaces, digits or gaps",
        )

    def _check_quality(self, line: bytes, number: int) -> None:
        if not line.translate(None, QUALITY_CHARS):
            return
        column = next(i for i, b in enumerate(line) if not 33 <= b <= 126)
        raise self._error(
            number,
            f"the quality string has {describe_byte(line[column])} at column {column + 1}: "
            "qualities are Phred+33 characters from '!' to '~', one per base, with no "
            "spaces, tabs or control characters",
        )


class _Lines:
    """Line cursor over a block of text (line breaks LF or CR LF, removed)."""

    def __init__(self, buf: bytes, first_line: int, *, final: bool) -> None:
        self.buf = buf
        self.pos = 0
        self.final = final
        self.last_line = first_line - 1

    def next(self) -> tuple[bytes, int] | None:
        """The next complete line and its number; None when the text ends before it does."""
        buf, pos = self.buf, self.pos
        if pos >= len(buf):
            return None
        end = buf.find(b"\n", pos)
        if end < 0:
            if not self.final:
                return None
            end = len(buf)
            self.pos = end
        else:
            self.pos = end + 1
        line = buf[pos:end]
        if line.endswith(b"\r"):
            line = line[:-1]
        self.last_line += 1
        return line, self.last_line

    def at_end_of_text(self) -> bool:
        """True when the file ends here (no line follows)."""
        return self.final and not self.buf[self.pos :].strip(b"\r\n")
