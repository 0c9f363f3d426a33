"""Advice traced to the seeds: what a session calls for, each piece citing its seed documents.

:data:`ADVICE_RULES` are data: when a rule applies to the session's facts
(:class:`formcheck.report.facts.SessionFacts`) its text is written from them. Hold targets and
the hold to start from come from the facts (the report's holds, the plan or the catalogue).
:func:`cite` and :func:`sources_html` link citations to the list of seeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from formcheck.report.facts import BALANCE_RATIO, SessionFacts
from formcheck.report.shell import esc

#: the seed documents the advice traces to: number -> (file stem, title)
SEEDS: dict[str, tuple[str, str]] = {
    "000": ("000_579d7d0376cbbc75", "Hamstring Stretches for Back Pain Relief (Winternheimer)"),
    "001": ("001_c2ad853bb3b68543", "Hamstring Stretch for Back Pain Relief (Donald)"),
    "002": ("002_983fef0d022f2fa6", "Hamstring Stretches For Lower Back Pain (Ekberg)"),
    "003": (
        "003_78221f8b2662a3b6",
        "Three Of The Best Hamstring Stretches To Help Relieve Lower Back Pain And Sciatica",
    ),
    "004": ("004_dd8bd610c47a4b7d", "Hamstring Stretching Exercises for Sciatica Pain Relief"),
}


def cite(seeds: Sequence[str]) -> str:
    """HTML citation of seed documents, linked to the sources list: ``(seeds 003, 004)``."""
    links = ", ".join(f'<a href="#seed-{esc(s)}">{esc(s)}</a>' for s in seeds)
    word = "seed" if len(seeds) == 1 else "seeds"
    return f'<cite class="cite">({word} {links})</cite>'


@dataclass(frozen=True)
class Advice:
    """One piece of advice: a headline, a sentence, the seeds it comes from, a tone."""

    key: str
    headline: str
    detail: str
    seeds: tuple[str, ...]
    tone: str = "fix"  # "fix" | "good" | "info"


@dataclass(frozen=True)
class AdviceRule:
    """Advice given when ``applies(facts)`` is true; ``text(facts)`` -> (headline, detail)."""

    key: str
    applies: Callable[[SessionFacts], bool]
    text: Callable[[SessionFacts], tuple[str, str]]
    seeds: tuple[str, ...]
    tone: str = "fix"


def _short_holds(f: SessionFacts) -> bool:
    """Some stretch and side never reached its target hold in good form."""
    return any(
        st.best_valid_s < (st.target_s if math.isfinite(st.target_s) else f.default_target_s)
        for sides in f.sides.values()
        for st in sides.values()
    )


def _weakest_s(f: SessionFacts) -> float:
    return min((st.best_valid_s for sd in f.sides.values() for st in sd.values()), default=0.0)


def _imbalanced(f: SessionFacts) -> bool:
    r = f.balance_ratio
    return math.isfinite(r) and r < BALANCE_RATIO


def _faulted(kind: str) -> Callable[[SessionFacts], bool]:
    return lambda f: f.warning_counts.get(kind, 0) > 0


def _balance_text(f: SessionFacts) -> tuple[str, str]:
    left, right = f.side_valid_s["left"], f.side_valid_s["right"]
    weak = "left" if left < right else "right"
    if min(left, right) <= 0:
        return (
            "Stretch both sides equally",
            f"Only one side was held in good form; repeat the stretch with the {weak} leg.",
        )
    return (
        "Stretch both sides equally",
        f"Good-form hold time was left {left:.0f} s, right {right:.0f} s. "
        f"Give the {weak} leg the same holds as the other.",
    )


#: the advice rules, in the order they are shown; each cites the seeds it comes from
ADVICE_RULES: tuple[AdviceRule, ...] = (
    AdviceRule(
        "no_bouncing",
        _faulted("bouncing"),
        lambda f: (
            "Never bounce",
            "Bouncing can trigger a muscle spasm: enter the stretch gently and hold it still.",
        ),
        ("004",),
    ),
    AdviceRule(
        "straight_back",
        _faulted("back_rounding"),
        lambda f: (
            "Keep the back straight, hinge at the hips",
            "Your back rounded during a hold. Keep the chest up and the lower-back curve, and "
            "lean from the hips only as far as the back stays straight.",
        ),
        ("001", "002"),
    ),
    AdviceRule(
        "straight_knee",
        _faulted("knee_bent"),
        lambda f: (
            "Keep the working knee straight, not locked",
            "The knee bent during a hold. Straighten it as far as is comfortable; do not lock it.",
        ),
        ("000", "001", "003"),
    ),
    AdviceRule(
        "gentler_position",
        lambda f: f.warning_counts.get("back_rounding", 0) > 0 and "standing_fold" in f.stretches,
        lambda f: (
            "Lying down is the gentlest position",
            "If the standing stretch strains your back, do the stretch lying on your back.",
        ),
        ("004",),
        "info",
    ),
    AdviceRule(
        "progress_hold",
        _short_holds,
        lambda f: (
            f"Progress the hold from {f.start_s:.0f} s toward {f.target_s:.0f} s",
            f"Your shortest side's best good-form hold was {_weakest_s(f):.0f} s. Start with "
            f"{f.start_s:.0f} s holds and add a few seconds each session until you reach "
            f"{f.target_s:.0f} s.",
        ),
        ("004",),
    ),
    AdviceRule(
        "hold_reached",
        lambda f: f.holds > 0 and not _short_holds(f),
        lambda f: (
            "Target hold reached",
            f"Your longest good-form hold was {f.best_valid_s:.0f} s: keep holding about "
            f"{f.target_s:.0f} s per leg.",
        ),
        ("003", "004"),
        "good",
    ),
    AdviceRule("both_sides", _imbalanced, _balance_text, ("002", "003")),
    AdviceRule(
        "twice_a_day",
        lambda f: True,
        lambda f: (
            "Twice a day",
            "Stretch both hamstrings twice a day; tie it to something you already do twice "
            "daily, such as brushing your teeth.",
        ),
        ("003", "004"),
        "info",
    ),
    AdviceRule(
        "breathe",
        lambda f: f.holds > 0,
        lambda f: ("Breathe", "Remember to breathe while you hold the stretch."),
        ("004",),
        "info",
    ),
)


def advise(facts: SessionFacts, rules: Iterable[AdviceRule] = ADVICE_RULES) -> list[Advice]:
    """The advice the session calls for, each traced to its seed documents."""
    out = []
    for rule in rules:
        if rule.applies(facts):
            headline, detail = rule.text(facts)
            out.append(Advice(rule.key, headline, detail, rule.seeds, rule.tone))
    return out


def advice_html(items: Sequence[Advice]) -> str:
    """An advice list with citations."""
    lis = "".join(
        f'<li class="advice {esc(a.tone)}"><strong>{esc(a.headline)}</strong> '
        f"{cite(a.seeds)}<br><span>{esc(a.detail)}</span></li>"
        for a in items
    )
    return f'<ul class="advice-list">{lis}</ul>'


def sources_html() -> str:
    """The list of seed documents that citations link to."""
    lis = "".join(
        f'<li id="seed-{esc(num)}"><b>{esc(num)}</b> {esc(title)} '
        f'<span class="muted">({esc(stem)})</span></li>'
        for num, (stem, title) in SEEDS.items()
    )
    return (
        '<section class="card sources"><h2>Sources</h2>'
        '<p class="muted">The advice above follows these documents (the project\'s seeds).</p>'
        f"<ol>{lis}</ol></section>"
    )
