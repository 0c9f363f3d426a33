"""Which stretch is being done, and with which leg, from the pose alone.

Recognition reads the view-independent cues of :mod:`formcheck.stretches.cues` (heights above
the floor line, the trunk's inclination, where each foot is, which leg is straight and reaching
out, where the hands are; lengths in torso lengths) and scores every stretch against its
conditions in the catalogue (``[recognition]`` in ``catalogue.toml``, each with its derivation).
A condition is soft: a cue on its threshold scores 0.5, ``soft`` inside it 1, ``soft`` outside
it 0. A stretch scores its weakest condition; the frame's **confidence** is the best stretch's
score, and below ``min_confidence`` recognition **abstains**: no stretch, and the failed
condition says why ("standing upright: not folding forward"). A plank, a squat, a lunge, a twist
or standing upright are not stretches.

The working leg is picked per stretch (``[recognition.side_by]``): the foot on the support, the
straighter leg reaching out, the raised leg. Where the camera's view cannot tell it (a front view,
where the legs differ only in depth) the frame carries a note asking the person to turn side-on.

Per-frame labels are made steady by :class:`LabelSmoother` (a label must win for ``hold_s``
seconds before it replaces the current one), so a stretch is not re-recognised on every jitter.
:class:`Layout` (:func:`layout`) keeps the posture features the form rules read.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections import deque
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formcheck.metrics import geometry as g
from formcheck.metrics.measures import SIDES, FrameMetrics
from formcheck.stretches.cues import CUE_NAMES, Cues, image_cues, measure_cues


@dataclass(frozen=True)
class Condition:
    """One soft condition of a stretch: ``cue`` (for ``leg``) within ``[min, max]``."""

    cue: str
    leg: str | None  # None | "working" | "other" | "each"
    min: float | None
    max: float | None
    soft: float
    why: str

    def score(self, cues: Cues, side: str | None, unknown: float = 0.6) -> float:
        """0..1: 0.5 on the threshold, 1 ``soft`` inside, 0 ``soft`` outside; ``unknown`` when
        the cue cannot be measured."""
        if self.leg is None:
            return _soft(cues.value(self.cue), self.min, self.max, self.soft, unknown)
        if self.leg == "each" or side not in SIDES:
            legs: tuple[int, ...] = (0, 1)
        else:
            k = SIDES.index(str(side))
            legs = (k,) if self.leg == "working" else (1 - k,)
        return min(
            _soft(cues.value(self.cue, k), self.min, self.max, self.soft, unknown) for k in legs
        )


def _soft(v: float, lo: float | None, hi: float | None, soft: float, unknown: float) -> float:
    if not math.isfinite(v):
        return unknown
    s = 1.0
    if lo is not None:
        s = min(s, 0.5 + (v - lo) / (2 * soft))
    if hi is not None:
        s = min(s, 0.5 + (hi - v) / (2 * soft))
    return float(min(1.0, max(0.0, s)))


@dataclass(frozen=True)
class RecognitionRules:
    """The ``[recognition]`` table of the catalogue (see its comments for the derivations)."""

    min_confidence: float
    unknown: float
    side_margin_soft: float
    view_note: str
    ambiguous_note: str
    behind_note: str
    side_by: dict[str, str]
    both_legs_knee_deg: float
    both_legs_reach: float
    one_or_both: frozenset[str]  # stretches done with one leg or both (catalogue ``sides``)
    postures: dict[str, str]
    stretches: dict[str, tuple[Condition, ...]]
    hidden_leg_score: float
    why_hidden_leg: str
    # stretch -> the largest recline_deg (folded over the legs) that still names it with the
    # working leg unseen; a stretch not here is not named then (catalogue comments)
    hidden_working_leg: dict[str, float]


@functools.cache
def recognition_rules() -> RecognitionRules:
    """The built-in recognition rules (shared: do not modify)."""
    text = resources.files("formcheck.stretches").joinpath("catalogue.toml").read_text("utf-8")
    return parse_rules(tomllib.loads(text))


def parse_rules(data: dict[str, Any]) -> RecognitionRules:
    """Recognition rules from a whole catalogue's data; raises ``ValueError`` naming a bad key."""
    r = data["recognition"]
    stretches: dict[str, tuple[Condition, ...]] = {}
    for sid, conds in r["stretch"].items():
        if sid not in data["stretch"]:
            raise ValueError(f"recognition.stretch.{sid}: not a stretch of the catalogue")
        out = []
        for i, c in enumerate(conds):
            where = f"recognition.stretch.{sid}[{i}]"
            if c.get("cue") not in CUE_NAMES:
                raise ValueError(f"{where}.cue must be one of {sorted(CUE_NAMES)}")
            if c.get("leg") not in (None, "working", "other", "each"):
                raise ValueError(f"{where}.leg must be working, other or each")
            if "min" not in c and "max" not in c or float(c.get("soft", 0)) <= 0:
                raise ValueError(f"{where} needs min and/or max and a soft above 0")
            out.append(
                Condition(
                    c["cue"], c.get("leg"), c.get("min"), c.get("max"), float(c["soft"]), c["why"]
                )
            )
        stretches[sid] = tuple(out)
    side_by = {k: v for k, v in r["side_by"].items() if isinstance(v, str)}
    for sid, how in side_by.items():
        if how not in _SIDE_BY:
            raise ValueError(f"recognition.side_by.{sid} must be one of {sorted(_SIDE_BY)}")
    postures = {sid: str(s["posture"]) for sid, s in data["stretch"].items()}
    return RecognitionRules(
        float(r["min_confidence"]), float(r["unknown"]), float(r["side_margin_soft"]),
        str(r["view_note"]), str(r["ambiguous_note"]), str(r["behind_note"]), side_by,
        float(r["side_by"]["both_legs_knee_deg"]), float(r["side_by"]["both_legs_reach"]),
        frozenset(sid for sid, s in data["stretch"].items() if s["sides"] == "one_or_both"),
        postures, stretches, float(r["hidden_leg_score"]), str(r["why_hidden_leg"]),
        {k: float(v) for k, v in r.get("hidden_working_leg", {}).items()},
    )  # fmt: skip


