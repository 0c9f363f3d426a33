"""A picture's size from its header, before anything is decoded, and the largest sizes read.

A 1 MB PNG can announce 27000 x 27000 pixels: decoding it takes gigabytes, and MediaPipe then
crashes the process (its buffer size overflows). :func:`image_size` reads the width and height
from the first bytes of a PNG, JPEG, WebP or BMP file, so the image source can refuse a picture
above :data:`MAX_IMAGE_PIXELS` before decoding it (:func:`check_pixels`); the video source
checks the frame size the container announces against :data:`MAX_VIDEO_PIXELS` the same way.
"""

from __future__ import annotations

import struct
from pathlib import Path

from formcheck.errors import InputError

#: the largest picture formcheck decodes, pixels (docs/robustness.md)
MAX_IMAGE_PIXELS = 100_000_000
#: the largest video frame, pixels (8K is 33 megapixels); several frames are in memory at once
MAX_VIDEO_PIXELS = 40_000_000


def check_pixels(path: Path, width: int, height: int, limit: int, what: str) -> None:
    """Refuse a picture or video frame of more than ``limit`` pixels, in one line."""
    if width * height > limit:
        raise InputError(
            f"{path.name} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"formcheck reads {what} of up to {limit // 1_000_000} megapixels: scale it down "
            "first (a person is found as well at 4000 pixels on the long side)"
        )


_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (SOF0..SOF15 but DHT C4, JPG C8, DAC CC) carry the size
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` in pixels from a PNG, JPEG, WebP or BMP header; None when the
    format is another one or the header is damaged (the decoder then has its say)."""
    try:
        if data.startswith(_PNG) and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if data[:2] == b"BM" and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(int(w)), abs(int(h))  # a negative height: rows stored top-down
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        if marker == 0xDA:  # start of scan before any frame header
            return None
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":  # extended: 24-bit width-1 and height-1
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L":  # lossless: 14-bit width-1, height-1 after the signature byte
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":  # lossy: 14-bit width and height after the start code
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    return None
