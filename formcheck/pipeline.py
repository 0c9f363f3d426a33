"""``analyze()``: the whole chain for one video or photo, used by the CLI and the Python API.

source -> pose -> metrics -> coach (rules, warnings, holds) -> report (+ annotated video)

Nothing measured is lost: Ctrl-C / SIGTERM (raised as ``KeyboardInterrupt``), a truncated file
or a decoder failure end the loop, and the report built from what was measured is returned
with ``session.partial = true`` and a note saying why.
"""

from __future__ import annotations

import base64
import logging
import math
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

from formcheck import __version__
from formcheck.config import Settings
from formcheck.io.sources import ImageSource, VideoSource, open_source
from formcheck.metrics.measures import MetricsComputer
from formcheck.pose.estimator import to_rgb
from formcheck.report.schema import SCHEMA_VERSION
from formcheck.stretches.coach import Coach, Verdict

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class AnalyzeOutputs:
    annotate_path: str | None = None
    thumbnails: bool = True


class Posed(NamedTuple):
    frame: Any
    pose: Any


@dataclass
class Progress:
    done: int
    total: int | None
    t_s: float
    elapsed_s: float


def prefetch(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Iterate ``items`` in a background thread, ``depth`` ahead (decoding overlaps inference).

    Exceptions in the producer are re-raised in the consumer; closing the generator stops the
    producer.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as err:  # handed to the consumer
            q.put(("error", err))

    th = threading.Thread(target=produce, name="formcheck-decode", daemon=True)
    th.start()
    try:
        while True:
            kind, val = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise val
            yield val
    finally:
        stop.set()
        th.join(timeout=2.0)


def _thumb(image: NDArray[np.uint8], width: int = 240) -> str:
    import cv2

    h, w = image.shape[:2]
    scale = width / max(w, 1)
    small = cv2.resize(image, (width, max(1, int(round(h * scale)))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


@dataclass
class SessionRecorder:
    """Collects per-frame verdicts, thumbnails and notes into the report (schema_version 1)."""

    source_info: dict[str, Any]
    settings: Settings
    mode: str = "analyze"
    notes: list[str] = field(default_factory=list)
    thumbnails: dict[str, str] = field(default_factory=dict)
    key_frames: dict[str, str] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _n_warnings: int = 0
    _hold_snaps: dict[tuple[str, str, int], tuple[float, str]] = field(default_factory=dict)
    n_people_max: int = 0
    # Rows are kept compact (one key tuple, a value tuple per frame: about a third of a dict's
    # memory), so a long live session grows by well under 1 MB a minute.
    _keys: tuple[str, ...] | None = None
    _rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def frames(self) -> list[dict[str, Any]]:
        """The per-frame rows of the report (built on access)."""
        keys = self._keys or ()
        return [
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in zip(keys, row, strict=True)}
            for row in self._rows
        ]

    def add(
        self, v: Verdict, row: dict[str, Any], image: NDArray[np.uint8] | None, coach: Coach
    ) -> None:
        self.n_people_max = max(self.n_people_max, int(row.pop("_n_people", 0)))
        keys = tuple(row)
        if self._keys is None:
            self._keys = keys
        elif keys != self._keys:
            raise ValueError(f"frame row keys changed: {keys} != {self._keys}")
        self._rows.append(tuple(tuple(x) if isinstance(x, list) else x for x in row.values()))
        if image is None:
            return
        intervals = coach.debouncer.intervals
        while self._n_warnings < len(intervals):
            self.thumbnails[str(self._n_warnings)] = _thumb(image)
            self._n_warnings += 1
        h = v.hold
        if h.active and v.valid and h.stretch and h.side:
            key = (h.stretch, h.side, h.rep)
            last = self._hold_snaps.get(key)
            # a snapshot every 2 s of valid time: the best hold's key frame is its latest one
            if last is None or h.valid_s - last[0] >= 2.0:
                self._hold_snaps[key] = (h.valid_s, _thumb(image, 360))

    def build(
        self, coach: Coach, *, partial: bool = False, model: str | None = None
    ) -> dict[str, Any]:
        holds, warnings = coach.finish()
        hold_rows = [h.as_report() for h in holds]
        warn_rows = []
        for i, w in enumerate(warnings):
            row = w.as_report()
            if str(i) in self.thumbnails:
                row["thumbnail"] = str(i)
            warn_rows.append(row)
        if holds:
            best = max(holds, key=lambda h: h.valid_s)
            snap = self._hold_snaps.get((best.stretch, best.side, best.rep))
            if snap:
                self.key_frames["best_hold"] = snap[1]
        frames = self.frames
        if frames and not any(f["person"] for f in frames):
            what = "image" if self.source_info.get("kind") == "image" else "video"
            self.notes.append(f"no person was found in the {what}")
        if self.n_people_max > 1:
            self.notes.append(
                f"up to {self.n_people_max} people were in view; formcheck followed the main "
                "(largest, then nearest) person"
            )
        cat = coach.catalogue
        events = session_events(hold_rows)
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source_info,
            "frames": frames,
            "holds": hold_rows,
            "warnings": warn_rows,
            "session": {
                "id": self.session_id,
                "started_at": self.started_at,
                "mode": self.mode,
                "partial": partial,
                "formcheck_version": __version__,
                "model": model,
                "settings_file": self.settings.source_file,
                "stretch_forced": self.settings.coach.stretch,
                "side_forced": self.settings.coach.side,
            },
            "summary": summarize(hold_rows, warn_rows, frames, cat.hold_start_s, cat.reps_per_side),
            "events": events,
            "notes": self.notes,
            "thumbnails": self.thumbnails,
            "key_frames": self.key_frames,
        }


def session_events(holds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rests between holds and side (or stretch) switches, from the holds in time order."""
    events: list[dict[str, Any]] = []
    ordered = sorted(holds, key=lambda h: h["start_s"])
    for prev, nxt in zip(ordered, ordered[1:], strict=False):
        gap = round(nxt["start_s"] - prev["end_s"], 3)
        if gap > 0:
            events.append(
                {
                    "kind": "rest",
                    "start_s": prev["end_s"],
                    "end_s": nxt["start_s"],
                    "duration_s": gap,
                }
            )
        if nxt["stretch"] != prev["stretch"]:
            events.append(
                {
                    "kind": "switch_stretch",
                    "at_s": nxt["start_s"],
                    "from": prev["stretch"],
                    "to": nxt["stretch"],
                }
            )
        elif nxt["side"] != prev["side"]:
            events.append(
                {
                    "kind": "switch_side",
                    "at_s": nxt["start_s"],
                    "from": prev["side"],
                    "to": nxt["side"],
                }
            )
    return events


def summarize(
    holds: list[dict[str, Any]],
    warnings: list[dict[str, Any]],
    frames: list[dict[str, Any]],
    hold_start_s: float = 10.0,
    reps_per_side: int = 3,
) -> dict[str, Any]:
    """Per stretch and side: holds, valid time, best hold, completed reps."""
    per: dict[str, dict[str, Any]] = {}
    for h in holds:
        s = per.setdefault(h["stretch"], {})
        d = s.setdefault(
            h["side"],
            {
                "holds": 0,
                "completed": 0,
                "valid_s": 0.0,
                "best_valid_s": 0.0,
                "target_s": h["target_s"],
            },
        )
        d["holds"] += 1
        d["completed"] += int(h["completed"])
        d["valid_s"] = round(d["valid_s"] + h["valid_s"], 2)
        d["best_valid_s"] = max(d["best_valid_s"], h["valid_s"])
    kinds: dict[str, float] = {}
    for w in warnings:
        kinds[w["kind"]] = round(kinds.get(w["kind"], 0.0) + (w["end_s"] - w["start_s"]), 2)
    seen = sum(1 for f in frames if f["person"])
    return {
        "stretches": per,
        "warning_seconds": kinds,
        "frames_with_person": seen,
        "frames": len(frames),
        "reps_per_side_goal": reps_per_side,
        "hold_start_s": hold_start_s,
    }


class Analyzer:
    """Runs the chain frame by frame; shared by ``analyze()`` and the live loop."""

    def __init__(self, settings: Settings, *, video: bool) -> None:
        from formcheck.pose.estimator import PoseEstimator

        self.settings = settings
        self.pose = PoseEstimator(settings.pose, video=video)
        self.metrics = MetricsComputer(settings.metrics)
        self.coach = Coach(settings.catalogue(), settings.coach)

    def step(self, image: NDArray[np.uint8], t_s: float) -> tuple[Any, Any, Verdict]:
        pf = self.pose.detect(image, t_s)
        m = self.metrics.update(pf)
        v = self.coach.update(m, pf.mask)
        return pf, m, v

    def close(self) -> None:
        self.pose.close()


def analyze(
    input_path: str | Path,
    settings: Settings | None = None,
    outputs: AnalyzeOutputs | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    source: ImageSource | VideoSource | None = None,
) -> dict[str, Any]:
    """Analyse one video or photo and return the report (schema_version 1).

    Raises :class:`formcheck.errors.FormcheckError` for inputs that cannot be read at all and
    for a missing model. A ``KeyboardInterrupt`` during the analysis does not propagate: the
    report of what was measured comes back with ``session.partial = True`` and
    ``session.interrupted = True``.
    """
    settings = settings or Settings()
    outputs = outputs or AnalyzeOutputs()
    src = source or open_source(input_path)
    info = src.info
    is_video = info.kind == "video"
    annot = sink = None
    try:
        if outputs.annotate_path:
            from formcheck.draw.annotators import FrameAnnotator, VideoSink

            annot = FrameAnnotator()
            sink = VideoSink(outputs.annotate_path, info.fps or 30.0, (info.width, info.height))
        analyzer = Analyzer(settings, video=is_video)
    except BaseException:
        if sink is not None:
            sink.close()
        src.close()
        raise
    rec = SessionRecorder(info.as_report(), settings)
    interrupted = False
    failure: str | None = None
    t0 = time.perf_counter()
    first_frame_s: float | None = None
    # Three stages overlap on videos: decoding (a thread), pose inference (a thread: MediaPipe
    # runs without the GIL) and, here, measurement, rules, report rows and drawing.
    frames: Iterable[Any] = (
        prefetch((f, to_rgb(f.image)) for f in src) if is_video else ((f, None) for f in src)
    )
    posed = (Posed(f, analyzer.pose.detect(f.image, f.t_s, rgb)) for f, rgb in frames)
    stream: Iterable[Posed] = prefetch(posed, depth=2) if is_video else posed
    try:
        for frame, pf in stream:
            m = analyzer.metrics.update(pf)
            v = analyzer.coach.update(m, pf.mask)
            if first_frame_s is None:
                first_frame_s = time.perf_counter() - t0
            row = v.as_report(m)
            row["_n_people"] = pf.n_people
            rec.add(v, row, frame.image if outputs.thumbnails else None, analyzer.coach)
            if annot is not None and sink is not None:
                sink.submit(annot.annotate, frame.image, m, v)
            if on_progress is not None:
                on_progress(
                    Progress(frame.index + 1, info.frames, frame.t_s, time.perf_counter() - t0)
                )
    except KeyboardInterrupt:
        interrupted = True
        rec.notes.append("the analysis was interrupted; the report covers what was measured before")
    except MemoryError:
        failure = "ran out of memory"
    finally:
        # stop the pose and decoding threads before the model and the source are released
        for it in (stream, posed, frames):
            if isinstance(it, Iterator):
                it.close()  # type: ignore[attr-defined]
        if sink is not None:
            sink.close()
        analyzer.close()
        src.close()
    if failure:
        rec.notes.append(
            f"the analysis stopped early ({failure}); the report covers what was measured"
        )
    truncated = isinstance(src, VideoSource) and src.truncated
    rec.notes.extend(n for n in info.notes if n not in rec.notes)
    rec.source_info = info.as_report()
    report = rec.build(
        analyzer.coach,
        partial=interrupted or truncated or failure is not None,
        model=str(analyzer.pose.model_path),
    )
    report["session"]["interrupted"] = interrupted
    report["session"]["elapsed_s"] = round(time.perf_counter() - t0, 3)
    report["session"]["first_frame_s"] = None if first_frame_s is None else round(first_frame_s, 3)
    if outputs.annotate_path:
        report["session"]["annotated_video"] = outputs.annotate_path
    if is_video and not math.isfinite(info.duration_s or math.nan):
        report["source"]["duration_s"] = None
    return report
