"""Live coaching: webcam (or a video played as a stand-in camera) -> pose -> coach -> window.

Latency design
--------------
Capture runs apart from inference. A reader thread (:class:`CameraReader` or
:class:`PacedVideoReader`) puts every frame it gets into a one-slot mailbox
(:class:`LatestFrame`) that keeps only the NEWEST frame: a frame that was not taken before the
next one arrived is dropped (and counted), never queued. The processing loop takes the newest
frame, runs the chain (``Analyzer.step``), draws and shows it. So when inference is slower than
the camera, the display stays current and frames are dropped instead of lagging behind.
Each frame carries its capture time; the loop measures capture-to-display latency (capture ->
after drawing and ``imshow``) and the processed frame rate, shown by the debug overlay
(``--debug`` or key ``d``) and written to the report's ``live`` section.

The window mirrors the picture (a mirror is what people expect of a webcam) but only the
display: the measurement runs on the camera's own picture, the landmarks are mirrored for
drawing, and text is drawn after mirroring so it reads correctly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcheck.config import Settings
from formcheck.draw.annotators import (
    BAD,
    DIM,
    GOOD,
    NEUTRAL,
    STRETCH_NAMES,
    WARN,
    SkeletonAnnotator,
)
from formcheck.errors import InputError
from formcheck.io.sources import CameraSource, Frame, VideoSource
from formcheck.live.audio import AudioBackend, AudioCues, NullAudio
from formcheck.live.plan import Guidance, GuidedSession, Plan
from formcheck.metrics.measures import FrameMetrics
from formcheck.stretches.coach import PROMPT_PRIORITY, Verdict

log = logging.getLogger(__name__)

WINDOW_NAME = "formcheck live"

#: the one prompt shown for each warning, in the words of the live window
LIVE_PROMPTS = {
    "no_person": "Step in front of the camera",
    "out_of_frame": "Step back so your whole body is visible",
    "back_rounding": "Lift your chest and hinge at the hips - your back is rounding",
    "back_off_floor": "Keep your back and hips on the floor",
    "knee_bent": "Straighten your knee",
    "bouncing": "Don't bounce",
    "other_leg_lifted": "Keep the other leg flat on the floor",
    "legs_not_90": "Aim for about 90 degrees between your legs",
    "not_side_view": "Turn sideways to the camera",
    "far_leg": "Turn around: stretched leg toward the camera",
}
#: most important first: the coach's order, without the note about other people in view
LIVE_PRIORITY = tuple(k for k in PROMPT_PRIORITY if k != "several_people")
PROMPT_DISCONNECTED = "camera disconnected - retrying"

PANEL_BG = (48, 32, 24)  # BGR, dark blue-grey; the side panel's flat colour
PROMPT_BG_WARN = (30, 30, 170)
PROMPT_BG_INFO = (70, 50, 30)


# -- capture: newest-frame mailbox and readers --------------------------------------------
@dataclass(frozen=True)
class Captured:
    """A frame and the moment (``time.perf_counter()``) it became available."""

    frame: Frame
    captured_at: float


class LatestFrame:
    """A one-slot mailbox: ``put`` replaces the frame not yet taken (counted in ``dropped``),
    ``get`` returns the newest frame and empties the slot. Thread-safe.

    ``close(reason)`` ends it: ``get`` then returns what is left, then ``None`` with
    ``closed`` true.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Captured | None = None
        self._closed = False
        self.reason: str | None = None
        self.published = 0
        self.taken = 0
        self.dropped = 0

    def put(self, item: Captured) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.published += 1
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Captured | None:
        with self._cond:
            if self._item is None and not self._closed:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            if item is not None:
                self.taken += 1
            return item

    def close(self, reason: str | None = None) -> None:
        with self._cond:
            if not self._closed:
                self._closed = True
                self.reason = reason
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once closed and emptied."""
        with self._cond:
            return self._closed and self._item is None


class _Reader:
    def __init__(self, mailbox: LatestFrame, name: str) -> None:
        self.mailbox = mailbox
        self.status: str | None = None  # e.g. "camera disconnected - retrying"
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._guarded, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3.0)

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException as err:  # handed to the loop through the mailbox
            self.error = err
            self.mailbox.close(f"capture failed: {err}")

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class PacedVideoReader(_Reader):
    """Plays a video file as a stand-in camera: each frame is published at its own timestamp
    (real-time pace, ``speed`` times faster), whether or not the consumer took the last one."""

    def __init__(
        self,
        source: VideoSource,
        mailbox: LatestFrame,
        *,
        speed: float = 1.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(mailbox, "formcheck-video-capture")
        self.source = source
        self.speed = speed
        self.clock = clock
        self.frames_read = 0

    def _run(self) -> None:
        t0: float | None = None
        for frame in self.source:
            if self._stop.is_set():
                break
            if t0 is None:
                t0 = self.clock() - frame.t_s / self.speed
            wait = t0 + frame.t_s / self.speed - self.clock()
            if wait > 0 and self._stop.wait(wait):
                break
            self.frames_read += 1
            self.mailbox.put(Captured(frame, self.clock()))
        self.mailbox.close("end of video" if not self._stop.is_set() else "stopped")


class CameraReader(_Reader):
    """Reads a :class:`CameraSource` as fast as it delivers. When it stops delivering, sets
    ``status`` to "camera disconnected - retrying" and calls ``reopen()`` every
    ``retry_every_s`` for up to ``give_up_s``; then closes the mailbox."""

    def __init__(
        self,
        camera: CameraSource,
        mailbox: LatestFrame,
        *,
        retry_every_s: float = 1.0,
        give_up_s: float = 10.0,
    ) -> None:
        super().__init__(mailbox, "formcheck-camera-capture")
        self.camera = camera
        self.retry_every_s = retry_every_s
        self.give_up_s = give_up_s
        self.disconnects = 0

    def _read(self) -> Frame | None:
        try:
            return self.camera.read()
        except Exception as err:  # a driver error reads as a lost camera
            log.debug("camera read failed: %s", err)
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = self._read()
            if frame is not None:
                self.mailbox.put(Captured(frame, time.perf_counter()))
                continue
            self.disconnects += 1
            self.status = PROMPT_DISCONNECTED
            log.warning(PROMPT_DISCONNECTED)
            lost_at = time.monotonic()
            back = False
            while not self._stop.is_set() and time.monotonic() - lost_at < self.give_up_s:
                if self._stop.wait(self.retry_every_s):
                    break
                if self.camera.reopen() and (frame := self._read()) is not None:
                    self.mailbox.put(Captured(frame, time.perf_counter()))
                    back = True
                    break
            if not back:
                self.mailbox.close(
                    "stopped"
                    if self._stop.is_set()
                    else f"camera disconnected (no picture for {self.give_up_s:.0f} s)"
                )
                return
            self.status = None
            log.warning("camera reconnected")
        self.mailbox.close("stopped")


# -- measurements of the loop ----------------------------------------------------------------
class LiveStats:
    """Processed frame rate (rolling over ``window_s``) and capture-to-display latency."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()
        self.latencies_s: list[float] = []
        self.process_s: list[float] = []
        self.started = time.perf_counter()

    def record(self, now: float, latency_s: float, process_s: float) -> None:
        self._times.append(now)
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()
        self.latencies_s.append(latency_s)
        self.process_s.append(process_s)

    @property
    def fps(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    @property
    def latency_ms(self) -> float:
        return 1000 * self.latencies_s[-1] if self.latencies_s else math.nan

    def summary(self, mailbox: LatestFrame, wall_s: float) -> dict[str, Any]:
        lat = np.array(self.latencies_s) * 1000 if self.latencies_s else np.array([math.nan])
        proc = np.array(self.process_s) * 1000 if self.process_s else np.array([math.nan])
        n = len(self.latencies_s)

        def r(x: float) -> float | None:
            return round(float(x), 1) if math.isfinite(x) else None

        return {
            "wall_s": round(wall_s, 3),
            "frames_captured": mailbox.published,
            "frames_processed": n,
            "frames_dropped": mailbox.published - n,
            "fps_processed": round(n / wall_s, 2) if wall_s > 0 else None,
            "latency_ms": {
                "mean": r(np.mean(lat)),
                "p50": r(np.percentile(lat, 50)),
                "p95": r(np.percentile(lat, 95)),
                "max": r(np.max(lat)),
            },
            "process_ms": {"mean": r(np.mean(proc)), "p95": r(np.percentile(proc, 95))},
        }


# -- what to say ---------------------------------------------------------------------------
def choose_prompt(v: Verdict | None, g: Guidance | None) -> tuple[str | None, str]:
    """The ONE prompt to show now and its kind (``"warn"`` for form, ``"info"`` for guidance).

    During a rest, a switch of legs or when the plan is done, the plan speaks; otherwise the
    most important active warning; otherwise what to do next.
    """
    if g is not None and g.step in ("rest", "switch", "done"):
        return g.prompt, "info"
    if v is not None:
        for kind in LIVE_PRIORITY:
            if kind in v.warnings:
                return LIVE_PROMPTS[kind], "warn"
    if g is not None:
        return g.prompt, "info"
    if v is not None and v.person and not v.engaged:
        return "Get into the stretch", "info"
    return None, "info"


# -- drawing ---------------------------------------------------------------------------------
def mirror_metrics(m: FrameMetrics, width: int) -> FrameMetrics:
    """The same metrics with landmarks mirrored left-right (for drawing on a mirrored view)."""
    xy = m.xy.copy()
    xy[:, 0] = (width - 1) - xy[:, 0]
    return dataclasses.replace(m, xy=xy)


def _put(
    img: NDArray[np.uint8],
    text: str,
    org: tuple[int, int],
    scale: float,
    color: tuple[int, int, int],
    thick: int,
    *,
    shadow: bool = False,
) -> int:
    """Draw text (optionally with a dark outline); returns its width in pixels."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    if shadow:
        cv2.putText(img, text, org, font, scale, (0, 0, 0), thick + 4, cv2.LINE_AA)
    cv2.putText(img, text, org, font, scale, color, thick, cv2.LINE_AA)
    return int(cv2.getTextSize(text, font, scale, thick)[0][0])


def _put_deg(
    img: NDArray[np.uint8],
    label: str,
    value: float,
    org: tuple[int, int],
    scale: float,
    color: tuple[int, int, int],
    thick: int,
) -> None:
    """``Knee 172°`` (Hershey fonts have no degree sign: a small circle is drawn)."""
    import cv2

    if not math.isfinite(value):
        _put(img, f"{label} --", org, scale, DIM, thick)
        return
    w = _put(img, f"{label} {value:.0f}", org, scale, color, thick)
    r = max(3, int(6 * scale))
    cv2.circle(
        img, (org[0] + w + r + 3, org[1] - int(22 * scale) + r), r, color, thick, cv2.LINE_AA
    )


def wrap_text(text: str, max_w: int, scale: float, thick: int, max_lines: int = 2) -> list[str]:
    """Greedy word wrap to ``max_w`` pixels (Hershey simplex)."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if cur and cv2.getTextSize(trial, font, scale, thick)[0][0] > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return (
        lines
        if len(lines) <= max_lines
        else lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    )


