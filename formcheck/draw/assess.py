"""Drawing for ``formcheck assess``: the still of the frame a trial was measured on, and the
live readout of the test's measure.

``annotate_trial(image, xy, trial) -> image``: the tested leg (hip -> knee -> ankle), the floor
line (SLR) or the thigh line (AKE), and the trial's value and verdict, on a copy of the frame.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from formcheck.assess.norms import SIDES, get_test
from formcheck.assess.trials import Trial
from formcheck.draw.overlay import NEUTRAL, PANEL_BG, _put
from formcheck.metrics import geometry as g

GOOD = (80, 200, 80)
BAD = (60, 60, 230)
LINE = (255, 255, 255)


def _pt(p: NDArray[np.float64]) -> tuple[int, int] | None:
    if not np.isfinite(p).all():
        return None
    return int(round(float(p[0]))), int(round(float(p[1])))


def _text(img: NDArray[np.uint8], text: str, org: tuple[int, int], scale: float, color) -> None:
    import cv2

    thick = max(1, int(round(2 * scale)))
    cv2.putText(
        img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2 * thick + 1, cv2.LINE_AA
    )
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)


def annotate_trial(
    image: NDArray[np.uint8], xy: NDArray[np.float64] | None, trial: Trial
) -> NDArray[np.uint8]:
    """A copy of ``image`` (BGR) with the tested leg, the reference line and the result.

    ``xy`` are the frame's landmarks in pixels, shape (33, 2) (None: the text only).
    """
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    scale = max(0.5, min(w, h) / 720)
    color = GOOD if trial.valid else BAD
    if xy is not None and xy.shape == (33, 2):
        k = SIDES.index(trial.side)
        _sh, hp, kn, an, _he, _ft = g.LEG_JOINTS[trial.side]
        hip, knee, ankle = _pt(xy[hp]), _pt(xy[kn]), _pt(xy[an])
        other_ankle = _pt(xy[g.LEG_JOINTS[SIDES[1 - k]][3]])
        th = max(2, int(round(4 * scale)))
        if trial.test == "slr" and hip is not None and other_ankle is not None:
            # the floor line through the hip, parallel to the hip -> other ankle line
            d = np.subtract(other_ankle, hip).astype(float)
            n = float(np.hypot(*d))
            if n > 0:
                d = d / n * 0.6 * max(w, h)
                a = (int(hip[0] - d[0]), int(hip[1] - d[1]))
                b = (int(hip[0] + d[0]), int(hip[1] + d[1]))
                cv2.line(out, a, b, LINE, max(1, th // 2), cv2.LINE_AA)
        for p, q in ((hip, knee), (knee, ankle)):
            if p is not None and q is not None:
                cv2.line(out, p, q, color, th, cv2.LINE_AA)
        for p in (hip, knee, ankle):
            if p is not None:
                cv2.circle(out, p, th + 3, color, -1, cv2.LINE_AA)
    test = get_test(trial.test)
    value = "--" if not math.isfinite(trial.value_deg) else f"{trial.value_deg:.0f} deg"
    head = f"{test.short} {trial.side}: {value}"
    _text(out, head, (int(16 * scale), int(44 * scale)), 1.2 * scale, color)
    why = "valid" if trial.valid else "not valid: " + "; ".join(trial.reasons)
    _text(out, why.replace("°", " deg"), (int(16 * scale), int(84 * scale)), 0.8 * scale, color)
    return out


def draw_panel(
    canvas: NDArray[np.uint8], panel_w: int, title: str, big: str, lines: list[str]
) -> None:
    """The assessment's side panel (replacing the hold timer's): the test, the current value
    in large type, then ``lines`` (side, trial, the counted values). Drawn above the prompt bar,
    which keeps its place across the bottom."""
    h, w = canvas.shape[:2]
    x0 = w - panel_w
    if x0 < 0:
        return
    bottom = h
    while bottom > 0 and tuple(int(c) for c in canvas[bottom - 1, x0 + 2]) != PANEL_BG:
        bottom -= 1  # the prompt bar, if any, starts here
    canvas[:bottom, x0:] = PANEL_BG
    s = h / 720
    x = x0 + int(24 * s)
    _put(canvas, title, (x, int(48 * s)), 0.95 * s, NEUTRAL, max(1, int(2 * s)))
    _put(canvas, big, (x, int(200 * s)), 3.2 * s, (255, 255, 255), max(2, int(7 * s)))
    for i, line in enumerate(lines):
        y = int((270 + 44 * i) * s)
        if y > bottom - 10:
            break
        _put(canvas, line, (x, y), 0.8 * s, NEUTRAL, max(1, int(2 * s)))


def draw_readout(canvas: NDArray[np.uint8], text: str, *, warn: bool = False) -> None:
    """The assessment's live readout (e.g. "SLR right 64 deg, trial 2 of 3"), top left."""
    h, w = canvas.shape[:2]
    scale = max(0.6, h / 720)
    _text(canvas, text, (int(16 * scale), int(90 * scale)), 1.0 * scale, BAD if warn else LINE)


__all__ = ["annotate_trial", "draw_panel", "draw_readout"]
