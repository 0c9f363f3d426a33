"""The per-frame step and ``analyze()``: the whole chain for one video or photo.

source -> pose -> metrics -> coach (rules, warnings, holds) -> report row (+ annotated video)

:class:`Analyzer` is the one per-frame step (pose -> metrics -> coach -> row), returning a
:class:`FrameResult`; ``analyze()`` runs it over a video or a photo (the CLI and the Python
API), the live session over camera frames. :class:`SessionRecorder` gathers the results into
the report (schema_version 1).

Nothing measured is lost: Ctrl-C / SIGTERM (raised as ``KeyboardInterrupt``), a truncated file
or a decoder failure end the loop, and the report built from what was measured is returned
with ``session.partial = true`` and a note saying why.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from formcheck import __version__
from formcheck.config import Settings
from formcheck.io.prefetch import prefetch
from formcheck.io.signals import deferred_interrupts
from formcheck.io.sinks import jpeg_data_url
from formcheck.io.sources import ImageSource, VideoSource, open_source
from formcheck.metrics.backref import population_report
from formcheck.metrics.measures import FrameMetrics, MetricsComputer
from formcheck.pose.estimator import PoseEstimator, to_rgb
from formcheck.pose.frame import PoseFrame
from formcheck.report.rows import frame_row, measured_part, no_stretch_note
from formcheck.report.schema import SCHEMA_VERSION
from formcheck.report.summary import session_events, summarize
from formcheck.stretches.coach import Coach, Verdict

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class AnalyzeOutputs:
    """What ``analyze()`` writes besides the report: an annotated video, thumbnails."""

    annotate_path: str | None = None
    thumbnails: bool = True


@dataclass
class Progress:
    """Progress of an analysis: frames done of ``total``, at video time ``t_s`` seconds,
    ``elapsed_s`` seconds of wall time since it began."""

    done: int
    total: int | None
    t_s: float
    elapsed_s: float


@dataclass(frozen=True)
class FrameResult:
    """One frame through the chain (:meth:`Analyzer.measure`).

    Attributes
    ----------
    pose : PoseFrame
        What the pose model found (the main person).
    metrics : FrameMetrics
        The frame's measures (angles in degrees).
    verdict : Verdict
        The coach's verdict.
    row : dict
        The report's per-frame row (schema_version 1).
    n_people : int
        How many people the pose model found in the frame.
    warnings_started : int
        Warnings started so far in the session, this frame's included.
    """

    pose: PoseFrame
    metrics: FrameMetrics
    verdict: Verdict
    row: dict[str, Any]
    n_people: int
    warnings_started: int

    @property
    def t_s(self) -> float:
        """Frame time, seconds."""
        return self.verdict.t_s


class Analyzer:
    """The one per-frame step, shared by ``analyze()`` (videos, photos) and the live session.

    ``step(image, t_s) -> FrameResult`` runs the whole chain; ``detect`` (pose) and ``measure``
    (metrics -> coach -> row) are its two halves, for callers that run the pose model in a
    thread of its own. ``hold_target_s`` sets one hold target for every stretch (a guided
    plan's), seconds. ``pose`` replaces the MediaPipe estimator (tests replay known poses).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        video: bool,
        hold_target_s: float | None = None,
        pose: PoseEstimator | None = None,
    ) -> None:
        self.settings = settings
        self.pose = pose or PoseEstimator(settings.pose, video=video)
        self.metrics = MetricsComputer(settings.metrics)
        # a photo is judged on its one frame: every fault seen, no hold timer
        self.coach = Coach(
            settings.catalogue(),
            settings.coach,
            hold_target_s=hold_target_s,
            photo=not video,
            back_reference=settings.back_reference,
        )

    @property
    def model_path(self) -> Path:
        """The pose model file in use."""
        return Path(self.pose.model_path)

    def detect(
        self, image: NDArray[np.uint8], t_s: float, rgb: NDArray[np.uint8] | None = None
    ) -> PoseFrame:
        """The pose in one BGR frame at ``t_s`` seconds (``rgb``: the same picture in RGB)."""
        return self.pose.detect(image, t_s, rgb)

    def measure(self, pf: PoseFrame) -> FrameResult:
        """Measures, verdict and report row of a frame whose pose was found."""
        m = self.metrics.update(pf)
        v = self.coach.update(m, pf.mask)
        return FrameResult(pf, m, v, frame_row(m, v), pf.n_people, self.coach.warnings_started)

    def step(self, image: NDArray[np.uint8], t_s: float) -> FrameResult:
        """The whole chain on one BGR frame taken at ``t_s`` seconds."""
        return self.measure(self.detect(image, t_s))

    def close(self) -> None:
        self.pose.close()


