"""``formcheck assess``: the flexibility tests run on a video file, or live from a camera (or a
video played as a stand-in camera), guided step by step.

The per-frame step is the pipeline's (:class:`formcheck.pipeline.Analyzer`); each frame's
metrics become an :class:`~formcheck.assess.sample.AssessSample` for the
:class:`~formcheck.assess.protocol.Assessment`, which finds the trials and says what to do.
:class:`AssessRecorder` keeps the still of each trial's top and builds the report's
``assessment`` section. Live, :class:`AssessLiveSession` is the live session with the
assessment's prompts instead of the stretch coach's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from formcheck.assess.protocol import Assessment, AssessStep
from formcheck.assess.sample import sample_from_metrics
from formcheck.config import Settings
from formcheck.draw.assess import annotate_trial, draw_panel
from formcheck.draw.overlay import HudState
from formcheck.errors import InputError
from formcheck.io.sinks import jpeg_data_url
from formcheck.io.sources import VideoSource, open_source
from formcheck.live.audio import AudioBackend
from formcheck.live.capture import Captured
from formcheck.live.session import LiveOptions, LiveSession, _Loop

if TYPE_CHECKING:
    from formcheck.pipeline import Analyzer, FrameResult
    from formcheck.pose.frame import PoseFrame

log = logging.getLogger(__name__)

#: width of a trial's still in the report, pixels
STILL_WIDTH = 480


@dataclass
class AssessRecorder:
    """Feeds frames to an :class:`Assessment`, keeps each trial's still, says the prompts.

    ``feed(result, image) -> AssessStep``; ``finish()``; ``section()`` -> the report's
    ``assessment`` section (the assessment's summary, each trial with its ``still``).
    """

    assessment: Assessment
    on_line: Callable[[str], None] | None = None
    stills: list[str] = field(default_factory=list)
    _peak: dict[str, tuple[NDArray[np.uint8], NDArray[np.float64]]] = field(default_factory=dict)
    last_t: float = 0.0

    def feed(self, r: FrameResult, image: NDArray[np.uint8] | None) -> AssessStep:
        self.last_t = r.t_s
        step = self.assessment.update(sample_from_metrics(r.metrics))
        if image is not None:
            for side, st in step.steps.items():
                if st.new_peak:
                    self._peak[side] = (image, r.metrics.xy.copy())
        self._keep_stills()
        self._say(step.prompt, r.t_s)
        return step

    def finish(self) -> AssessStep:
        step = self.assessment.finish()
        self._keep_stills()
        self._say(step.prompt, self.last_t)
        return step

    def _keep_stills(self) -> None:
        for trial in self.assessment.trials[len(self.stills) :]:
            peak = self._peak.get(trial.side)
            if peak is None:
                self.stills.append("")
                continue
            image, xy = peak
            self.stills.append(jpeg_data_url(annotate_trial(image, xy, trial), STILL_WIDTH))

    def _say(self, prompt: str | None, t_s: float) -> None:
        if not prompt:
            return
        log.info("[%7.1f s] %s", t_s, prompt)
        if self.on_line is not None:
            self.on_line(f"[{t_s:7.1f} s] {prompt}")

    def section(self) -> dict[str, Any]:
        """The report's ``assessment`` section (docs/architecture.md)."""
        s = self.assessment.summary()
        for row, still in zip(s["trials"], self.stills, strict=False):
            row["still"] = still or None
        return s


def run_assess_file(
    path: str,
    settings: Settings,
    assessment: Assessment,
    *,
    on_line: Callable[[str], None] | None = None,
    pose: Any = None,
) -> dict[str, Any]:
    """Run the assessment over a video file as fast as it decodes; returns the report
    (schema_version 1 with ``session.mode = "assess"`` and the ``assessment`` section).

    ``pose`` replaces the MediaPipe estimator (tests replay known poses)."""
    from formcheck.pipeline import Analyzer, SessionRecorder

    src = open_source(path)
    if not isinstance(src, VideoSource):
        src.close()
        raise InputError(f"formcheck assess needs a video of the test, found a photo: {path}")
    try:
        analyzer = Analyzer(settings, video=True, pose=pose)
    except BaseException:
        src.close()
        raise
    rec = SessionRecorder(src.info.as_report(), settings, mode="assess")
    arec = AssessRecorder(assessment, on_line)
    interrupted = False
    t0 = time.perf_counter()
    try:
        for frame in src:
            r = analyzer.step(frame.image, frame.t_s)
            rec.add(r, None)
            arec.feed(r, frame.image)
    except KeyboardInterrupt:
        interrupted = True
        rec.notes.append("the assessment was interrupted; the report covers what was measured")
    finally:
        analyzer.close()
        src.close()
    arec.finish()
    rec.notes.extend(n for n in src.info.notes if n not in rec.notes)
    rec.source_info = src.info.as_report()
    report = rec.build(
        analyzer.coach, partial=interrupted or src.truncated, model=str(analyzer.model_path)
    )
    report["session"]["interrupted"] = interrupted
    report["session"]["elapsed_s"] = round(time.perf_counter() - t0, 3)
    if not math.isfinite(src.info.duration_s or math.nan):
        report["source"]["duration_s"] = None
    report["assessment"] = arec.section()
    return report


class AssessLiveSession(LiveSession):
    """The live session (window or prompt lines) running the assessment instead of a plan.

    Ends as live mode does, or (headless, or ``end_when_done``) once every side is done.
    """

    def __init__(
        self,
        settings: Settings,
        assessment: Assessment,
        options: LiveOptions,
        *,
        audio: AudioBackend | None = None,
        analyzer: Analyzer | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(settings, None, options, audio=audio, analyzer=analyzer, on_line=None)
        self.arec = AssessRecorder(assessment, on_line)
        self._prompt: tuple[str | None, str] = (None, "info")

    def run(self) -> dict[str, Any]:
        report = super().run()
        self.arec.finish()
        report["session"]["mode"] = "assess"
        report["assessment"] = self.arec.section()
        return report

    def _process(
        self, loop: _Loop, item: Captured, found: tuple[PoseFrame, float, float] | None = None
    ) -> bool:
        frame = item.frame
        t_proc = time.perf_counter()
        if found is None:
            r = loop.analyzer.step(frame.image, frame.t_s)
        else:  # the pose found in the inference thread (formcheck.live.infer)
            pose, t_proc, _ = found
            r = loop.analyzer.measure(pose)
        loop.last_t = frame.t_s
        loop.rec.add(r, None)
        step = self.arec.feed(r, frame.image)
        if step.prompt:
            self._prompt = (step.prompt, step.kind)
        prompt, kind = self._prompt
        self.cues.update((), False, prompt)
        if step.done and loop.end_when_done:
            self.end_reason = "assessment complete"
            now = time.perf_counter()
            loop.stats.record(now, now - item.captured_at, now - t_proc)
            return False
        if loop.window is not None or (
            self.options.screenshot is not None and not self._shot_taken
        ):
            hud = HudState(prompt=prompt, prompt_kind=kind, debug=self.debug, keys_hint=False)
            canvas = loop.overlay.annotate(frame.image, r.metrics, None, hud)
            draw_panel(canvas, loop.overlay.panel_w, *self._panel(step))
            loop.last_canvas = canvas
            if loop.window is not None:
                loop.window.show(canvas)
        self._frame_done(loop, item, t_proc)
        return True

    def _panel(self, step: AssessStep) -> tuple[str, str, list[str]]:
        """The side panel: title, the current value (large), then progress lines."""
        a = self.arec.assessment
        side = a.side
        title = a.test.name
        lines = []
        big = "--"
        if side is None:
            lines.append("done")
        else:
            st = step.steps.get(side)
            now = st.signal_deg if st is not None else math.nan
            if a.test.id == "ake" and math.isfinite(now):
                now = max(0.0, 180.0 - now)
            big = f"{now:.0f} deg" if math.isfinite(now) else "--"
            n = min(a.valid_count(side) + 1, a.norms.trials_per_side)
            lines.append(f"{side.capitalize()} leg, trial {n} of {a.norms.trials_per_side}")
        for s in a.sides:
            vals = [
                f"{t.value_deg:.0f}"
                for t, c in zip(a.trials, a.counted, strict=True)
                if c and t.side == s
            ]
            lines.append(f"{s.capitalize()}: {', '.join(vals) or '-'}")
        return title, big, lines


__all__ = ["AssessLiveSession", "AssessRecorder", "run_assess_file"]
