"""``analyze_streams``: one video, the pose model in several processes, one timeline.

See :mod:`formcheck.streams`. The frames come back from the streams in time order (chunk after
chunk) and go through the same measuring step as :func:`formcheck.pipeline.analyze`
(:meth:`~formcheck.pipeline.Analyzer.measure`: measures, smoothing, rules, timers), so the only
difference from a single stream is MediaPipe's own tracking at the start of each chunk, which
the overlap settles (docs/streams.md gives the measured differences).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from formcheck.config import Settings
from formcheck.errors import InputError
from formcheck.io.sources import VideoSource, open_source
from formcheck.pipeline import (
    AnalyzeOutputs,
    Progress,
    analyze,
)
from formcheck.pose.frame import PoseFrame
from formcheck.streams.plan import DEFAULT_OVERLAP_S, Chunk, plan_chunks, unpack_mask
from formcheck.streams.worker import pose_chunk

log = logging.getLogger(__name__)


class _NoPose:
    """Stands in for the pose model in the main process: the streams run the real one."""

    def __init__(self, model_path: str) -> None:
        self.model_path = model_path

    def detect(self, *args: Any) -> PoseFrame:  # pragma: no cover - never called
        raise RuntimeError("the pose model runs in the stream processes")

    def close(self) -> None:
        pass


class _Stream:
    """One stream process and its queue; :meth:`frames` yields ``(index, PoseFrame)``."""

    def __init__(self, ctx: Any, path: str, settings: Settings, chunk: Chunk) -> None:
        self.chunk = chunk
        self.queue = ctx.Queue()
        self.proc = ctx.Process(
            target=pose_chunk,
            args=(path, settings.pose, chunk, self.queue),
            name=f"formcheck-stream-{chunk.stream}",
            daemon=True,
        )
        self.proc.start()

    def frames(self) -> Iterator[tuple[int, PoseFrame]]:
        while True:
            try:
                kind, val = self.queue.get(timeout=1.0)
            except queue.Empty:
                if not self.proc.is_alive():
                    raise InputError(
                        f"pose stream {self.chunk.stream} stopped (exit code "
                        f"{self.proc.exitcode}: out of memory?)"
                    ) from None
                continue
            if kind == "error":
                raise val
            if kind == "end":
                return
            for index, pf, bits in val:
                yield index, dataclasses.replace(pf, mask=unpack_mask(bits, pf.height, pf.width))

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join(timeout=10)
        self.queue.close()
        self.queue.cancel_join_thread()


def analyze_streams(
    input_path: str | Path,
    settings: Settings | None = None,
    outputs: AnalyzeOutputs | None = None,
    *,
    streams: int = 2,
    overlap_s: float = DEFAULT_OVERLAP_S,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Analyse one video with the pose model in ``streams`` processes; returns the report.

    The report is that of :func:`formcheck.pipeline.analyze` (schema_version 1), with
    ``session.streams`` (how many ran) and ``session.overlap_s``. Photos, and videos too short
    to cut (shorter than ``streams`` overlaps, or of unknown length), go to
    :func:`~formcheck.pipeline.analyze` unchanged (``session.streams`` = 1).
    """
    from formcheck.pose.models import resolve_model

    settings = settings or Settings()
    outputs = outputs or AnalyzeOutputs()
    src = open_source(input_path)
    info = src.info
    chunks = (
        plan_chunks(info.frames or 0, info.fps or 30.0, streams, overlap_s)
        if isinstance(src, VideoSource) and info.frames
        else [Chunk(0, 0, 0, None)]
    )
    if len(chunks) < 2:
        report = analyze(input_path, settings, outputs, on_progress=on_progress, source=src)
        report["session"]["streams"] = 1
        return report
    assert isinstance(src, VideoSource)
    model_path = str(resolve_model(settings.pose.model))  # provisioned once, before the streams
    pose_settings = dataclasses.replace(
        settings, pose=dataclasses.replace(settings.pose, model=model_path)
    )
    ctx = mp.get_context("spawn")  # no fork of a process that may hold MediaPipe threads
    procs: list[_Stream] = []

    def paired(frames: Iterator[Any]) -> Iterator[tuple[Any, PoseFrame]]:
        """The decoder's frames with the streams' poses, which must come in the same order."""
        stitched = _stitched(procs)
        for frame in frames:
            index, pf = next(stitched, (None, None))
            if pf is None or index != frame.index:
                raise InputError(
                    f"{src.path.name}: the pose streams and the decoder disagree at frame "
                    f"{frame.index} (stream gave {index}); analyse it with --streams 1"
                )
            yield frame, dataclasses.replace(pf, t_s=frame.t_s)

    try:
        procs = [_Stream(ctx, str(src.path), pose_settings, c) for c in chunks]
        # the one per-frame loop (interrupts, errors, the annotated video, the report) with the
        # streams' poses in place of a model here
        report = analyze(
            input_path,
            settings,
            outputs,
            on_progress=on_progress,
            source=src,
            poses=paired,
            pose=_NoPose(model_path),
        )
    finally:
        for p in procs:
            p.stop()
        src.close()
    report["session"]["streams"] = len(chunks)
    report["session"]["overlap_s"] = overlap_s
    return report


def _stitched(procs: list[_Stream]) -> Iterator[tuple[int, PoseFrame]]:
    """Every stream's frames, stream after stream: the video's frames in time order."""
    for p in procs:
        yield from p.frames()
