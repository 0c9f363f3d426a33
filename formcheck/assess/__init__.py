"""Hamstring flexibility tests: the straight-leg raise (SLR) and active knee extension (AKE).

Pure (no model, no window): :mod:`~formcheck.assess.norms` (the tests and their published
norms, ``norms.toml``), :mod:`~formcheck.assess.sample` (what a frame gives the detector),
:mod:`~formcheck.assess.trials` (finding and measuring each trial, validity checks) and
:mod:`~formcheck.assess.protocol` (each side in turn, three trials per side, the prompts).
``formcheck assess`` (formcheck/commands/assess.py) runs them on a video or a camera.
"""

from formcheck.assess.norms import TEST_IDS, AssessmentTest, get_test, load_norms
from formcheck.assess.protocol import Assessment, AssessStep, sides_for
from formcheck.assess.sample import AssessSample, sample_from_metrics
from formcheck.assess.trials import Trial, TrialDetector, detect_trials

__all__ = [
    "TEST_IDS",
    "AssessSample",
    "AssessStep",
    "Assessment",
    "AssessmentTest",
    "Trial",
    "TrialDetector",
    "detect_trials",
    "get_test",
    "load_norms",
    "sample_from_metrics",
    "sides_for",
]
