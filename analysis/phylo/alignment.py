"""Nucleotide multiple-sequence alignments: read FASTA, PHYLIP, Clustal and Nexus files (with
Biopython's parsers) into one checked type, or build it from sequences already in hand.

An :class:`Alignment` keeps its sequences as one ``uint8`` matrix of upper-case ASCII codes so
the distance code can work on whole columns at once. Every character is checked on the way in:
IUPAC nucleotide codes (``ACGTURYSWKMBDHVN``, either case), gaps (``-``, ``.``, ``~``) and the
missing-data mark ``?``. ``U`` is stored as ``T``, ``.`` and ``~`` as ``-``, ``?`` as ``N``.
Protein alignments are refused: the distance models here (p, JC69, K2P) are nucleotide models.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import numpy.typing as npt
from Bio import AlignIO, BiopythonWarning, SeqIO

from ._text import decode_upload
from .errors import PhyloInputError
from .matrix import check_labels

ALIGNMENT_FORMATS = ("fasta", "phylip", "clustal", "nexus")
MIN_SEQUENCES = 2

_EXTENSIONS = {
    **dict.fromkeys(
        ("fa", "fas", "fasta", "fna", "ffn", "afa", "afasta", "mfa", "mfasta"), "fasta"
    ),
    **dict.fromkeys(("phy", "phylip", "ph", "phyl"), "phylip"),
    **dict.fromkeys(("aln", "clustal", "clw", "clustalw"), "clustal"),
    **dict.fromkeys(("nex", "nexus", "nxs"), "nexus"),
}
_PHYLIP_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)")
_NAMED_LINE = re.compile(r"\s*(?:'([^']*)'|(\S+))\s*(.*)")
_HOW = "upload an aligned FASTA, PHYLIP, Clustal or Nexus text file"

# Byte -> stored code (0 = not allowed). One lookup checks and normalises a whole matrix.
_CANONICAL = np.zeros(256, dtype=np.uint8)
for _c in "ACGTRYSWKMBDHVN":
    _CANONICAL[ord(_c)] = _CANONICAL[ord(_c.lower())] = ord(_c)
_CANONICAL[ord("U")] = _CANONICAL[ord("u")] = ord("T")
for _c in "-.~":
    _CANONICAL[ord(_c)] = ord("-")
_CANONICAL[ord("?")] = ord("N")
# Letters that are amino acids but not nucleotide codes: their presence means protein.
_PROTEIN_ONLY = frozenset(b"EFILPQJOZXefilpqjozx*")


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields, not objects
class Alignment:
    """Aligned nucleotide sequences: ``codes[i]`` is sequence ``labels[i]`` as upper-case
    ASCII (``uint8``, shape ``(n, columns)``)."""

    labels: tuple[str, ...]
    codes: npt.NDArray[np.uint8]

    @property
    def columns(self) -> int:
        """Alignment length in columns."""
        return int(self.codes.shape[1])

    def __len__(self) -> int:
        return len(self.labels)


def alignment_from_records(
    labels: Sequence[str], seqs: Sequence[bytes | str], where: str
) -> Alignment:
    """Check aligned sequences (equal lengths, nucleotide characters, unique labels) and
    return them as an :class:`Alignment`; ``where`` names their source in errors.

    >>> al = alignment_from_records(["a", "b"], ["ACGU-", b"acg.N"], "datasets")
    >>> al.codes.tobytes()
    b'ACGT-ACG-N'
    >>> try:
    ...     alignment_from_records(["a", "b"], ["ACGT", "ACG"], "datasets")
    ... except PhyloInputError as exc:
    ...     print(exc.problem[:47])
    sequence 'b' is 3 columns, the first ('a') is 4
    """
    names = check_labels(labels, where)
    if len(names) != len(seqs):
        raise PhyloInputError(where, f"{len(names)} labels for {len(seqs)} sequences")
    if len(names) < MIN_SEQUENCES:
        raise PhyloInputError(
            where, f"holds {len(names)} sequence; a tree needs at least {MIN_SEQUENCES}"
        )
    raw = [s.encode("ascii", "replace") if isinstance(s, str) else bytes(s) for s in seqs]
    width = len(raw[0])
    for name, seq in zip(names, raw, strict=True):
        if len(seq) != width:
            raise PhyloInputError(
                where,
                f"sequence {name!r} is {len(seq)} columns, the first ({names[0]!r}) is {width}:"
                " the sequences are not aligned; align them first",
            )
    if width == 0:
        raise PhyloInputError(where, "the sequences are empty (0 columns)")
    matrix = np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(raw), width)
    codes = _CANONICAL[matrix]
    bad = codes == 0
    if bad.any():
        _refuse_characters(names, matrix, bad, where)
    codes.setflags(write=False)
    return Alignment(names, codes)


def _refuse_characters(
    names: tuple[str, ...], matrix: npt.NDArray[np.uint8], bad: npt.NDArray[np.bool_], where: str
) -> None:
    """Raise for the first character that is no nucleotide code or gap (or for protein)."""
    offending = np.unique(matrix[bad])
    letters = np.isin(matrix, np.frombuffer(b"ACGTUNacgtun", dtype=np.uint8)).sum()
    residues = np.char.isalpha(matrix.view("S1")).sum()
    if set(offending.tolist()) & _PROTEIN_ONLY and letters < 0.75 * residues:
        found = "".join(sorted({chr(c).upper() for c in offending.tolist() if chr(c).isalpha()}))
        raise PhyloInputError(
            where,
            f"looks like a protein alignment (amino-acid letters {found}); the distance models "
            "here (p, JC69, K2P) are for nucleotides: upload a DNA/RNA alignment",
        )
    i, j = (int(v) for v in np.argwhere(bad)[0])
    char = chr(matrix[i, j])
    raise PhyloInputError(
        f"{where}, sequence {names[i]!r}, column {j + 1}",
        f"{char!r} is not an IUPAC nucleotide code or gap (allowed: ACGTU, RYSWKMBDHVN, - . ~ ?)",
    )


def detect_format(data: bytes, filename: str) -> str:
    """The alignment format of a file: from its extension when known, else from its content.

    >>> detect_format(b"2 4\\na ACGT\\nb ACGA\\n", "upload.txt")
    'phylip'
    >>> detect_format(b">a\\nACGT\\n", "aln.fas")
    'fasta'
    """
    suffix = PurePosixPath(filename.lower()).suffix.lstrip(".")
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    head = data.lstrip()[:200]
    if head.startswith(b">"):
        return "fasta"
    if head.upper().startswith(b"#NEXUS"):
        return "nexus"
    if head.upper().startswith((b"CLUSTAL", b"MUSCLE", b"PROBCONS")):
        return "clustal"
    if _PHYLIP_HEADER.match(head):
        return "phylip"
    raise PhyloInputError(
        filename,
        f"is not a recognised alignment (no FASTA, PHYLIP, Clustal or Nexus header); {_HOW}",
    )


def read_alignment(data: bytes, filename: str, fmt: str | None = None) -> Alignment:
    """Read a nucleotide alignment file (plain text, not compressed).

    ``fmt`` is one of :data:`ALIGNMENT_FORMATS`; by default the extension decides, then the
    content. PHYLIP is tried relaxed (names end at whitespace), then strict (10-character
    names), then sequential.

    >>> al = read_alignment(b"2 4\\nseq_one ACGT\\nseq_two ACGA\\n", "x.phy")
    >>> al.labels, al.codes.shape
    (('seq_one', 'seq_two'), (2, 4))
    """
    where = filename or "alignment"
    text = decode_upload(data, where, _HOW)
    if fmt is None:
        fmt = detect_format(data, where)
    elif fmt not in ALIGNMENT_FORMATS:
        raise PhyloInputError(where, f"unknown format {fmt!r}; use one of {ALIGNMENT_FORMATS}")
    if fmt == "fasta":
        labels, seqs = _read_fasta(text, where)
    elif fmt == "phylip":
        labels, seqs = _read_phylip(text, where)
    else:
        labels, seqs = _read_with_alignio(text, fmt, where)
    return alignment_from_records(labels, seqs, where)


Records = tuple[list[str], list[bytes]]


def _records(alignments: list[Records], fmt: str, where: str) -> Records:
    """Labels and sequences of the only alignment in a parsed file."""
    if not alignments or not alignments[0][0]:
        raise PhyloInputError(where, f"holds no sequences as {fmt} (is the file complete?); {_HOW}")
    if len(alignments) > 1:
        raise PhyloInputError(where, f"holds {len(alignments)} alignments; upload one")
    return alignments[0]


def _read_fasta(text: str, where: str) -> Records:
    # SeqIO rather than AlignIO: AlignIO's FASTA refuses unequal lengths without saying which
    # sequence; alignment_from_records names it.
    if not text.lstrip().startswith(">"):
        raise PhyloInputError(f"{where}, line 1", f"a FASTA file starts with '>'; {_HOW}")
    records = list(SeqIO.parse(io.StringIO(text), "fasta"))  # type: ignore[no-untyped-call]
    for r in records:
        if not r.id:
            raise PhyloInputError(where, "a FASTA header ('>') has no name")
    return [str(r.id) for r in records], [bytes(r.seq) for r in records]


def _read_phylip(text: str, where: str) -> Records:
    header = _PHYLIP_HEADER.match(text.encode())
    if header is None:
        raise PhyloInputError(
            f"{where}, line 1",
            "a PHYLIP file starts with the number of sequences and of columns, e.g. '5 1200'",
        )
    count, width = int(header.group(1)), int(header.group(2))
    first_error: Exception | None = None
    for variant in ("phylip-relaxed", "phylip", "phylip-sequential"):
        try:
            labels, seqs = _records(_alignio(text, variant), "PHYLIP", where)
        except PhyloInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - Biopython raises many types; we explain below
            first_error = first_error or exc
            continue
        if len(seqs) == count and all(len(s) == width for s in seqs):
            return labels, seqs
        first_error = first_error or ValueError("lengths disagree with the header")
    _explain_phylip(text, count, width, where)
    raise PhyloInputError(
        where, f"could not be read as PHYLIP ({_describe(first_error)}); {_HOW}"
    ) from None


def _explain_phylip(text: str, count: int, width: int, where: str) -> None:
    """Name the truncated or short sequence of a PHYLIP file Biopython refused.

    Reads the file as relaxed interleaved PHYLIP (the first block holds names, later blocks
    continue the sequences in order), which also covers one-line-per-sequence files.
    """
    lines = [ln for ln in text.splitlines()[1:] if ln.strip()]
    if len(lines) < count:
        raise PhyloInputError(
            where,
            f"is truncated: the header says {count} sequences, the file holds {len(lines)} "
            "sequence lines",
        )
    names = [ln.split(None, 1)[0] for ln in lines[:count]]
    body = ["".join(ln.split()[1:]) for ln in lines[:count]]
    for k, ln in enumerate(lines[count:]):
        body[k % count] += "".join(ln.split())
    for name, seq in zip(names, body, strict=True):
        if len(seq) != width:
            raise PhyloInputError(
                where,
                f"sequence {name!r} is {len(seq)} columns, the header says {width}: the file is "
                "truncated or not aligned",
            )


def _read_with_alignio(text: str, fmt: str, where: str) -> Records:
    try:
        return _records(_alignio(text, fmt), fmt.capitalize(), where)
    except PhyloInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - Biopython raises many types; we explain below
        _explain_named_lines(text, fmt, where)
        raise PhyloInputError(
            where, f"could not be read as {fmt.capitalize()} ({_describe(exc)}); {_HOW}"
        ) from None


def _explain_named_lines(text: str, fmt: str, where: str) -> None:
    """Name the short sequence of a Clustal or Nexus file Biopython refused (its parsers
    assert or stop without naming it): sum each name's sequence lines, interleaved or not."""
    lines = text.splitlines()[1:]
    if fmt == "nexus":
        start = next((i for i, ln in enumerate(lines) if ln.strip().lower() == "matrix"), None)
        if start is None:
            return
        lines = lines[start + 1 :]
        end = next((i for i, ln in enumerate(lines) if ln.strip().startswith(";")), len(lines))
        lines = lines[:end]
    seqs: dict[str, int] = {}
    for ln in lines:
        if not ln.strip() or (fmt == "clustal" and ln[0].isspace()):
            continue  # blank lines and Clustal's (indented) conservation line
        match = _NAMED_LINE.match(ln)
        if match:
            name = match.group(1) if match.group(1) is not None else match.group(2)
            residues = re.sub(r"\s|\d+\s*$", "", match.group(3))
            seqs[name] = seqs.get(name, 0) + len(residues)
    if not seqs:
        return
    first, width = next(iter(seqs.items()))
    for name, length in seqs.items():
        if length != width:
            raise PhyloInputError(
                where,
                f"sequence {name!r} is {length} columns, the first ({first!r}) is "
                f"{width}: the file is truncated or not aligned",
            )


def _alignio(text: str, fmt: str) -> list[Records]:
    """Every alignment Biopython finds in ``text``, as labels and sequence bytes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BiopythonWarning)
        parsed = list(AlignIO.parse(io.StringIO(text), fmt))  # type: ignore[no-untyped-call]
    return [([str(r.id) for r in al], [bytes(r.seq) for r in al]) for al in parsed]


def _describe(exc: BaseException | None) -> str:
    message = str(exc).strip() if exc is not None else ""
    return message[:200] if message else type(exc).__name__