@dataclass(frozen=True)
class RecognizeOptions:
    """Settings of recognition (``[recognize]`` in the settings file)."""

    # abstain below this confidence (default: the catalogue's min_confidence)
    min_confidence: float = field(default_factory=lambda: recognition_rules().min_confidence)
    view_notes: bool = True  # say when the view cannot tell the working leg or the stretch


@dataclass(frozen=True)
class Recognition:
    """One frame's recognition.

    Attributes
    ----------
    stretch : str or None
        The stretch id; None: no stretch recognised (abstained, see ``reason``).
    side : str or None
        ``"left"`` | ``"right"`` | ``"both"`` | None.
    posture : str or None
        standing | chair_sitting | floor_sitting | lying | None.
    confidence : float
        0..1: how clearly the best stretch's conditions hold (NaN: nobody, or no trunk seen).
    reason : str or None
        Why no stretch was recognised (None when one was).
    note : str or None
        What the view cannot tell ("turn side-on to the camera: ..."), None when it can.
    """

    stretch: str | None
    side: str | None
    posture: str | None
    confidence: float = math.nan
    reason: str | None = None
    note: str | None = None


def _side_margin(how: str, c: Cues) -> float:
    """> 0: left works, < 0: right, in units that 1 is a clear margin (NaN: not measurable)."""
    if how == "higher_foot":
        return float(c.foot_height[0] - c.foot_height[1]) / 0.2
    if how == "higher_leg":
        return float(c.leg_elev_deg[0] - c.leg_elev_deg[1]) / 20.0
    if how == "straight_reach":
        terms = [
            (c.knee_ext_deg[0] - c.knee_ext_deg[1]) / 30.0,
            (c.reach[0] - c.reach[1]) / 0.4,
        ]
        ok = [float(t) for t in terms if math.isfinite(t)]
        return sum(ok) if ok else math.nan
    return math.nan


_SIDE_BY = ("higher_foot", "straight_reach", "higher_leg", "both")


def _pick_side(sid: str, c: Cues, rules: RecognitionRules) -> tuple[str | None, float]:
    how = rules.side_by.get(sid, "both")
    if how == "both":
        return "both", math.inf
    margin = _side_margin(how, c)
    if sid in rules.one_or_both:
        # legs alike (as straight, reaching as far): both legs work
        dk = abs(float(c.knee_ext_deg[0] - c.knee_ext_deg[1]))
        dr = abs(float(c.reach[0] - c.reach[1]))
        if not (dk >= rules.both_legs_knee_deg or dr >= rules.both_legs_reach):
            return "both", math.inf
    if not math.isfinite(margin):
        return None, math.nan
    return ("left" if margin > 0 else "right"), abs(margin)