@dataclass
class SessionRecorder:
    """Collects per-frame verdicts, thumbnails and notes into the report (schema_version 1).

    ``picture(image, width)`` makes a picture of the report from what :meth:`add` is given
    (default: a JPEG ``data:`` URL of the BGR image; formcheck.streams: a placeholder).
    """

    source_info: dict[str, Any]
    settings: Settings
    mode: str = "analyze"
    notes: list[str] = field(default_factory=list)
    thumbnails: dict[str, str] = field(default_factory=dict)
    key_frames: dict[str, str] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    picture: Callable[..., str] = jpeg_data_url
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

    def add(self, result: FrameResult, image: NDArray[np.uint8] | Any | None) -> None:
        """Keep one frame's row; ``image`` (BGR, optional) gives the thumbnails of warnings
        that started in this frame and snapshots of the hold."""
        self.n_people_max = max(self.n_people_max, result.n_people)
        row = result.row
        keys = tuple(row)
        if self._keys is None:
            self._keys = keys
        elif keys != self._keys:
            raise ValueError(f"frame row keys changed: {keys} != {self._keys}")
        self._rows.append(tuple(tuple(x) if isinstance(x, list) else x for x in row.values()))
        if image is None:
            return
        while self._n_warnings < result.warnings_started:
            self.thumbnails[str(self._n_warnings)] = self.picture(image)
            self._n_warnings += 1
        h = result.verdict.hold
        if h.active and result.verdict.valid and h.stretch and h.side:
            key = (h.stretch, h.side, h.rep)
            last = self._hold_snaps.get(key)
            # a snapshot every 2 s of valid time: the best hold's key frame is its latest one
            if last is None or h.valid_s - last[0] >= 2.0:
                self._hold_snaps[key] = (h.valid_s, self.picture(image, 360))

    def build(
        self, coach: Coach, *, partial: bool = False, model: str | None = None
    ) -> dict[str, Any]:
        """The report: closes the coach's open holds and warnings (``coach.finish()``)."""
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
        recognized = any(f["stretch"] for f in frames)
        if frames and not recognized and any(f["person"] for f in frames):
            self.notes.append(no_stretch_note(frames, self.source_info.get("kind")))
        if self.n_people_max > 1:
            self.notes.append(
                f"up to {self.n_people_max} people were in view; formcheck followed the main "
                "(largest, then nearest) person"
            )
        cat = coach.catalogue
        events = session_events(hold_rows)
        summary = summarize(
            hold_rows, warn_rows, frames, cat.hold_start_s, cat.reps_per_side, cat,
            photo=coach.photo,
        )  # fmt: skip
        # what kept holds from starting, where the back was not judged
        self.notes.extend(m for m in summary["messages"] if m not in self.notes)
        ref = coach.judge.reference
        back_reference = ref.as_report() if ref is not None else population_report()
        back_reference["by_posture"] = {
            k: {"bias_deg": round(r.bias_deg, 1), "frames": r.frames}
            for k, r in coach.judge.references_by_posture.items()
        }
        if any(f["engaged"] and f["back_judged"] for f in frames):
            self.notes.append(f"back judged against {back_reference['description']}")
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
                # False: nobody was seen doing a stretch; such a session is kept out of history
                "stretch_recognized": recognized,
            },
            "summary": summary,
            "back_reference": back_reference,
            "events": events,
            "notes": self.notes,
            "thumbnails": self.thumbnails,
            "key_frames": self.key_frames,
        }


