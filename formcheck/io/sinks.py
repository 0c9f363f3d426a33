"""Sinks: where pictures go out of formcheck.

- :class:`VideoSink` writes frames to an .mp4 (the ``--annotate`` video);
- :func:`save_image` writes one picture to a PNG or JPEG file (the live ``--screenshot``);
- :func:`jpeg_data_url` encodes a small JPEG as a ``data:`` URL (the report's thumbnails).

Pictures are BGR ``uint8`` arrays of shape (H, W, 3), as OpenCV reads them; OpenCV is imported
where it is used.
"""

from __future__ import annotations

import base64
import queue
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
    """Writes frames to an .mp4 (OpenCV's mp4v codec) at the source's frame rate.

    ``write(image)`` encodes at once; ``submit(draw, *args)`` hands ``draw(*args) -> image`` to
    a background thread that draws and encodes in order (so drawing and encoding overlap with
    pose inference), with a short queue that blocks when full. ``close()`` drains the queue.
    """

    def __init__(
        self, path: str, fps: float, size: tuple[int, int], *, queue_size: int = 8
    ) -> None:
        import cv2

        check_writable(path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        self._w = cv2.VideoWriter(path, fourcc, float(fps), size)
        if not self._w.isOpened():
            raise OutputError(
                f"cannot write the annotated video {path} (mp4v encoder unavailable?)"
            )
        self.size = size
        self._q: queue.Queue[tuple[Any, tuple[Any, ...]] | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

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
            draw, args = item
            try:
                self.write(draw(*args))
            except BaseException as err:  # reported on the next submit / close
                self._error = err
                return

    def close(self) -> None:
        if self._thread is not None:
            self._q.put(None)
            self._thread.join()
            self._thread = None
        self._w.release()
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
