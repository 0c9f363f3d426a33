"""Tests of the live window's picture (the HUD), drawn without a window."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from formcheck.draw.overlay import PANEL_BG, HudState, LiveOverlay, draw_status, mirror_metrics
from formcheck.stretches.timer import HoldState


def test_overlay_draws_the_panel_and_prompt_without_touching_the_input() -> None:
    img = np.full((480, 640, 3), 200, np.uint8)
    img[:, :320] = (0, 0, 255)  # left half red: mirrored, it shows on the right
    before = img.copy()
    v = SimpleNamespace(
        person=False, stretch=None, side=None, hold=HoldState(False), warnings=(), valid=False
    )
    canvas = LiveOverlay(height=720, panel_w=460).annotate(
        img,
        None,
        v,
        HudState(prompt="Step back so your whole body is visible", debug=True),  # type: ignore[arg-type]
    )
    assert np.array_equal(img, before)
    assert canvas.shape == (720, 960 + 460, 3)
    assert tuple(canvas[360, 900]) == (0, 0, 255) and tuple(canvas[360, 300]) == (200,) * 3
    panel = canvas[:560, 960:]
    assert (panel == PANEL_BG).all(axis=2).mean() > 0.5  # the panel is there
    assert (canvas[-20:, :] != (200, 200, 200)).any()  # the prompt bar


def test_mirror_metrics_flips_only_a_copy_of_the_landmarks() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class M:
        xy: np.ndarray
        knee_extension_deg: float

    xy = np.array([[10.0, 5.0], [np.nan, np.nan], [639.0, 1.0]])
    m = M(xy, 170.0)
    mm = mirror_metrics(m, 640)  # type: ignore[arg-type]
    assert mm.xy[0].tolist() == [629.0, 5.0] and mm.xy[2].tolist() == [0.0, 1.0]
    assert np.isnan(mm.xy[1]).all() and mm.knee_extension_deg == 170.0
    assert m.xy[0, 0] == 10.0  # the measurement is untouched


def test_status_box_is_drawn_on_a_copy() -> None:
    canvas = np.full((720, 1280, 3), 200, np.uint8)
    out = draw_status(canvas, "camera disconnected - retrying")
    assert (canvas == 200).all()
    assert (out[360] == 0).all(axis=1).any() and PANEL_BG != (0, 0, 0)
