"""Sinks: where pictures go out of formcheck.

- :class:`VideoSink` writes frames to an .mp4 (the ``--annotate`` video);
- :func:`save_image` writes one picture to a PNG or JPEG file (the live ``--screenshot``);
- :func:`jpeg_data_url` encodes a small JPEG as a ``data:`` URL (the report's thumbnails).

Pictures are BGR ``uint8`` arrays of shape (H, W, 3), as OpenCV reads them; OpenCV is imported
where it is used.
"""

from __future__ import annotations

import base64
import contextlib
import os
import queue
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcheck.errors import OutputError
from formcheck.io.atomic import check_writable


def jpeg_data_url(image: NDArray[np.uint8], width: int = 240) -> str:
    """``image`` scaled to ``width`` pixels wide, as a JPEG ``data:`` URL ("" if it fails)."""
    import cv2

    h, w = image.shape[:2]
    scale = width / max(w, 1)
    small = cv2.resize(image, (width, max(1, int(round(h * scale)))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def save_image(path: str | Path, image: NDArray[np.uint8]) -> bool:
    """Write ``image`` to ``path`` (PNG at the highest compression, or as the suffix says),
    making the folder; returns whether it was written."""
    import cv2

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if p.suffix.lower() == ".png" else []
    return bool(cv2.imwrite(str(p), image, params))


class VideoSink:
    """Writes frames to an .mp4 at the source's frame rate: H.264 through PyAV, which browsers
    play, else OpenCV's mp4v with ``note`` saying so; a picture path (.jpg, .png) gets the last
    frame as a picture (:mod:`formcheck.io.encoders`). ``codec`` names what was used.

    ``write(image)`` encodes at once; ``submit(draw, *args)`` hands ``draw(*args) -> image`` to
    a background thread that draws and encodes in order (so drawing and encoding overlap with
    pose inference), with a short queue that blocks when full. ``close()`` drains the queue.

    The video is written to a hidden temporary file beside ``path`` and renamed over it by
    ``close()`` once it is complete, so ``path`` never holds half a video: a failure (raised by
    ``close()``) or ``discard()`` removes the temporary file and leaves ``path`` as it was.
    """

    def __init__(
        self, path: str, fps: float, size: tuple[int, int], *, queue_size: int = 8
    ) -> None:
        check_writable(path)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # the suffix stays: the encoder picks the container (or picture format) by it
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=target.suffix or ".mp4", dir=target.parent
        )
        os.close(fd)
        self._tmp: str | None = tmp
        from formcheck.io.encoders import open_writer

        try:  # H.264 in MP4 (PyAV), else mp4v with a note; an image path: the last frame
            self._w, self.note = open_writer(tmp, fps, size)
        except Exception as err:
            self._remove_tmp()
            raise OutputError(f"cannot write the annotated video {path} ({err})") from err
        self.codec: str = self._w.codec
        self.size = size
        self._q: queue.Queue[tuple[Any, tuple[Any, ...]] | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._dropping = False

    def write(self, image: NDArray[np.uint8]) -> None:
        import cv2

        if (image.shape[1], image.shape[0]) != self.size:
            image = np.asarray(cv2.resize(image, self.size), dtype=np.uint8)
        self._w.write(image)

    def submit(self, draw: Any, *args: Any) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="formcheck-annotate", daemon=True
            )
            self._thread.start()
        self._q.put((draw, args))

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            if self._error is not None or self._dropping:
                continue  # failed or discarded: only empty the queue until close
            draw, args = item
            try:
                self.write(draw(*args))
            except BaseException as err:  # reported on the next submit / close
                self._error = err

    def close(self) -> None:
        """Finish the video and move it to ``path`` (on an error: remove it, then raise)."""
        if self._thread is not None:
            self._q.put(None)
            self._thread.join()
            self._thread = None
        try:
            self._w.release()
        except Exception as release_err:  # the encoder's last packets or picture not written
            self._error = self._error or release_err
        if self._tmp is None:  # closed or discarded before
            return
        if self._error is not None:
            err, self._error = self._error, None
            self._remove_tmp()
            raise err
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self._tmp, 0o666 & ~umask)  # mkstemp makes 0600; a video is an ordinary file
            os.replace(self._tmp, self.path)
        except OSError as err:
            self._remove_tmp()
            raise OutputError(f"cannot write {self.path}: {err.strerror or err}") from err
        self._tmp = None

    def discard(self) -> None:
        """Stop without writing ``path`` (it is left as it was)."""
        self._dropping = True
        if self._thread is not None:
            self._q.put(None)
            self._thread.join()
            self._thread = None
        with contextlib.suppress(Exception):
            self._w.release()
        self._error = None
        self._remove_tmp()

    def _remove_tmp(self) -> None:
        tmp, self._tmp = self._tmp, None
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()
