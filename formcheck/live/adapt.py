"""Live on a slow computer: measure the per-frame step at the start and step down if too slow.

Goals (issue 19): at least 25 processed frames a second and a median capture-to-display
latency of at most 80 ms. Both become one budget for the per-frame step, milliseconds
(:func:`frame_budget_ms`). :func:`choose_step` is the pure decision: given the per-frame times
measured with the current settings, it picks the first step down the ladder

    full -> full, mask every other frame -> lite -> lite, mask every other frame

whose predicted time fits the budget (else the last step), with a one-line reason.
:class:`LiveAdapter` applies it in a live session: after the first frames it measures, decides
once, and applies the step (:func:`apply_step`: a new estimator, the coach and its holds
kept). "Mask every other frame" is :class:`formcheck.pose.alternate.MaskEveryNth`: MediaPipe
computes the mask inside the landmarker, so a second landmarker made without it takes every
other frame, and those frames reuse the last mask (moved with the torso).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from formcheck.errors import FormcheckError

if TYPE_CHECKING:
    from formcheck.pipeline import Analyzer

log = logging.getLogger(__name__)

GOAL_FPS = 25.0
GOAL_LATENCY_MS = 80.0
#: frames left out of the measurement (the first calls load and warm up the model)
WARMUP_FRAMES = 3
#: frames measured before deciding (about a second at 25 fps)
MEASURE_FRAMES = 20


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: a pose model and how often the mask is computed (frames)."""

    model: str
    mask_every: int = 1

    def describe(self) -> str:
        mask = "" if self.mask_every == 1 else f", mask every {_nth(self.mask_every)} frame"
        return f"{self.model} model{mask}"


def _nth(n: int) -> str:
    return "other" if n == 2 else f"{n}th"


LADDER: tuple[Step, ...] = (Step("full"), Step("full", 2), Step("lite"), Step("lite", 2))
#: the steps a live session applies: the models only. The mask every other frame works
#: (:class:`formcheck.pose.alternate.MaskEveryNth`) but measured slower, not faster, in every
#: comparison on 2026-12-02 (docs/speed.md): at the 640-pixel inference width the mask is ~3 %
#: of a frame, and two landmarkers that each see every other frame track worse and detect
#: more. It stays in :data:`LADDER` for the benchmark (benchmarks/throughput.py) to measure.
SESSION_LADDER: tuple[Step, ...] = (Step("full"), Step("lite"))

#: Relative per-frame cost of the pose models with the mask, full = 1, and the share of it the
#: mask takes. Measured (PoseEstimator.detect, VIDEO mode, samples/standing_fold_good.mp4 at
#: 640x480, median of 85 frames): full 22.1 ms (17.6 without the mask), lite 16.2 ms (14.6).
#: heavy: not measured, a guess. The lite model saves about a quarter, not a half: on a
#: computer where full takes 64 ms, lite is predicted at about 47 ms.
MODEL_COST = {"lite": 0.73, "full": 1.0, "heavy": 3.0}
MASK_SHARE = {"lite": 0.10, "full": 0.20, "heavy": 0.10}


@dataclass(frozen=True)
class Adaptation:
    """A decision of :func:`choose_step`: from one step to another, and why.

    ``measured_ms``: the median per-frame time measured with ``from_step``; ``predicted_ms``:
    the time expected with ``to_step``; ``budget_ms``: the budget for the goals.
    """

    from_step: Step
    to_step: Step
    measured_ms: float
    predicted_ms: float
    budget_ms: float
    goal_fps: float
    reason: str

    @property
    def changed(self) -> bool:
        return self.to_step != self.from_step

    def as_report(self) -> dict[str, Any]:
        return {
            "from": self.from_step.describe(),
            "to": self.to_step.describe(),
            "reason": self.reason,
            "measured_ms": round(self.measured_ms, 1),
            "predicted_ms": round(self.predicted_ms, 1),
            "budget_ms": round(self.budget_ms, 1),
        }


