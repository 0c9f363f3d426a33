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
    # people in view, so "several people" is noticed while tracking one (0 = never).
    people_check_s: float = 2.0
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    segmentation: bool = True
