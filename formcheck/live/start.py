"""The live start screen: which stretch or plan is about to run, and how to get into it.

:func:`start_lines` words it from the plan and the catalogue (the stretch's name, the plan's
reps, hold and sides, the catalogue's set-up steps); :func:`draw_start_screen` draws those lines
on a dark canvas of the window's size; :func:`show_start_screen` shows it (or prints the lines
when there is no window) and, in front of a real camera, waits a few seconds or for a key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcheck.draw.overlay import PANEL_BG, wrap_text
from formcheck.live.guide import side_label
from formcheck.live.plan import Plan
from formcheck.stretches.catalogue import Catalogue
from formcheck.stretches.setup import setup_steps

#: how long the start screen stays up in front of a camera (any key skips it)
START_SCREEN_S = 5.0
KEYS_LINE = "Any key: start now   space: pause   q: quit"


def start_lines(plan: Plan | None, catalogue: Catalogue) -> tuple[str, list[str], list[str]]:
    """``(title, plan lines, set-up steps)`` of the session about to run."""
    stretch = plan.stretch if plan is not None else None
    name = catalogue[stretch].name if stretch in catalogue.stretches else None
    if plan is not None and plan.source_file:
        title = f"Plan {Path(plan.source_file).stem}: {name or 'any stretch'}"
    elif name:
        title = f"Next: {name}"
    else:
        title = "Next: any hamstring stretch (recognised as you go)"
    details: list[str] = []
    if plan is not None:
        hold = plan.hold_s if plan.hold_s else catalogue.hold_target_for(stretch)
        sides = ", " + ", then ".join(side_label(s).lower() for s in plan.sides)
        line = f"{plan.reps} x {hold:g} s hold" + (sides if plan.sides_fixed else " per side")
        if plan.rest_s:
            line += f"; rest {plan.rest_s:g} s between reps"
        details.append(line)
        if plan.pnf:
            details.append("with contract-relax (PNF) phases")
    if name is None:
        details.append("Get into any stretch of `formcheck stretches`, side-on to the camera.")
        return title, details, []
    return title, details, list(setup_steps(catalogue[str(stretch)]))


def draw_start_screen(
    lines: tuple[str, list[str], list[str]], size: tuple[int, int]
) -> NDArray[np.uint8]:
    """The start screen as a BGR canvas of ``size`` (width, height)."""
    import cv2

    title, details, steps = lines
    w, h = size
    canvas = np.empty((h, w, 3), np.uint8)
    canvas[:] = PANEL_BG
    font = cv2.FONT_HERSHEY_SIMPLEX
    margin = max(24, w // 20)
    max_w = w - 2 * margin
    scale = max(0.6, h / 720)
    y = margin + int(40 * scale)

    def put(text: str, s: float, color: tuple[int, int, int], thick: int, gap: float) -> None:
        nonlocal y
        for ln in wrap_text(text, max_w, s, thick, max_lines=4):
            cv2.putText(canvas, ln, (margin, y), font, s, color, thick, cv2.LINE_AA)
            y += int(gap * s)

    put(title, 1.2 * scale, (255, 255, 255), 3, 50)
    for d in details:
        put(d, 0.8 * scale, (200, 220, 255), 2, 36)
    if steps:
        y += int(12 * scale)
        put("How to get into it:", 0.8 * scale, (160, 230, 160), 2, 36)
        for i, step in enumerate(steps, 1):
            put(f"{i}. {step}", 0.75 * scale, (235, 235, 235), 2, 34)
    cv2.putText(canvas, KEYS_LINE, (margin, h - margin), font, 0.65 * scale, (170, 170, 170), 1,
                cv2.LINE_AA)  # fmt: skip
    return canvas


def show_start_screen(
    plan: Plan | None,
    catalogue: Catalogue,
    window: Any,
    size: tuple[int, int],
    *,
    wait_s: float = 0.0,
    on_line: Callable[[str], None] | None = None,
) -> tuple[NDArray[np.uint8] | None, int | None]:
    """Show the start screen in ``window`` (None: print its lines with ``on_line``), waiting up
    to ``wait_s`` seconds or for a key; returns ``(canvas, key pressed or None)``."""
    lines = start_lines(plan, catalogue)
    if window is None:
        if on_line is not None:
            title, details, steps = lines
            on_line(title)
            for text in [*details, *(f"  {i}. {s}" for i, s in enumerate(steps, 1))]:
                on_line(text)
        return None, None
    canvas = draw_start_screen(lines, size)
    window.show(canvas)
    end = time.perf_counter() + wait_s
    key = window.poll_key(1)
    while key == 255 and time.perf_counter() < end and not window.closed():
        key = window.poll_key(50)
    return canvas, (None if key == 255 else key)
