"""Live on a slow computer: measure the per-frame step all along, step down when too slow and
back up when the computer is quiet again.

Goals (issue 19): at least 25 processed frames a second and a median capture-to-display
latency of at most 80 ms. Both become one budget for the per-frame step, milliseconds
(:func:`frame_budget_ms`). :func:`choose_step` is the pure decision down: given the per-frame
times measured with the current settings, it picks the first step down the ladder

    full -> full, mask every other frame -> lite -> lite, mask every other frame

whose predicted time fits the budget (else the last step), with a one-line reason.
:func:`choose_step_up` is the pure decision back up: one step up when the time predicted for
it is within :data:`STEP_UP_SHARE` of the budget in each of the last :data:`STEP_UP_WINDOWS`
windows. :class:`LiveAdapter` applies them in a live session: it measures the first frames and
decides, then keeps measuring in windows of :data:`MEASURE_FRAMES` frames (the first window
after a switch left out) and applies each switch (:func:`apply_step`: a new estimator, the
coach and its holds kept). A step up that had to be taken back is not tried again in the
session, so it switches at most three times on the session's ladder (down, up, down).
"Mask every other frame" is :class:`formcheck.pose.alternate.MaskEveryNth`: MediaPipe
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
#: frames measured before deciding (about a second at 25 fps), and in each window measured after
MEASURE_FRAMES = 20
#: windows left out after a switch: a new model's first calls load and warm it up (as
#: :data:`WARMUP_FRAMES` at the start), and with the inference thread the frame in flight during
#: the switch still ran the old model, so the first window after a switch mixes the two
COOLDOWN_WINDOWS = 1
#: step back up only when the time predicted for the slower step is within this share of the
#: budget: a quarter of headroom, as the prediction rests on costs measured on one machine
#: (:data:`MODEL_COST`) and a busy machine's times vary from one window to the next. A choice, not
#: a measurement: lite must take under 22 ms a frame for full (predicted lite / 0.73) to be
#: within 30 ms of a 40 ms budget; on the development machine (lite 16.2 ms) it steps back up, on
#: the 2-core laptop of issue 19 (full 60-70 ms) only once the machine is far quieter
STEP_UP_SHARE = 0.75
#: ... in this many windows in a row (about 2.4 s at 25 fps), so a moment's quiet on a busy
#: machine is not enough. A choice, not a measurement
STEP_UP_WINDOWS = 3


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
    the time expected with ``to_step``; ``budget_ms``: the budget for the goals; ``up``: a
    decision of :func:`choose_step_up` (a slower, sharper step), else of :func:`choose_step`.
    """

    from_step: Step
    to_step: Step
    measured_ms: float
    predicted_ms: float
    budget_ms: float
    goal_fps: float
    reason: str
    up: bool = False

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


def choose_step_up(
    windows_ms: Sequence[Sequence[float]],
    current: Step,
    *,
    camera_fps: float | None = 30.0,
    goal_fps: float = GOAL_FPS,
    goal_latency_ms: float = GOAL_LATENCY_MS,
    ladder: Sequence[Step] = LADDER,
    share: float = STEP_UP_SHARE,
    windows: int = STEP_UP_WINDOWS,
) -> Adaptation:
    """Choose whether to step back up from ``current``, given the per-frame times (ms) of the
    windows measured with it in a row, oldest first.

    The step just above ``current`` on ``ladder`` when, in each of the last ``windows`` windows,
    the time predicted for it from the window's median is within ``share`` of the budget (the
    hysteresis: a step down needs only one window over the whole budget); else stay, with the
    reason. The times given are the slowest of those windows'. Times that are not finite are
    ignored; a window with none is not quiet.
    """
    budget, fps = frame_budget_ms(camera_fps, goal_fps=goal_fps, goal_latency_ms=goal_latency_ms)
    steps = list(ladder)
    if current not in steps or steps.index(current) == 0:
        reason = f"{current.describe()}: nothing sharper"
        return Adaptation(current, current, math.nan, math.nan, budget, fps, reason, up=True)
    above = steps[steps.index(current) - 1]
    last = [np.asarray(w, dtype=float) for w in list(windows_ms)[-windows:]] if windows else []
    meds = [float(np.median(w[np.isfinite(w)])) if np.isfinite(w).any() else math.nan for w in last]
    if len(meds) < windows or not meds or any(math.isnan(m) for m in meds):
        quiet = sum(not math.isnan(m) for m in meds)
        reason = f"{current.describe()}: {quiet} of {windows} windows measured"
        med = meds[-1] if meds else math.nan
        return Adaptation(current, current, med, med, budget, fps, reason, up=True)
    worst = max(meds)
    pred = predict_ms(worst, current, above)
    limit = share * budget
    of = f"{limit:.0f} ms ({share:.0%} of the {budget:.0f} ms budget for {fps:g} fps)"
    took = f"{current.describe()} took {worst:.0f} ms a frame, {above.describe()} predicted at"
    if pred > limit:
        reason = f"{current.describe()}: {took} {pred:.0f} ms, over {of}"
        return Adaptation(current, current, worst, worst, budget, fps, reason, up=True)
    reason = f"{above.describe()}: {took} {pred:.0f} ms, within {of} {windows} windows in a row"
    return Adaptation(current, above, worst, pred, budget, fps, reason, up=True)


