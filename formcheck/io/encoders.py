"""Encoders behind :class:`formcheck.io.sinks.VideoSink`: what an annotated copy is written as.

- :class:`H264Writer`: H.264 (yuv420p) in MP4 through PyAV (the ``av`` wheels bundle FFmpeg
  with libx264), which browsers and phones play; ``+faststart`` puts the index first so a page
  can start playing before the whole file is read.
- :class:`Mp4vWriter`: OpenCV's MPEG-4 Part 2 (``mp4v``), the fallback when PyAV or an H.264
  encoder is missing; most browsers do not play it, and :func:`open_writer` says so in a note.
- :class:`LastFrameWriter`: an image path (``.jpg``, ``.png``, ...) gets one annotated picture,
  the last frame written (a photo's only frame), instead of a video with an image's name.

Every writer has ``write(image_bgr)`` and ``release()``; frames are BGR ``uint8`` (H, W, 3) of
the size given. :func:`open_writer` picks one by the path's suffix and what is installed.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from formcheck.errors import OutputError

log = logging.getLogger(__name__)

#: suffixes that make ``--annotate`` write a picture instead of a video
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})

#: H.264 encoders to try, in order (FFmpeg names): x264, then whatever "h264" maps to, then
#: Cisco's OpenH264 where FFmpeg was built with it
H264_ENCODERS = ("libx264", "h264", "libopenh264")

MP4V_NOTE = (
    "the annotated video is MPEG-4 Part 2 (mp4v), which most browsers do not play: "
    "no H.264 encoder was found ({why}); VLC or ffplay play it"
)


class FrameWriter(Protocol):
    codec: str

    def write(self, image: NDArray[np.uint8]) -> None: ...

    def release(self) -> None: ...


def is_image_path(path: str | Path) -> bool:
    """Whether ``path`` names a picture (by its suffix), not a video."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def frame_rate(fps: float) -> Fraction:
    """``fps`` as a fraction an encoder accepts: 29.97 -> 30000/1001 (never rounded to 29)."""
    if not fps or fps <= 0 or fps != fps:
        return Fraction(30)
    return Fraction(fps).limit_denominator(1001)


class H264Writer:
    """H.264 in MP4 through PyAV; raises :class:`OutputError` when no H.264 encoder is found."""

    def __init__(self, path: str, fps: float, size: tuple[int, int], *, crf: int = 23) -> None:
        try:
            import av
        except ImportError as err:
            raise OutputError(f"PyAV is not installed ({err})") from err
        codec = next((name for name in H264_ENCODERS if _has_encoder(av, name)), None)
        if codec is None:
            raise OutputError(f"PyAV {av.__version__} has none of {', '.join(H264_ENCODERS)}")
        w, h = size
        # yuv420p needs even sides: the last column / row is dropped from an odd size
        self._even = (max(2, w - w % 2), max(2, h - h % 2))
        fmt = None if Path(path).suffix.lower() in (".mp4", ".mov", ".m4v", ".mkv") else "mp4"
        options = {"movflags": "+faststart"} if Path(path).suffix.lower() != ".mkv" else {}
        self._container: Any = av.open(path, mode="w", format=fmt, options=options)
        try:
            stream: Any = self._container.add_stream(codec, rate=frame_rate(fps))
            stream.width, stream.height = self._even
            stream.pix_fmt = "yuv420p"
            if codec in ("libx264", "h264"):
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            self._stream = stream
        except Exception:
            self._container.close()
            raise
        self._av = av
        self._pts = 0
        self.codec = str(getattr(stream.codec_context, "name", codec))

    def write(self, image: NDArray[np.uint8]) -> None:
        ew, eh = self._even
        frame = self._av.VideoFrame.from_ndarray(
            np.ascontiguousarray(image[:eh, :ew]), format="bgr24"
        )
        frame = frame.reformat(format="yuv420p")
        frame.pts = self._pts
        self._pts += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def release(self) -> None:
        container, self._container = self._container, None
        if container is None:
            return
        try:
            for packet in self._stream.encode(None):  # flush the encoder's delayed frames
                container.mux(packet)
        finally:
            container.close()


def _has_encoder(av: Any, name: str) -> bool:
    try:
        av.Codec(name, "w")
    except Exception:  # av.codec.codec.UnknownCodecError and friends
        return False
    return True


class Mp4vWriter:
    """MPEG-4 Part 2 through OpenCV (``mp4v``): the fallback when H.264 cannot be written."""

    codec = "mp4v"

    def __init__(self, path: str, fps: float, size: tuple[int, int]) -> None:
        import cv2

        self._w = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"mp4v"), float(fps), size)
        if not self._w.isOpened():
            raise OutputError("the mp4v encoder of OpenCV is unavailable")

    def write(self, image: NDArray[np.uint8]) -> None:
        self._w.write(image)

    def release(self) -> None:
        self._w.release()


class LastFrameWriter:
    """Keeps the last frame written and saves it as a picture (by ``path``'s suffix) on release."""

    codec = "image"

    def __init__(self, path: str) -> None:
        self.path = path
        self._last: NDArray[np.uint8] | None = None

    def write(self, image: NDArray[np.uint8]) -> None:
        self._last = image.copy()

    def release(self) -> None:
        image, self._last = self._last, None
        if image is None:
            return
        import cv2

        ext = Path(self.path).suffix.lower()
        params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if ext == ".png" else []
        if ext in (".jpg", ".jpeg"):
            params = [cv2.IMWRITE_JPEG_QUALITY, 92]
        ok, buf = cv2.imencode(ext, image, params)
        if not ok:
            raise OutputError(f"cannot encode the annotated picture as {ext}")
        Path(self.path).write_bytes(buf.tobytes())


def open_writer(
    path: str, fps: float, size: tuple[int, int], *, prefer: str = "h264"
) -> tuple[FrameWriter, str | None]:
    """The writer for ``path`` and a note for the report when it is not what was asked.

    An image suffix gets :class:`LastFrameWriter`; otherwise H.264 through PyAV, falling back
    to OpenCV's mp4v with a note that browsers will not play it (``prefer="mp4v"`` skips H.264).
    """
    if is_image_path(path):
        return LastFrameWriter(path), None
    if prefer == "h264":
        try:
            return H264Writer(path, fps, size), None
        except Exception as err:  # no PyAV, no encoder, an FFmpeg error: fall back, say so
            log.debug("H.264 through PyAV unavailable", exc_info=True)
            why = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            return Mp4vWriter(path, fps, size), MP4V_NOTE.format(why=why)
    return Mp4vWriter(path, fps, size), None