def score_stretches(
    c: Cues, rules: RecognitionRules, side_view: bool = False
) -> dict[str, tuple[float, str | None, str]]:
    """Every stretch's score: ``{id: (score 0..1, working leg, why of the weakest condition)}``.

    When the working leg cannot be picked (one leg unseen), both are tried and the one whose
    conditions are measured, not unknown, wins a tie (a hidden leg is no evidence of a stretch).
    """
    return {sid: v[:3] for sid, v in _scored(c, rules, side_view).items()}


_Scored = tuple[float, str | None, str, int, float]  # score, side, why, unknowns, mean score


def _scored(c: Cues, rules: RecognitionRules, side_view: bool = False) -> dict[str, _Scored]:
    """``side_view``: a working leg that is not seen counts against the stretch (catalogue,
    ``hidden_leg_score``); in other views the body itself may hide a lifted leg."""
    out: dict[str, _Scored] = {}
    for sid, conds in rules.stretches.items():
        side, _ = _pick_side(sid, c, rules)
        sides = [side] if side is not None else ["left", "right"]
        best: _Scored = (-1.0, None, "", 0, 0.0)
        for s in sides:
            scored = [(cond.score(c, s, rules.unknown), cond.why) for cond in conds]
            if side_view and _working_leg_hidden(conds, c, s):
                scored.append(_hidden_leg_score(sid, c, rules))
            low = min(scored, key=lambda x: x[0])
            unknown = sum(1 for cond in conds if not _measured(cond, c, s))
            mean = sum(x[0] for x in scored) / len(scored)
            cand: _Scored = (low[0], s, low[1], unknown, mean)
            if _rank(cand) > _rank(best):
                best = cand
        out[sid] = best
    return out


#: the cues that place a leg (its foot, its direction, its reach): all unmeasured = leg unseen.
#: (The knee angle is not among them: it comes from the world landmarks, which MediaPipe fills
#: in for a hidden leg too.)
_LEG_PLACE_CUES = ("foot_height", "leg_elev_deg", "reach")


def _working_leg_hidden(conds: tuple[Condition, ...], c: Cues, side: str | None) -> bool:
    """The stretch has conditions on the working leg and that leg is not seen (nothing places
    it in the picture)."""
    if side not in SIDES or not any(cond.leg == "working" for cond in conds):
        return False
    k = SIDES.index(str(side))
    return not any(math.isfinite(c.value(cue, k)) for cue in _LEG_PLACE_CUES)


def _hidden_leg_score(sid: str, c: Cues, rules: RecognitionRules) -> tuple[float, str]:
    """The extra condition of a frame whose working leg is unseen (see the catalogue)."""
    limit = rules.hidden_working_leg.get(sid)
    if limit is None or not math.isfinite(c.recline_deg):
        return rules.hidden_leg_score, rules.why_hidden_leg
    fold = _soft(c.recline_deg, None, limit, 5.0, rules.hidden_leg_score)
    return fold, f"{rules.why_hidden_leg} and the trunk is not folded over the legs"


def _rank(s: _Scored) -> tuple[float, int, float]:
    """Best first: the weakest condition, then fewer unknown cues, then the mean score (so a
    frame that fits no stretch is told which one it came nearest to, and why not)."""
    return (s[0], -s[3], s[4])


def _measured(cond: Condition, c: Cues, side: str | None) -> bool:
    if cond.leg is None:
        return math.isfinite(c.value(cond.cue))
    if cond.leg == "each" or side not in SIDES:
        return all(math.isfinite(c.value(cond.cue, k)) for k in (0, 1))
    k = SIDES.index(str(side))
    return math.isfinite(c.value(cond.cue, k if cond.leg == "working" else 1 - k))


def _coarse_posture(c: Cues) -> str | None:
    if c.hip_height >= 1.4:
        return "standing"
    if c.hip_height <= 0.6 and c.recline_deg >= 60:
        return "lying"
    if c.hip_height <= 0.55:
        return "floor_sitting"
    return "chair_sitting" if math.isfinite(c.hip_height) else None


