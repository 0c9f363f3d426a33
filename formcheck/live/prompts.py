"""What a live session says: the one prompt to show (and speak) now.

The prompts and their order are the catalogue's (each fault kind's ``prompt`` and priority);
during a rest, a switch of legs or at the end of a guided plan, the plan speaks instead.
"""

from __future__ import annotations

from formcheck.live.guide import Guidance
from formcheck.stretches.catalogue import faults_by_priority
from formcheck.stretches.coach import Verdict

#: the one prompt shown (and spoken) for each warning: the catalogue's, most important first;
#: kinds without a prompt (the note about other people in view) are not shown
LIVE_PROMPTS = {f.kind: f.prompt for f in faults_by_priority() if f.prompt}
LIVE_PRIORITY = tuple(LIVE_PROMPTS)


def choose_prompt(v: Verdict | None, g: Guidance | None) -> tuple[str | None, str]:
    """The ONE prompt to show now and its kind (``"warn"`` for form, ``"info"`` for guidance).

    During a rest, a switch of legs or when the plan is done, the plan speaks; otherwise the
    most important active warning; otherwise, out of the stretch's position, what the position
    lacks ("Not in position yet: Lean forward from the hips"); otherwise what to do next.
    """
    if g is not None and g.step in ("rest", "switch", "done"):
        return g.prompt, "info"
    if v is not None:
        for kind in LIVE_PRIORITY:
            if kind in v.warnings:
                return LIVE_PROMPTS[kind], "warn"
    if v is not None and v.person and not v.engaged:
        # say what the stretch's position lacks ("lean forward from the hips")
        missing = getattr(v, "missing", ())
        if getattr(v, "stretch", None) and missing:
            text = "; ".join(missing)
            return f"Not in position yet: {text[0].upper()}{text[1:]}", "info"
    if g is not None:
        return g.prompt, "info"
    if v is not None and v.person and not v.engaged:
        return "Get into the stretch", "info"
    return None, "info"


__all__ = ["LIVE_PRIORITY", "LIVE_PROMPTS", "choose_prompt"]
