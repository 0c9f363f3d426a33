"""A second look for a person MediaPipe's detector misses: zoomed tiles, then a zoom window.

MediaPipe's pose detector sees the whole picture at 224x224 pixels. A person who is small in it
(far from a phone camera, lying on the floor, a portrait video of a room) or in a dim room is
often not found at all, though the landmark model reads them well once it is pointed at them.
On the tuning split a dim seated stretch was found on 33 % of its frames and a lying stretch
filmed from 4 m on none; a zoomed centre square found both on every frame tried.

So, when a frame has nobody in it:

1. :func:`tiles` cuts the picture into squares (``TILE_FRAC`` of its shorter side, overlapping
   by half: 12 for a 4:3 picture, 15 for 16:9 or 9:16), nearest first to where the person was
   last seen (else the centre). A photo is
   searched in every tile until a person is found; a video in one tile per frame with nobody,
   in turn (one more pass of the model on such a frame: a sweep takes 12-15 frames, and live
   mode never stalls on a sweep);
2. a person found in a tile counts only when :func:`plausible` holds (the body's torso is seen
   and lies inside the tile, not cut by its edge, where the model would invent the rest);
3. from then on the video's tracking model is given the :class:`Window` around the person (a
   square crop, :func:`window_around`) instead of the whole picture. The window follows the
   person when they near its edge (:meth:`Window.needs_move`) and is dropped when the person is
   lost in it for ``WINDOW_KEEP_S`` or grows to fill most of the picture (the whole picture
   works then).

Landmarks, the mask and the people count come back in the whole picture's pixels; world
landmarks do not depend on the crop. Photos use the same search, once. ``PoseOptions.search``
turns it off.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

#: a tile's side, as a share of the picture's shorter side
TILE_FRAC = 0.6
#: the window's side, as a multiple of the person's larger landmark extent
WINDOW_SCALE = 2.2
#: a window at least this share of the picture's shorter side (a person's size changes)
MIN_WINDOW_FRAC = TILE_FRAC
#: a window this close to the whole picture (shorter side) is dropped: the whole picture works
FULL_FRAC = 0.95
#: a window the person is lost in is kept this long (seconds) before the whole picture is tried
WINDOW_KEEP_S = 0.5
#: the torso landmarks (shoulders, hips) that must be seen for a person found in a tile
TORSO = (11, 12, 23, 24)
MIN_TORSO_VISIBILITY = 0.5
#: how far (share of the tile's side) the torso may lie from the tile's edge
EDGE_MARGIN = 0.03


class Window(NamedTuple):
    """A square crop of the picture: top-left corner and side, in pixels."""

    x0: int
    y0: int
    side: int

    def crop(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The window's pixels of ``image`` (contiguous, as MediaPipe takes them)."""
        return np.ascontiguousarray(
            image[self.y0 : self.y0 + self.side, self.x0 : self.x0 + self.side]
        )

    def to_picture(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        """Pixel coordinates in the window -> in the whole picture."""
        return xy + np.array([self.x0, self.y0], dtype=float)

    def paste_mask(self, mask: NDArray[np.float32], h: int, w: int) -> NDArray[np.float32]:
        """The window's mask placed in an ``h`` x ``w`` picture (zero outside the window)."""
        out = np.zeros((h, w), dtype=np.float32)
        mh, mw = mask.shape[:2]
        out[self.y0 : self.y0 + mh, self.x0 : self.x0 + mw] = mask[: h - self.y0, : w - self.x0]
        return out

    def needs_move(self, xy: NDArray[np.float64], h: int, w: int, margin: float = 0.06) -> bool:
        """The person (landmarks, picture pixels) comes within ``margin`` of the side of an
        edge of the window that is not the ``h`` x ``w`` picture's own edge, or has shrunk so
        that the window is far too large."""
        p = xy[np.isfinite(xy).all(axis=1)]
        if not len(p):
            return True
        m = margin * self.side
        lo, hi = p.min(axis=0), p.max(axis=0)
        x1, y1 = self.x0 + self.side, self.y0 + self.side
        near_edge = (
            (self.x0 > 0 and lo[0] < self.x0 + m)
            or (self.y0 > 0 and lo[1] < self.y0 + m)
            or (x1 < w and hi[0] > x1 - m)
            or (y1 < h and hi[1] > y1 - m)
        )
        needed = max(float(max(hi - lo)) * WINDOW_SCALE, MIN_WINDOW_FRAC * min(h, w))
        return near_edge or self.side > 1.5 * needed


def tiles(
    h: int, w: int, frac: float = TILE_FRAC, around: tuple[float, float] | None = None
) -> list[Window]:
    """The search tiles of an ``h`` x ``w`` picture: squares of side ``frac`` x the shorter
    side, each overlapping its neighbours by at least half a side (a torso that crosses one
    tile's edge lies inside the next), nearest first to ``around`` (x, y: where the person
    was last seen), else to the picture's centre."""
    side = max(1, int(round(min(h, w) * frac)))

    def starts(length: int) -> NDArray[np.int_]:
        n = 1 + math.ceil(max(0, length - side) / (side / 2.0))
        return np.linspace(0, length - side, n).round().astype(int)

    out = [Window(int(x), int(y), side) for y in starts(h) for x in starts(w)]
    cx, cy = around if around is not None else (w / 2.0, h / 2.0)
    out.sort(key=lambda t: math.hypot(t.x0 + side / 2.0 - cx, t.y0 + side / 2.0 - cy))
    return out


def plausible(xy: NDArray[np.float64], visibility: NDArray[np.float64], tile: Window) -> bool:
    """A person found in ``tile`` (landmarks in picture pixels) is taken only when the torso is
    seen and lies inside the tile: a body cut by the tile's edge is partly invented."""
    torso = xy[list(TORSO)]
    vis = visibility[list(TORSO)]
    if not np.isfinite(torso).all() or not np.all(np.nan_to_num(vis) >= MIN_TORSO_VISIBILITY):
        return False
    m = EDGE_MARGIN * tile.side
    lo, hi = torso.min(axis=0), torso.max(axis=0)
    return bool(
        lo[0] >= tile.x0 + m
        and lo[1] >= tile.y0 + m
        and hi[0] <= tile.x0 + tile.side - m
        and hi[1] <= tile.y0 + tile.side - m
    )


def window_around(xy: NDArray[np.float64], h: int, w: int) -> Window | None:
    """The square window around a person (landmarks, picture pixels) in an ``h`` x ``w``
    picture: ``WINDOW_SCALE`` x their larger extent, at least ``MIN_WINDOW_FRAC`` of the
    shorter side, kept inside the picture; None when it would be (nearly) the whole picture."""
    p = xy[np.isfinite(xy).all(axis=1)]
    if not len(p):
        return None
    short = min(h, w)
    lo, hi = p.min(axis=0), p.max(axis=0)
    side = int(round(max(float(max(hi - lo)) * WINDOW_SCALE, MIN_WINDOW_FRAC * short)))
    if side >= FULL_FRAC * short:
        return None
    cx, cy = (lo + hi) / 2.0
    x0 = int(round(min(max(cx - side / 2.0, 0.0), w - side)))
    y0 = int(round(min(max(cy - side / 2.0, 0.0), h - side)))
    return Window(x0, y0, side)
