"""What ``--annotate`` writes: H.264 in MP4 (PyAV), mp4v only as a fallback that says so, and a
picture for a picture path (issue 17)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.errors import OutputError
from formcheck.io import encoders
from formcheck.io.sinks import VideoSink


def _frames(n: int, size=(160, 120)):
    for i in range(n):
        img = np.full((size[1], size[0], 3), 30, np.uint8)
        img[:, (i * 3) % size[0]] = 255
        yield img


def _fourcc(path: Path) -> str:
    cap = cv2.VideoCapture(str(path))
    try:
        code = int(cap.get(cv2.CAP_PROP_FOURCC))
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()
    return code.to_bytes(4, "little").decode("ascii", "replace").lower() + f":{frames}"


def test_video_is_h264_in_mp4(tmp_path):
    out = tmp_path / "a.mp4"
    with VideoSink(str(out), 29.97, (160, 120)) as sink:
        for img in _frames(30):
            sink.write(img)
    assert sink.codec in encoders.H264_ENCODERS
    assert sink.note is None
    assert out.read_bytes()[4:8] == b"ftyp"
    fourcc, frames = _fourcc(out).split(":")
    assert fourcc in ("h264", "avc1")
    assert int(frames) == 30
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_odd_sizes_are_encoded(tmp_path):
    out = tmp_path / "odd.mp4"
    with VideoSink(str(out), 25.0, (161, 121)) as sink:
        for img in _frames(5, (161, 121)):
            sink.write(img)
    assert _fourcc(out).endswith(":5")


def test_frame_rate_is_not_rounded():
    assert encoders.frame_rate(29.97) == Fraction(2997, 100)
    assert encoders.frame_rate(30000 / 1001) == Fraction(30000, 1001)
    assert encoders.frame_rate(0) == 30


def test_mp4v_fallback_says_so(tmp_path, monkeypatch):
    def no_h264(*a, **k):
        raise OutputError("PyAV is not installed (test)")

    monkeypatch.setattr(encoders, "H264Writer", no_h264)
    out = tmp_path / "b.mp4"
    with VideoSink(str(out), 30.0, (160, 120)) as sink:
        for img in _frames(10):
            sink.write(img)
    assert sink.codec == "mp4v"
    assert sink.note and "mp4v" in sink.note and "browsers" in sink.note
    assert "PyAV is not installed" in sink.note
    assert _fourcc(out).split(":")[0] in ("mp4v", "fmp4")


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".JPEG"])
def test_picture_path_gets_the_last_frame_as_a_picture(tmp_path, suffix):
    out = tmp_path / f"shot{suffix}"
    frames = list(_frames(4))
    with VideoSink(str(out), 30.0, (160, 120)) as sink:
        for img in frames:
            sink.write(img)
    assert sink.codec == "image"
    data = out.read_bytes()
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert data[:3] == b"\xff\xd8\xff"  # JPEG, not an MPEG-4 file with a .jpg name
    img = cv2.imread(str(out))
    assert img.shape == (120, 160, 3)
    col = (3 * 3) % 160  # the last frame's bright column
    assert img[:, col].mean() > 200


def test_discard_leaves_nothing(tmp_path):
    out = tmp_path / "c.mp4"
    sink = VideoSink(str(out), 30.0, (160, 120))
    for img in _frames(3):
        sink.write(img)
    sink.discard()
    assert list(tmp_path.iterdir()) == []


def test_pipeline_notes_the_mp4v_fallback():
    from formcheck.pipeline import _close_sink

    class Sink:
        note = "the annotated video is MPEG-4 Part 2 (mp4v) ..."

        def close(self):
            pass

    notes: list[str] = []
    assert _close_sink(Sink(), notes) is True
    assert notes == [Sink.note]
