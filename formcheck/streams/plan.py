"""How a video is cut into chunks for several pose streams, and the mask's compact form.

No MediaPipe here: these are functions of numbers, tested without a model.
"""

from __future__ import annotations

import math
import os
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: seconds each chunk starts early, so MediaPipe's tracking has settled by its first kept frame
DEFAULT_OVERLAP_S = 3.0
#: the segmentation mask is only ever read against this threshold (metrics/lumbar.py,
#: metrics/measures.py), so it travels between processes as one bit a pixel
MASK_THRESHOLD = 0.5


@dataclass(frozen=True)
class Chunk:
    """One stream's share of a video, in frame indices (0-based, ``end`` excluded).

    The stream runs the pose model from ``warm_start`` and keeps the frames from ``start``;
    ``end`` is None for the last chunk (to the end of the video, whatever its header says).
    """

    stream: int
    warm_start: int
    start: int
    end: int | None

    def keeps(self, index: int) -> bool:
        """True when frame ``index`` is this chunk's to report."""
        return index >= self.start and (self.end is None or index < self.end)


def default_streams() -> int:
    """Streams for one video: the usable cores (each stream keeps about one core busy)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def plan_chunks(
    n_frames: int, fps: float, streams: int, overlap_s: float = DEFAULT_OVERLAP_S
) -> list[Chunk]:
    """Cut ``n_frames`` frames into ``streams`` chunks of equal length, each warmed up early.

    Parameters
    ----------
    n_frames
        The frame count the video's header announces.
    fps
        Frames per second (for the overlap in frames).
    streams
        How many chunks; fewer when the video is too short for them to be worth it (each
        chunk at least as long as the overlap).
    overlap_s
        Seconds each chunk after the first starts early (its warm-up, not reported).

    Returns
    -------
    list of Chunk
        In time order; one chunk (the whole video, no warm-up) when it is not worth cutting.
    """
    if streams < 1:
        raise ValueError(f"streams must be 1 or more, found {streams}")
    if overlap_s < 0 or not math.isfinite(overlap_s):
        raise ValueError(f"overlap_s must be a finite number >= 0, found {overlap_s}")
    fps = fps if fps and math.isfinite(fps) and fps > 0 else 30.0
    overlap = int(math.ceil(overlap_s * fps))
    worth = max(1, n_frames // overlap) if overlap else n_frames
    n = max(1, min(streams, worth, n_frames if n_frames > 0 else 1))
    bounds = [round(i * n_frames / n) for i in range(n + 1)]
    return [
        Chunk(
            stream=i,
            warm_start=max(0, bounds[i] - overlap) if i else 0,
            start=bounds[i],
            end=bounds[i + 1] if i < n - 1 else None,
        )
        for i in range(n)
    ]


def pack_mask(mask: NDArray[np.float32] | None) -> bytes | None:
    """The mask as one bit a pixel (``>= MASK_THRESHOLD``), zlib-compressed: a few kB a frame."""
    if mask is None:
        return None
    return zlib.compress(np.packbits(mask >= MASK_THRESHOLD).tobytes(), 1)


def unpack_mask(data: bytes | None, height: int, width: int) -> NDArray[np.float32] | None:
    """The mask back as float32 0/1 of shape ``(height, width)`` (None stays None)."""
    if data is None:
        return None
    bits = np.frombuffer(zlib.decompress(data), dtype=np.uint8)
    flat = np.unpackbits(bits, count=height * width)
    return flat.reshape(height, width).astype(np.float32)
