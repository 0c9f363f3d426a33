"""The picture the pose model sees, scaled down (PoseOptions.max_width; live mode's default)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.config import load_settings
from formcheck.errors import ConfigError
from formcheck.pose.estimator import PoseEstimator, inference_picture
from formcheck.pose.options import PoseOptions
from tests.conftest import sample


def test_inference_picture_keeps_the_aspect_and_leaves_small_pictures_alone() -> None:
    img = np.zeros((720, 1280, 3), np.uint8)
    small = inference_picture(img, 640)
    assert small.shape == (360, 640, 3) and small.flags["C_CONTIGUOUS"]
    assert inference_picture(img, 0) is img
    assert inference_picture(img, 1280) is img
    portrait = inference_picture(np.zeros((1920, 1080, 3), np.uint8), 640)
    assert portrait.shape == (1138, 640, 3)


def test_max_width_from_the_settings_file(tmp_path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text("[pose]\nmax_width = 800\n")
    assert load_settings(cfg).pose.max_width == 800
    cfg.write_text("[pose]\nmax_width = -1\n")
    with pytest.raises(ConfigError, match="max_width"):
        load_settings(cfg)


@pytest.mark.model
def test_a_scaled_picture_gives_the_same_landmarks_and_a_full_size_mask() -> None:
    """1280x720 frames seen at 640x360: landmarks in the captured picture's pixels within a
    couple of pixels of the full picture's, and the mask at the captured size."""
    cap = cv2.VideoCapture(str(sample("standing_fold_good.mp4")))
    frames = []
    while len(frames) < 30:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(f[60:420], (1280, 720)))
    cap.release()
    out = {}
    for width in (0, 640):
        with PoseEstimator(PoseOptions(max_width=width), video=True) as pe:
            out[width] = [pe.detect(f, i / 30) for i, f in enumerate(frames)]
    pairs = [(a, b) for a, b in zip(out[0], out[640], strict=True) if a.person and b.person]
    assert len(pairs) >= 25
    shift = [float(np.nanmedian(np.linalg.norm(a.xy - b.xy, axis=1))) for a, b in pairs]
    assert float(np.median(shift)) < 3.0, shift
    for a, b in pairs:
        assert b.mask is not None and b.mask.shape == (720, 1280) and b.mask.dtype == np.float32
        assert b.width == 1280 and b.height == 720
        assert a.mask is not None
        assert np.mean((a.mask > 0.5) != (b.mask > 0.5)) < 0.01