def recognize_frame(
    m: FrameMetrics,
    opts: RecognizeOptions | None = None,
    *,
    stretch: str | None = None,
    cues: Cues | None = None,
) -> Recognition:
    """Recognise the stretch and working leg in one frame (no smoothing over time).

    ``stretch`` (a stretch the person said they do): only its working leg is recognised, and
    recognition does not abstain (the confidence still says how well the pose fits it).
    ``cues``: the frame's :func:`measure_cues`, when the caller has them (measured otherwise).
    """
    o = opts or RecognizeOptions()
    rules = recognition_rules()
    if not m.person:
        return Recognition(None, None, None)
    c = cues if cues is not None else measure_cues(m)
    if c is None:
        return Recognition(None, None, None, reason="no stretch recognised: the trunk is not seen")
    if not math.isfinite(c.hip_height):
        why = "no stretch recognised: the feet are not in the picture (step back)"
        return Recognition(None, None, None, reason=why)
    scores = _scored(c, rules, side_view=m.view == "side")
    if stretch in scores:
        conf, side = scores[str(stretch)][:2]
        return Recognition(stretch, side, rules.postures.get(str(stretch)), conf)
    ranked = sorted(scores, key=lambda s: _rank(scores[s]), reverse=True)
    best = ranked[0]
    conf, side, why = scores[best][:3]
    threshold = o.min_confidence
    if conf < threshold:
        return Recognition(None, None, _coarse_posture(c), conf, f"no stretch recognised: {why}")
    note = None
    if o.view_notes and m.view in ("front", "oblique"):
        second = ranked[1]
        if scores[second][0] >= threshold and conf - scores[second][0] < 0.1:
            note = rules.ambiguous_note.format(a=best, b=second)
        elif m.view == "front" and side in SIDES:
            flat = image_cues(m)
            how = rules.side_by.get(best, "both")
            margin = _side_margin(how, flat) if flat is not None else math.nan
            told = math.isfinite(margin) and abs(margin) >= rules.side_margin_soft
            if not told or (margin > 0) != (side == "left"):
                note = rules.view_note
    return Recognition(best, side, rules.postures.get(best), conf, None, note)


# -- the posture features the form rules read ---------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Posture features of one frame (NaN where not measurable)."""

    torso_px: float
    hip_height: float  # hips above the floor line, torso lengths
    shoulder_height: float  # shoulders above the floor line, torso lengths
    ankle_height: NDArray[np.float64]  # (2,) per leg, torso lengths
    wrist_height: float  # highest wrist above the floor line, torso lengths
    folds_toward_feet: bool  # shoulders are on the feet's side of the hips


def layout(m: FrameMetrics, cues: Cues | None = None) -> Layout | None:
    """The posture features of a frame, or None when the trunk is not visible. ``cues``: the
    frame's :func:`measure_cues`, when the caller has them (measured otherwise)."""
    c = cues if cues is not None else measure_cues(m)
    if c is None:
        return None
    sm = (m.xy[g.LEFT_SHOULDER] + m.xy[g.RIGHT_SHOULDER]) / 2
    hm = (m.xy[g.LEFT_HIP] + m.xy[g.RIGHT_HIP]) / 2
    torso_px = float(np.linalg.norm(sm - hm))
    ankles = np.array([c.foot_height[0], c.foot_height[1]], dtype=float)
    toward = math.isfinite(c.head_toward_feet) and c.head_toward_feet > 0
    return Layout(torso_px, c.hip_height, c.shoulder_height, ankles, c.wrist_height, toward)


class LabelSmoother:
    """Keeps a label steady: a new label replaces the current one only after it has been the
    majority of the last ``window_s`` seconds for at least ``hold_s`` seconds.

    ``update(t_s, label) -> label``; ``reset()``. Time comes from the frame timestamps.
    """

    def __init__(self, window_s: float = 1.0, hold_s: float = 0.6) -> None:
        self.window_s = window_s
        self.hold_s = hold_s
        self.reset()

    def reset(self) -> None:
        self._hist: deque[tuple[float, object]] = deque()
        self._current: object = None
        self._cand: object = None
        self._cand_since = math.nan

    def update(self, t_s: float, label: object) -> object:
        self._hist.append((t_s, label))
        while self._hist and self._hist[0][0] < t_s - self.window_s:
            self._hist.popleft()
        counts: dict[object, int] = {}
        for _, lab in self._hist:
            counts[lab] = counts.get(lab, 0) + 1
        top = max(counts, key=lambda k: counts[k])
        if top == self._current:
            self._cand = None
            return self._current
        if top != self._cand:
            self._cand, self._cand_since = top, t_s
        if self._current is None and len(self._hist) == 1:
            self._current = top  # the very first frame: nothing to keep
        elif t_s - self._cand_since >= self.hold_s:
            self._current, self._cand = top, None
        return self._current
