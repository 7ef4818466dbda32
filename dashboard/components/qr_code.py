"""QR codes drawn here, as SVG in a data: URI (no outside service; the CSP allows data: images)."""

from __future__ import annotations

import segno

# Black on white whatever the theme (scanners want the contrast), with the four-module
# quiet zone the standard asks for.
DARK, LIGHT = "#000000", "#ffffff"
QUIET_ZONE = 4


def qr_data_uri(text: str, *, module_px: int = 4) -> str:
    """An ``<img src>`` showing ``text`` as a QR code (error correction M).

    >>> qr_data_uri("otpauth://totp/x?secret=AB").startswith("data:image/svg+xml")
    True
    """
    code = segno.make(text, error="m", micro=False)
    uri: str = code.svg_data_uri(
        scale=module_px, border=QUIET_ZONE, dark=DARK, light=LIGHT, title="QR code"
    )
    return uri


def qr_size_px(text: str, *, module_px: int = 4) -> int:
    """Width (= height) in pixels of :func:`qr_data_uri`'s image, quiet zone included."""
    width, _height = segno.make(text, error="m", micro=False).symbol_size(
        scale=module_px, border=QUIET_ZONE
    )
    return int(width)
