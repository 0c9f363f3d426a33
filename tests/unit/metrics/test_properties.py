"""Property-based tests (hypothesis) of the pure and stateful pieces.

- geometry: angles stay in range; NaN in gives NaN out; joint angles do not change when the
  points are translated, scaled or rotated together (gravity-based angles: translation, scale and
  left-right mirroring).
- One Euro filter: NaN in gives NaN out; a constant stays that constant; the output never
  leaves the range of the inputs seen since the last restart.

The timer, debouncer and bounce properties are in tests/unit/stretches/test_properties.py.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from formcheck.metrics import geometry as g
from formcheck.metrics.filters import OneEuroFilter

settings.register_profile("formcheck", max_examples=150, deadline=None)
settings.load_profile("formcheck")

# rounded to micro-units: no subnormal numbers, whose squares vanish
coord = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 6))
point2 = st.tuples(coord, coord).map(np.array)
point3 = st.tuples(coord, coord, coord).map(np.array)


def _far(a: np.ndarray, b: np.ndarray, tol: float = 1e-2) -> bool:
    return bool(np.linalg.norm(a - b) > tol)


def _angdiff(a: float, b: float) -> float:
    """|a - b| for angles, across the +-180 wrap."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


# --------------------------------------------------------------------------- geometry


@given(st.one_of(st.tuples(point2, point2, point2), st.tuples(point3, point3, point3)))
def test_joint_angle_in_range(pts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, c = pts
    ang = g.joint_angle(a, b, c)
    if _far(a, b, 0) and _far(c, b, 0):
        assert 0.0 <= ang <= 180.0
    else:
        assert math.isnan(ang)


@given(point2, point2, point2, st.integers(0, 5))
def test_joint_angle_nan_in_nan_out(a: np.ndarray, b: np.ndarray, c: np.ndarray, k: int) -> None:
    flat = np.concatenate([a, b, c]).astype(float)
    flat[k] = np.nan
    assert math.isnan(g.joint_angle(flat[0:2], flat[2:4], flat[4:6]))


@given(
    point2, point2, point2, point2,
    st.floats(0.01, 100.0), st.floats(-math.pi, math.pi),
)  # fmt: skip
def test_joint_angle_invariant_2d(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, shift: np.ndarray, scale: float, theta: float
) -> None:
    assume(_far(a, b, 1.0) and _far(c, b, 1.0))
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])

    def move(p: np.ndarray) -> np.ndarray:
        return rot @ (p * scale) + shift

    before = g.joint_angle(a, b, c)
    after = g.joint_angle(move(a), move(b), move(c))
    assert isinstance(after, float) and math.isfinite(after)  # points in, one angle out
    assert abs(before - after) < 1e-3
    # a mirror image keeps the angle too
    flip = np.array([-1.0, 1.0])
    assert abs(before - g.joint_angle(a * flip, b * flip, c * flip)) < 1e-6


@given(
    point3, point3, point3, point3, st.floats(0.01, 100.0),
    st.tuples(coord, coord, coord, coord).filter(lambda q: np.linalg.norm(q) > 1e-3),
)  # fmt: skip
def test_joint_angle_invariant_3d(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    shift: np.ndarray,
    scale: float,
    quat: tuple[float, float, float, float],
) -> None:
    assume(_far(a, b, 1.0) and _far(c, b, 1.0))
    w, x, y, z = np.array(quat) / np.linalg.norm(quat)
    rot = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )

    def move(p: np.ndarray) -> np.ndarray:
        return rot @ (p * scale) + shift

    before = g.joint_angle(a, b, c)
    assert abs(before - g.joint_angle(move(a), move(b), move(c))) < 1e-3


@given(point2, point2, point2, st.floats(0.01, 100.0))
def test_inclination_in_range_and_invariant(
    lo: np.ndarray, up: np.ndarray, shift: np.ndarray, scale: float
) -> None:
    ang = g.inclination_from_vertical(lo, up)
    if not _far(lo, up, 0):
        assert math.isnan(ang)
        return
    assert 0.0 <= ang <= 180.0
    assume(_far(lo, up, 1.0))
    assert abs(ang - g.inclination_from_vertical(lo * scale + shift, up * scale + shift)) < 1e-3
    flip = np.array([-1.0, 1.0])  # left-right mirror: same inclination
    assert abs(ang - g.inclination_from_vertical(lo * flip, up * flip)) < 1e-9
    assert math.isnan(g.inclination_from_vertical(lo, np.array([np.nan, up[1]])))


