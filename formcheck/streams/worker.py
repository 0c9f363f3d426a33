"""One pose stream: a process that runs the pose model on one chunk of a video.

It reads the video from its start with the same :class:`~formcheck.io.sources.VideoSource`
as a single-stream analysis (so frame indices and times agree exactly), skips the frames before
its warm-up without converting them into pictures (``VideoSource.frames(start)``: grabbed, their
times read), runs the pose model from ``chunk.warm_start`` and sends the frames it keeps
(``chunk.start`` on) to the main process in small batches: ``("frames", [(index, pose, mask),
...])`` (the pose carries the frame's time), then ``("end", ending)``, or ``("error",
exception)``. The mask travels as bits (:func:`formcheck.streams.plan.pack_mask`). ``ending``
is what decoding to the end of the video found out (:class:`Ending`; the last chunk's only).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
from dataclasses import dataclass, field
from typing import Any

from formcheck.pose.options import PoseOptions
from formcheck.streams.plan import Chunk, pack_mask

#: frames a message carries (fewer messages, little latency)
BATCH = 8


@dataclass(frozen=True)
class Ending:
    """What the last stream learnt by decoding to the end (``VideoSource`` after iteration):
    frames decoded, the duration, whether the file was cut short, the source's notes."""

    sent: int
    frames: int | None = None
    duration_s: float | None = None
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


def pose_chunk(path: str, options: PoseOptions, chunk: Chunk, out: Any) -> None:
    """The stream process's entry point: pose on ``chunk`` of the video at ``path``."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Ctrl-C reaches the whole process group: the main process decides (it writes the report of
    # what was measured and ends the streams); a stream never stops inside a MediaPipe call
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from formcheck.io.prefetch import prefetch
        from formcheck.io.sources import VideoSource
        from formcheck.pose.estimator import PoseEstimator, to_rgb

        sent = 0
        batch: list[tuple[int, Any, bytes | None]] = []
        with VideoSource(path) as src:
            est = PoseEstimator(options, video=True)
            # decoding (a thread) overlaps inference, as in the single-stream analysis
            # the frames before the warm-up are only grabbed (their times counted, no picture)
            frames = prefetch(
                (f, to_rgb(f.image))
                for f in itertools.takewhile(
                    lambda f: chunk.end is None or f.index < chunk.end,
                    src.frames(chunk.warm_start),
                )
            )
            try:
                for frame, rgb in frames:
                    pf = est.detect(frame.image, frame.t_s, rgb)
                    if not chunk.keeps(frame.index):
                        continue  # warm-up: the tracker settles, nothing is reported
                    batch.append(
                        (
                            frame.index,
                            dataclasses.replace(pf, t_s=frame.t_s, mask=None),
                            pack_mask(pf.mask),
                        )
                    )
                    if len(batch) >= BATCH:
                        out.put(("frames", batch))
                        sent += len(batch)
                        batch = []
            finally:
                frames.close()  # type: ignore[attr-defined]
                est.close()
            if batch:
                out.put(("frames", batch))
                sent += len(batch)
            info = src.info
            ending = (
                Ending(sent, info.frames, info.duration_s, src.truncated, list(info.notes))
                if chunk.end is None
                else Ending(sent)
            )
        out.put(("end", ending))
    except BaseException as err:  # handed to the main process, which raises it
        try:
            out.put(("error", err))
        except Exception:  # an exception that cannot be pickled: its text then
            out.put(("error", RuntimeError(f"{type(err).__name__}: {err}")))
