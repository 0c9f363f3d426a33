"""Issue 16: the annotated video is written atomically (a temporary file beside it, renamed
once complete), so a failure never leaves half a video, nor destroys the previous one."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.io.sinks import VideoSink

SIZE = (160, 120)


def _frame(i: int) -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), (i * 20) % 256, np.uint8)


def _draw(i: int) -> np.ndarray:
    if i == 5:
        raise OSError(28, "No space left on device")
    return _frame(i)


def test_a_failed_video_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "annotated.mp4"
    sink = VideoSink(str(target), 30.0, SIZE)
    with pytest.raises(OSError, match="No space"):
        for i in range(10):
            sink.submit(_draw, i)
        sink.close()
    assert not target.exists(), "half a video was left at the target"
    assert list(tmp_path.iterdir()) == [], "no temporary file is left either"


def test_a_failed_video_keeps_the_previous_one(tmp_path: Path) -> None:
    target = tmp_path / "annotated.mp4"
    target.write_bytes(b"the previous video")
    sink = VideoSink(str(target), 30.0, SIZE)
    for i in range(3):
        sink.write(_frame(i))
    sink.discard()  # e.g. the model could not be loaded
    assert target.read_bytes() == b"the previous video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4"]


def test_a_finished_video_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "annotated.mp4"
    target.write_bytes(b"the previous video")
    with VideoSink(str(target), 30.0, SIZE) as sink:
        for i in range(12):
            sink.submit(lambda j: _frame(j), i)
        assert target.read_bytes() == b"the previous video", "nothing replaces it before close"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4"]
    cap = cv2.VideoCapture(str(target))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    assert n == 12
