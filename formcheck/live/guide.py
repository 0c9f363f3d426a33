"""The guided session: the state machine that walks a person through a :class:`Plan`.

:class:`GuidedSession` is driven with ``update(t_s, verdict) -> Guidance`` (time from the frame
timestamps, seconds); it counts a rep when the coach's hold timer reports a completed hold
(``HoldState.just_completed``) on the expected side, then asks for a rest, then the next rep,
"Switch legs" between sides, and says when the session is complete. ``Guidance.events`` tell
the live loop what to do: ``"new_rep"`` (end the coach's current hold so the next one is a new
rep), ``"side_changed"``, ``"rep_done"``, ``"done"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from formcheck.live.plan import Plan
from formcheck.stretches.timer import HoldState

#: the prompts a live session shows (one at a time)
PROMPT_REST = "Rest"
PROMPT_SWITCH = "Switch legs"
PROMPT_DONE = "Session complete - well done"


def side_label(side: str) -> str:
    return {"left": "Left leg", "right": "Right leg"}.get(side, "Both legs")


@dataclass(frozen=True)
class Guidance:
    """What the session asks for now.

    ``step``: ``"hold"`` (get into / hold the stretch), ``"rest"``, ``"switch"``, ``"done"``.
    ``rep`` is 1-based (the rep being worked on, or just finished during a rest);
    ``remaining_s`` counts down a rest or a switch; ``phase`` is the PNF phase of the hold;
    ``completed`` maps side -> completed reps; ``events`` happened in this update.
    """

    step: str
    side: str
    side_index: int
    n_sides: int
    rep: int
    reps: int
    headline: str
    prompt: str | None
    remaining_s: float | None = None
    step_total_s: float | None = None  # the whole rest / switch time
    phase: str | None = None
    completed: dict[str, int] = field(default_factory=dict)
    events: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.step == "done"


class GuidedSession:
    """Walks a person through a :class:`Plan`: ``update(t_s, verdict) -> Guidance``.

    ``verdict`` needs ``.hold`` (:class:`HoldState`) and nothing else. Keys of the live window
    map to :meth:`next_step`, :meth:`switch_side`, :meth:`restart`, :meth:`pause` /
    :meth:`resume`.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.reset()

    def reset(self) -> None:
        self.step = "hold"
        self.side_index = 0
        self.rep = 1
        self.completed = {s: 0 for s in self.plan.sides}
        self.until_s: float | None = None
        self._paused_at: float | None = None
        self._events: list[str] = []
        self._t = 0.0
        self._hold = HoldState(False)
        self.log: list[dict[str, Any]] = []  # (t_s, event) for the report

    @property
    def side(self) -> str:
        return self.plan.sides[self.side_index]

    def _event(self, name: str, **detail: Any) -> None:
        self._events.append(name)
        self.log.append({"t_s": round(self._t, 3), "event": name, **detail})

    def _side_matches(self, hold_side: str | None) -> bool:
        return self.side == "both" or hold_side in (self.side, "both", None)

    def _after_rep(self, t_s: float) -> None:
        """The current rep is over (completed or skipped): rest, switch legs, or finish."""
        if self.rep < self.plan.reps:
            self.step, self.until_s = "rest", t_s + self.plan.rest_s
        elif self.side_index + 1 < len(self.plan.sides):
            self.step, self.until_s = "switch", t_s + self.plan.switch_s
            self.side_index += 1
            self.rep = 0  # becomes 1 when the switch is over
            self._event("side_changed", side=self.side)
        else:
            self.step, self.until_s = "done", None
            self._event("done")

    def _begin_rep(self) -> None:
        self.step, self.until_s = "hold", None
        self.rep += 1
        self._event("new_rep", side=self.side, rep=self.rep)

    # -- commands (keys) ------------------------------------------------------------------
    def next_step(self, t_s: float | None = None) -> None:
        """Skip ahead: end the current rep (not counted) or the current rest / switch."""
        t = self._t if t_s is None else t_s
        if self.step == "hold":
            self._event("skipped", side=self.side, rep=self.rep)
            self._after_rep(t)
        elif self.step in ("rest", "switch"):
            self._begin_rep()

    def switch_side(self, t_s: float | None = None) -> None:
        """Go to the other side now (its next rep)."""
        if len(self.plan.sides) < 2:
            return
        self.side_index = (self.side_index + 1) % len(self.plan.sides)
        self._event("side_changed", side=self.side)
        self.rep = min(self.completed[self.side], self.plan.reps - 1)
        self._begin_rep()

    def restart(self, t_s: float | None = None) -> None:
        """Restart the current hold (the coach's current hold is ended, a new one starts)."""
        if self.step == "hold":
            self.rep -= 1
            self._begin_rep()

    @property
    def paused(self) -> bool:
        """Whether the session is paused (:meth:`pause` without :meth:`resume` yet)."""
        return self._paused_at is not None

    def pause(self, t_s: float) -> None:
        if self._paused_at is None:
            self._paused_at = t_s

    def resume(self, t_s: float) -> None:
        if self._paused_at is None:
            return
        if self.until_s is not None:
            self.until_s += max(0.0, t_s - self._paused_at)
        self._paused_at = None

    # -- per frame --------------------------------------------------------------------------
    def _adapt_sides(self, verdict: Any) -> None:
        """Unchosen sides follow the recognised stretch (both legs, or the leg being stretched
        first) until the first rep is done."""
        if self.plan.sides_fixed or self.step != "hold" or any(self.completed.values()):
            return
        side = getattr(verdict, "side", None)
        if side == "both" and self.plan.sides != ("both",):
            sides: tuple[str, ...] = ("both",)
        elif side in ("left", "right") and self.side != side and getattr(verdict, "engaged", True):
            # start with the leg the person is stretching
            sides = (side, "left" if side == "right" else "right")
        else:
            return
        self.plan = replace(self.plan, sides=sides)
        self.completed = {s: 0 for s in sides}
        self.side_index = 0

    def update(self, t_s: float, verdict: Any) -> Guidance:
        self._t = t_s
        self._adapt_sides(verdict)
        hold: HoldState = verdict.hold
        self._hold = hold
        if self.step == "hold" and hold.just_completed and self._side_matches(hold.side):
            self.completed[self.side] += 1
            self._event("rep_done", side=self.side, rep=self.rep, valid_s=round(hold.valid_s, 2))
            self._after_rep(t_s)
        elif self.step in ("rest", "switch") and self.until_s is not None and t_s >= self.until_s:
            self._begin_rep()
        return self.guidance()

    def guidance(self) -> Guidance:
        events, self._events = tuple(self._events), []
        p = self.plan
        side, label = self.side, side_label(self.side)
        prefix = f"{label}, rep" if side != "both" else "Rep"
        remaining = None if self.until_s is None else max(0.0, self.until_s - self._t)
        phase = None
        if self.step == "hold":
            rep = self.rep
            hold = self._hold
            if hold.active and self._side_matches(hold.side):
                headline = f"{prefix} {rep} of {p.reps}: hold it"
                prompt: str | None = headline
                if p.pnf:
                    acc = 0.0
                    for ph in p.pnf:
                        acc += ph.seconds
                        if hold.valid_s < acc:
                            phase, prompt = ph.name, ph.prompt
                            break
                    else:
                        phase, prompt = "hold", f"{prefix} {rep} of {p.reps}: hold it"
            else:
                headline = f"{prefix} {rep} of {p.reps}: get into the stretch"
                prompt = headline
        elif self.step == "rest":
            rep = self.rep
            headline = f"{prefix} {rep} of {p.reps} done - rest"
            prompt = PROMPT_REST
        elif self.step == "switch":
            rep = 1
            headline = f"Switch legs: next the {side} leg"
            prompt = PROMPT_SWITCH
        else:
            rep = p.reps
            headline = PROMPT_DONE
            prompt = PROMPT_DONE
        return Guidance(
            step=self.step,
            side=side,
            side_index=self.side_index,
            n_sides=len(p.sides),
            rep=max(1, rep),
            reps=p.reps,
            headline=headline,
            prompt=prompt,
            remaining_s=remaining,
            step_total_s={"rest": p.rest_s, "switch": p.switch_s}.get(self.step),
            phase=phase,
            completed=dict(self.completed),
            events=events,
        )

    def as_report(self) -> dict[str, Any]:
        return {
            "plan": self.plan.as_report(),
            "completed": dict(self.completed),
            "finished": self.step == "done",
            "events": list(self.log),
        }
