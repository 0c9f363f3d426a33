"""Frame sources: video files, still images and webcams, each yielding :class:`Frame`.

Timestamps come from the stream (the container's presentation times), not from counting
frames, so 29.97 fps stays 29.97 and variable-frame-rate phone videos keep their real timing.
Rotation metadata is honoured (OpenCV's FFmpeg backend applies it when
``CAP_PROP_ORIENTATION_AUTO`` is on, which formcheck sets explicitly). Every failure to open or
read an input raises :class:`formcheck.errors.InputError` with one clear line.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcheck.errors import InputError
from formcheck.io.imagesize import MAX_IMAGE_PIXELS, MAX_VIDEO_PIXELS, check_pixels, image_size
from formcheck.io.mp4 import mp4_cut_short

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".y4m"}
)


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        0-based position in the source.
    t_s : float
        Presentation time in seconds from the start of the source (strictly increasing).
    image : ndarray, shape (H, W, 3), uint8
        The picture in BGR order (OpenCV's), already rotated upright.
    """

    index: int
    t_s: float
    image: NDArray[np.uint8]


@dataclass
class SourceInfo:
    """What is known about a source before and while it is read."""

    path: str
    kind: str  # "video" | "image" | "camera"
    width: int
    height: int
    fps: float | None
    frames: int | None  # container's frame count (may be an estimate) for videos
    duration_s: float | None
    rotation_deg: int = 0
    notes: list[str] = field(default_factory=list)

    def as_report(self) -> dict[str, Any]:
        """Return the report's ``source`` section (sizes in pixels, ``duration_s`` in seconds)."""
        return {
            "path": self.path,
            "kind": self.kind,
            "fps": self.fps,
            "frames": self.frames,
            "duration_s": self.duration_s,
            "width": self.width,
            "height": self.height,
        }


_QUIETED = False


def _cv2() -> Any:
    """OpenCV, with its own and FFmpeg's console messages turned down (once).

    FFmpeg prints lines such as ``moov atom not found`` or ``overread 8`` straight to stderr
    while probing damaged files; formcheck reports those files in one line of its own, so the
    native messages are silenced unless ``OPENCV_FFMPEG_LOGLEVEL`` / ``OPENCV_LOG_LEVEL`` are set.
    """
    global _QUIETED
    import cv2

    if not _QUIETED:
        _QUIETED = True
        # read by OpenCV when it first opens a file with FFmpeg; -8 = AV_LOG_QUIET
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        if "OPENCV_LOG_LEVEL" not in os.environ:
            with contextlib.suppress(AttributeError):  # very old OpenCV
                cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_FATAL)
    return cv2


def _to_bgr(image: NDArray[Any]) -> NDArray[np.uint8]:
    """Grayscale / BGRA / 16-bit pictures to 8-bit BGR."""
    cv2 = _cv2()
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(float(np.iinfo(image.dtype).max), 1.0))
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image


def _finite(x: Any) -> float:
    """A property OpenCV returned, as a finite float (0.0 for None, NaN or inf)."""
    try:
        f = float(x or 0.0)
    except (TypeError, ValueError):
        return 0.0
    return f if math.isfinite(f) else 0.0


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if path.is_dir():
        raise InputError(f"input is a folder, expected a video or image file: {path}")
    if not os.access(path, os.R_OK):
        raise InputError(f"input is not readable (permission denied): {path}")
    if path.stat().st_size == 0:
        raise InputError(f"input is an empty file (0 bytes): {path}")


