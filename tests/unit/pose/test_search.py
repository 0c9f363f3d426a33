"""The second look for a person the detector misses (formcheck/pose/search.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.config import load_settings
from formcheck.pose.estimator import PoseEstimator
from formcheck.pose.options import PoseOptions
from formcheck.pose.search import Window, plausible, tiles, window_around
from tests.conftest import sample


@pytest.mark.parametrize("h,w", [(720, 1280), (480, 640), (854, 480), (1080, 1920), (300, 300)])
def test_tiles_cover_the_picture_with_half_a_tile_of_overlap(h: int, w: int) -> None:
    ts = tiles(h, w)
    side = ts[0].side
    assert all(t.side == side for t in ts)
    assert all(0 <= t.x0 <= w - side and 0 <= t.y0 <= h - side for t in ts)
    # any square of half a tile's side lies wholly inside some tile
    half = side // 2
    for y in range(0, h - half + 1, max(1, half // 3)):
        for x in range(0, w - half + 1, max(1, half // 3)):
            assert any(
                t.x0 <= x and x + half <= t.x0 + side and t.y0 <= y and y + half <= t.y0 + side
                for t in ts
            ), (x, y)
    # the centre first
    c = ts[0]
    assert abs(c.x0 + side / 2 - w / 2) <= side / 2 and abs(c.y0 + side / 2 - h / 2) <= side / 2


def _person(cx: float, cy: float, size: float) -> np.ndarray:
    """33 landmarks spread over a ``size`` box around (cx, cy), torso in the middle."""
    rng = np.random.default_rng(0)
    xy = np.column_stack(
        [cx + rng.uniform(-size / 2, size / 2, 33), cy + rng.uniform(-size / 2, size / 2, 33)]
    )
    xy[[11, 12, 23, 24]] = [
        [cx - 5, cy - 20],
        [cx + 5, cy - 20],
        [cx - 5, cy + 10],
        [cx + 5, cy + 10],
    ]
    return xy


def test_a_person_counts_only_with_the_torso_seen_inside_the_tile() -> None:
    tile = Window(100, 100, 200)
    vis = np.ones(33)
    assert plausible(_person(200, 200, 80), vis, tile)
    assert not plausible(_person(105, 200, 80), vis, tile)  # torso cut by the left edge
    low = vis.copy()
    low[23] = 0.2
    assert not plausible(_person(200, 200, 80), low, tile)  # a hip not seen
    xy = _person(200, 200, 80)
    xy[11] = np.nan
    assert not plausible(xy, vis, tile)


def test_the_window_surrounds_the_person_and_stays_in_the_picture() -> None:
    w = window_around(_person(1200, 650, 100), 720, 1280)
    assert w is not None
    assert w.side >= 0.6 * 720 - 1 and w.x0 + w.side <= 1280 and w.y0 + w.side <= 720
    assert not w.needs_move(_person(1200, 650, 100), 720, 1280)  # at the picture's corner
    # someone who fills the picture needs no window
    assert window_around(_person(640, 360, 600), 720, 1280) is None
    # the person walks to the window's edge: it moves
    assert w.needs_move(_person(w.x0 + 10, 650, 100), 720, 1280)
    # ... or shrinks to a speck in it
    assert Window(300, 0, 700).needs_move(_person(650, 350, 40), 720, 1280)


def test_the_mask_and_landmarks_come_back_in_the_whole_picture() -> None:
    win = Window(30, 20, 50)
    mask = np.ones((50, 50), np.float32)
    full = win.paste_mask(mask, 100, 120)
    assert full.shape == (100, 120) and full.sum() == 2500 and full[20:70, 30:80].all()
    assert np.allclose(win.to_picture(np.array([[0.0, 0.0], [5.0, 7.0]])), [[30, 20], [35, 27]])


def test_the_search_from_the_settings_file(tmp_path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text("[pose]\nsearch = false\n")
    assert load_settings(cfg).pose.search is False


def _small_person_frames(scale: float, at: tuple[int, int]) -> tuple[list, list]:
    """The standing-fold sample's first second, and the same frames with the person shrunk
    to ``scale`` and set at ``at`` in a 1280x720 room-coloured picture."""
    cap = cv2.VideoCapture(str(sample("standing_fold_good.mp4")))
    big = []
    while len(big) < 30:
        ok, f = cap.read()
        if not ok:
            break
        big.append(f)
    cap.release()
    h, w = big[0].shape[:2]
    base = cv2.resize(cv2.GaussianBlur(big[0], (0, 0), 25), (1280, 720))
    small = []
    for f in big:
        c = base.copy()
        s = cv2.resize(f, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        c[at[1] : at[1] + s.shape[0], at[0] : at[0] + s.shape[1]] = s
        small.append(c)
    return big, small


@pytest.mark.model
def test_a_small_person_is_found_in_a_video_and_measured_where_they_are() -> None:
    """A person a third of the picture's height, off-centre: the detector alone finds nobody;
    with the search every frame after the first sweep has them, landmarks within 3 px of the big picture's (scaled),
    the mask in the whole picture's pixels and only around them."""
    scale, at = 0.35, (760, 330)
    big, small = _small_person_frames(scale, at)
    with PoseEstimator(PoseOptions(search=False), video=True) as pe:
        plain = [pe.detect(f, i / 30) for i, f in enumerate(small)]
    with PoseEstimator(PoseOptions(), video=True) as pe:
        ref = [pe.detect(f, i / 30) for i, f in enumerate(big)]
    with PoseEstimator(PoseOptions(), video=True) as pe:
        found = [pe.detect(f, i / 30) for i, f in enumerate(small)]
    assert sum(p.person for p in plain) <= 3
    # one tile a frame: found within one sweep of the 15 tiles, then followed on every frame
    first = next(i for i, p in enumerate(found) if p.person)
    assert first < 15 and all(p.person for p in found[first:])
    errs = [
        float(np.nanmedian(np.linalg.norm(o.xy - (r.xy * scale + at), axis=1)))
        for o, r in zip(found, ref, strict=True)
        if o.person and r.person
    ]
    assert float(np.median(errs)) < 3.0, errs
    last = found[-1]
    assert last.mask is not None and last.mask.shape == (720, 1280)
    ys, xs = np.nonzero(last.mask > 0.5)
    assert len(xs) > 500
    assert xs.min() >= at[0] - 20 and ys.min() >= at[1] - 20


@pytest.mark.model
def test_a_small_person_is_found_in_a_photo() -> None:
    _, small = _small_person_frames(0.35, (760, 330))
    with PoseEstimator(PoseOptions(search=False), video=False) as pe:
        assert not pe.detect(small[0], 0.0).person
    with PoseEstimator(PoseOptions(), video=False) as pe:
        assert pe.detect(small[0], 0.0).person


@pytest.mark.model
def test_an_empty_room_stays_empty() -> None:
    """The search finds no one where there is no one (a plain room, 2 s of video)."""
    _, small = _small_person_frames(0.35, (760, 330))
    room = cv2.GaussianBlur(small[0], (0, 0), 40)
    with PoseEstimator(PoseOptions(), video=True) as pe:
        assert not any(pe.detect(room, i / 30).person for i in range(30))
        # one tile a frame: one more pass of the model on a frame with nobody, never a sweep
        searcher, calls = pe._searcher, []
        pe._searcher = type("Counting", (), {
            "detect": lambda self, img: calls.append(1) or searcher.detect(img),
            "close": lambda self: searcher.close(),
        })()  # fmt: skip
        assert not any(pe.detect(room, (30 + i) / 30).person for i in range(30))
        assert len(calls) == 30
