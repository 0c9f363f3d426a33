"""The assessment protocol: each side in turn, three valid trials per side, guided step by step.

:class:`Assessment` runs one :class:`~formcheck.assess.trials.TrialDetector` per tested side,
keeps the trials, and says what to do next (one prompt at a time, as live mode does): set up,
raise, "not counted: the raised knee bent (152°), repeat trial 2", switch sides, done. An
invalid trial is said and repeated; after ``max_attempts_per_side`` attempts the side is left
as it is. Best and mean of the counted (valid) trials are kept per side
(:meth:`Assessment.summary`), read against the norms. Pure: no model, no window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.assess.norms import SIDES, AssessmentTest, Norms, get_test, load_norms
from formcheck.assess.sample import AssessSample
from formcheck.assess.trials import DetectorStep, Trial, TrialDetector

#: a set-up problem (not lying, camera not side-on) is said once it lasts this long, s
SETUP_PROMPT_AFTER_S = 1.0


@dataclass(frozen=True)
class AssessStep:
    """What one frame did to the assessment.

    ``prompt`` is the one thing to say now (None: nothing new); ``kind`` is ``"info"`` or
    ``"warn"``; ``trial`` the trial that ended in this frame, if any; ``steps`` each side's
    :class:`DetectorStep` (for the overlay and the stills); ``done`` = every side finished.
    """

    prompt: str | None = None
    kind: str = "info"
    trial: Trial | None = None
    steps: dict[str, DetectorStep] = field(default_factory=dict)
    done: bool = False


def sides_for(side: str | None) -> tuple[str, ...]:
    """The sides to test for ``--side`` (None or ``"both"``: right, then left)."""
    if side in (None, "both"):
        return ("right", "left")
    if side not in SIDES:
        raise ValueError(f"side must be left, right or both, found {side!r}")
    return (side,)


class Assessment:
    """One assessment session of ``test`` on ``sides`` (see the module docstring).

    ``update(sample) -> AssessStep``; ``finish() -> AssessStep`` at the end of the input.
    """

    def __init__(
        self,
        test: AssessmentTest | str,
        sides: tuple[str, ...] = ("right", "left"),
        *,
        norms: Norms | None = None,
        smooth_s: float = 0.2,
    ) -> None:
        self.norms = norms or load_norms()
        self.test = get_test(test) if isinstance(test, str) else test
        if not sides or any(s not in SIDES for s in sides):
            raise ValueError(f"sides must be left and/or right, found {sides!r}")
        self.sides = tuple(dict.fromkeys(sides))
        self.detectors = {
            s: TrialDetector(
                self.test, s, max_off_side_deg=self.norms.max_off_side_deg, smooth_s=smooth_s
            )
            for s in self.sides
        }
        self.trials: list[Trial] = []
        self.counted: list[bool] = []
        self._last_side: str | None = None
        self._started = False
        self._problem: tuple[str, float] | None = None
        self._problem_said: str | None = None

    # -- progress -------------------------------------------------------------------------
    def valid_count(self, side: str) -> int:
        return sum(
            1 for t, c in zip(self.trials, self.counted, strict=True) if c and t.side == side
        )

    def attempts(self, side: str) -> int:
        return sum(1 for t in self.trials if t.side == side)

    def side_done(self, side: str) -> bool:
        return (
            self.valid_count(side) >= self.norms.trials_per_side
            or self.attempts(side) >= self.norms.max_attempts_per_side
        )

    @property
    def done(self) -> bool:
        return all(self.side_done(s) for s in self.sides)

    @property
    def side(self) -> str | None:
        """The side to test now: the last one tested while it needs trials, else the next."""
        if self._last_side is not None and not self.side_done(self._last_side):
            return self._last_side
        for s in self.sides:
            if not self.side_done(s):
                return s
        return None

    def instruction(self) -> str:
        """What to do next, e.g. "Right leg, trial 2 of 3: keep the knee straight and ..."."""
        side = self.side
        if side is None:
            return self.done_prompt()
        n = self.valid_count(side) + 1
        what = self.test.instruction.format(side=side)
        return f"{side.capitalize()} leg, trial {n} of {self.norms.trials_per_side}: {what}"

    def done_prompt(self) -> str:
        parts = []
        for s in self.sides:
            r = self.side_result(s)
            if r["mean_deg"] is not None:
                parts.append(f"{s} mean {r['mean_deg']:.0f}°, best {r['best_deg']:.0f}°")
            else:
                parts.append(f"{s} not measured")
        if self.done:
            return f"{self.test.short} done: " + "; ".join(parts)
        counts = ", ".join(
            f"{s} {self.valid_count(s)} of {self.norms.trials_per_side} valid" for s in self.sides
        )
        return f"{self.test.short} ended before every side was done ({counts}): " + "; ".join(parts)

    # -- stepping -------------------------------------------------------------------------
    def update(self, s: AssessSample) -> AssessStep:
        """Read one frame's sample."""
        steps = {side: d.update(s) for side, d in self.detectors.items()}
        if not self._started:
            self._started = True
            return AssessStep(f"{self.test.setup} {self.instruction()}", "info", steps=steps)
        ended = [st.trial for st in steps.values() if st.trial is not None]
        if ended:
            trial = ended[0]
            for extra in ended[1:]:
                self._record(extra)
            return self._after_trial(trial, steps)
        if any(st.active for st in steps.values()) or self.done:
            self._problem = None
            return AssessStep(steps=steps, done=self.done)
        return self._setup_prompt(s, steps)

    def finish(self) -> AssessStep:
        """End of the input: trials under way are cut off and measured."""
        trial = None
        for d in self.detectors.values():
            t = d.finish()
            if t is not None:
                trial = t
                self._record(t)
        return AssessStep(self.done_prompt(), "info", trial=trial, done=self.done)

    def _record(self, trial: Trial) -> bool:
        counted = trial.valid and self.valid_count(trial.side) < self.norms.trials_per_side
        self.trials.append(trial)
        self.counted.append(counted)
        self._last_side = trial.side
        return counted

    def _after_trial(self, trial: Trial, steps: dict[str, DetectorStep]) -> AssessStep:
        was_done = self.side_done(trial.side)
        n = self.valid_count(trial.side) + 1
        counted = self._record(trial)
        side = trial.side.capitalize()
        if was_done:
            msg = f"{side} leg already done; that trial was not counted."
        elif counted:
            msg = f"{side} leg, trial {n}: {trial.value_deg:.0f}°."
        else:
            why = "; ".join(trial.reasons) or "not measured"
            msg = f"Not counted: {why}. Repeat trial {n}."
        kind = "info" if counted or was_done else "warn"
        if counted and self.side_done(trial.side):
            r = self.side_result(trial.side)
            msg += f" {side} leg done: best {r['best_deg']:.0f}°, mean {r['mean_deg']:.0f}°."
        if self.done:
            return AssessStep(f"{msg} {self.done_prompt()}", kind, trial, steps, done=True)
        if counted or self.side_done(trial.side):
            msg += " " + self.instruction()
        return AssessStep(msg, kind, trial, steps)

    def _setup_prompt(self, s: AssessSample, steps: dict[str, DetectorStep]) -> AssessStep:
        """Say a set-up problem once it has lasted :data:`SETUP_PROMPT_AFTER_S`."""
        problem = None
        if not s.person:
            problem = "Move into the picture, side-on to the camera."
        elif not s.lying:
            problem = "Lie on your back, side-on to the camera."
        elif math.isfinite(s.off_side_deg) and s.off_side_deg > self.norms.max_off_side_deg:
            problem = (
                f"The camera sees you {s.off_side_deg:.0f}° from side-on: turn it (or yourself) "
                "so it sees you from the side."
            )
        if problem is None:
            self._problem = None
            if self._problem_said is not None:
                self._problem_said = None
                return AssessStep(self.instruction(), "info", steps=steps)
            return AssessStep(steps=steps)
        key = problem.split(":")[0][:20]
        if self._problem is None or self._problem[0] != key:
            self._problem = (key, s.t_s)
        if s.t_s - self._problem[1] >= SETUP_PROMPT_AFTER_S and self._problem_said != key:
            self._problem_said = key
            return AssessStep(problem, "warn", steps=steps)
        return AssessStep(steps=steps)

    # -- results --------------------------------------------------------------------------
    def side_result(self, side: str) -> dict[str, Any]:
        """Best, mean and trial-to-trial SD of the counted trials of one side, interpreted."""
        vals = [
            t.value_deg
            for t, c in zip(self.trials, self.counted, strict=True)
            if c and t.side == side and math.isfinite(t.value_deg)
        ]
        if not vals:
            return {"trials": 0, "best_deg": None, "mean_deg": None, "sd_deg": None,
                    "interpretation": None}  # fmt: skip
        best = max(vals) if self.test.higher_is_better else min(vals)
        mean = float(np.mean(vals))
        interp = self.test.interpret(mean)
        return {
            "trials": len(vals),
            "best_deg": round(best, 1),
            "mean_deg": round(mean, 1),
            "sd_deg": round(float(np.std(vals, ddof=1)), 1) if len(vals) > 1 else None,
            "interpretation": interp.as_report() if interp else None,
        }

    def summary(self) -> dict[str, Any]:
        """The assessment's results (the report's ``assessment`` section, less the stills)."""
        sides = {s: self.side_result(s) for s in self.sides}
        diff = None
        if len(self.sides) == 2:
            m = [sides[s]["mean_deg"] for s in SIDES]
            if all(x is not None for x in m):
                diff = self.test.side_difference(float(m[0]), float(m[1]))
        rows = []
        for i, (t, c) in enumerate(zip(self.trials, self.counted, strict=True)):
            row = t.as_report()
            row["attempt"] = i + 1
            row["counted"] = c
            rows.append(row)
        return {
            "test": self.test.id,
            "name": self.test.name,
            "measure": self.test.measure,
            "unit": "deg",
            "higher_is_better": self.test.higher_is_better,
            "sides_tested": list(self.sides),
            "trials_per_side": self.norms.trials_per_side,
            "trials": rows,
            "sides": sides,
            "side_difference": diff,
            "mdc_deg": self.test.mdc_deg,
            "mdc_source": self.test.mdc_source,
            "complete": self.done,
            "disclaimer": self.norms.disclaimer,
        }


__all__ = ["SETUP_PROMPT_AFTER_S", "AssessStep", "Assessment", "sides_for"]