def frame_budget_ms(
    camera_fps: float | None,
    *,
    goal_fps: float = GOAL_FPS,
    goal_latency_ms: float = GOAL_LATENCY_MS,
) -> tuple[float, float]:
    """The per-frame time budget (ms) and the frame-rate goal it serves (fps).

    The frame rate asked for is ``goal_fps``, or the camera's when it is slower. The latency
    from capture to display is about the per-frame time plus half a frame interval waiting for
    the loop, so the step must also stay under ``goal_latency_ms`` less that half interval.
    """
    fps = goal_fps
    if camera_fps is not None and math.isfinite(camera_fps) and camera_fps > 0:
        fps = min(goal_fps, camera_fps)
    wait_ms = 0.5 * 1000.0 / (camera_fps if camera_fps and camera_fps > 0 else goal_fps)
    return min(1000.0 / fps, goal_latency_ms - wait_ms), fps


def predict_ms(measured_ms: float, current: Step, step: Step) -> float:
    """The per-frame time expected with ``step``, from ``measured_ms`` with ``current``."""

    def cost(s: Step) -> float:
        share = MASK_SHARE.get(s.model, 0.1)
        return MODEL_COST.get(s.model, 1.0) * (1.0 - share + share / s.mask_every)

    return measured_ms * cost(step) / cost(current)


def choose_step(
    frame_ms: Sequence[float],
    current: Step,
    *,
    camera_fps: float | None = 30.0,
    goal_fps: float = GOAL_FPS,
    goal_latency_ms: float = GOAL_LATENCY_MS,
    ladder: Sequence[Step] = LADDER,
) -> Adaptation:
    """Choose the step for measured per-frame times (ms) of ``current``.

    Within the budget: stay. Else the first step below ``current`` on ``ladder`` whose predicted
    time fits, or the last step when none does. Times that are not finite are ignored; with no
    time at all, stay.
    """
    ms = np.asarray(frame_ms, dtype=float)
    ms = ms[np.isfinite(ms)]
    budget, fps = frame_budget_ms(camera_fps, goal_fps=goal_fps, goal_latency_ms=goal_latency_ms)
    if ms.size == 0:
        return Adaptation(current, current, math.nan, math.nan, budget, fps, "nothing measured")
    med = float(np.median(ms))
    goals = f"the {budget:.0f} ms budget for {fps:g} fps"
    if med <= budget:
        reason = f"{current.describe()}: {med:.0f} ms a frame, within {goals}"
        return Adaptation(current, current, med, med, budget, fps, reason)
    below = list(ladder)[list(ladder).index(current) + 1 :] if current in ladder else []
    if not below:
        reason = f"{current.describe()}: {med:.0f} ms a frame, over {goals}; nothing faster"
        return Adaptation(current, current, med, med, budget, fps, reason)
    choice = next((s for s in below if predict_ms(med, current, s) <= budget), below[-1])
    pred = predict_ms(med, current, choice)
    reason = f"{choice.describe()}: {current.model} took {med:.0f} ms a frame, over {goals}"
    if pred > budget:
        reason += f" (still about {pred:.0f} ms: the fastest there is)"
    return Adaptation(current, choice, med, pred, budget, fps, reason)


