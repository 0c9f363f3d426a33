"""The live window's picture (the HUD): the mirrored camera view with the skeleton, a side panel
with a large hold timer, counters and angles, and one prompt across the bottom.

Drawing only (OpenCV's drawing functions, imported where used): no window, no capture. The
window mirrors the picture (a mirror is what people expect of a webcam) but only the display:
the measurement runs on the camera's own picture, the landmarks are mirrored for drawing, and
text is drawn after mirroring so it reads correctly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from formcheck.draw.annotators import (
    BAD,
    DIM,
    GOOD,
    NEUTRAL,
    STRETCH_NAMES,
    WARN,
    SkeletonAnnotator,
)
from formcheck.metrics.measures import FrameMetrics
from formcheck.stretches.coach import Verdict

PANEL_BG = (48, 32, 24)  # BGR, dark blue-grey; the side panel's flat colour
PROMPT_BG_WARN = (30, 30, 170)
PROMPT_BG_INFO = (70, 50, 30)


class GuidanceView(Protocol):
    """What the panel shows of a guided session's step (``formcheck.live.guide.Guidance``)."""

    @property
    def step(self) -> str: ...  # "hold", "rest", "switch" or "done"
    @property
    def side(self) -> str: ...
    @property
    def rep(self) -> int: ...
    @property
    def reps(self) -> int: ...
    @property
    def completed(self) -> dict[str, int]: ...  # side -> completed reps
    @property
    def remaining_s(self) -> float | None: ...  # of a rest or a switch, seconds
    @property
    def step_total_s(self) -> float | None: ...  # the whole rest or switch, seconds
    @property
    def phase(self) -> str | None: ...  # the PNF phase of the hold


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
    guidance: GuidanceView | None = None
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


def draw_status(canvas: NDArray[np.uint8], status: str) -> NDArray[np.uint8]:
    """A copy of ``canvas`` with ``status`` (e.g. camera disconnected) in a box in the middle."""
    import cv2

    out = canvas.copy()
    H, W = out.shape[:2]
    (tw, th), _ = cv2.getTextSize(status, cv2.FONT_HERSHEY_SIMPLEX, 1.4, 4)
    x, y = max(10, (W - tw) // 2), H // 2
    cv2.rectangle(out, (x - 20, y - th - 20), (x + tw + 20, y + 20), (0, 0, 0), -1)
    _put(out, status, (x, y), 1.4, WARN, 4)
    return out


__all__ = [
    "PANEL_BG",
    "GuidanceView",
    "HudState",
    "LiveOverlay",
    "draw_status",
    "mirror_metrics",
    "wrap_text",
]
