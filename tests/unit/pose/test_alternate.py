"""The segmentation mask on every other frame (formcheck.pose.alternate.MaskEveryNth): which
landmarker each frame goes to, the last mask reused and moved with the torso, on stand-in
estimators with known answers; and with the real model on a sample clip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.pose.alternate import MaskEveryNth, make_mask_every_nth, shift_mask
from formcheck.pose.estimator import PoseEstimator
from formcheck.pose.frame import PoseFrame
from formcheck.pose.options import PoseOptions
from tests.conftest import sample
from tests.stickfigure import figure


class FakeEstimator:
    """A stand-in estimator: the stick figure moved ``dx_per_frame`` pixels right each call's
    frame (frame index = round(t_s * 30)), with a mask (a box around the hips) when ``mask``;
    no person at the times in ``absent``."""

    def __init__(
        self, *, mask: bool, dx_per_frame: float = 3.0, absent: tuple[float, ...] = ()
    ) -> None:
        self.model_path = Path("fake.task")
        self.mask = mask
        self.dx = dx_per_frame
        self.absent = absent
        self.seen: list[float] = []  # the frame times it was given, in order
        self.closed = False

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None) -> PoseFrame:
        self.seen.append(t_s)
        if t_s in self.absent:
            return PoseFrame.empty(t_s, 640, 480)
        shift = self.dx * round(t_s * 30)
        pf = figure(t_s=t_s, hip=(320.0 + shift, 300.0), n_people=1)
        if not self.mask:
            return pf
        m = np.zeros((480, 640), np.float32)
        x = int(round(320 + shift))
        m[250:350, x - 40 : x + 40] = 1.0
        return dataclasses.replace(pf, mask=m, n_people=2)

    def close(self) -> None:
        self.closed = True


IMAGE = np.zeros((480, 640, 3), np.uint8)


def _run(est: MaskEveryNth, n: int) -> list[PoseFrame]:
    return [est.detect(IMAGE, i / 30) for i in range(n)]


def test_the_masked_landmarker_takes_every_other_frame_and_its_mask_is_reused() -> None:
    masked, unmasked = FakeEstimator(mask=True), FakeEstimator(mask=False)
    est = MaskEveryNth(masked, unmasked, every=2)
    frames = _run(est, 6)
    assert masked.seen == pytest.approx([0 / 30, 2 / 30, 4 / 30])
    assert unmasked.seen == pytest.approx([1 / 30, 3 / 30, 5 / 30])
    assert (est.mask_frames, est.reused) == (3, 3)
    for i, pf in enumerate(frames):
        assert pf.mask is not None and pf.t_s == pytest.approx(i / 30)
        # the box follows the hips: on reused frames the last mask moved by the torso's 3 px
        cols = np.flatnonzero(pf.mask[300])
        assert (cols.min(), cols.max()) == (320 + 3 * i - 40, 320 + 3 * i + 39), i
        assert pf.n_people == 2  # the masked estimator's people count is carried over
    # landmarks are the frame's own, never the mask frame's
    assert frames[1].xy[23, 0] == pytest.approx(323.0)


def test_every_third_frame() -> None:
    masked, unmasked = FakeEstimator(mask=True), FakeEstimator(mask=False)
    _run(MaskEveryNth(masked, unmasked, every=3), 7)
    assert [round(t * 30) for t in masked.seen] == [0, 3, 6]
    assert [round(t * 30) for t in unmasked.seen] == [1, 2, 4, 5]


def test_no_person_on_a_mask_frame_sends_the_next_frame_to_the_masked_landmarker() -> None:
    masked = FakeEstimator(mask=True, absent=(2 / 30,))
    unmasked = FakeEstimator(mask=False)
    frames = _run(MaskEveryNth(masked, unmasked, every=2), 6)
    assert [round(t * 30) for t in masked.seen] == [0, 2, 3, 5]
    assert [round(t * 30) for t in unmasked.seen] == [1, 4]
    assert frames[2].mask is None and not frames[2].person
    assert all(pf.mask is not None for i, pf in enumerate(frames) if i != 2)


def test_a_person_lost_by_the_unmasked_landmarker_is_not_given_a_mask() -> None:
    masked = FakeEstimator(mask=True)
    unmasked = FakeEstimator(mask=False, absent=(1 / 30,))
    frames = _run(MaskEveryNth(masked, unmasked, every=2), 4)
    assert frames[1].mask is None and not frames[1].person
    assert [round(t * 30) for t in masked.seen] == [0, 2]


def test_a_mask_older_than_max_age_is_not_reused() -> None:
    masked, unmasked = FakeEstimator(mask=True), FakeEstimator(mask=False)
    est = MaskEveryNth(masked, unmasked, every=2, max_age_s=0.1)
    for i in (0, 4, 5):  # frames 1-3 dropped: frame 4 is 133 ms after the last mask
        est.detect(IMAGE, i / 30)
    assert [round(t * 30) for t in masked.seen] == [0, 4]
    assert [round(t * 30) for t in unmasked.seen] == [5]


def test_both_are_closed_and_a_ladder_of_one_is_refused() -> None:
    masked, unmasked = FakeEstimator(mask=True), FakeEstimator(mask=False)
    with MaskEveryNth(masked, unmasked) as est:
        assert est.mask_every == 2 and est.model_path == Path("fake.task")
    assert masked.closed and unmasked.closed
    with pytest.raises(ValueError, match="every must be 2 or more"):
        MaskEveryNth(masked, unmasked, every=1)


def test_shift_mask() -> None:
    m = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert shift_mask(m, 0, 0) is m
    assert shift_mask(m, 1, 0).tolist() == [[0, 0, 1, 2], [0, 4, 5, 6], [0, 8, 9, 10]]
    assert shift_mask(m, -1, 1).tolist() == [[0, 0, 0, 0], [1, 2, 3, 0], [5, 6, 7, 0]]
    assert not shift_mask(m, 9, 0).any()


def test_the_unmasked_landmarker_is_made_without_the_mask_and_its_own_extras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[PoseOptions] = []

    def fake(options: PoseOptions, *, video: bool) -> FakeEstimator:
        assert video
        made.append(options)
        return FakeEstimator(mask=options.segmentation)

    monkeypatch.setattr("formcheck.pose.estimator.PoseEstimator", fake)
    est = make_mask_every_nth(PoseOptions(model="full.task", max_width=640))
    masked, unmasked = made
    assert masked.segmentation and not unmasked.segmentation
    assert unmasked.people_check_s == 0 and masked.people_check_s > 0
    assert unmasked.max_width == masked.max_width == 640
    assert getattr(unmasked, "search", False) is False
    # an estimator in use is kept as the masked one: only the unmasked one is made
    made.clear()
    kept = FakeEstimator(mask=True)
    assert make_mask_every_nth(PoseOptions(), masked=kept).masked is kept
    assert len(made) == 1 and not made[0].segmentation
    est.close()


# --------------------------------------------------------------------------- real model
@pytest.mark.model
def test_with_the_real_model_the_landmarks_and_masks_match_one_landmarker() -> None:
    """40 frames of a sample at 640x480: the unmasked landmarker takes every other frame; the
    landmarks stay within a few pixels of one masked landmarker's, and the reused masks agree
    with the fresh ones on almost every pixel."""
    cap = cv2.VideoCapture(str(sample("standing_fold_good.mp4")))
    frames = []
    while len(frames) < 40:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(f, (640, 480)))
    cap.release()
    opts = PoseOptions()
    with PoseEstimator(opts, video=True) as one:
        ref = [one.detect(f, i / 30) for i, f in enumerate(frames)]
    with make_mask_every_nth(opts) as alt:
        got = [alt.detect(f, i / 30) for i, f in enumerate(frames)]
        assert alt.mask_frames + alt.reused == len(frames)
        assert alt.reused >= len(frames) // 2 - 2
    pairs = [(a, b) for a, b in zip(ref, got, strict=True) if a.person and b.person]
    assert len(pairs) >= len(frames) - 2
    shift = [float(np.nanmedian(np.linalg.norm(a.xy - b.xy, axis=1))) for a, b in pairs]
    assert float(np.median(shift)) < 3.0, shift
    disagree = [
        float(np.mean((a.mask > 0.5) != (b.mask > 0.5)))
        for a, b in pairs
        if a.mask is not None and b.mask is not None
    ]
    assert len(disagree) == len(pairs)
    assert float(np.median(disagree)) < 0.01 and max(disagree) < 0.03, disagree