def is_image_path(path: str | Path) -> bool:
    """Return whether ``path`` has a still-image suffix (:data:`IMAGE_SUFFIXES`)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


class ImageSource:
    """A still photo as a one-frame source (``t_s = 0``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        _check_file(self.path)
        cv2 = _cv2()
        from formcheck.io.native_logs import quiet_native_stderr

        data = np.fromfile(str(self.path), dtype=np.uint8)
        size = image_size(data.tobytes())
        if size is not None:  # before decoding: the header may announce gigabytes
            check_pixels(self.path, *size, MAX_IMAGE_PIXELS, "pictures")
        # libjpeg / libpng print "Corrupt JPEG data: ..." straight to stderr: keep it out of
        # the user's terminal (logged at DEBUG)
        with quiet_native_stderr():
            try:
                # any flags but IMREAD_UNCHANGED apply the EXIF orientation: ANYDEPTH|ANYCOLOR
                # keeps a gray or 16-bit picture as it is stored, and turns it upright
                image = cv2.imdecode(data, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
                if image is not None and image.ndim == 3 and image.shape[2] >= 3:
                    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
            except cv2.error:  # some damaged headers raise instead of returning None
                image = None
        if image is None or image.size == 0:
            raise InputError(
                f"cannot decode {self.path.name} as an image (not a jpg/png/webp/bmp picture, "
                "or the file is damaged or cut short)"
            )
        check_pixels(self.path, image.shape[1], image.shape[0], MAX_IMAGE_PIXELS, "pictures")
        self.image = _to_bgr(image)
        h, w = self.image.shape[:2]
        self.info = SourceInfo(str(self.path), "image", w, h, None, 1, None)

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, 0.0, self.image)

    def close(self) -> None:
        pass

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoSource:
    """A video file, decoded frame by frame with stream timestamps.

    After iteration, ``frames_read`` is the number of frames decoded and ``truncated`` says
    whether the stream ended before the container said it would (a cut-short file); the note
    is also appended to ``info.notes``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        _check_file(self.path)
        cv2 = _cv2()
        try:
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        except cv2.error:
            cap = None
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            if mp4_cut_short(self.path):
                raise InputError(
                    f"{self.path.name} is cut short: the recording was not finished (its index, "
                    "the moov box, is missing), so no frame can be located; export or copy the "
                    "video again"
                )
            raise InputError(
                f"cannot open {self.path.name} as a video (not a video file, or an unsupported "
                "or damaged container)"
            )
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        width = int(_finite(cap.get(cv2.CAP_PROP_FRAME_WIDTH)))
        height = int(_finite(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if width * height > MAX_VIDEO_PIXELS:  # before a frame is decoded
            cap.release()
            check_pixels(self.path, width, height, MAX_VIDEO_PIXELS, "videos")
        self._cap = cap
        fps = _finite(cap.get(cv2.CAP_PROP_FPS))
        if fps <= 0 or fps > 1000:
            fps = 0.0
        n = _finite(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        n = int(n) if 0 < n < 2**31 else 0
        rotation = int(_finite(cap.get(cv2.CAP_PROP_ORIENTATION_META))) % 360
        # read the first frame now, so a file that opens but holds no picture fails here
        try:
            ok, first = cap.read()
        except cv2.error:
            ok, first = False, None
        if not ok or first is None or first.size == 0:
            cap.release()
            raise InputError(f"{self.path.name} has no decodable video frames (zero frames)")
        self._first = (first, float(cap.get(cv2.CAP_PROP_POS_MSEC)))
        h, w = first.shape[:2]
        duration = n / fps if fps and n > 0 else None
        self.info = SourceInfo(
            str(self.path), "video", w, h, fps or None, n or None, duration, rotation
        )
        self.frames_read = 0
        self.truncated = False

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, start: int = 0) -> Iterator[Frame]:
        """The frames from index ``start`` on (iterating the source is ``frames(0)``).

        The frames before ``start`` are grabbed, not retrieved: FFmpeg still decodes them and
        their times are read as every frame's are, so the indices and times of the frames
        yielded are exactly those of a full iteration, but they are not converted into BGR
        pictures (a pose stream skips the video before its chunk this way, docs/streams.md).
        One difference: a frame that FFmpeg decodes and OpenCV then cannot convert ends a full
        iteration, but not a skipped stretch.
        """
        cv2 = _cv2()
        cap = self._cap
        nominal_dt = 1.0 / self.info.fps if self.info.fps else 1.0 / 30.0
        last_t = -math.inf
        first_pts: float | None = None
        index = 0
        pending: tuple[Any, float] | None = self._first
        self._first = None  # type: ignore[assignment]
        while True:
            if pending is not None:
                image, pos_ms = pending
                pending = None
            else:
                skipped = index < start
                try:
                    ok, image = (cap.grab(), None) if skipped else cap.read()
                except cv2.error as err:  # pragma: no cover - depends on the decoder
                    log.warning("decoder error after %d frames: %s", index, err)
                    ok, image = False, None
                if not ok or not skipped and (image is None or image.size == 0):
                    break
                pos_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
            t = pos_ms / 1000.0 if math.isfinite(pos_ms) else math.nan
            if first_pts is None and math.isfinite(t):
                first_pts = t
            t = t - (first_pts or 0.0) if math.isfinite(t) else math.nan
            # stream times must strictly increase; repair broken or repeated timestamps
            if not math.isfinite(t) or t <= last_t:
                t = (last_t + nominal_dt) if math.isfinite(last_t) else 0.0
            last_t = t
            if index >= start:
                yield Frame(index, t, _to_bgr(image))
            index += 1
        self.frames_read = index
        expected = self.info.frames or 0
        if expected and index < expected - max(2, int(0.02 * expected)):
            self.truncated = True
            self.info.notes.append(
                f"the video was cut short (or is damaged): decoded {index} of the {expected} "
                "frames its header announces; the report covers what could be decoded"
            )
        if index and self.info.fps:
            self.info.duration_s = max(last_t + nominal_dt, 0.0)
        self.info.frames = index

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CameraSource:
    """A webcam by index; timestamps from the monotonic clock since opening.

    Raises :class:`InputError` when no camera answers at that index. ``read()`` returns the next
    frame or ``None`` when the camera stopped delivering (unplugged); callers decide whether to
    retry (see :meth:`reopen`).
    """

    def __init__(self, index: int = 0, *, width: int = 640, height: int = 480) -> None:
        self.index = index
        self._size = (width, height)
        self._t0 = time.monotonic()
        self._n = 0
        self._cap = self._open()
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise InputError(
                f"camera {index} opened but delivers no frames (busy in another program?)"
            )
        h, w = first.shape[:2]
        fps = float(self._cap.get(_cv2().CAP_PROP_FPS) or 0.0) or None
        self.info = SourceInfo(f"camera:{index}", "camera", w, h, fps, None, None)

    def _open(self) -> Any:
        from formcheck.io.cameras import open_camera

        cv2 = _cv2()
        # the platform's backend (V4L2, AVFoundation, MSMF then DirectShow); one line if none
        cap, self.backend = open_camera(cv2, self.index)
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        return cap

    def read(self) -> Frame | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        frame = Frame(self._n, time.monotonic() - self._t0, _to_bgr(image))
        self._n += 1
        return frame

    def reopen(self) -> bool:
        """Try to open the camera again after it stopped; True when it answers."""
        self._cap.release()
        try:
            self._cap = self._open()
        except InputError:
            return False
        return True

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> CameraSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(spec: str | Path) -> ImageSource | VideoSource:
    """Open a file as an image or a video source, by its suffix, then by trying both."""
    path = Path(spec)
    if is_image_path(path):
        return ImageSource(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoSource(path)
    try:
        return VideoSource(path)
    except InputError:
        return ImageSource(path)
