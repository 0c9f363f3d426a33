"""Synthetic people doing hamstring stretches, rendered with their ground truth.

The renderer (Anny body model + pyrender/OSMesa) is the optional ``synth`` extra; the pose model
and the truth geometry (:mod:`~formcheck.synth.skeleton`, :mod:`~formcheck.synth.pose`,
:mod:`~formcheck.synth.truth`, :mod:`~formcheck.synth.spec`, :mod:`~formcheck.synth.timeline`)
are pure numpy. See docs/synth.md.

``render_spec`` and ``render_variations`` are imported on first use (they need nothing heavy
until they run).
"""

from __future__ import annotations

__all__ = ["render_spec", "render_variations", "variation_spec"]


def __getattr__(name: str):
    if name in __all__:
        from formcheck.synth import render

        return getattr(render, name)
    raise AttributeError(f"module 'formcheck.synth' has no attribute {name!r}")
