"""Live coaching: webcam (or a video played as a stand-in camera) -> pose -> coach -> window.

The session loop. Capture runs apart from inference (:mod:`formcheck.live.capture`): the loop
takes the NEWEST frame from a one-slot mailbox, runs the per-frame step
(:class:`formcheck.pipeline.Analyzer`), says what to do (one prompt, :func:`choose_prompt`,
spoken by :mod:`formcheck.live.audio`), draws the picture (:mod:`formcheck.draw.overlay`) and
shows it (:mod:`formcheck.live.window`). When inference is slower than the camera, frames are
dropped instead of lagging behind. With ``LiveOptions.threaded`` the pose model runs in a
thread of its own (:mod:`formcheck.live.infer`): frame N+1's pose is found while frame N is
measured, drawn and shown, in order. The loop measures capture-to-display latency (capture ->
after drawing and ``imshow``) and the processed frame rate, shown by the debug overlay
(``--debug`` or key ``d``) and written to the report's ``live`` section.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from formcheck.config import Settings
from formcheck.draw.overlay import HudState, LiveOverlay, draw_status
from formcheck.io.signals import deferred_interrupts
from formcheck.io.sinks import save_image
from formcheck.io.sources import VideoSource
from formcheck.live.adapt import LiveAdapter, Step, apply_step, current_step
from formcheck.live.audio import AudioBackend, AudioCues, NullAudio
from formcheck.live.calibrate import CalibrationStep
from formcheck.live.capture import (
    CameraReader,
    Captured,
    FrameReader,
    LatestFrame,
    LiveStats,
    PacedVideoReader,
    open_reader,
)
from formcheck.live.guide import Guidance, GuidedSession
from formcheck.live.infer import InferenceThread
from formcheck.live.options import LiveOptions, rule_faults
from formcheck.live.plan import Plan
from formcheck.live.prompts import LIVE_PRIORITY, LIVE_PROMPTS, choose_prompt
from formcheck.live.start import START_SCREEN_S, show_start_screen
from formcheck.live.window import WINDOW_NAME, Window, hold_window
from formcheck.stretches.coach import Coach

if TYPE_CHECKING:
    from formcheck.pipeline import Analyzer, FrameResult, SessionRecorder
    from formcheck.pose.frame import PoseFrame

log = logging.getLogger(__name__)


@dataclass
class _Loop:
    """What the session loop keeps from one frame to the next."""

    reader: FrameReader
    mailbox: LatestFrame
    analyzer: Analyzer
    rec: SessionRecorder
    overlay: LiveOverlay
    stats: LiveStats
    t_start: float
    end_when_done: bool
    window: Window | None = None
    infer: InferenceThread | None = None  # pose inference in its own thread (options.threaded)
    last_t: float = 0.0  # the last processed frame's time, seconds
    last_prompt: str | None = None
    last_canvas: NDArray[np.uint8] | None = None
    status_shown: bool = False


class LiveSession:
    """One live session: ``run() -> report`` (schema_version 1, ``session.mode = "live"``).

    Ends on q / Esc, closing the window, ``duration_s``, the end of a stand-in video, a camera
    that stays disconnected, Ctrl-C or SIGTERM (raised as ``KeyboardInterrupt``); in every case
    the report of what was measured is returned (``session.partial`` when it ended abnormally).
    ``audio`` and ``analyzer`` are injectable (tests); an injected analyzer is built with the
    plan's hold target by the caller.
    """

    def __init__(
        self,
        settings: Settings,
        plan: Plan | None,
        options: LiveOptions,
        *,
        audio: AudioBackend | None = None,
        analyzer: Analyzer | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.plan = plan
        self.options = options
        self.cues = AudioCues(audio or NullAudio())
        self._analyzer = analyzer
        self.on_line = on_line
        self.guide = GuidedSession(plan) if plan is not None else None
        self.debug = options.debug
        self.paused = False
        self.end_reason = "unknown"
        self.screenshot_saved: str | None = None
        self._restart_hold = False
        self._adapter: LiveAdapter | None = None
        self._calib: CalibrationStep | None = None

    # -- keys -------------------------------------------------------------------------------
    def handle_key(self, key: int, t_s: float, window: Window | None) -> bool:
        """Apply a key; returns False to quit."""
        if key in (ord("q"), 27):
            self.end_reason = "quit"
            return False
        if key == ord(" "):
            self.paused = not self.paused
            if self.guide is not None:
                (self.guide.pause if self.paused else self.guide.resume)(t_s)
            self._say_line("paused" if self.paused else "resumed", t_s)
        elif key == ord("d"):
            self.debug = not self.debug
        elif key == ord("m"):
            self.cues.muted = not self.cues.muted
        elif key == ord("f") and window is not None:
            window.toggle_fullscreen()
        elif self.guide is not None and key == ord("n"):
            self.guide.next_step(t_s)
        elif self.guide is not None and key == ord("s"):
            self.guide.switch_side(t_s)
        elif key == ord("c") and self._calib is not None:
            if line := self._calib.skip(t_s):
                self._say_line(line, t_s)
        elif key == ord("r"):
            if self.guide is not None:
                self.guide.restart(t_s)
            else:
                self._restart_hold = True
        return True

    def _say_line(self, text: str, t_s: float) -> None:
        log.info("[%7.1f s] %s", t_s, text)
        if self.on_line is not None:
            self.on_line(f"[{t_s:7.1f} s] {text}")

    def _apply_events(self, g: Guidance, coach: Coach) -> None:
        if "side_changed" in g.events or "new_rep" in g.events:
            self._force_side(coach)
        if "new_rep" in g.events:
            coach.end_hold()

    def _force_side(self, coach: Coach) -> None:
        """With a known one-leg stretch, the plan's side is the working leg."""
        if self.guide is None or self.plan is None or self.plan.stretch is None:
            return
        side = self.guide.side
        if side == "both" or self.settings.coach.side is not None:
            return
        coach.force_side(side)

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from formcheck.pipeline import Analyzer, SessionRecorder

        opts = self.options
        mailbox = LatestFrame()
        reader, src, info = open_reader(
            mailbox,
            source=opts.source,
            camera=opts.camera,
            speed=opts.speed,
            retry_every_s=opts.retry_every_s,
            give_up_s=opts.give_up_s,
        )
        hold_s = self.plan.hold_s if self.plan is not None else None
        analyzer = self._analyzer
        try:
            analyzer = analyzer or Analyzer(self.settings, video=True, hold_target_s=hold_s)
            if opts.mask_every > 1:  # the mask every Nth frame from the start (pose.alternate)
                apply_step(analyzer, Step(analyzer.settings.pose.model, opts.mask_every))
        except BaseException:
            reader.stop()  # never started: releases the source
            if analyzer is not None and self._analyzer is None:
                analyzer.close()
            raise
        self._force_side(analyzer.coach)
        self._calib = CalibrationStep(analyzer.coach, enabled=opts.calibrate)
        infer = None
        if opts.threaded:
            infer = InferenceThread(
                mailbox, lambda c: analyzer.detect(c.frame.image, c.frame.t_s),
                skip=lambda: self.paused,
            )  # fmt: skip
        guard = infer.lock if infer is not None else None
        self._adapter = LiveAdapter(info.get("fps"), guard=guard) if opts.adapt else None
        end_when_done = opts.end_when_done if opts.end_when_done is not None else not opts.window
        loop = _Loop(
            reader, mailbox, analyzer, SessionRecorder(info, self.settings, mode="live"),
            LiveOverlay(mirror=opts.mirror), LiveStats(), time.perf_counter(), end_when_done,
            infer=infer,
        )  # fmt: skip
        interrupted = False
        failure: str | None = None
        try:
            if opts.window:
                h = loop.overlay.height
                loop.window = Window(WINDOW_NAME, (h * 16 // 9 + 100, h))
            reader.start()
            if self._start_screen(loop):
                if infer is not None:
                    infer.start()
                while self._next(loop):
                    pass
        except KeyboardInterrupt:
            interrupted = True
            self.end_reason = "interrupted"
            loop.rec.notes.append(
                "the live session was interrupted; the report covers what was measured before"
            )
        except Exception as err:  # a model, capture or drawing error: keep what was measured
            log.debug("the live session failed", exc_info=True)
            text = str(err).strip()
            failure = f"{type(err).__name__}: {text.splitlines()[0] if text else 'no message'}"
            self.end_reason = f"error ({failure})"
            loop.rec.notes.append(
                f"the live session stopped early ({failure}); the report covers what was measured"
            )
        finally:
            # stopping anyway: another Ctrl-C / SIGTERM now must not cut the shutdown short
            with deferred_interrupts(reraise=False) as held:
                # the capture thread releases the source itself, once its last read is done
                reader.stop()
                # the model call in progress ends first: the estimator is closed after it
                stopped = infer.stop() if infer is not None else True
                if self._analyzer is None and stopped:
                    analyzer.close()
                if loop.window is not None:
                    loop.window.close()
                self.cues.close()
        if held.signals and not interrupted:
            interrupted = True
            self.end_reason = "interrupted"
            loop.rec.notes.append(
                "the live session was interrupted; the report covers what was measured before"
            )
        wall_s = time.perf_counter() - loop.t_start
        camera_lost = self.end_reason.startswith("camera disconnected")
        rec = loop.rec
        if camera_lost:
            rec.notes.append(f"the session ended early: {self.end_reason}")
        if reader.error is not None:
            rec.notes.append(f"capture failed: {reader.error}")
        if isinstance(reader, PacedVideoReader) and isinstance(src, VideoSource):
            if src.frames_read:  # played to its end
                info["frames"] = src.frames_read
                if src.info.duration_s:
                    info["duration_s"] = src.info.duration_s
            else:  # stopped before: what was played; the file's length beside it
                info["file_frames"] = info.get("frames")
                info["file_duration_s"] = info.get("duration_s")
                info["frames"] = reader.frames_read
                fps = info.get("fps") or 30.0
                played_s = reader.last_t_s + 1.0 / fps if reader.frames_read else 0.0
                info["duration_s"] = round(played_s, 4)
        rec.source_info = info
        report = rec.build(
            analyzer.coach,
            partial=interrupted or camera_lost or reader.error is not None or failure is not None,
            model=str(analyzer.model_path) or None,
        )
        ses = report["session"]
        ses["interrupted"] = interrupted
        ses["elapsed_s"] = round(wall_s, 3)
        ses["end_reason"] = self.end_reason
        if failure:
            ses["error"] = failure
        live = loop.stats.summary(mailbox, wall_s)
        live["mirror"] = opts.mirror
        live["window"] = loop.window is not None
        live["adapted"] = self._adapter.as_report() if self._adapter is not None else None
        live["calibration"] = self._calib.as_report()
        live["inference_width"] = analyzer.settings.pose.max_width or None
        live["threaded"] = infer is not None
        live["pose_step"] = current_step(analyzer).describe()
        if isinstance(reader, CameraReader):
            live["camera_disconnects"] = reader.disconnects
        if self.screenshot_saved:
            live["screenshot"] = self.screenshot_saved
        report["live"] = live
        if self.guide is not None:
            report["plan"] = self.guide.as_report()
        return report

    def _start_screen(self, loop: _Loop) -> bool:
        """Name the stretch or plan about to run and its set-up steps (:mod:`.start`); in front
        of a camera, for a few seconds or until a key; False: q / Esc was pressed."""
        h = loop.overlay.height
        canvas, key = show_start_screen(
            self.plan, loop.analyzer.coach.catalogue, loop.window, (h * 16 // 9 + 100, h),
            wait_s=START_SCREEN_S if self.options.source is None else 0.0, on_line=self.on_line,
        )  # fmt: skip
        loop.last_canvas = canvas if canvas is not None else loop.last_canvas
        if key in (ord("q"), 27):
            self.end_reason = "quit"
            return False
        return True

    def _next(self, loop: _Loop) -> bool:
        """One turn of the loop: take the newest frame, if any, and process it; False to end."""
        opts = self.options
        if opts.duration_s is not None and time.perf_counter() - loop.t_start >= opts.duration_s:
            self.end_reason = "duration"
            return False
        if loop.infer is not None:
            return self._next_inferred(loop, loop.infer)
        item = loop.mailbox.get(timeout=0.05)
        if loop.window is not None and not self._poll_window(loop, loop.window):
            return False
        if item is None:
            return self._idle(loop)
        loop.status_shown = False
        if self.paused:
            return self._show_paused(loop, item)
        return self._process(loop, item)

    def _next_inferred(self, loop: _Loop, infer: InferenceThread) -> bool:
        """:meth:`_next` with the pose found in the inference thread: the next result, in
        order; a model error there is raised here, after the frames before it."""
        res = infer.get(timeout=0.05)
        if loop.window is not None and not self._poll_window(loop, loop.window):
            return False
        if res is None:
            return self._idle(loop)
        if res.error is not None:
            raise res.error
        loop.status_shown = False
        if self.paused or res.pose is None:
            return self._show_paused(loop, res.item)
        return self._process(loop, res.item, (res.pose, res.started, res.detect_s))

    def _show_paused(self, loop: _Loop, item: Captured) -> bool:
        if loop.window is not None:
            hud = HudState(paused=True, debug=self.debug)
            loop.window.show(loop.overlay.annotate(item.frame.image, None, None, hud))
        return True

    def _poll_window(self, loop: _Loop, window: Window) -> bool:
        """Keys and the window's state; False to end."""
        key = window.poll_key(1)
        if key != 255 and not self.handle_key(key, loop.last_t, window):
            return False
        if window.closed():
            self.end_reason = "window closed"
            return False
        if self._restart_hold:
            loop.analyzer.coach.end_hold()
            self._restart_hold = False
        return True

    def _idle(self, loop: _Loop) -> bool:
        """No new frame: end with the source, or show the reader's status once."""
        if loop.infer.finished if loop.infer is not None else loop.mailbox.closed:
            self.end_reason = loop.mailbox.reason or "source ended"
            return False
        status = loop.reader.status
        if status and not loop.status_shown:
            self._say_line(status, loop.last_t)
            loop.status_shown = True
            if loop.window is not None and loop.last_canvas is not None:
                loop.window.show(draw_status(loop.last_canvas, status))
        return True

    def _process(
        self, loop: _Loop, item: Captured, found: tuple[PoseFrame, float, float] | None = None
    ) -> bool:
        """The per-frame step on a captured frame, then guidance, prompt, cues and picture.

        ``found``: the pose the inference thread found, when it started and how long it took
        (else the pose model runs here)."""
        frame = item.frame
        if self.guide is not None and self.guide.paused:
            self.guide.resume(frame.t_s)
        t_proc = time.perf_counter()
        if found is None:
            r = loop.analyzer.step(frame.image, frame.t_s)
            step_s = time.perf_counter() - t_proc
        else:
            pose, t_proc, detect_s = found
            t_measure = time.perf_counter()
            r = loop.analyzer.measure(pose)
            step_s = detect_s + time.perf_counter() - t_measure
        if self._adapter is not None:  # a slow computer: a faster step (formcheck.live.adapt)
            now = time.perf_counter()
            if a := self._adapter.update(loop.analyzer, step_s, now):
                why = "fast enough again" if a.up else "slow computer"
                self._say_line(f"{why}: {a.reason}", frame.t_s)
        v = r.verdict
        loop.last_t = frame.t_s
        loop.rec.add(r, frame.image)
        g = None
        if self.guide is not None:
            g = self.guide.update(frame.t_s, v)
            self._apply_events(g, loop.analyzer.coach)
            if "rep_done" in g.events:
                done = ", ".join(f"{k} {n}/{g.reps}" for k, n in g.completed.items())
                self._say_line(f"rep completed ({done})", frame.t_s)
            if g.done and loop.end_when_done:
                self.end_reason = "plan complete"
                now = time.perf_counter()
                loop.stats.record(now, now - item.captured_at, now - t_proc)
                self._say_line(g.prompt or "", frame.t_s)
                self.cues.update(v.warnings, v.hold.just_completed, g.prompt)
                return False
        prompt, kind = choose_prompt(v, g)
        if self._calib is not None and self._calib.active:  # stand tall first (.calibrate)
            calib, line = self._calib.update(frame.t_s, v, r.metrics.view)
            if line:
                self._say_line(line, frame.t_s)
            prompt, kind = (calib, "info") if calib else (prompt, kind)
        self.cues.update(v.warnings, v.hold.just_completed, prompt)
        if prompt != loop.last_prompt:
            if prompt:
                self._say_line(prompt, frame.t_s)
            loop.last_prompt = prompt
        opts = self.options
        if loop.window is not None or (opts.screenshot is not None and not self._shot_taken):
            self._draw(loop, frame.image, r, HudState(prompt=prompt, prompt_kind=kind, guidance=g))
        self._frame_done(loop, item, t_proc)
        return True

    def _frame_done(self, loop: _Loop, item: Captured, t_proc: float) -> None:
        """After a frame is shown: its timings, and the screenshot once it is due."""
        opts = self.options
        done_at = time.perf_counter()
        loop.stats.record(done_at, done_at - item.captured_at, done_at - t_proc)
        if (
            opts.screenshot
            and not self._shot_taken
            and done_at - loop.t_start >= opts.screenshot_after_s
            and loop.last_canvas is not None
        ):
            self._save_screenshot(opts.screenshot, loop.last_canvas)
            if opts.screenshot_hold and loop.window is not None:
                hold_window(loop.window, loop.last_canvas)

    def _draw(self, loop: _Loop, image: NDArray[np.uint8], r: FrameResult, hud: HudState) -> None:
        """Draw the picture of a processed frame (``hud``: its prompt and guidance) and show
        it in the window."""
        stats, mailbox = loop.stats, loop.mailbox
        hud = dataclasses.replace(
            hud,
            debug=self.debug,
            fps=stats.fps,
            latency_ms=stats.latency_ms,
            process_ms=1000 * stats.process_s[-1] if stats.process_s else math.nan,
            dropped=mailbox.published - mailbox.taken,
            target_s=self.plan.hold_s if self.plan is not None else None,
            rule_faults=rule_faults(loop.analyzer.coach.catalogue, r.verdict.stretch),
        )
        canvas = loop.overlay.annotate(image, r.metrics, r.verdict, hud)
        if self._adapter is not None and (line := self._adapter.banner(time.perf_counter())):
            canvas = draw_status(canvas, line)
        loop.last_canvas = canvas
        if loop.window is not None:
            loop.window.show(canvas)

    @property
    def _shot_taken(self) -> bool:
        return self.screenshot_saved is not None

    def _save_screenshot(self, path: str, canvas: NDArray[np.uint8]) -> None:
        p = Path(path)
        if save_image(p, canvas):
            self.screenshot_saved = str(p)
            log.info("screenshot saved to %s", p)
        else:
            log.warning("could not save the screenshot to %s", p)
            self.screenshot_saved = ""


def run_live(
    settings: Settings,
    plan: Plan | None,
    options: LiveOptions,
    *,
    audio: AudioBackend | None = None,
    on_line: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run one live session and return its report (the Python API of ``formcheck live``)."""
    return LiveSession(settings, plan, options, audio=audio, on_line=on_line).run()


__all__ = [
    "LIVE_PRIORITY",
    "LIVE_PROMPTS",
    "LiveOptions",
    "LiveSession",
    "choose_prompt",
    "run_live",
]
