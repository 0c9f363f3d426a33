"""The options of a live session (the flags of ``formcheck live``) and what they imply."""

from __future__ import annotations

from dataclasses import dataclass

from formcheck.stretches.catalogue import Catalogue


@dataclass
class LiveOptions:
    """How a live session runs (the CLI flags of ``formcheck live``)."""

    camera: int = 0
    source: str | None = None  # a video file played as a stand-in camera, at real-time pace
    window: bool = True
    mirror: bool = True
    debug: bool = False
    duration_s: float | None = None
    screenshot: str | None = None
    screenshot_after_s: float = 2.0
    #: test hook: once the screenshot is saved (and shown), print ``screenshot-ready`` on stdout
    #: and keep the window up until a line or EOF arrives on stdin (at most 60 s), so a test can
    #: grab the X screen at a known moment instead of after a guessed delay
    screenshot_hold: bool = False
    speed: float = 1.0
    retry_every_s: float = 1.0
    give_up_s: float = 10.0
    end_when_done: bool | None = None  # default: headless sessions end when the plan is done
    #: measure the frames all along: a faster model when too slow, back when quiet
    #: (formcheck.live.adapt)
    adapt: bool = False
    #: the pose model in a thread of its own, overlapping the drawing (formcheck.live.infer).
    #: On: with a window, 42.5 against 33.2 processed fps on an idle 2-core machine, median
    #: latency 40 against 37 ms (docs/speed.md); `formcheck live --no-inference-thread` turns
    #: it off
    threaded: bool = True
    #: start with the mask on every Nth frame only (formcheck.pose.alternate; 1: every frame);
    #: the adapter may also choose it (adapt)
    mask_every: int = 1
    #: the stand-tall step before the first stretch: the back's own reference (live.calibrate)
    calibrate: bool = True


def rule_faults(catalogue: Catalogue, stretch: str | None) -> frozenset[str] | None:
    """The faults the rules of ``stretch`` check (None: no stretch, or not in the catalogue)."""
    if stretch is None:
        return None
    try:
        return frozenset(r.fault for r in catalogue.rules_for(stretch))
    except KeyError:
        return None
