"""Settings of the pose stage (:class:`PoseOptions`), MediaPipe-free."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PoseOptions:
    """Settings of the pose stage."""

    model: str = "full"  # lite | full | heavy | path to a .task file
    # Videos: 1. With 2, MediaPipe's VIDEO-mode tracking loses a lone person in about a fifth of
    # the frames (measured: 228/290 vs 290/290 on a push-up clip) and runs ~40 % slower; with 1
    # it keeps following the person it found, which is the main subject.
    num_poses: int = 1
    # Photos: several people are looked for, and the largest is the subject.
    num_poses_image: int = 2
    # Videos: every this many seconds a separate IMAGE-mode pass (num_poses_image) counts the
    # people in view, so "several people" is noticed while tracking one (0 = never). A pass
    # costs 47-52 ms of CPU (640x480, full model: more than a tracked frame's 31 ms), so every
    # 2 s it was 0.8 ms a frame; every 5 s it is 0.3 ms (docs/streams.md, 2026-12-02 fifth
    # session). The first frame with a person is counted at once.
    people_check_s: float = 5.0
    # A picture darker than this mean level (0..255) has its levels stretched before the model
    # sees it, where the model found nobody in it as filmed (estimator.lift_dim; 0 = never).
    # Between the tuning split's dim clips (mean levels 41-51) and its normal and back-lit
    # ones (117-206).
    dim_level: float = 80.0
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    segmentation: bool = True
    # The picture the model sees is at most this wide (pixels; 0 = as captured). MediaPipe scales
    # its segmentation mask back to the size of the picture it is given, which costs 30 % of a
    # frame at 1280x720 (25.1 vs 17.7 ms with and without the mask) and almost nothing at
    # 640x360 (20.1 vs 19.6 ms): docs/speed.md. Landmarks come back in the captured picture's
    # pixels and the mask is scaled back up, so the rest of formcheck sees no difference.
    # Live mode sets 640 (formcheck live --inference-width); analyze keeps the full picture.
    max_width: int = 0
    # A person the detector misses (small in the picture, lying down, a dim room) is looked for
    # again in zoomed tiles, then followed in a window around them (formcheck/pose/search.py);
    # videos: one tile per frame with nobody (one more pass of the model on such a frame).
    search: bool = True