@dataclass
class HudState:
    """What the overlay shows besides the verdict."""

    prompt: str | None = None
    prompt_kind: str = "info"
    guidance: Guidance | None = None
    debug: bool = False
    fps: float = 0.0
    latency_ms: float = math.nan
    process_ms: float = math.nan
    dropped: int = 0
    paused: bool = False
    status: str | None = None  # e.g. camera disconnected
    target_s: float | None = None
    keys_hint: bool = True
    #: the faults the current stretch's rules check (None: unknown); picks the back readout
    rule_faults: frozenset[str] | None = None


@dataclass
class LiveOverlay:
    """The live window's picture: the (mirrored) camera view with the skeleton, a side panel
    with a LARGE hold timer and progress bar, rep and side counters, the working leg's knee
    and hip angles and the back state in colour, and ONE prompt across the bottom.

    ``annotate(image, m, v, hud) -> canvas``: ``image`` is the camera's picture (not mirrored);
    the canvas is ``height`` pixels tall (the picture is scaled to it) plus ``panel_w``.
    """

    height: int = 720
    panel_w: int = 460
    mirror: bool = True
    skeleton: SkeletonAnnotator = field(default_factory=lambda: SkeletonAnnotator(1.3))

    def annotate(
        self,
        image: NDArray[np.uint8],
        m: FrameMetrics | None,
        v: Verdict | None,
        hud: HudState,
    ) -> NDArray[np.uint8]:
        import cv2

        h, w = image.shape[:2]
        view: NDArray[np.uint8] = np.ascontiguousarray(cv2.flip(image, 1) if self.mirror else image)
        if not self.mirror:
            view = view.copy()
        if m is not None:
            mm = mirror_metrics(m, w) if self.mirror else m
            self.skeleton.annotate(view, mm, v)
        H = self.height
        vw = max(1, int(round(w * H / h)))
        interp = cv2.INTER_LINEAR if h < H else cv2.INTER_AREA
        canvas = np.empty((H, vw + self.panel_w, 3), np.uint8)
        canvas[:, :vw] = cv2.resize(view, (vw, H), interpolation=interp)
        canvas[:, vw:] = PANEL_BG
        self._prompt(canvas, hud)
        self._panel(canvas, vw, v, hud)
        if hud.debug:
            self._debug(canvas, hud)
        if hud.paused or hud.status:
            msg = hud.status or "PAUSED"
            scale = 2.0 if hud.paused and not hud.status else 1.2
            (tw, th), _ = cv2.getTextSize(msg, cv2.FONT_HERSHEY_SIMPLEX, scale, 4)
            x, y = max(10, (vw - tw) // 2), H // 2
            cv2.rectangle(canvas, (x - 20, y - th - 20), (x + tw + 20, y + 20), (0, 0, 0), -1)
            _put(canvas, msg, (x, y), scale, WARN, 4)
        return canvas

    def _prompt(self, canvas: NDArray[np.uint8], hud: HudState) -> None:
        """The bottom bar with the one prompt, across the whole width."""
        import cv2

        H, W = canvas.shape[:2]
        if not hud.prompt:
            return
        scale, thick = 1.5, 3
        lines = wrap_text(hud.prompt, W - 60, scale, thick)
        if len(lines) > 1 and len(lines[-1]) > 0:
            longest = max(
                cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] for s in lines
            )
            if longest > W - 60:  # a single long word: shrink
                scale *= (W - 60) / longest
        line_h = int(52 * scale / 1.5)
        top = H - len(lines) * line_h - 26
        bg = PROMPT_BG_WARN if hud.prompt_kind == "warn" else PROMPT_BG_INFO
        cv2.rectangle(canvas, (0, top), (W, H), bg, -1)
        for i, text in enumerate(lines):
            tw = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0]
            org = ((W - tw) // 2, top + 4 + line_h * (i + 1))
            _put(canvas, text, org, scale, (255, 255, 255), thick)

    def _panel(
        self,
        canvas: NDArray[np.uint8],
        x0: int,
        v: Verdict | None,
        hud: HudState,
    ) -> None:
        import cv2

        pw = self.panel_w
        x = x0 + 24
        g = hud.guidance
        name = STRETCH_NAMES.get((v.stretch if v else None) or "", "No stretch yet")
        _put(canvas, name, (x, 48), 0.95, NEUTRAL, 2)
        # rep and side counters
        if g is not None:
            side = {"left": "Left leg", "right": "Right leg"}.get(g.side, "Both legs")
            _put(canvas, f"{side}  -  rep {g.rep} of {g.reps}", (x, 92), 0.9, NEUTRAL, 2)
            counts = "   ".join(
                f"{s.capitalize() if s != 'both' else 'Reps done'} {n}/{g.reps}"
                for s, n in g.completed.items()
            )
            _put(canvas, counts, (x, 130), 0.8, DIM, 2)
        elif v is not None and v.side:
            _put(canvas, f"Side: {v.side}", (x, 92), 0.9, NEUTRAL, 2)
        # the big timer
        hold = v.hold if v is not None else None
        step = g.step if g is not None else "hold"
        target = (
            (hold.target_s if hold is not None and hold.active else None) or hud.target_s or 30.0
        )
        if step in ("rest", "switch") and g is not None:
            left = g.remaining_s or 0.0
            big = f"{math.ceil(left):d}"
            small = "s rest" if step == "rest" else "s to switch"
            frac = 1.0 - left / g.step_total_s if g.step_total_s else 1.0
            color = (255, 200, 120)
        elif step == "done":
            big, small, color, frac = "Done", "", GOOD, 1.0
        else:
            valid = hold.valid_s if hold is not None and hold.active else 0.0
            big = f"{int(valid):d}"
            small = f"/ {target:.0f} s"
            frac = min(1.0, valid / target) if target > 0 else 0.0
            if hold is None or not hold.active:
                color = DIM
            elif valid >= target - 1e-9:
                color = GOOD
            else:
                color = GOOD if v is not None and v.valid else WARN
        big_scale = 4.2 if len(big) <= 2 else 3.2
        y_big = 265
        bw = _put(canvas, big, (x, y_big), big_scale, color, 10)
        if small:
            _put(canvas, small, (x + bw + 18, y_big), 1.4, color, 3)
        bar_y = y_big + 28
        bar_w = pw - 48
        cv2.rectangle(canvas, (x, bar_y), (x + bar_w, bar_y + 34), (90, 80, 70), -1)
        frac = min(1.0, max(0.0, frac))
        cv2.rectangle(canvas, (x, bar_y), (x + int(bar_w * frac), bar_y + 34), color, -1)
        cv2.rectangle(canvas, (x, bar_y), (x + bar_w, bar_y + 34), NEUTRAL, 2)
        y = bar_y + 72
        if g is not None and g.phase and step == "hold":
            _put(canvas, g.phase.upper(), (x, y), 1.0, (255, 200, 120), 3)
            y += 46
        # the working leg's angles and the back, in colour
        if v is not None and v.person:
            knee_bad = "knee_bent" in v.warnings
            _put_deg(
                canvas, "Knee", v.knee_extension_deg, (x, y), 1.25, BAD if knee_bad else GOOD, 3
            )
            y += 50
            _put_deg(canvas, "Hip", v.hip_angle_deg, (x, y), 1.25, NEUTRAL, 3)
            y += 50
            rules = hud.rule_faults
            if rules is not None and "back_rounding" not in rules:
                if "back_off_floor" in rules:  # lying stretches: the back stays on the floor
                    off = "back_off_floor" in v.warnings
                    text = "Back: OFF the floor" if off else "Back: on the floor"
                    _put(canvas, text, (x, y), 1.25, BAD if off else GOOD, 3)
            elif v.back_rounded is None:
                _put(canvas, "Back: not judged", (x, y), 1.1, DIM, 3)
            elif v.back_rounded:
                _put(canvas, "Back: ROUNDED", (x, y), 1.25, BAD, 3)
            else:
                _put(canvas, "Back: straight", (x, y), 1.25, GOOD, 3)
        elif v is not None:
            _put(canvas, "Nobody in view", (x, y), 1.1, WARN, 3)
        if hud.keys_hint:
            H = canvas.shape[0]
            _put(canvas, "q quit   space pause   d debug", (x, H - 165), 0.6, DIM, 1)
            _put(canvas, "n next   s switch side   r restart", (x, H - 140), 0.6, DIM, 1)

    def _debug(self, canvas: NDArray[np.uint8], hud: HudState) -> None:
        import cv2

        lines = [
            f"fps {hud.fps:5.1f}",
            f"latency {hud.latency_ms:5.0f} ms",
            f"process {hud.process_ms:5.0f} ms",
            f"dropped {hud.dropped}",
        ]
        cv2.rectangle(canvas, (0, 0), (330, 34 * len(lines) + 14), (0, 0, 0), -1)
        for i, s in enumerate(lines):
            _put(canvas, s, (12, 34 * (i + 1)), 0.9, (120, 255, 255), 2)


# -- the session -----------------------------------------------------------------------------
@dataclass
class LiveOptions:
    """How a live session runs (the CLI flags of ``formcheck live``)."""

    camera: int = 0
    source: str | None = None  # a video file played as a stand-in camera, at real-time pace
    window: bool = True
    mirror: bool = True
    debug: bool = False
    duration_s: float | None = None
    screenshot: str | None = None
    screenshot_after_s: float = 2.0
    #: test hook: once the screenshot is saved (and shown), print ``screenshot-ready`` on stdout
    #: and keep the window up until a line or EOF arrives on stdin (at most 60 s), so a test can
    #: grab the X screen at a known moment instead of after a guessed delay
    screenshot_hold: bool = False
    speed: float = 1.0
    retry_every_s: float = 1.0
    give_up_s: float = 10.0
    end_when_done: bool | None = None  # default: headless sessions end when the plan is done


def _rule_faults(coach: Any, stretch: str | None) -> frozenset[str] | None:
    if stretch is None:
        return None
    try:
        return frozenset(r.fault for r in coach.catalogue.rules_for(stretch))
    except (AttributeError, KeyError):
        return None


def display_available() -> bool:
    """Whether a window can be opened (an X or Wayland display on POSIX)."""
    if os.name != "posix" or os.uname().sysname == "Darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _Window:
    """The OpenCV highgui window (Qt in opencv-contrib-python's wheels)."""

    def __init__(self, name: str, size: tuple[int, int]) -> None:
        import cv2

        if "QT_QPA_FONTDIR" not in os.environ and Path("/usr/share/fonts/truetype/dejavu").is_dir():
            os.environ["QT_QPA_FONTDIR"] = "/usr/share/fonts/truetype/dejavu"  # quiet Qt
        self.name = name
        flags = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | getattr(cv2, "WINDOW_GUI_NORMAL", 0)
        try:
            cv2.namedWindow(name, flags)
            cv2.resizeWindow(name, *size)
        except cv2.error as err:
            raise InputError(f"cannot open a window ({err}); use --no-window") from err
        self.fullscreen = False
        self.shown = False

    def show(self, canvas: NDArray[np.uint8]) -> None:
        import cv2

        cv2.imshow(self.name, canvas)
        self.shown = True

    def poll_key(self, wait_ms: int = 1) -> int:
        import cv2

        return int(cv2.waitKey(wait_ms)) & 0xFF

    def closed(self) -> bool:
        import cv2

        if not self.shown:
            return False
        try:
            return cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def toggle_fullscreen(self) -> None:
        import cv2

        self.fullscreen = not self.fullscreen
        cv2.setWindowProperty(
            self.name,
            cv2.WND_PROP_FULLSCREEN,
            cv2.WINDOW_FULLSCREEN if self.fullscreen else cv2.WINDOW_NORMAL,
        )

    def close(self) -> None:
        import cv2

        try:
            cv2.destroyWindow(self.name)
            cv2.waitKey(1)
        except cv2.error:
            pass


def _open_reader(options: LiveOptions, mailbox: LatestFrame) -> tuple[_Reader, Any, dict[str, Any]]:
    if options.source:
        src = VideoSource(options.source)
        reader: _Reader = PacedVideoReader(src, mailbox, speed=options.speed)
        info = src.info.as_report()
        info["stand_in_camera"] = True
        return reader, src, info
    cam = CameraSource(options.camera)
    reader = CameraReader(
        cam, mailbox, retry_every_s=options.retry_every_s, give_up_s=options.give_up_s
    )
    return reader, cam, cam.info.as_report()


class LiveSession:
    """One live session: ``run() -> report`` (schema_version 1, ``session.mode = "live"``).

    Ends on q / Esc, closing the window, ``duration_s``, the end of a stand-in video, a camera
    that stays disconnected, Ctrl-C or SIGTERM (raised as ``KeyboardInterrupt``); in every case
    the report of what was measured is returned (``session.partial`` when it ended abnormally).
    ``audio``, ``analyzer`` and ``reader`` are injectable (tests).
    """

    def __init__(
        self,
        settings: Settings,
        plan: Plan | None,
        options: LiveOptions,
        *,
        audio: AudioBackend | None = None,
        analyzer: Any = None,
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

    # -- keys -------------------------------------------------------------------------------
    def handle_key(self, key: int, t_s: float, window: _Window | None) -> bool:
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
        elif key == ord("r"):
            if self.guide is not None:
                self.guide.restart(t_s)
            else:
                self._restart_hold = True
        return True

    _restart_hold = False

    def _say_line(self, text: str, t_s: float) -> None:
        log.info("[%7.1f s] %s", t_s, text)
        if self.on_line is not None:
            self.on_line(f"[{t_s:7.1f} s] {text}")

    def _apply_events(self, g: Guidance, analyzer: Any) -> None:
        coach = analyzer.coach
        if "side_changed" in g.events or "new_rep" in g.events:
            self._force_side(coach)
        if "new_rep" in g.events:
            coach.timer.end_hold()

    def _force_side(self, coach: Any) -> None:
        """With a known one-leg stretch, the plan's side is the working leg."""
        if self.guide is None or self.plan is None or self.plan.stretch is None:
            return
        side = self.guide.side
        if side == "both" or self.settings.coach.side is not None:
            return
        coach.options = dataclasses.replace(coach.options, side=side)

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from formcheck.pipeline import Analyzer, SessionRecorder

        opts = self.options
        mailbox = LatestFrame()
        reader, src, info = _open_reader(opts, mailbox)
        try:
            analyzer = self._analyzer or Analyzer(self.settings, video=True)
        except BaseException:
            src.close()
            raise
        coach = analyzer.coach
        if self.plan is not None and self.plan.hold_s is not None:
            coach.timer.targets = {k: float(self.plan.hold_s) for k in coach.timer.targets}
        self._force_side(coach)
        rec = SessionRecorder(info, self.settings, mode="live")
        overlay = LiveOverlay(mirror=opts.mirror)
        stats = LiveStats()
        window: _Window | None = None
        interrupted = False
        t_start = time.perf_counter()
        last_t = 0.0
        last_prompt: str | None = None
        last_canvas: NDArray[np.uint8] | None = None
        end_when_done = opts.end_when_done if opts.end_when_done is not None else not opts.window
        status_shown = False
        try:
            if opts.window:
                window = _Window(WINDOW_NAME, (overlay.height * 16 // 9 + 100, overlay.height))
            reader.start()
            while True:
                now = time.perf_counter()
                if opts.duration_s is not None and now - t_start >= opts.duration_s:
                    self.end_reason = "duration"
                    break
                item = mailbox.get(timeout=0.05)
                if window is not None:
                    key = window.poll_key(1)
                    if key != 255 and not self.handle_key(key, last_t, window):
                        break
                    if window.closed():
                        self.end_reason = "window closed"
                        break
                    if self._restart_hold:
                        coach.timer.end_hold()
                        self._restart_hold = False
                if item is None:
                    if mailbox.closed:
                        self.end_reason = mailbox.reason or "source ended"
                        break
                    status = getattr(reader, "status", None)
                    if status and not status_shown:
                        self._say_line(status, last_t)
                        status_shown = True
                        if window is not None and last_canvas is not None:
                            window.show(self._status_canvas(last_canvas, status))
                    continue
                status_shown = False
                frame = item.frame
                if self.paused:
                    if window is not None:
                        canvas = overlay.annotate(
                            frame.image, None, None, HudState(paused=True, debug=self.debug)
                        )
                        window.show(canvas)
                    continue
                if self.guide is not None and self.guide._paused_at is not None:
                    self.guide.resume(frame.t_s)
                t_proc = time.perf_counter()
                pf, m, v = analyzer.step(frame.image, frame.t_s)
                last_t = frame.t_s
                row = v.as_report(m)
                row["_n_people"] = pf.n_people
                rec.add(v, row, frame.image, coach)
                g = None
                if self.guide is not None:
                    g = self.guide.update(frame.t_s, v)
                    self._apply_events(g, analyzer)
                    if "rep_done" in g.events:
                        done = ", ".join(f"{k} {n}/{g.reps}" for k, n in g.completed.items())
                        self._say_line(f"rep completed ({done})", frame.t_s)
                    if g.done and end_when_done:
                        self.end_reason = "plan complete"
                        now = time.perf_counter()
                        stats.record(now, now - item.captured_at, now - t_proc)
                        self._say_line(g.prompt or "", frame.t_s)
                        self.cues.update(v.warnings, v.hold.just_completed, g.prompt)
                        break
                prompt, kind = choose_prompt(v, g)
                self.cues.update(v.warnings, v.hold.just_completed, prompt)
                if prompt != last_prompt:
                    if prompt:
                        self._say_line(prompt, frame.t_s)
                    last_prompt = prompt
                want_canvas = window is not None or (
                    opts.screenshot is not None and self.screenshot_saved is None
                )
                if want_canvas:
                    hud = HudState(
                        prompt=prompt,
                        prompt_kind=kind,
                        guidance=g,
                        debug=self.debug,
                        fps=stats.fps,
                        latency_ms=stats.latency_ms,
                        process_ms=1000 * stats.process_s[-1] if stats.process_s else math.nan,
                        dropped=mailbox.published - mailbox.taken,
                        target_s=self.plan.hold_s if self.plan is not None else None,
                        rule_faults=_rule_faults(coach, v.stretch),
                    )
                    canvas = overlay.annotate(frame.image, m, v, hud)
                    last_canvas = canvas
                    if window is not None:
                        window.show(canvas)
                done_at = time.perf_counter()
                stats.record(done_at, done_at - item.captured_at, done_at - t_proc)
                if (
                    opts.screenshot
                    and self.screenshot_saved is None
                    and done_at - t_start >= opts.screenshot_after_s
                    and last_canvas is not None
                ):
                    self._save_screenshot(opts.screenshot, last_canvas)
                    if opts.screenshot_hold and window is not None:
                        _hold_window(window, last_canvas)
        except KeyboardInterrupt:
            interrupted = True
            self.end_reason = "interrupted"
            rec.notes.append(
                "the live session was interrupted; the report covers what was measured before"
            )
        finally:
            reader.stop()
            src.close()
            if self._analyzer is None:
                analyzer.close()
            if window is not None:
                window.close()
            self.cues.close()
        wall_s = time.perf_counter() - t_start
        camera_lost = self.end_reason.startswith("camera disconnected")
        if camera_lost:
            rec.notes.append(f"the session ended early: {self.end_reason}")
        if reader.error is not None:
            rec.notes.append(f"capture failed: {reader.error}")
        if isinstance(reader, PacedVideoReader):
            info["frames"] = src.frames_read or info.get("frames")
            if src.info.duration_s:
                info["duration_s"] = src.info.duration_s
        rec.source_info = info
        report = rec.build(
            coach,
            partial=interrupted or camera_lost or reader.error is not None,
            model=str(getattr(getattr(analyzer, "pose", None), "model_path", "")) or None,
        )
        ses = report["session"]
        ses["interrupted"] = interrupted
        ses["elapsed_s"] = round(wall_s, 3)
        ses["end_reason"] = self.end_reason
        live = stats.summary(mailbox, wall_s)
        live["mirror"] = opts.mirror
        live["window"] = window is not None
        if isinstance(reader, CameraReader):
            live["camera_disconnects"] = reader.disconnects
        if self.screenshot_saved:
            live["screenshot"] = self.screenshot_saved
        report["live"] = live
        if self.guide is not None:
            report["plan"] = self.guide.as_report()
        return report

    def _status_canvas(self, canvas: NDArray[np.uint8], status: str) -> NDArray[np.uint8]:
        import cv2

        out = canvas.copy()
        H, W = out.shape[:2]
        (tw, th), _ = cv2.getTextSize(status, cv2.FONT_HERSHEY_SIMPLEX, 1.4, 4)
        x, y = max(10, (W - tw) // 2), H // 2
        cv2.rectangle(out, (x - 20, y - th - 20), (x + tw + 20, y + 20), (0, 0, 0), -1)
        _put(out, status, (x, y), 1.4, WARN, 4)
        return out

    def _save_screenshot(self, path: str, canvas: NDArray[np.uint8]) -> None:
        import cv2

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        params = [cv2.IMWRITE_PNG_COMPRESSION, 9] if p.suffix.lower() == ".png" else []
        if cv2.imwrite(str(p), canvas, params):
            self.screenshot_saved = str(p)
            log.info("screenshot saved to %s", p)
        else:
            log.warning("could not save the screenshot to %s", p)
            self.screenshot_saved = ""


def _hold_window(window: _Window, canvas: NDArray[np.uint8], limit_s: float = 60.0) -> None:
    """Keep ``canvas`` on screen until stdin gives a line or ends (see ``screenshot_hold``)."""
    released = threading.Event()

    def wait_for_stdin() -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stdin.readline()
        released.set()

    threading.Thread(target=wait_for_stdin, name="formcheck-hold", daemon=True).start()
    window.show(canvas)
    window.poll_key(50)
    print("screenshot-ready", flush=True)
    deadline = time.monotonic() + limit_s
    while not released.is_set() and time.monotonic() < deadline:
        window.show(canvas)
        window.poll_key(20)


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
    "Captured",
    "CameraReader",
    "HudState",
    "LatestFrame",
    "LiveOptions",
    "LiveOverlay",
    "LiveSession",
    "LiveStats",
    "PacedVideoReader",
    "choose_prompt",
    "display_available",
    "mirror_metrics",
    "run_live",
]
