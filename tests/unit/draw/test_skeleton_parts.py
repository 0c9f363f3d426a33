"""The skeleton paints the body part at fault red, not the whole leg (issue 17)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from formcheck.draw.annotators import BAD, GOOD, SkeletonAnnotator
from formcheck.metrics import geometry as g
from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from tests.stickfigure3d import film, pose


def _draw(faults: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    m = MetricsComputer(MetricsOptions(smooth=False)).update(film(pose("standing_support"), 90))
    v = SimpleNamespace(person=True, side="left", faults=faults)
    img = np.zeros((480, 640, 3), np.uint8)
    SkeletonAnnotator().annotate(img, m, v)  # type: ignore[arg-type]
    return img, m.xy


def _colour_at(img: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    x, y = np.round((a + b) / 2).astype(int)
    return tuple(int(c) for c in img[y, x])


def _spine(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return g.midpoint(xy[11], xy[12]), g.midpoint(xy[23], xy[24])


@pytest.mark.parametrize(
    ("faults", "spine", "shank"),
    [
        ((), None, GOOD),
        (("back_rounding",), BAD, GOOD),
        (("knee_bent",), None, BAD),
        (("back_rounding", "knee_bent"), BAD, BAD),
        (("not_side_view",), None, GOOD),  # a set-up warning paints nothing
    ],
)
def test_the_part_at_fault_is_red(faults: tuple[str, ...], spine: tuple, shank: tuple) -> None:
    img, xy = _draw(faults)
    assert _colour_at(img, xy[25], xy[27]) == shank  # the working (left) shank
    sm, hm = _spine(xy)
    if spine is None:
        assert _colour_at(img, sm, hm) != BAD
    else:
        assert _colour_at(img, sm, hm) == spine
