"""Time-based smoothing of landmark and angle signals.

MediaPipe's Tasks API no longer smooths landmarks, so formcheck does: a One Euro filter
(Casiez, Roussel & Vogel, CHI 2012) removes jitter while a limb is still and lets fast motion
through with little lag, because its cut-off frequency rises with the signal's speed. Time is
taken from the frame timestamps in seconds, never from frame counts, so 29.97 fps, dropped
frames and variable frame rates are handled.

NaN in gives NaN out: a missing sample is not smoothed into a value, and the filter restarts
after a gap longer than ``max_gap_s`` so a person re-entering the frame is not dragged from
where they left.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _alpha(cutoff_hz: NDArray[np.float64] | float, dt_s: float) -> NDArray[np.float64] | float:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One Euro filter over arrays of any fixed shape, element-wise.

    Parameters
    ----------
    min_cutoff_hz : float
        Cut-off frequency when the signal is still (lower = smoother, more lag when slow).
    beta : float
        Speed coefficient: how fast the cut-off rises with the signal's speed (higher = less lag
        on fast motion). Units: 1 / (signal unit).
    d_cutoff_hz : float
        Cut-off for the speed estimate.
    max_gap_s : float
        Restart when consecutive valid samples are further apart than this.

    Notes
    -----
    ``update(t_s, x)`` returns the filtered value; elements that are NaN in ``x`` come out NaN
    and do not change that element's state. ``reset()`` forgets everything.
    """

    def __init__(
        self,
        min_cutoff_hz: float = 1.0,
        beta: float = 0.0,
        d_cutoff_hz: float = 1.0,
        max_gap_s: float = 0.5,
    ) -> None:
        if min_cutoff_hz <= 0 or d_cutoff_hz <= 0 or beta < 0 or max_gap_s <= 0:
            raise ValueError(
                "OneEuroFilter needs min_cutoff_hz, d_cutoff_hz, max_gap_s > 0, beta >= 0"
            )
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.max_gap_s = max_gap_s
        self.reset()

    def reset(self) -> None:
        """Forget the state."""
        self._x: NDArray[np.float64] | None = None
        self._dx: NDArray[np.float64] | None = None
        self._t: NDArray[np.float64] | None = None

    def update(self, t_s: float, x: ArrayLike) -> NDArray[np.float64]:
        """Filter one sample taken at time ``t_s`` (seconds, increasing)."""
        x = np.array(x, dtype=float)
        if self._x is None or self._x.shape != x.shape:
            self._x = np.full(x.shape, np.nan)
            self._dx = np.zeros(x.shape)
            self._t = np.full(x.shape, np.nan)
        assert self._dx is not None and self._t is not None
        valid = np.isfinite(x)
        dt = t_s - self._t
        fresh = valid & (~np.isfinite(self._x) | ~(dt > 0) | (dt > self.max_gap_s))
        step = valid & ~fresh
        out = np.full(x.shape, np.nan)
        # (re)start elements: take the sample as is
        self._x[fresh] = x[fresh]
        self._dx[fresh] = 0.0
        self._t[fresh] = t_s
        out[fresh] = x[fresh]
        if step.any():
            d = dt[step]
            dx = (x[step] - self._x[step]) / d
            a_d = _alpha(self.d_cutoff_hz, d)
            dx_hat = a_d * dx + (1 - a_d) * self._dx[step]
            cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
            a = _alpha(cutoff, d)
            x_hat = a * x[step] + (1 - a) * self._x[step]
            self._x[step] = x_hat
            self._dx[step] = dx_hat
            self._t[step] = t_s
            out[step] = x_hat
        return out