def analyze(
    input_path: str | Path,
    settings: Settings | None = None,
    outputs: AnalyzeOutputs | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    source: ImageSource | VideoSource | Any = None,
    poses: Callable[[Iterator[Any]], Iterator[tuple[Any, PoseFrame]]] | None = None,
    pose: Any = None,
    pictures: Callable[..., str] | None = None,
) -> dict[str, Any]:
    """Analyse one video or photo and return the report (schema_version 1).

    Raises :class:`formcheck.errors.FormcheckError` for inputs that cannot be read at all and
    for a missing model. A ``KeyboardInterrupt`` during the analysis does not propagate: the
    report of what was measured comes back with ``session.partial = True`` and
    ``session.interrupted = True``; nor does an error mid-analysis (``session.error``).

    ``poses`` and ``pose`` let another pose producer stand in for the model in this process
    (``formcheck.streams``: several processes): ``poses(frames)`` turns the source's frames
    into ``(frame, PoseFrame)`` pairs, and ``pose`` is the estimator the :class:`Analyzer`
    holds (its ``model_path`` and ``close``). ``source`` may then be any source of frames with
    an ``index`` and ``t_s`` (``image`` need not be a picture: ``pictures(image, width)`` makes
    the report's pictures from it, :attr:`SessionRecorder.picture`).
    """
    settings = settings or Settings()
    outputs = outputs or AnalyzeOutputs()
    src = source or open_source(input_path)
    info = src.info
    is_video = info.kind == "video"
    annot = sink = None
    try:
        if outputs.annotate_path:
            from formcheck.draw.annotators import FrameAnnotator
            from formcheck.io.sinks import VideoSink

            annot = FrameAnnotator()
            sink = VideoSink(outputs.annotate_path, info.fps or 30.0, (info.width, info.height))
        analyzer = Analyzer(settings, video=is_video, pose=pose)
    except BaseException:
        if sink is not None:
            sink.discard()
        src.close()
        raise
    rec = SessionRecorder(info.as_report(), settings, picture=pictures or jpeg_data_url)
    interrupted = False
    failure: str | None = None
    t0 = time.perf_counter()
    first_frame_s: float | None = None
    n_measured, last_t = 0, math.nan
    # Three stages overlap on videos: decoding (a thread), pose inference (a thread: MediaPipe
    # runs without the GIL) and, here, measurement, rules, report rows and drawing.
    frames: Iterable[Any]
    posed: Iterable[tuple[Any, PoseFrame]]
    if poses is not None:
        frames = prefetch(iter(src))
        posed = stream = poses(frames)
    else:
        frames = (
            prefetch((f, to_rgb(f.image)) for f in src) if is_video else ((f, None) for f in src)
        )
        posed = ((f, analyzer.detect(f.image, f.t_s, rgb)) for f, rgb in frames)
        stream = prefetch(posed, depth=2) if is_video else posed
    try:
        for frame, pf in stream:
            r = analyzer.measure(pf)
            if first_frame_s is None:
                first_frame_s = time.perf_counter() - t0
            rec.add(r, frame.image if outputs.thumbnails else None)
            n_measured, last_t = n_measured + 1, frame.t_s
            if annot is not None and sink is not None:
                sink.submit(annot.annotate, frame.image, r.metrics, r.verdict)
            if on_progress is not None:
                on_progress(
                    Progress(frame.index + 1, info.frames, frame.t_s, time.perf_counter() - t0)
                )
    except KeyboardInterrupt:
        interrupted = True
    except MemoryError:
        failure = "ran out of memory"
    except Exception as err:  # a decoder, model or drawing error: keep what was measured
        log.debug("the analysis of %s failed", input_path, exc_info=True)
        failure = f"{type(err).__name__}: {_first_line(err)}"
    finally:
        # Stopping anyway: another Ctrl-C / SIGTERM now must not cut the shutdown short. The
        # pose and decoding threads finish their frame before the model and the source are
        # released.
        with deferred_interrupts(reraise=False) as held:
            for it in (stream, posed, frames):
                if isinstance(it, Generator):
                    it.close()
            annotated = _close_sink(sink, rec.notes)
            analyzer.close()
            src.close()
    if held.signals:
        interrupted = True
    if interrupted:
        rec.notes.append("the analysis was interrupted; the report covers what was measured before")
    if failure:
        rec.notes.append(
            f"the analysis stopped early ({failure}); the report covers what was measured"
        )
    truncated = bool(getattr(src, "truncated", False))
    rec.notes.extend(n for n in info.notes if n not in rec.notes)
    rec.source_info = info.as_report()
    if is_video and (interrupted or failure):
        measured_part(rec.source_info, n_measured, last_t)
    report = rec.build(
        analyzer.coach,
        partial=interrupted or truncated or failure is not None,
        model=str(analyzer.model_path),
    )
    if failure:
        report["session"]["error"] = failure
    report["session"]["interrupted"] = interrupted
    report["session"]["elapsed_s"] = round(time.perf_counter() - t0, 3)
    report["session"]["first_frame_s"] = None if first_frame_s is None else round(first_frame_s, 3)
    if annotated:
        report["session"]["annotated_video"] = outputs.annotate_path
    if is_video and not math.isfinite(report["source"].get("duration_s") or math.nan):
        report["source"]["duration_s"] = None
    return report


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "no message"


def _close_sink(sink: Any, notes: list[str]) -> bool:
    """Finish the annotated video (None: none asked); whether it was written."""
    if sink is None:
        return False
    try:
        sink.close()
    except Exception as err:  # the report is still written; the video is not
        notes.append(f"the annotated video could not be written ({_first_line(err)})")
        return False
    if getattr(sink, "note", None):  # written, but not as asked (mp4v: browsers do not play it)
        notes.append(sink.note)
    return True
