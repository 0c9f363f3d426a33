"""A pose stream skips the video before its warm-up without converting pictures
(``VideoSource.frames(start)``): the frames it yields have the indices, times and pictures of a
full iteration, and what the source knows afterwards is the same."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.io.sources import VideoSource
from tests.conftest import sample


def _read(path, start=None):
    with VideoSource(path) as src:
        frames = src.frames(start) if start is not None else iter(src)
        got = [(f.index, f.t_s, f.image) for f in frames]
        return got, (src.frames_read, src.info.frames, src.info.duration_s, src.truncated)


def _same(path, starts):
    full, ending = _read(path)
    for start in starts:
        got, got_ending = _read(path, start)
        assert [(i, t) for i, t, _ in got] == [(i, t) for i, t, _ in full[start:]], start
        assert all(np.array_equal(a[2], b[2]) for a, b in zip(got, full[start:], strict=True))
        assert got_ending == ending, start


@pytest.mark.parametrize("start", [0, 1, 57, 150, 299, 300, 400])
def test_skipped_frames_keep_the_times_of_a_full_read(start):
    _same(sample("standing_fold_good.mp4"), [start])


def test_skipped_frames_keep_the_times_of_a_variable_frame_rate(tmp_path):
    from tests import media

    durations = [0.033, 0.1, 0.02, 0.25, 0.05] * 8
    _same(media.vfr_video(tmp_path / "vfr.mp4", durations), [1, 3, 17, 39, 40])
