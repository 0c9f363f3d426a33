"""The segmentation mask on every other frame: two landmarkers, one with the mask, one without.

MediaPipe computes the mask inside the landmarker's graph (``output_segmentation_masks``, set
from :attr:`PoseOptions.segmentation <formcheck.pose.options.PoseOptions.segmentation>`), so a
frame without the mask needs a landmarker made without it. :class:`MaskEveryNth` holds two
VIDEO-mode :class:`~formcheck.pose.estimator.PoseEstimator` instances and sends each frame to
one of them: the masked one when a mask is due (every ``every``-th frame), else the unmasked
one. Each estimator sees its own frames only, so each gets its own strictly increasing
timestamps and keeps its own tracking.

A frame from the unmasked landmarker carries the LAST mask, moved by how far the torso moved
since (the shift of the shoulders' and hips' centre, whole pixels). Why reuse and not "the back
judged on mask frames only": the back-rounding judge, its warnings and the report's
``back_judged`` take the back frame by frame; a back judged on every other frame only would
halve the judged frames and make the warning's on/off debounce see a gap every other frame. The
back is judged on a held stretch, where the body barely moves in one frame (33 ms at 30 fps);
the shift takes out what the body moved as a whole. A mask is never reused across a frame
without a person, nor when it is older than ``max_age_s`` (frames dropped under load): the
masked landmarker then runs on the next frame.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from formcheck.pose.frame import PoseFrame

#: the landmarks whose centre gives the torso's shift: shoulders and hips
TORSO = (11, 12, 23, 24)


class Estimator(Protocol):
    """What :class:`MaskEveryNth` needs of a pose estimator."""

    model_path: Path

    def detect(
        self, image_bgr: NDArray[np.uint8], t_s: float, rgb: NDArray[np.uint8] | None = None
    ) -> PoseFrame: ...

    def close(self) -> None: ...


def torso_centre(xy: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """The centre of the shoulders and hips (pixels), or None when one of them is missing."""
    pts = xy[list(TORSO)]
    if not np.isfinite(pts).all():
        return None
    return np.asarray(pts.mean(axis=0), dtype=float)


def shift_mask(mask: NDArray[np.float32], dx: int, dy: int) -> NDArray[np.float32]:
    """``mask`` moved by ``dx``, ``dy`` whole pixels (right, down); what comes in is 0."""
    if dx == 0 and dy == 0:
        return mask
    h, w = mask.shape
    out = np.zeros_like(mask)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_y = slice(max(0, -dy), h - max(0, dy))
    dst_y = slice(max(0, dy), h - max(0, -dy))
    src_x = slice(max(0, -dx), w - max(0, dx))
    dst_x = slice(max(0, dx), w - max(0, -dx))
    out[dst_y, dst_x] = mask[src_y, src_x]
    return out


class MaskEveryNth:
    """A pose estimator that computes the segmentation mask on every ``every``-th frame.

    ``masked`` and ``unmasked`` are two VIDEO-mode estimators on the same model, made with and
    without the mask (:func:`make_mask_every_nth` makes them). Owns both: ``close`` closes
    them. ``mask_frames`` / ``reused`` count the frames of each kind.
    """

    def __init__(
        self, masked: Estimator, unmasked: Estimator, *, every: int = 2, max_age_s: float = 0.25
    ) -> None:
        if every < 2:
            raise ValueError(f"every must be 2 or more, found {every}")
        self.masked = masked
        self.unmasked = unmasked
        self.mask_every = every
        self.max_age_s = max_age_s
        self.model_path = Path(masked.model_path)
        self.options: Any = getattr(masked, "options", None)
        self.mask_frames = 0
        self.reused = 0
        self._last: PoseFrame | None = None  # the last frame that brought a mask
        self._since = 0  # frames since that one

    def _mask_due(self, t_s: float) -> bool:
        last = self._last
        return last is None or self._since >= self.mask_every - 1 or t_s - last.t_s > self.max_age_s

    def detect(
        self, image_bgr: NDArray[np.uint8], t_s: float, rgb: NDArray[np.uint8] | None = None
    ) -> PoseFrame:
        """The pose in one BGR frame at ``t_s`` seconds, with the mask computed or reused."""
        if self._mask_due(t_s):
            pf = self.masked.detect(image_bgr, t_s, rgb)
            self.mask_frames += 1
            self._last = pf if pf.person and pf.mask is not None else None
            self._since = 0
            return pf
        pf = self.unmasked.detect(image_bgr, t_s, rgb)
        self._since += 1
        last = self._last
        if not pf.person or last is None or last.mask is None:
            self._last = None  # nobody in view: the next frame computes a new mask
            return pf
        mask = last.mask
        if mask.shape != (pf.height, pf.width):
            self._last = None
            return pf
        a, b = torso_centre(last.xy), torso_centre(pf.xy)
        if a is not None and b is not None:
            dx, dy = (int(round(v)) for v in b - a)
            mask = shift_mask(mask, dx, dy)
        self.reused += 1
        n_people = max(pf.n_people, last.n_people)
        return dataclasses.replace(pf, mask=mask, n_people=n_people)

    def close(self) -> None:
        try:
            self.masked.close()
        finally:
            self.unmasked.close()

    def __enter__(self) -> MaskEveryNth:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_mask_every_nth(
    options: Any, *, every: int = 2, masked: Estimator | None = None
) -> MaskEveryNth:
    """Two VIDEO-mode estimators of ``options`` (a :class:`PoseOptions`), with and without the
    mask, as a :class:`MaskEveryNth`. ``masked``: an estimator already made with the mask (the
    session's own: kept, with its tracking); the unmasked one neither counts people nor
    searches zoomed tiles for a person it lost (the masked one does both)."""
    from formcheck.pose import estimator

    # the unmasked landmarker only follows a person the masked one found: no people count and
    # no search of its own (a frame where it loses the person sends the next one to the other)
    off = {"segmentation": False, "people_check_s": 0.0, "search": False}
    names = {f.name for f in dataclasses.fields(options)}
    unmasked_opts = dataclasses.replace(options, **{k: v for k, v in off.items() if k in names})
    own = masked is None
    if masked is None:
        opts = dataclasses.replace(options, segmentation=True)
        masked = estimator.PoseEstimator(opts, video=True)
    try:
        unmasked = estimator.PoseEstimator(unmasked_opts, video=True)
    except BaseException:
        if own:
            masked.close()
        raise
    return MaskEveryNth(masked, unmasked, every=every)
