"""The report's pictures when the main process does not decode (no model): frames read by
seeking are the decoder's own, a frame whose time does not match is decoded instead, and the
placeholders in a report are replaced by JPEGs."""

from __future__ import annotations

import numpy as np

from formcheck.io.sources import VideoSource
from formcheck.streams.pictures import TOKEN, DeferredPictures, FrameRef, read_frames
from tests.conftest import sample


def _decoded(path, indices):
    with VideoSource(path) as src:
        return {f.index: (f.t_s, f.image) for f in src if f.index in indices}


def test_frames_read_by_seeking_are_the_decoders():
    path = sample("standing_fold_good.mp4")
    want = _decoded(path, {0, 1, 57, 200, 299})
    images = read_frames(path, {FrameRef(i, t) for i, (t, _) in want.items()})
    assert set(images) == set(want)
    for i, (_, image) in want.items():
        assert np.array_equal(images[i], image), i


def test_a_frame_whose_time_does_not_match_is_decoded_from_the_start(monkeypatch):
    path = sample("standing_fold_good.mp4")
    want = _decoded(path, {120})
    iterated = []
    real_iter = VideoSource.__iter__

    def counting(self):
        iterated.append(1)
        return real_iter(self)

    monkeypatch.setattr(VideoSource, "__iter__", counting)
    images = read_frames(path, {FrameRef(120, want[120][0] + 0.5)})  # a wrong time: no seek
    assert iterated == [1]
    assert np.array_equal(images[120], want[120][1])


def test_placeholders_in_the_report_become_jpegs():
    path = sample("standing_fold_good.mp4")
    pictures = DeferredPictures()
    (t,) = [t for t, _ in _decoded(path, {30}).values()]
    thumb = pictures(FrameRef(30, t))
    snap = pictures(FrameRef(30, t), 360)
    unused = pictures(FrameRef(90, 3.0), 360)  # a snapshot the report did not keep
    assert thumb.startswith(TOKEN) and snap != thumb and unused != snap
    report = {
        "thumbnails": {"0": thumb, "1": thumb},
        "key_frames": {"best_hold": snap, "other": "data:image/jpeg;base64,AAAA"},
    }
    assert pictures.fill(report, path) == 1  # one frame read, for three pictures
    assert report["thumbnails"]["0"].startswith("data:image/jpeg;base64,")
    assert report["thumbnails"]["0"] == report["thumbnails"]["1"]
    assert len(report["key_frames"]["best_hold"]) > len(report["thumbnails"]["0"])  # 360 wide
    assert report["key_frames"]["other"] == "data:image/jpeg;base64,AAAA"


def test_frames_of_a_variable_frame_rate_video_are_the_decoders(tmp_path):
    from tests import media

    durations = [0.033, 0.1, 0.02, 0.25, 0.05] * 8
    path = media.vfr_video(tmp_path / "vfr.mp4", durations)
    want = _decoded(path, {0, 3, 17, 31, 39})
    images = read_frames(path, {FrameRef(i, t) for i, (t, _) in want.items()})
    assert set(images) == set(want)
    for i, (_, image) in want.items():
        assert np.array_equal(images[i], image), i
