"""Uploaded files as text: the checks every phylogenetics reader makes first."""

from __future__ import annotations

from .errors import PhyloInputError


def decode_upload(data: bytes, where: str, how: str) -> str:
    """``data`` as text, or :class:`PhyloInputError` for an empty, binary (compressed) or
    non-UTF-8 file; ``how`` says what to upload instead.

    >>> decode_upload(b"3\\n", "m.phy", "upload a matrix")
    '3\\n'
    >>> try:
    ...     decode_upload(b"\\x1f\\x8b\\x08", "m.phy", "upload a matrix")
    ... except PhyloInputError as exc:
    ...     print(exc)
    m.phy: is binary data (compressed?), not text; upload a matrix, uncompressed
    """
    if not data.strip():
        raise PhyloInputError(where, f"is empty; {how}")
    if data[:2] == b"\x1f\x8b" or b"\x00" in data[:65536]:
        raise PhyloInputError(where, f"is binary data (compressed?), not text; {how}, uncompressed")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PhyloInputError(
            f"{where}, line {line}", f"is not UTF-8 text (byte {exc.start + 1}); {how}"
        ) from None