@given(point2, point2, point2, point2, point2, st.floats(0.01, 100.0))
def test_leg_raise_in_range_and_invariant(
    hip: np.ndarray,
    ankle: np.ndarray,
    sm: np.ndarray,
    hm: np.ndarray,
    shift: np.ndarray,
    scale: float,
) -> None:
    ang = g.leg_raise_angle(hip, ankle, sm, hm)
    assert -180.0 <= ang <= 180.0
    assume(_far(hip, ankle, 1.0) and abs(hm[0] - sm[0]) > 1.0)

    def move(p: np.ndarray) -> np.ndarray:
        return p * scale + shift

    # +-180 (leg horizontal, towards the head) is one direction: compare across the wrap
    assert _angdiff(ang, g.leg_raise_angle(move(hip), move(ankle), move(sm), move(hm))) < 1e-3
    flip = np.array([-1.0, 1.0])  # mirrored video: the same elevation
    assert _angdiff(ang, g.leg_raise_angle(hip * flip, ankle * flip, sm * flip, hm * flip)) < 1e-6
    assert math.isnan(g.leg_raise_angle(hip, ankle * np.nan, sm, hm))
    assert math.isnan(g.leg_raise_angle(hip, ankle, sm * np.nan, hm))


@given(st.lists(st.tuples(point2, point2, point2), min_size=1, max_size=8))
def test_joint_angle_broadcasts(rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    a, b, c = (np.stack(col) for col in zip(*rows, strict=True))
    many = np.atleast_1d(g.joint_angle(a, b, c))
    one = [g.joint_angle(*r) for r in rows]
    np.testing.assert_allclose(many, one, equal_nan=True)


# --------------------------------------------------------------------------- One Euro filter

dts = st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=60)
filters = st.builds(
    OneEuroFilter,
    min_cutoff_hz=st.floats(0.01, 30.0),
    beta=st.floats(0.0, 5.0),
    d_cutoff_hz=st.floats(0.01, 30.0),
    max_gap_s=st.floats(0.05, 2.0),
)


def _times(steps: list[float]) -> list[float]:
    return list(np.cumsum(steps))


@given(filters, dts, st.floats(-1e6, 1e6))
def test_one_euro_constant_in_constant_out(f: OneEuroFilter, steps: list[float], c: float) -> None:
    for t in _times(steps):
        out = float(f.update(t, c))
        assert abs(out - c) <= 1e-9 * max(1.0, abs(c))


@given(
    filters,
    dts.flatmap(
        lambda s: st.tuples(
            st.just(s),
            st.lists(
                st.one_of(st.floats(-1e3, 1e3), st.just(math.nan)), min_size=len(s), max_size=len(s)
            ),
        )
    ),
)
def test_one_euro_nan_in_nan_out(f: OneEuroFilter, data: tuple[list[float], list[float]]) -> None:
    steps, xs = data
    for t, x in zip(_times(steps), xs, strict=True):
        out = f.update(t, [x, 1.0])
        assert math.isnan(out[0]) == math.isnan(x)
        assert math.isfinite(out[1])


@given(
    filters,
    dts.flatmap(
        lambda s: st.tuples(
            st.just(s), st.lists(st.floats(-1e3, 1e3), min_size=len(s), max_size=len(s))
        )
    ),
    st.booleans(),
)
def test_one_euro_bounded_by_inputs(
    f: OneEuroFilter, data: tuple[list[float], list[float]], monotone: bool
) -> None:
    """The output is a blend of past inputs: it stays within their range (since a restart)."""
    steps, xs = data
    if monotone:
        xs = sorted(xs)
    seen: list[float] = []
    last_t = -math.inf
    for t, x in zip(_times(steps), xs, strict=True):
        if t - last_t > f.max_gap_s:
            seen = []  # the filter restarts after a gap
        last_t = t
        seen.append(x)
        out = float(f.update(t, x))
        eps = 1e-9 * max(1.0, max(abs(v) for v in seen))
        assert min(seen) - eps <= out <= max(seen) + eps
        if monotone:
            assert out <= x + eps  # lags behind a rising signal, never overshoots
