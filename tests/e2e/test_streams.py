"""``--streams N``: one video's pose model in several processes judges as one stream does.

On committed samples, the report of :func:`formcheck.streams.run.analyze_streams` (2 streams,
the chunk boundary in the middle of the video) is compared with the single-stream report: the
same stretch and side in all but 2 % of the frames, the same holds and warnings with their
times within 0.5 s (docs/streams.md, "Tolerance").
"""

from __future__ import annotations

import pytest

from formcheck.config import Settings
from formcheck.pipeline import analyze
from formcheck.streams.compare import judgement_differences
from formcheck.streams.run import analyze_streams
from tests.conftest import sample

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.mark.parametrize("name", ["standing_fold_good.mp4", "seated_chair_back_rounding.mp4"])
def test_two_streams_judge_as_one(name):
    path = sample(name)
    single = analyze(path, Settings())
    multi = analyze_streams(path, Settings(), streams=2)
    assert multi["session"]["streams"] == 2
    assert len(multi["frames"]) == len(single["frames"])
    assert [f["t_s"] for f in multi["frames"]] == [f["t_s"] for f in single["frames"]]
    assert judgement_differences(single, multi) == []


def test_a_photo_or_a_short_clip_runs_as_one_stream():
    report = analyze_streams(sample("standing_fold.jpg"), Settings(), streams=4)
    assert report["session"]["streams"] == 1
    assert report["source"]["kind"] == "image"