class LiveAdapter:
    """Measures a live session's per-frame step and switches the pose model once if too slow.

    ``update(analyzer, step_s, now_s)`` after each processed frame (``step_s``: the time of
    :meth:`Analyzer.step`, ``now_s``: a monotonic clock, seconds); returns the
    :class:`Adaptation` when it was too slow (switched, or kept with the reason why not). The
    decision is taken once, after :data:`WARMUP_FRAMES` + :data:`MEASURE_FRAMES` frames. A
    model that is not provisioned yet is not fetched in the middle of a session: it is named.
    """

    def __init__(
        self,
        camera_fps: float | None,
        *,
        show_s: float = 4.0,
        guard: contextlib.AbstractContextManager[Any] | None = None,
    ) -> None:
        self.camera_fps = camera_fps
        self.show_s = show_s
        #: held while the analyzer's estimator is swapped (the session's inference thread)
        self.guard = guard
        self.times_ms: list[float] = []
        self.decision: Adaptation | None = None
        self._seen = 0
        self._shown_until = -math.inf

    def update(self, analyzer: Analyzer, step_s: float, now_s: float) -> Adaptation | None:
        if self.decision is not None:
            return None
        self._seen += 1
        if self._seen <= WARMUP_FRAMES:
            return None
        self.times_ms.append(1000.0 * step_s)
        if len(self.times_ms) < MEASURE_FRAMES:
            return None
        current = current_step(analyzer)
        self.decision = d = choose_step(
            self.times_ms, current, camera_fps=self.camera_fps, ladder=SESSION_LADDER
        )
        log.info("live speed: %s", d.reason)
        self._shown_until = now_s + self.show_s
        if not d.changed:
            return None
        try:
            apply_step(analyzer, d.to_step, guard=self.guard)
        except FormcheckError as err:
            log.warning("could not switch to the %s: %s", d.to_step.describe(), err)
            reason = f"{current.describe()} kept ({d.measured_ms:.0f} ms a frame): {err}"
            self.decision = d = dataclasses.replace(d, to_step=current, reason=reason)
            return d
        return d

    def banner(self, now_s: float) -> str | None:
        """The line to show on screen for a few seconds after the decision: what was chosen."""
        if self.decision is None or now_s > self._shown_until:
            return None
        d = self.decision
        if not d.changed:
            return f"speed: {d.to_step.describe()} ({d.measured_ms:.0f} ms a frame)"
        return f"faster: {d.to_step.describe()} ({d.measured_ms:.0f} ms a frame)"

    def as_report(self) -> dict[str, Any] | None:
        """The report's ``live.adapted`` (None: nothing decided yet)."""
        if self.decision is None:
            return None
        return {"changed": self.decision.changed, **self.decision.as_report()}


def current_step(analyzer: Analyzer) -> Step:
    """The step ``analyzer`` runs: its model, and how often its estimator computes the mask."""
    return Step(analyzer.settings.pose.model, int(getattr(analyzer.pose, "mask_every", 1)))


def apply_step(
    analyzer: Analyzer,
    step: Step,
    *,
    guard: contextlib.AbstractContextManager[Any] | None = None,
) -> None:
    """Give ``analyzer`` the pose estimator(s) of ``step``; metrics and coach are kept.

    The same model with the mask every other frame keeps the estimator in use (and its
    tracking) as the masked one and adds an unmasked one; another model loads new ones. The
    estimator is swapped under ``guard`` (a lock the inference thread holds around each call),
    and the old one closed after. Raises :class:`~formcheck.errors.ModelError` (the old
    estimator stays) when the model is not provisioned (``formcheck models fetch``) or cannot
    be loaded.
    """
    from formcheck.pose import estimator
    from formcheck.pose.alternate import make_mask_every_nth
    from formcheck.pose.models import resolve_model

    current = current_step(analyzer)
    opts = dataclasses.replace(analyzer.settings.pose, model=step.model)
    keep = step.model == current.model and current.mask_every == 1 and step.mask_every > 1
    old: Any = None if keep else analyzer.pose
    if keep:
        path = analyzer.model_path
        new: Any = make_mask_every_nth(
            dataclasses.replace(opts, model=str(path)), every=step.mask_every, masked=analyzer.pose
        )
    else:
        path = resolve_model(step.model, provision=False)  # no download or build mid-session
        run_opts = dataclasses.replace(opts, model=str(path))
        if step.mask_every > 1:
            new = make_mask_every_nth(run_opts, every=step.mask_every)
        else:
            new = estimator.PoseEstimator(run_opts, video=True)
    with guard if guard is not None else contextlib.nullcontext():
        analyzer.pose = new
        analyzer.settings.pose = opts
    if old is not None:
        old.close()


def switch_model(analyzer: Analyzer, model: str) -> None:
    """Give ``analyzer`` a new pose estimator with ``model`` (mask on every frame); see
    :func:`apply_step`."""
    apply_step(analyzer, Step(model))
