"""The coach: turning one frame's measures into coaching (:class:`Verdict`).

:class:`Coach` ties the pieces together, once a frame: recognition (which stretch, which leg;
:mod:`formcheck.stretches.recognize`), the stretch's position (in it, settled, or what is
missing; :mod:`formcheck.stretches.position`), the back judge (:mod:`formcheck.metrics.lumbar`),
the stretch's form rules and the warnings debouncer (:mod:`formcheck.stretches.rules`) and the
hold timer (:mod:`formcheck.stretches.timer`). Its public surface is ``update(metrics, mask) ->
Verdict``, ``finish() -> (holds, warnings)``, and for live sessions :meth:`Coach.end_hold`,
:meth:`Coach.force_side` and :attr:`Coach.warnings_started`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from formcheck.metrics.backref import UPRIGHT_TRUNK_DEG, BackReference
from formcheck.metrics.lumbar import (
    BackRoundingJudge,
    LumbarCalibration,
    lumbar_flexion_deg,
    measure_back,
)
from formcheck.metrics.measures import SIDES, FrameMetrics
from formcheck.stretches.catalogue import (
    Catalogue,
    Engaged,
    Rule,
    faults_by_priority,
    load_catalogue,
)
from formcheck.stretches.cues import measure_cues
from formcheck.stretches.position import PER_LEG_MEASURES, angles_of, position_check
from formcheck.stretches.recognize import (
    LabelSmoother,
    RecognizeOptions,
    layout,
    recognition_rules,
    recognize_frame,
)
from formcheck.stretches.rules import (
    BounceDetector,
    WarningDebouncer,
    WarningInterval,
    form_faults,
    leg_value,
)
from formcheck.stretches.timer import Hold, HoldState, HoldTimer, Stillness

#: warnings that are not form rules of a stretch, with their messages (from the catalogue)
SITUATION_MESSAGES = {f.kind: f.message for f in faults_by_priority() if not f.is_form}


@dataclass(frozen=True)
class Verdict:
    """The coaching verdict of one frame.

    Attributes
    ----------
    t_s : float
        Frame time, seconds.
    person : bool
        A person was found.
    stretch, side, posture : str or None
        The recognised (or forced) stretch id, working leg and posture; None when unknown.
    engaged : bool
        The person is in the stretch's position.
    knee_extension_deg, hip_angle_deg, leg_raise_deg : float
        The working leg's angles, degrees (NaN: not measured).
    lumbar_flexion_deg : float
        The lower back's flexion, degrees (NaN: not judged in this frame).
    back_rounded : bool or None
        The back judge's verdict (None: not judged).
    faults : tuple of str
        Fault kinds seen in this frame (raw, before the debounce), sorted.
    warnings : tuple of str
        Warnings active now (debounced), sorted.
    valid : bool
        In the stretch with no form warning: the hold timer counts this frame.
    hold : HoldState
        The hold timer after this frame.
    prompt : str or None
        The one message to show now (the most important active warning's).
    reason : str or None
        Why this frame is not valid (None when it is): the most important active form fault's
        kind, or one of :data:`REASONS` ("not_in_position" with ``missing`` saying what).
    missing : tuple of str
        What the stretch's position lacks in this frame, in the catalogue's words ("lean
        forward from the hips"); empty when in position or no stretch is recognised.
    back_judged : bool
        The back was judged in this frame (a side view, a posture where the back is read, a
        segmentation mask, and a lumbar flexion measured on it).
    stretch_confidence : float
        Recognition's confidence in this frame, 0-1 (NaN: nobody or no trunk seen); below the
        catalogue's ``min_confidence`` no stretch is recognised (:mod:`.recognize`).
    recognition_note : str or None
        Why no stretch was recognised ("no stretch recognised: standing upright: ..."), or what
        the view cannot tell ("turn side-on to the camera: ..."); None otherwise.
    """

    t_s: float
    person: bool
    stretch: str | None
    side: str | None
    posture: str | None
    engaged: bool
    knee_extension_deg: float
    hip_angle_deg: float
    leg_raise_deg: float
    lumbar_flexion_deg: float
    back_rounded: bool | None
    faults: tuple[str, ...]  # raw, this frame
    warnings: tuple[str, ...]  # debounced, active now
    valid: bool
    hold: HoldState
    prompt: str | None  # the one message to show now
    reason: str | None = None  # why not valid: a form fault kind or one of REASONS
    missing: tuple[str, ...] = ()  # what the position lacks ("lean forward from the hips")
    back_judged: bool = False
    stretch_confidence: float = math.nan
    recognition_note: str | None = None


#: the reasons a frame is not valid besides a form fault (the frames' ``reason``)
REASONS = {
    "no_person": "nobody in view",
    "no_stretch": "no stretch recognised",
    "not_in_position": "not in position yet",
    "settling": "settling into the position",
}


#: which warning's message wins when several are active (first = most important; the catalogue's)
PROMPT_PRIORITY = tuple(f.kind for f in faults_by_priority())


def _working_leg_is_far(m: FrameMetrics, side: str | None, posture: str | None) -> bool:
    """The working leg is the far leg of a side view (not lying: there the raised leg is seen
    above the other one wherever the camera is)."""
    return (
        posture != "lying"
        and m.view == "side"
        and side in SIDES
        and m.near_side in SIDES
        and side != m.near_side
    )


def _swing_angle(m: FrameMetrics, side: str | None, posture: str | None) -> float:
    """The angle whose swing is bouncing: the hip angle's swing, read where it is measured best.

    Standing or sitting, the legs stay still on the floor and the fold swings at the hips, so
    the hip angle swings with the trunk; the trunk's inclination (hips and shoulders only)
    shows it without the knee landmark's wavering. On the tuning split the seated bounces read
    at about half their acted amplitude in the measured hip angle (tuning_02 2.6 against 5.2
    degrees, tuning_03 2.7 against 3.5) and at 0.9-1.1 of it in the trunk's inclination (4.5
    against 5.1, 4.4 against 3.9). Lying, the trunk rests on the floor and the raised leg
    swings: the working leg's hip angle."""
    if posture == "lying":
        return leg_value(m, "hip_angle_deg", side, "working")
    return float(m.trunk_inclination_deg)


def _behind(missing: tuple[str, ...], conds: tuple[Engaged, ...]) -> tuple[str, ...]:
    """``missing`` as said to a person filmed from behind: a failed lean condition becomes the
    catalogue's ``behind_note`` ("turn side-on to the camera: ..."), since from behind the
    trunk's lean reads a fraction of what it is (the position itself is unchanged)."""
    lean = {c.missing for c in conds if c.measure == "trunk_inclination_deg"}
    if not lean.intersection(missing):
        return missing
    note = recognition_rules().behind_note
    out: list[str] = []
    for text in missing:
        said = note if text in lean else text
        if said not in out:
            out.append(said)
    return tuple(out)


@dataclass
class CoachOptions:
    """Settings of the coach (``[coach]`` in the settings file); times in seconds."""

    stretch: str | None = None  # force the stretch (skip recognition)
    side: str | None = None  # force the working leg
    # The back outline is read in side views only (oblique outlines mix the back with the flank),
    # and not when lying: the back rests on the floor, where the rules check the hips instead.
    judge_back_views: tuple[str, ...] = ("side",)
    judge_back_postures: tuple[str, ...] = ("standing", "chair_sitting", "floor_sitting")
    warn_on_s: float = 0.25
    warn_off_s: float = 0.5
    no_person_s: float = 1.0
    engaged_memory_s: float = 2.0  # how long an unmeasurable frame keeps being "in the stretch"
    recognize: RecognizeOptions = field(default_factory=RecognizeOptions)


class Coach:
    """The whole rules chain on a stream of metrics: ``update(metrics, mask) -> Verdict``.

    Parameters
    ----------
    catalogue : Catalogue, optional
        The stretches and their rules (default: the built-in catalogue).
    options : CoachOptions, optional
        Forced stretch / side, debounce times, recognition settings.
    calibration : LumbarCalibration, optional
        The back judge's settings.
    hold_target_s : float, optional
        One hold target for every stretch, seconds (a guided plan's); default: each stretch's
        own target from the catalogue.
    photo : bool
        Judge each frame on its own (a photo): every fault seen in the frame is a warning at
        once (no debounce), and there is no hold timer.
    back_reference : BackReference, optional
        A saved neutral-back reference (the history's), used until this session measures its
        own from upright frames (:mod:`formcheck.metrics.backref`).
    """

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        options: CoachOptions | None = None,
        calibration: LumbarCalibration | None = None,
        *,
        hold_target_s: float | None = None,
        photo: bool = False,
        back_reference: BackReference | None = None,
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.options = options or CoachOptions()
        self.photo = photo
        self.judge = BackRoundingJudge(calibration, reference=back_reference)
        #: live mode's stand-tall step is on: upright frames become a "calibration" reference
        self.calibrating = False
        self.labels = LabelSmoother(window_s=0.6, hold_s=0.3)
        self.bounce = BounceDetector(self.catalogue.bouncing)
        on_s, off_s = (0.0, 0.0) if photo else (self.options.warn_on_s, self.options.warn_off_s)
        self._warnings = WarningDebouncer(on_s, off_s)
        targets = {sid: s.hold_target_s for sid, s in self.catalogue.stretches.items()}
        if hold_target_s is not None:
            targets = {sid: float(hold_target_s) for sid in targets}
        self._timer = HoldTimer(
            targets,
            min_hold_s=self.catalogue.min_hold_s,
            exit_grace_s=self.catalogue.exit_grace_s,
        )
        #: the body at rest in the position settles it (docs/judgements.md, "Holds")
        self._rest = Stillness(self.catalogue.still_s, self.catalogue.still_deg)
        self._pos_key: tuple[str, str | None] | None = None  # the position being settled into
        self._pos_since = 0.0
        self._no_person_since: float | None = None
        self._last_t = 0.0
        self._engaged_last = False
        self._engaged_at = -math.inf

    # -- for the live session ---------------------------------------------------------------
    @property
    def warnings_started(self) -> int:
        """How many warnings have started so far (the index the next one will have)."""
        return len(self._warnings.intervals)

    def end_hold(self) -> None:
        """End the current hold now (kept if long enough); the next engaged frame starts a new
        rep. Used by the live session to restart a hold and to separate reps after a rest."""
        self._timer.end_hold()

    def force_side(self, side: str | None) -> None:
        """Judge ``side`` as the working leg from the next frame on (None: recognise it)."""
        self.options = dataclasses.replace(self.options, side=side)

    # -- the chain ------------------------------------------------------------------------
    def update(self, m: FrameMetrics, mask: Any = None) -> Verdict:
        t = m.t_s
        self._last_t = t
        o = self.options
        # the body's layout, measured once: recognition and the form rules both read it
        cues = measure_cues(m) if m.person else None
        rec = recognize_frame(m, o.recognize, stretch=o.stretch, cues=cues)
        label = self.labels.update(t, (rec.stretch, rec.side, rec.posture) if m.person else None)
        stretch, side, posture = label if isinstance(label, tuple) else (None, None, None)
        if o.stretch is not None and m.person:
            stretch = o.stretch
            posture = self.catalogue[o.stretch].posture
            if self.catalogue[o.stretch].sides == "both":
                side = "both"
        if o.side is not None and stretch is not None:
            side = o.side
        lay = layout(m, cues) if m.person else None

        # the back, measured on the side nearer the camera, only where it can be judged
        judgeable = (
            m.person
            and m.view in o.judge_back_views
            and posture in o.judge_back_postures
            and mask is not None
        )
        flex = math.nan
        if judgeable:
            shape = measure_back(m.xy, mask, m.near_side)
            flex = lumbar_flexion_deg(shape, self.judge.cal, posture)
        back = self.judge.update(t, flex, judgeable, posture)

        engaged = False
        settling = False
        rest_since: float | None = None
        far_leg = False
        faults: dict[str, str] = {}
        bouncing = False
        missing: tuple[str, ...] = ()
        if stretch is not None:
            # the stretch's position: the one definition (stretches/position.py)
            pos = position_check(stretch, side, angles_of(m), self.catalogue)
            missing = (
                _behind(pos.missing, self.catalogue[stretch].engaged)
                if m.from_behind
                else pos.missing
            )
            state = None if (pos.unknown and not pos.missing) else pos.in_position
            far = _working_leg_is_far(m, side, posture)
            if state is None and far and all(u in PER_LEG_MEASURES for u in pos.unknown):
                # the stretched leg is the far one, hidden behind the near leg in a side view:
                # the rest of the position holds, so the person is in the stretch (the knee is
                # not judged and they are asked to turn; the back is judged)
                state = True
            if state is None:
                # a joint hidden for a moment (a rounding back hides the far knee, say) keeps
                # the last known state for up to engaged_memory_s
                recent = t - self._engaged_at <= self.options.engaged_memory_s
                engaged = self._engaged_last and recent
            else:
                engaged = state
                self._engaged_last, self._engaged_at = state, t
            if engaged:
                bouncing = self.bounce.update(t, _swing_angle(m, side, posture))
            else:
                self.bounce.reset()
            # In side views MediaPipe often misplaces the far leg's knee onto the near leg
            # (measured on the synthetic chair stretch: the far, straight knee read 146 vs 177).
            # The stretched leg should face the camera; until it does, its knee is not judged
            # (no false "straighten your knee") and the person is asked to turn. Lying, the
            # raised leg is seen above the other one wherever the camera is.
            far_leg = engaged and far
            # settled: in this position without a break for settle_s (or within a hold): only
            # then is the form judged and can a hold begin; until then the frame is "settling"
            key = (stretch, side) if engaged else None
            if key != self._pos_key:
                self._pos_key, self._pos_since = key, t
                self._rest.reset()
            # ... or at rest in it: the working hip and the trunk still (the move into the
            # stretch is over); the hold is then backdated to the start of the rest
            if engaged:
                hip_w = leg_value(m, "hip_angle_deg", side, "working")
                rest_since = self._rest.update(t, (hip_w, m.trunk_inclination_deg))
            settling = engaged and not (
                self.photo
                or self._timer.holding(stretch, side)
                or t - self._pos_since >= self.catalogue.settle_s - 1e-9
                or rest_since is not None
            )
            if engaged and not settling:
                faults = form_faults(
                    self.catalogue,
                    stretch,
                    m,
                    side,
                    lay,
                    back,
                    bouncing,
                    judge_working_knee=not far_leg,
                )
        # upright frames (standing or sitting tall, not in a stretch): the person's neutral back
        if math.isfinite(flex) and not engaged and m.trunk_inclination_deg <= UPRIGHT_TRUNK_DEG:
            source = "calibration" if self.calibrating else "upright_frames"
            self.judge.observe_upright(t, flex, source, posture)
        # situations
        if not m.person:
            if self._no_person_since is None:
                self._no_person_since = t
            if t - self._no_person_since >= (0.0 if self.photo else o.no_person_s):
                faults["no_person"] = SITUATION_MESSAGES["no_person"]
        else:
            self._no_person_since = None
            if not m.in_frame:
                faults["out_of_frame"] = SITUATION_MESSAGES["out_of_frame"]
            if stretch is not None and m.view == "front":
                faults["not_side_view"] = SITUATION_MESSAGES["not_side_view"]
            if far_leg:
                faults["far_leg"] = SITUATION_MESSAGES["far_leg"]
            if m.n_people > 1:
                faults["several_people"] = SITUATION_MESSAGES["several_people"]
        active = self._warnings.update(t, faults)
        form = {f for f in active if f not in SITUATION_MESSAGES}
        if self.photo:  # one frame: judged on its own, no hold
            hold = HoldState(False)
            valid = bool(engaged and not form)
        else:
            # a hold begins only on a frame without any form fault (not only a warning: the
            # debounce must not let a held fault start it); once begun, warnings pause it
            raw_form = any(k not in SITUATION_MESSAGES for k in faults)
            ok = bool(engaged and not settling and not form)
            ok = ok and (self._timer.holding(stretch, side) or not raw_form)
            since = None
            if rest_since is not None and t - self._pos_since < self.catalogue.settle_s - 1e-9:
                since = max(rest_since, self._pos_since)  # settled by rest, not by time
            hold = self._timer.update(
                t, stretch if engaged else None, side, engaged, ok, form,
                since_s=since,
            )  # fmt: skip
            valid = bool(ok and hold.active)
        seen = form | {k for k in faults if k not in SITUATION_MESSAGES}
        reason = None if valid else self._reason(m.person, stretch, engaged, seen, settling)
        prompt = None
        for kind in PROMPT_PRIORITY:
            if kind in active:
                prompt = faults.get(kind) or self._warnings.message(kind)
                break
        else:
            for kind in active:
                prompt = self._warnings.message(kind)
                break
        near = m.near_side if side in (None, "both") else side
        return Verdict(
            t_s=t,
            person=m.person,
            stretch=stretch,
            side=side,
            posture=posture,
            engaged=engaged,
            knee_extension_deg=leg_value(m, "knee_extension_deg", side or near, "working"),
            hip_angle_deg=leg_value(m, "hip_angle_deg", side or near, "working"),
            leg_raise_deg=leg_value(m, "leg_raise_deg", side or near, "working"),
            lumbar_flexion_deg=flex,
            back_rounded=back,
            faults=tuple(sorted(faults)),
            warnings=tuple(sorted(active)),
            valid=valid,
            hold=hold,
            prompt=prompt,
            reason=reason,
            missing=missing if stretch is not None and not engaged else (),
            back_judged=bool(judgeable and math.isfinite(flex)),
            stretch_confidence=rec.confidence,
            recognition_note=(rec.reason or rec.note) if o.stretch is None else None,
        )

    def _reason(
        self, person: bool, stretch: str | None, engaged: bool, form: set[str], settling: bool
    ) -> str:
        """Why a frame is not valid: the most important form fault, or one of REASONS."""
        if not person:
            return "no_person"
        if stretch is None:
            return "no_stretch"
        if not engaged:
            return "not_in_position"
        if form:
            return min(form, key=lambda k: (self.catalogue.fault_kind(k).priority, k))
        return "settling"  # in position, form fine, the hold not begun yet

    def finish(self) -> tuple[list[Hold], list[WarningInterval]]:
        """Close open holds and warnings; returns (holds, warnings)."""
        self._warnings.finish(self._last_t)
        return self._timer.finish(), list(self._warnings.intervals)


def rules_table(catalogue: Catalogue | None = None) -> list[tuple[str, Rule]]:
    """All (stretch id, rule) pairs, for docs and tests."""
    cat = catalogue or load_catalogue()
    return [(sid, r) for sid in cat.stretches for r in cat.rules_for(sid)]


__all__ = [
    "PROMPT_PRIORITY",
    "SITUATION_MESSAGES",
    "BounceDetector",
    "Coach",
    "CoachOptions",
    "Hold",
    "HoldState",
    "HoldTimer",
    "Verdict",
    "WarningDebouncer",
    "WarningInterval",
    "rules_table",
]
