"""The pose stage: MediaPipe's ``PoseLandmarker`` (Tasks API) wrapped into :class:`PoseFrame`.

VIDEO running mode is used for videos and cameras (MediaPipe tracks the person between frames,
which is faster and steadier) and IMAGE mode for photos. Segmentation masks are on: the lumbar
measure reads the back's outline from them. Several people can be detected
(``num_poses``); :class:`SubjectTracker` keeps following the same main subject.

Everything MediaPipe gives is kept: image landmarks (converted to pixels), world landmarks
(metres, origin between the hips), visibility, presence and the mask.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcheck.errors import ModelError
from formcheck.io.native_logs import quiet_native_stderr
from formcheck.io.signals import deferred_interrupts, interrupt_pending
from formcheck.pose.frame import N_LANDMARKS, PoseFrame
from formcheck.pose.options import PoseOptions
from formcheck.pose.search import WINDOW_KEEP_S, Window, plausible, tiles, window_around

log = logging.getLogger(__name__)


def _bbox_area(xy: NDArray[np.float64]) -> float:
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        return 0.0
    p = xy[ok]
    return float(np.ptp(p[:, 0]) * np.ptp(p[:, 1]))


def _torso_centre(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.nanmean(xy[[11, 12, 23, 24]], axis=0)


def to_rgb(image_bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """BGR (OpenCV's order) to a contiguous RGB array, as MediaPipe takes it."""
    import cv2

    return np.asarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def inference_picture(image: NDArray[np.uint8], max_width: int) -> NDArray[np.uint8]:
    """``image`` scaled down to at most ``max_width`` pixels wide (0: unchanged), same aspect.

    Landmarks are normalised to the picture, so they map back to the captured picture's pixels
    unchanged; only the mask comes back smaller (scaled up again in ``_to_frame``).
    """
    h, w = image.shape[:2]
    if max_width <= 0 or w <= max_width:
        return image
    import cv2

    size = (max_width, max(1, round(h * max_width / w)))
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def lift_dim(image: NDArray[np.uint8], level: float) -> NDArray[np.uint8]:
    """``image`` with its levels stretched to the full range when it is dim (its mean level
    below ``level``, 0..255; 0: never), else ``image`` itself.

    MediaPipe's detector misses people in dim rooms that it finds once the picture's levels are
    stretched: on the tuning split's dimmest clip (mean level 44) the person was found on 92 of
    242 frames (1 of 110 hold frames), and on 155 (48) with the stretch where the model needed
    it (:meth:`PoseEstimator._picture`; docs/accuracy.md, 2026-12-02 fifth session).
    The stretch maps the 1st..99.5th percentile of the levels (all channels together, so the
    colours keep their balance) to 0..255 with one lookup table; a flat picture (a black frame,
    a lens cap) is left as it is. Only the model's input changes: reports and drawings show the
    frame as filmed. Cost: the mean of every 8th pixel on every frame (tens of microseconds);
    a dim frame adds a histogram of every 4th pixel and the table (1.6 ms at 640x480 on the
    2-core machine, where a frame of the full model takes about 30 ms).
    """
    if not is_dim(image, level):
        return image
    # the percentiles from a histogram of every 4th pixel
    cum = np.cumsum(np.bincount(image[::4, ::4].ravel(), minlength=256))
    lo, hi = (int(np.searchsorted(cum, q * cum[-1])) for q in (0.01, 0.995))
    if hi - lo < DIM_MIN_SPREAD:
        return image
    import cv2

    lut = (np.arange(256, dtype=np.float32) - float(lo)) * (255.0 / float(hi - lo))
    return np.ascontiguousarray(cv2.LUT(image, np.clip(lut, 0, 255).astype(np.uint8)))


def is_dim(image: NDArray[np.uint8], level: float) -> bool:
    """Whether ``image``'s mean level (every 8th pixel) is below ``level`` (0: never dim)."""
    return level > 0 and image.size > 0 and float(image[::8, ::8].mean()) < level


#: a dim picture whose levels spread less than this (0..255) is flat (black): not stretched
DIM_MIN_SPREAD = 8.0


class SubjectTracker:
    """Choose the main subject among several detected people, consistently over time.

    The first time, the largest person (landmark bounding box) wins; afterwards the person whose
    torso centre is nearest to the subject's last one, as long as it moved less than
    ``max_jump`` of the image diagonal; otherwise the largest again. ``update(candidates)``
    returns the chosen index; ``reset()`` forgets.
    """

    def __init__(self, max_jump: float = 0.25) -> None:
        self.max_jump = max_jump
        self.reset()

    def reset(self) -> None:
        self._last: NDArray[np.float64] | None = None

    def update(self, candidates: list[NDArray[np.float64]], diagonal_px: float) -> int | None:
        if not candidates:
            return None
        choice: int | None = None
        if self._last is not None and len(candidates) > 1:
            dists = [float(np.linalg.norm(_torso_centre(c) - self._last)) for c in candidates]
            best = int(np.nanargmin(dists))
            if dists[best] <= self.max_jump * diagonal_px:
                choice = best
        if choice is None:
            choice = int(np.argmax([_bbox_area(c) for c in candidates]))
        self._last = _torso_centre(candidates[choice])
        return choice


class PoseEstimator:
    """MediaPipe PoseLandmarker in IMAGE or VIDEO mode.

    Use as a context manager; call :meth:`detect` with BGR frames and their times (VIDEO mode
    needs strictly increasing times). A missing, corrupt or unloadable model raises
    :class:`ModelError` with one line saying how to fix it.
    """

    def __init__(self, options: PoseOptions | None = None, *, video: bool = True) -> None:
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions
        from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
            VisionTaskRunningMode,
        )

        from formcheck.pose.models import resolve_model
        from formcheck.pose.privacy import stop_mediapipe_usage_logging

        stop_mediapipe_usage_logging()  # before any landmarker: no usage reports (docs/privacy.md)

        self.options = options or PoseOptions()
        self.video = video
        model_path = resolve_model(self.options.model)
        self.model_path = Path(model_path)
        mp_options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=VisionTaskRunningMode.VIDEO if video else VisionTaskRunningMode.IMAGE,
            num_poses=self.options.num_poses if video else self.options.num_poses_image,
            min_pose_detection_confidence=self.options.min_detection_confidence,
            min_pose_presence_confidence=self.options.min_presence_confidence,
            min_tracking_confidence=self.options.min_tracking_confidence,
            output_segmentation_masks=self.options.segmentation,
        )
        try:
            with deferred_interrupts(), quiet_native_stderr():
                self._landmarker = PoseLandmarker.create_from_options(mp_options)
        except (RuntimeError, ValueError, OSError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelError(
                f"the pose model {model_path} could not be loaded ({first}); "
                "run `formcheck models fetch --force full` to rebuild it"
            ) from err
        self._tracker = SubjectTracker()
        self._last_ts_ms = -1
        self._quiet_frames = 2  # the first frames print native warnings too
        self._mp_options = mp_options
        self._counter: Any = None  # IMAGE-mode landmarker counting people, made on first use
        self._last_count_t = -math.inf
        self._people = 0
        self._count_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._count_future: concurrent.futures.Future[int] | None = None
        self._searcher: Any = None  # IMAGE-mode landmarker of the tile search, made on first use
        self._window: Window | None = None  # the crop the person is followed in, if any
        self._tile_turn = -1  # the tile a video's search looked in last
        self._last_seen: tuple[float, float] | None = None  # the person's torso centre, pixels
        self._window_seen_t = -math.inf
        # a dim whole picture in which the model found nobody: the next ones are given lifted
        # (lift_dim) until nobody is found in a lifted one
        self._lift_whole = False
        self._last_dim = False  # the last whole picture given to the model was dim

    def detect(
        self, image_bgr: NDArray[np.uint8], t_s: float, rgb: NDArray[np.uint8] | None = None
    ) -> PoseFrame:
        """Find the main subject's pose in one BGR frame taken at ``t_s`` seconds.

        ``rgb``, when given, is the same picture already in RGB order (the analysis converts it
        in its decoding thread, off the inference path). A person the detector misses is looked
        for again in zoomed tiles, and then followed in a window (:mod:`formcheck.pose.search`).
        """
        h, w = image_bgr.shape[:2]
        quiet = self._quiet_frames > 0
        if quiet:
            self._quiet_frames -= 1
        # Ctrl-C / SIGTERM wait until the native call has returned: MediaPipe runs it on a
        # thread of its own, and an exception raised while this thread waits would free the
        # call's buffers under it (a segmentation fault; formcheck.io.signals)
        with deferred_interrupts(), quiet_native_stderr() if quiet else contextlib.nullcontext():
            window = self._window
            lift = self._lift_whole and window is None
            frame, mp_image = self._look(image_bgr, rgb, t_s, window, lift=lift)
            if window is None and not frame.person and self.options.dim_level > 0:
                if lift:
                    self._lift_whole = False  # nobody in the lifted picture: as filmed next
                elif self._last_dim:
                    if self.video:
                        self._lift_whole = True  # the next frames are given lifted
                    else:  # a photo: look again at once, lifted
                        frame, mp_image = self._look(image_bgr, rgb, t_s, None, lift=True)
            if window is not None:
                if frame.person:
                    self._window_seen_t = t_s
                    if window.needs_move(frame.xy, h, w):  # follow the person; None: they fill it
                        self._window = window_around(frame.xy, h, w)
                elif t_s - self._window_seen_t > WINDOW_KEEP_S:
                    self._window = None  # lost in the window: the whole picture next frame
            elif (
                not frame.person
                and self.options.search
                and not interrupt_pending()  # a stop asked for: no more passes of the model
            ):
                found = self._search(image_bgr, rgb)
                if found is not None:
                    self._window = found if self.video else None
                    self._window_seen_t = t_s
                    frame, mp_image = self._look(image_bgr, rgb, t_s, found)
                    if not frame.person:
                        self._window = None
            if frame.person:
                centre = _torso_centre(frame.xy)
                if np.isfinite(centre).all():
                    self._last_seen = (float(centre[0]), float(centre[1]))
                    self._tile_turn = -1  # a new search starts where the person was
            if self.video and self.options.people_check_s > 0 and frame.person:
                # counted in a worker thread, off the inference path; the count is at most
                # one check interval old
                fut = self._count_future
                if fut is not None and fut.done():
                    self._people = fut.result() if fut.exception() is None else self._people
                    self._count_future = fut = None
                if fut is None and t_s - self._last_count_t >= self.options.people_check_s:
                    self._last_count_t = t_s
                    if self._count_pool is None:
                        self._count_pool = concurrent.futures.ThreadPoolExecutor(
                            1, thread_name_prefix="formcheck-people"
                        )
                    self._count_future = self._count_pool.submit(self._count_people, mp_image)
                if self._people > frame.n_people:
                    frame = dataclasses.replace(frame, n_people=self._people)
        return frame

    def _picture(
        self,
        image_bgr: NDArray[np.uint8],
        rgb: NDArray[np.uint8] | None,
        window: Window | None,
        lift: bool = False,
    ) -> NDArray[np.uint8]:
        """The RGB picture the model is given: the frame or the window's crop, scaled down to
        ``max_width`` (scaled first, then converted: less to convert).

        Dim pictures are lifted (:func:`lift_dim`) only where the model needs help: a crop (a
        search tile, the window that follows a person found in one), and the whole picture when
        ``lift`` (after the model found nobody in it as filmed). A person the model finds
        without help is measured on the picture as filmed (on the tuning split, lifting every
        dim picture changed the judgements of dim clips whose person was found anyway)."""
        src = rgb if rgb is not None else image_bgr
        if window is not None:
            src = window.crop(src)
        small = inference_picture(src, self.options.max_width)
        if window is not None or lift:
            small = lift_dim(small, self.options.dim_level)
        else:
            self._last_dim = is_dim(small, self.options.dim_level)
        return small if rgb is not None else to_rgb(small)

    def _look(
        self,
        image_bgr: NDArray[np.uint8],
        rgb: NDArray[np.uint8] | None,
        t_s: float,
        window: Window | None,
        lift: bool = False,
    ) -> tuple[PoseFrame, Any]:
        """One pass of the landmarker on the frame (or ``window`` of it; ``lift``: see
        :meth:`_picture`)."""
        import mediapipe as mp

        h, w = image_bgr.shape[:2]
        mp_image = mp.Image(
            image_format=mp.ImageFormat.SRGB, data=self._picture(image_bgr, rgb, window, lift)
        )
        if self.video:
            ts_ms = int(round(t_s * 1000.0))
            if ts_ms <= self._last_ts_ms:
                ts_ms = self._last_ts_ms + 1
            self._last_ts_ms = ts_ms
            result = self._landmarker.detect_for_video(mp_image, ts_ms)
        else:
            result = self._landmarker.detect(mp_image)
        return self._to_frame(result, t_s, w, h, window), mp_image

    def _search(self, image_bgr: NDArray[np.uint8], rgb: NDArray[np.uint8] | None) -> Window | None:
        """Look for a person in zoomed tiles (IMAGE mode); the window around the first one
        found whose torso lies inside its tile, or None. A photo is searched in every tile; a
        video in one tile a frame, in turn (one more pass of the model on a frame with nobody,
        never a stall of many passes)."""
        import mediapipe as mp

        h, w = image_bgr.shape[:2]
        if self._searcher is None:
            self._searcher = self._image_landmarker(num_poses=1)
        grid = tiles(h, w, around=self._last_seen)
        if self.video:
            self._tile_turn = (self._tile_turn + 1) % len(grid)
            grid = [grid[self._tile_turn]]
        for tile in grid:
            pic = self._picture(image_bgr, rgb, tile)
            result = self._searcher.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=pic))
            for lms in result.pose_landmarks or []:
                xy = tile.to_picture(np.array([[lm.x, lm.y] for lm in lms]) * tile.side)
                vis = np.array(
                    [(lm.visibility if lm.visibility is not None else 0.0) for lm in lms]
                )
                if plausible(xy, vis, tile):
                    return window_around(xy, h, w) or tile
        return None

    def _image_landmarker(self, num_poses: int) -> Any:
        """An IMAGE-mode landmarker without masks beside the main one, on the same model (the
        people count, the person search), made quietly (loading logs natively)."""
        from mediapipe.tasks.python.vision import PoseLandmarker
        from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
            VisionTaskRunningMode,
        )

        opts = dataclasses.replace(
            self._mp_options,
            running_mode=VisionTaskRunningMode.IMAGE,
            num_poses=num_poses,
            output_segmentation_masks=False,
        )
        with quiet_native_stderr():
            return PoseLandmarker.create_from_options(opts)

    def _count_people(self, mp_image: Any) -> int:
        """How many people an IMAGE-mode pass finds (several-people check in videos)."""
        if self._counter is None:
            self._counter = self._image_landmarker(max(2, self.options.num_poses_image))
            with quiet_native_stderr():
                result = self._counter.detect(mp_image)  # the first call logs too
        else:
            result = self._counter.detect(mp_image)
        return len(result.pose_landmarks or [])

    def _to_frame(
        self, result: Any, t_s: float, w: int, h: int, window: Window | None = None
    ) -> PoseFrame:
        """MediaPipe's result -> :class:`PoseFrame` in the whole picture's pixels (``window``:
        the crop the model was given)."""
        poses = result.pose_landmarks or []
        if not poses:
            self._tracker.reset()
            return PoseFrame.empty(t_s, w, h)
        sw, sh = (window.side, window.side) if window is not None else (w, h)
        cands = []
        for lms in poses:
            xy = np.array([[lm.x * sw, lm.y * sh] for lm in lms], dtype=float)
            cands.append(window.to_picture(xy) if window is not None else xy)
        choice = self._tracker.update(cands, math.hypot(w, h))
        assert choice is not None
        lms = poses[choice]
        xy = cands[choice]
        z = np.array([lm.z * sw for lm in lms], dtype=float)
        vis = np.array([(lm.visibility if lm.visibility is not None else np.nan) for lm in lms])
        pres = np.array([(lm.presence if lm.presence is not None else np.nan) for lm in lms])
        world = np.full((N_LANDMARKS, 3), np.nan)
        if result.pose_world_landmarks and len(result.pose_world_landmarks) > choice:
            world = np.array([[p.x, p.y, p.z] for p in result.pose_world_landmarks[choice]])
        mask = None
        if result.segmentation_masks and len(result.segmentation_masks) > choice:
            m = result.segmentation_masks[choice].numpy_view()
            mh, mw = m.shape[:2]
            # copy: the view points into memory MediaPipe frees with the result
            mask = np.array(m, dtype=np.float32, copy=True).reshape(mh, mw)
            if (mh, mw) != (sh, sw):  # the model saw a smaller picture (PoseOptions.max_width)
                import cv2

                mask = np.asarray(
                    cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_LINEAR), dtype=np.float32
                )
            if window is not None:
                mask = window.paste_mask(mask, h, w)
        return PoseFrame(t_s, w, h, xy, z, vis, pres, world, mask, len(poses))

    def close(self) -> None:
        if self._count_pool is not None:
            self._count_pool.shutdown(wait=True)
            self._count_pool = None
        # mediapipe >= 1.2.3 logs when a landmarker is destroyed
        with deferred_interrupts(), quiet_native_stderr():
            self._landmarker.close()
            if self._counter is not None:
                self._counter.close()
                self._counter = None
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
