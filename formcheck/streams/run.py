"""``analyze_streams``: one video, the pose model in several processes, one timeline.

See :mod:`formcheck.streams`. The frames come back from the streams in time order (chunk after
chunk) and go through the same measuring step as :func:`formcheck.pipeline.analyze`
(:meth:`~formcheck.pipeline.Analyzer.measure`: measures, smoothing, rules, timers), so the only
difference from a single stream is MediaPipe's own tracking at the start of each chunk, which
the overlap settles (docs/streams.md gives the measured differences).

This process decodes nothing unless an annotated video is asked for: the streams send each
frame's index, time, pose and mask (:class:`_StreamedVideo`), and the few pictures the report
keeps are read after the analysis (:mod:`formcheck.streams.pictures`). With ``--annotate`` it
decodes the video once more and pairs each picture with the streams' pose.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.config import Settings
from formcheck.errors import InputError
from formcheck.io.signals import deferred_interrupts
from formcheck.io.sources import SourceInfo, VideoSource, open_source
from formcheck.pipeline import (
    AnalyzeOutputs,
    Progress,
    analyze,
)
from formcheck.pose.frame import PoseFrame
from formcheck.streams.pictures import DeferredPictures, FrameRef
from formcheck.streams.plan import DEFAULT_OVERLAP_S, Chunk, plan_chunks, unpack_mask
from formcheck.streams.worker import Ending, pose_chunk

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
        self.ending: Ending | None = None
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
                self.ending = val
                return
            for index, pf, bits in val:
                yield index, dataclasses.replace(pf, mask=unpack_mask(bits, pf.height, pf.width))

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join(timeout=10)
        self.queue.close()
        self.queue.cancel_join_thread()


@dataclass(frozen=True)
class _StreamedFrame:
    """A frame as the streams send it: no picture (``image`` says where to find it)."""

    index: int
    t_s: float
    image: FrameRef
    pose: PoseFrame


class _StreamedVideo:
    """The video as a source for :func:`~formcheck.pipeline.analyze` with nothing decoded
    here: the streams' frames in time order; ``info`` and ``truncated`` end as a
    :class:`VideoSource`'s would, from what the last stream found decoding to the end."""

    def __init__(self, path: Path, info: SourceInfo, procs: list[_Stream]) -> None:
        self.path, self.info, self._procs = path, info, procs
        self.truncated = False

    def __iter__(self) -> Iterator[_StreamedFrame]:
        for expected, (index, pf) in enumerate(_stitched(self._procs)):
            if index != expected:
                raise _disagree(self.path, expected, index)
            yield _StreamedFrame(index, pf.t_s, FrameRef(index, pf.t_s), pf)
        end = self._procs[-1].ending
        if end is not None and end.frames is not None:
            self.truncated = end.truncated
            self.info.frames, self.info.duration_s = end.frames, end.duration_s
            self.info.notes.extend(n for n in end.notes if n not in self.info.notes)

    @staticmethod
    def poses(frames: Iterator[_StreamedFrame]) -> Iterator[tuple[_StreamedFrame, PoseFrame]]:
        for frame in frames:
            yield frame, frame.pose

    def close(self) -> None:
        pass


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
                raise _disagree(src.path, frame.index, index)
            yield frame, dataclasses.replace(pf, t_s=frame.t_s)

    pictures = None
    try:
        procs = [_Stream(ctx, str(src.path), pose_settings, c) for c in chunks]
        # the one per-frame loop (interrupts, errors, the annotated video, the report) with the
        # streams' poses in place of a model here; only an annotated video needs this process
        # to decode the video (the report's few pictures are read afterwards)
        if outputs.annotate_path:
            source: Any = src
            poses: Callable[[Iterator[Any]], Iterator[tuple[Any, PoseFrame]]] = paired
        else:
            source = _StreamedVideo(src.path, info, procs)
            poses = _StreamedVideo.poses
            pictures = DeferredPictures()
        report = analyze(
            input_path,
            settings,
            outputs,
            on_progress=on_progress,
            source=source,
            poses=poses,
            pose=_NoPose(model_path),
            pictures=pictures,
        )
    finally:
        for p in procs:
            p.stop()
        src.close()
    if pictures is not None:  # a few seeks; a Ctrl-C now is held, as the loop's shutdown is
        t0 = time.perf_counter()
        with deferred_interrupts(reraise=False) as held:
            pictures.fill(report, src.path)
        if held.signals:
            report["session"]["interrupted"] = True
        elapsed = report["session"]["elapsed_s"] + time.perf_counter() - t0
        report["session"]["elapsed_s"] = round(elapsed, 3)
    report["session"]["streams"] = len(chunks)
    report["session"]["overlap_s"] = overlap_s
    return report


def _disagree(path: Path, index: int, got: int | None) -> InputError:
    return InputError(
        f"{path.name}: the pose streams and the video disagree at frame {index} (stream gave "
        f"{got}); analyse it with --streams 1"
    )


def _stitched(procs: list[_Stream]) -> Iterator[tuple[int, PoseFrame]]:
    """Every stream's frames, stream after stream: the video's frames in time order."""
    for p in procs:
        yield from p.frames()
