"""The report's pictures when the main process does not decode the video (docs/streams.md).

With several streams and no annotated video, the main process gets each frame's index, time
and pose from the streams, never the picture. The report still keeps a few pictures (a
thumbnail where each warning started, the best hold's key frame): during the analysis
:class:`DeferredPictures` stands in for :func:`formcheck.io.sinks.jpeg_data_url` and hands out
placeholders; after it, :meth:`DeferredPictures.fill` reads the frames that the report kept
(:func:`read_frames`: a seek to each, its time checked) and puts the JPEGs in their place.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcheck.io.sinks import jpeg_data_url
from formcheck.io.sources import VideoSource

log = logging.getLogger(__name__)

#: a placeholder's prefix (never a data URL)
TOKEN = "formcheck-picture:"


@dataclass(frozen=True)
class FrameRef:
    """A frame the main process did not decode: its index and time, to read it later."""

    index: int
    t_s: float


class DeferredPictures:
    """``jpeg_data_url(image, width)`` for frames known by their :class:`FrameRef` only.

    Called during the analysis it returns a placeholder; :meth:`fill` then replaces the
    placeholders left in the report (the thumbnails and key frames; snapshots the report did
    not keep are never read).
    """

    def __init__(self) -> None:
        self._wanted: dict[str, tuple[FrameRef, int]] = {}

    def __call__(self, image: FrameRef, width: int = 240) -> str:
        token = f"{TOKEN}{image.index}:{width}"
        self._wanted[token] = (image, width)
        return token

    def fill(self, report: dict[str, Any], path: str | Path) -> int:
        """Read the report's pictures from the video at ``path``; how many frames were read."""
        slots = [
            (section, key)
            for section in ("thumbnails", "key_frames")
            for key, value in report.get(section, {}).items()
            if isinstance(value, str) and value in self._wanted
        ]
        refs = {self._wanted[report[s][k]][0] for s, k in slots}
        try:
            images = read_frames(path, refs) if refs else {}
        except Exception as err:  # the report stands without its pictures
            log.warning("the report's pictures could not be read from %s: %s", path, err)
            images = {}
        for s, k in slots:
            ref, width = self._wanted[report[s][k]]
            image = images.get(ref.index)
            report[s][k] = "" if image is None else jpeg_data_url(image, width)
        return len(images)


def read_frames(path: str | Path, refs: set[FrameRef]) -> dict[int, NDArray[np.uint8]]:
    """The pictures of ``refs`` (index -> BGR), as :class:`VideoSource` decodes them.

    Each is reached by a seek (OpenCV decodes from the keyframe before it) and kept only when
    the frame found there has the time the streams gave it; frames that are not (variable
    frame rates, repaired timestamps, a container without an index) are read by decoding the
    video from its start.
    """
    src = VideoSource(path)
    try:
        images = _seek(src, refs)
        missing = {r.index for r in refs} - set(images)
        if missing:
            log.debug("%d report picture(s) not found by seeking: decoding", len(missing))
            last = max(missing)
            for frame in src:  # the first frame, still unread, comes first
                if frame.index in missing:
                    images[frame.index] = frame.image
                if frame.index >= last:
                    break
        return images
    finally:
        src.close()


def _seek(src: VideoSource, refs: set[FrameRef]) -> dict[int, NDArray[np.uint8]]:
    """Frames found by seeking a second capture of ``src``'s file, their times checked."""
    import cv2

    from formcheck.io.sources import _to_bgr

    cap = cv2.VideoCapture(str(src.path), cv2.CAP_FFMPEG)
    out: dict[int, NDArray[np.uint8]] = {}
    try:
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        ok, _ = cap.read()
        first_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
        if not ok or not math.isfinite(first_ms):
            return out
        for ref in sorted(refs, key=lambda r: r.index):
            try:
                cap.set(cv2.CAP_PROP_POS_FRAMES, ref.index)
                ok, image = cap.read()
            except cv2.error:
                ok, image = False, None
            t_s = (float(cap.get(cv2.CAP_PROP_POS_MSEC)) - first_ms) / 1000.0
            if ok and image is not None and image.size and abs(t_s - ref.t_s) < 1e-6:
                out[ref.index] = _to_bgr(image)
    finally:
        cap.release()
    return out
