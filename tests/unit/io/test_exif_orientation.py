"""Issue 16: a photo's EXIF orientation turns it upright, grayscale JPEGs included.

Phones store a portrait photo as landscape pixels with an EXIF ``Orientation`` tag. The photo
is built here: a JPEG written by OpenCV, with an APP1 (Exif) segment holding only that tag
written by hand (``docs/robustness.md``).
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.io.sources import ImageSource

#: EXIF orientation -> the np.rot90 turns that make the stored pixels upright
TURNS = {1: 0, 3: 2, 6: -1, 8: 1}


def _exif_app1(orientation: int) -> bytes:
    """An APP1 segment: "Exif", a big-endian TIFF header, one IFD with the Orientation tag."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)  # SHORT, count 1, padded
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\0\0\0\0"
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_orientation(path: Path, image: np.ndarray, orientation: int) -> Path:
    """Write ``image`` (gray or BGR) as a JPEG carrying EXIF ``orientation`` (after JFIF)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    data = buf.tobytes()
    at = 2
    if data[2:4] == b"\xff\xe0":  # keep the JFIF segment first
        at = 4 + struct.unpack(">H", data[4:6])[0]
    path.write_bytes(data[:at] + _exif_app1(orientation) + data[at:])
    return path


def _stored() -> np.ndarray:
    """60 x 30 (w x h) gray pixels: a white band on the left third, the rest a ramp."""
    img = np.tile(np.linspace(0, 120, 60, dtype=np.uint8), (30, 1))
    img[:, :20] = 255
    return img


@pytest.mark.parametrize("colour", ["gray", "bgr"])
@pytest.mark.parametrize("orientation", sorted(TURNS))
def test_exif_orientation_turns_the_photo_upright(
    orientation: int, colour: str, tmp_path: Path
) -> None:
    stored = _stored()
    image = stored if colour == "gray" else cv2.cvtColor(stored, cv2.COLOR_GRAY2BGR)
    path = jpeg_with_orientation(tmp_path / f"{colour}{orientation}.jpg", image, orientation)
    got = ImageSource(path).image
    upright = np.rot90(stored, TURNS[orientation])
    assert got.shape == (*upright.shape, 3), (got.shape, upright.shape)
    diff = np.abs(cv2.cvtColor(got, cv2.COLOR_BGR2GRAY).astype(int) - upright.astype(int))
    assert diff.mean() < 6, diff.mean()
