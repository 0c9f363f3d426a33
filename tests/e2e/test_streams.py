"""``--streams N``: one video's pose model in several processes judges as one stream does.

On committed samples, the report of :func:`formcheck.streams.run.analyze_streams` (2 streams,
the chunk boundary in the middle of the video) is compared with the single-stream report: the
same stretch and side in all but 2 % of the frames, the same holds and warnings with their
times within 0.5 s (docs/streams.md, "Tolerance").
"""

from __future__ import annotations

import pytest

from formcheck.config import Settings
from formcheck.io.sources import VideoSource
from formcheck.pipeline import AnalyzeOutputs, analyze
from formcheck.streams.compare import judgement_differences
from formcheck.streams.run import analyze_streams
from tests.conftest import sample

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.mark.parametrize("name", ["standing_fold_good.mp4", "seated_chair_back_rounding.mp4"])
def test_two_streams_judge_as_one(name, monkeypatch):
    path = sample(name)
    single = analyze(path, Settings())
    decoded = _count_decoding(monkeypatch)
    multi = analyze_streams(path, Settings(), streams=2)
    # without an annotated video this process decodes nothing: the streams send the frames'
    # times, and the report's few pictures are read by seeking (docs/streams.md)
    assert decoded == []
    assert multi["session"]["streams"] == 2
    assert len(multi["frames"]) == len(single["frames"])
    assert [f["t_s"] for f in multi["frames"]] == [f["t_s"] for f in single["frames"]]
    assert multi["source"] == single["source"]
    assert judgement_differences(single, multi) == []
    # the same pictures: a thumbnail per warning, the best hold's key frame
    assert multi["thumbnails"].keys() == single["thumbnails"].keys()
    assert multi["key_frames"].keys() == single["key_frames"].keys()
    pictures = [*multi["thumbnails"].values(), *multi["key_frames"].values()]
    assert pictures and all(p.startswith("data:image/jpeg;base64,") for p in pictures)


def test_an_annotated_video_is_drawn_from_decoded_frames(tmp_path, monkeypatch):
    path = sample("seated_chair_back_rounding.mp4")
    decoded = _count_decoding(monkeypatch)
    out = tmp_path / "annotated.mp4"
    multi = analyze_streams(path, Settings(), AnalyzeOutputs(annotate_path=str(out)), streams=2)
    assert decoded == [1]  # this process decodes once, for the drawing
    assert multi["session"]["streams"] == 2
    assert multi["session"]["annotated_video"] == str(out)
    with VideoSource(out) as video:
        assert sum(1 for _ in video) == len(multi["frames"])
    pictures = [*multi["thumbnails"].values(), *multi["key_frames"].values()]
    assert pictures and all(p.startswith("data:image/jpeg;base64,") for p in pictures)


def _count_decoding(monkeypatch) -> list[int]:
    """Counts the videos this process decodes (the stream processes are not counted)."""
    calls: list[int] = []
    real_iter = VideoSource.__iter__

    def counting(self):
        calls.append(1)
        return real_iter(self)

    monkeypatch.setattr(VideoSource, "__iter__", counting)
    return calls


def test_a_photo_or_a_short_clip_runs_as_one_stream():
    report = analyze_streams(sample("standing_fold.jpg"), Settings(), streams=4)
    assert report["session"]["streams"] == 1
    assert report["source"]["kind"] == "image"
