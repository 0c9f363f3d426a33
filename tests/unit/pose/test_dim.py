"""A dim picture is brightened for the pose model (PoseOptions.dim_level, estimator.lift_dim)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from formcheck.config import load_settings
from formcheck.errors import ConfigError
from formcheck.pose.estimator import PoseEstimator, lift_dim
from formcheck.pose.options import PoseOptions
from tests.conftest import sample


def _dimmed(img: np.ndarray, gain: float, noise: float = 3.0) -> np.ndarray:
    """``img`` as a dim room films it: darker, with sensor noise (seeded)."""
    dark = img.astype(np.float32) * gain + 4.0
    rng = np.random.default_rng(0)
    return np.clip(dark + rng.normal(0.0, noise, img.shape), 0, 255).astype(np.uint8)


def test_a_bright_picture_is_left_as_it_is() -> None:
    img = cv2.imread(str(sample("standing_fold.jpg")))
    assert float(img.mean()) > 80
    assert lift_dim(img, 80.0) is img
    dim = _dimmed(img, 0.2)
    assert lift_dim(dim, 0.0) is dim  # 0: never


def test_a_dim_picture_is_stretched_to_the_full_range_without_touching_the_frame() -> None:
    img = cv2.imread(str(sample("standing_fold.jpg")))
    dim = _dimmed(img, 0.2)
    before = dim.copy()
    out = lift_dim(dim, 80.0)
    assert np.array_equal(dim, before), "the frame itself is not changed"
    assert out.shape == dim.shape and out.dtype == np.uint8 and out.flags["C_CONTIGUOUS"]
    assert float(dim.mean()) < 45 and float(out.mean()) > 100
    lo, hi = np.percentile(out, (1, 99.5))
    assert lo <= 3 and hi >= 250
    # one table for every channel: the order of the levels is kept, within and across channels
    flat_in, flat_out = dim.reshape(-1), out.reshape(-1)
    order = np.argsort(flat_in[::97], kind="stable")
    assert np.all(np.diff(flat_out[::97][order].astype(int)) >= 0)


def test_a_flat_dark_picture_is_not_stretched() -> None:
    black = np.full((120, 160, 3), 5, np.uint8)
    assert lift_dim(black, 80.0) is black
    nearly = black.copy()
    nearly[::2] = 9  # a spread of 4 levels: noise on a lens cap, not a picture
    assert lift_dim(nearly, 80.0) is nearly


def test_dim_level_from_the_settings_file(tmp_path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text("[pose]\ndim_level = 0\n")
    assert load_settings(cfg).pose.dim_level == 0
    cfg.write_text("[pose]\ndim_level = 300\n")
    with pytest.raises(ConfigError, match="dim_level"):
        load_settings(cfg)


@pytest.mark.model
def test_a_person_in_a_dark_photo_is_found_once_the_picture_is_lifted() -> None:
    """The sample photo at 7 % of its light with noise: the model misses the person in the
    whole picture as filmed; the search's tiles, lifted, find them (without the lift they do
    not); the landmarks come back in the frame's pixels, near the bright photo's."""
    img = cv2.imread(str(sample("standing_fold.jpg")))
    dark = _dimmed(img, 0.07, noise=2.0)  # found with the lift from 6 % to 8 % of the light
    found = {}
    for level in (0.0, 80.0):
        opts = dataclasses.replace(PoseOptions(), dim_level=level)
        est = PoseEstimator(opts, video=False)
        try:
            found[level] = est.detect(dark, 0.0)
        finally:
            est.close()
    assert not found[0.0].person, "without the lift the model misses this person"
    assert found[80.0].person
    est = PoseEstimator(dataclasses.replace(PoseOptions(), search=False), video=False)
    try:
        bright = est.detect(img, 0.0)
    finally:
        est.close()
    hips = [23, 24]
    err = np.linalg.norm(found[80.0].xy[hips] - bright.xy[hips], axis=1)
    assert float(err.max()) < 25.0, err


@pytest.mark.model
def test_a_video_in_a_dark_room_is_given_lifted_after_a_miss_and_stays_lifted() -> None:
    """A dark video: the first frame, as filmed, has nobody; from the next frame on the whole
    picture is given lifted and the person is found on every frame (without the lift on none).
    A bright video is never lifted."""
    dark = _dimmed(cv2.imread(str(sample("standing_fold.jpg"))), 0.07, noise=2.0)
    found = {}
    for level in (0.0, 80.0):
        opts = dataclasses.replace(PoseOptions(), dim_level=level, search=False)
        est = PoseEstimator(opts, video=True)
        try:
            found[level] = [est.detect(dark, i / 30.0).person for i in range(8)]
        finally:
            est.close()
    assert found[0.0] == [False] * 8
    assert found[80.0] == [False] + [True] * 7
