"""Synthetic people doing hamstring stretches, rendered with their ground truth.

The renderer (Anny body model + pyrender/OSMesa) is the optional ``synth`` extra; the pose model
and the truth geometry (:mod:`~formcheck.synth.skeleton`, :mod:`~formcheck.synth.pose`,
:mod:`~formcheck.synth.truth`, :mod:`~formcheck.synth.spec`, :mod:`~formcheck.synth.timeline`)
are pure numpy. See docs/synth.md.
"""
