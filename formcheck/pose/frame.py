"""The pose stage's result: :class:`PoseFrame`, the main subject's landmarks in one frame.

MediaPipe-free (numpy only), so that the stages after pose (metrics, stretches, draw) can take
pose frames without importing MediaPipe; :mod:`formcheck.pose.estimator` makes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: landmarks in MediaPipe's pose model
N_LANDMARKS = 33


@dataclass(frozen=True)
class PoseFrame:
    """The main subject's pose in one frame.

    Attributes
    ----------
    t_s : float
        Frame time in seconds.
    width, height : int
        Image size in pixels.
    xy : ndarray, shape (33, 2)
        Image landmarks in pixels (x right, y down); NaN when nobody was found. May lie outside
        the image for joints MediaPipe infers beyond the border.
    z : ndarray, shape (33,)
        MediaPipe's relative depth, in pixels (same scale as x), smaller = nearer the camera.
    visibility, presence : ndarray, shape (33,)
        MediaPipe's per-landmark scores in [0, 1]; NaN when nobody was found.
    world : ndarray, shape (33, 3)
        World landmarks in metres, origin at the hips' centre, y down; NaN when nobody was found.
    mask : ndarray, shape (H, W), float32, or None
        The subject's segmentation mask in [0, 1], when requested.
    n_people : int
        How many people MediaPipe found in the frame.
    """

    t_s: float
    width: int
    height: int
    xy: NDArray[np.float64]
    z: NDArray[np.float64]
    visibility: NDArray[np.float64]
    presence: NDArray[np.float64]
    world: NDArray[np.float64]
    mask: NDArray[np.float32] | None = None
    n_people: int = 0

    def __post_init__(self) -> None:
        for name, shape in (
            ("xy", (N_LANDMARKS, 2)),
            ("z", (N_LANDMARKS,)),
            ("visibility", (N_LANDMARKS,)),
            ("presence", (N_LANDMARKS,)),
            ("world", (N_LANDMARKS, 3)),
        ):
            arr = getattr(self, name)
            if arr.shape != shape:
                raise ValueError(f"PoseFrame.{name} must have shape {shape}, got {arr.shape}")
        if self.mask is not None and self.mask.shape != (self.height, self.width):
            raise ValueError(
                f"PoseFrame.mask must have shape {(self.height, self.width)}, got {self.mask.shape}"
            )

    @property
    def person(self) -> bool:
        """True when a person was found."""
        return bool(np.isfinite(self.xy).any())

    @classmethod
    def empty(cls, t_s: float, width: int, height: int, n_people: int = 0) -> PoseFrame:
        """A frame in which nobody was found (all NaN)."""
        nan = np.full(N_LANDMARKS, np.nan)
        return cls(
            t_s, width, height, np.full((N_LANDMARKS, 2), np.nan), nan.copy(), nan.copy(),
            nan.copy(), np.full((N_LANDMARKS, 3), np.nan), None, n_people,
        )  # fmt: skip