class LiveAdapter:
    """Measures a live session's per-frame step all along; switches the pose model down when it
    is too slow and back up when the computer is quiet again.

    ``update(analyzer, step_s, now_s)`` after each processed frame (``step_s``: the time of
    :meth:`Analyzer.step`, ``now_s``: a monotonic clock, seconds); returns the
    :class:`Adaptation` when it switched or tried to (a line to say), else None. The first
    decision is taken after :data:`WARMUP_FRAMES` + :data:`MEASURE_FRAMES` frames; then each
    window of :data:`MEASURE_FRAMES` frames is judged again: over the budget steps down
    (:func:`choose_step`), quiet for :data:`STEP_UP_WINDOWS` windows in a row steps one up
    (:func:`choose_step_up`). The first :data:`COOLDOWN_WINDOWS` windows after a switch are left
    out (the new model warms up). Flapping is bounded: after a step up that had to be taken
    back by a step down, the session does not step up again (on :data:`SESSION_LADDER`: at most
    down, up, down). A model that is not provisioned yet is not fetched in the middle of a
    session: it is named, and not tried again.
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
        #: the per-frame times (ms) of the window being measured
        self.times_ms: list[float] = []
        #: the latest decision shown: the first one, then each switch (or switch that failed)
        self.decision: Adaptation | None = None
        #: every switch made: the report's ``live.adapted.history``
        self.history: list[dict[str, Any]] = []
        self._seen = 0
        self._t0 = math.nan
        self._cooldown = 0
        #: the windows measured since the last switch (after its cool-down), the latest last
        self._windows: list[list[float]] = []
        self._last_up = False
        self._up_off = False
        self._unavailable: set[Step] = set()
        self._shown_until = -math.inf

    def update(self, analyzer: Analyzer, step_s: float, now_s: float) -> Adaptation | None:
        if self._seen == 0:
            self._t0 = now_s
        self._seen += 1
        if self._seen <= WARMUP_FRAMES:
            return None
        self.times_ms.append(1000.0 * step_s)
        if len(self.times_ms) < MEASURE_FRAMES:
            return None
        window, self.times_ms = self.times_ms, []
        if self._cooldown > 0:
            self._cooldown -= 1
            return None
        current = current_step(analyzer)
        ladder = [s for s in SESSION_LADDER if s not in self._unavailable]
        fps = self.camera_fps
        d = choose_step(window, current, camera_fps=fps, ladder=ladder)
        if not d.changed and not self._up_off:
            self._windows = [*self._windows, window][-STEP_UP_WINDOWS:]
            up = choose_step_up(self._windows, current, camera_fps=fps, ladder=ladder)
            d = up if up.changed else d
        if not d.changed:
            if self.decision is None:  # the first decision: shown, even when it keeps the model
                log.info("live speed: %s", d.reason)
                self._show(d, now_s)
            else:
                log.debug("live speed: %s", d.reason)
            return None
        log.info("live speed: %s", d.reason)
        try:
            apply_step(analyzer, d.to_step, guard=self.guard)
        except FormcheckError as err:
            log.warning("could not switch to the %s: %s", d.to_step.describe(), err)
            self._unavailable.add(d.to_step)  # not provisioned: not fetched, not tried again
            reason = f"{current.describe()} kept ({d.measured_ms:.0f} ms a frame): {err}"
            d = dataclasses.replace(d, to_step=current, reason=reason)
            self._show(d, now_s)
            return d
        if self._last_up and not d.up:
            self._up_off = True
            log.info("live speed: stepped up and had to step down again; staying down")
        self._last_up = d.up
        self._cooldown = COOLDOWN_WINDOWS
        self._windows = []
        self.history.append(
            {
                "t_s": round(now_s - self._t0, 2),
                "frame": self._seen,
                "from": d.from_step.describe(),
                "to": d.to_step.describe(),
                "measured_ms": round(d.measured_ms, 1),
                "reason": d.reason,
            }
        )
        self._show(d, now_s)
        return d

    def _show(self, d: Adaptation, now_s: float) -> None:
        self.decision = d
        self._shown_until = now_s + self.show_s

    def banner(self, now_s: float) -> str | None:
        """The line to show on screen for a few seconds after a decision: what was chosen."""
        if self.decision is None or now_s > self._shown_until:
            return None
        d = self.decision
        if not d.changed:
            return f"speed: {d.to_step.describe()} ({d.measured_ms:.0f} ms a frame)"
        word = "sharper" if d.up else "faster"
        return f"{word}: {d.to_step.describe()} ({d.measured_ms:.0f} ms a frame)"

    def as_report(self) -> dict[str, Any] | None:
        """The report's ``live.adapted`` (None: nothing decided yet): the latest decision, and
        ``history``, every switch (``t_s``: seconds after the first processed frame)."""
        if self.decision is None:
            return None
        report = {"changed": self.decision.changed, **self.decision.as_report()}
        return {**report, "history": list(self.history)}


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
