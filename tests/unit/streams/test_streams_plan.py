"""Streams without a model: the chunks, the mask's bits, the judgement comparison."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.metrics.lumbar import back_profile
from formcheck.streams.compare import judgement_differences
from formcheck.streams.plan import pack_mask, plan_chunks, unpack_mask
from tests.fixtures_reports import make_report


def test_chunks_cover_every_frame_once_in_order_each_warmed_up():
    chunks = plan_chunks(3000, 30.0, 4, overlap_s=3.0)
    assert [c.stream for c in chunks] == [0, 1, 2, 3]
    kept = [i for i in range(3200) for c in chunks if c.keeps(i)]
    assert kept == list(range(3200))  # the last chunk runs past a header that says too few
    assert chunks[0].warm_start == 0
    for c in chunks[1:]:
        assert c.start - c.warm_start == 90  # 3 s at 30 fps


def test_short_videos_get_fewer_streams():
    assert len(plan_chunks(300, 30.0, 8, overlap_s=3.0)) == 3  # each chunk >= the overlap
    assert len(plan_chunks(60, 30.0, 4, overlap_s=3.0)) == 1
    assert plan_chunks(0, 30.0, 4)[0].end is None
    with pytest.raises(ValueError, match="streams must be 1 or more"):
        plan_chunks(100, 30.0, 0)


def test_the_mask_travels_as_bits_and_reads_the_same():
    rng = np.random.default_rng(3)
    mask = rng.random((48, 64)).astype(np.float32)
    mask[10:40, 20:50] = np.clip(mask[10:40, 20:50] + 0.6, 0, 1)
    back = unpack_mask(pack_mask(mask), 48, 64)
    assert back is not None and back.dtype == np.float32
    assert np.array_equal(back >= 0.5, mask >= 0.5)
    args = (np.array([30.0, 38.0]), np.array([30.0, 12.0]), np.array([-1.0, 0.0]))
    np.testing.assert_array_equal(back_profile(mask, *args), back_profile(back, *args))
    assert pack_mask(None) is None and unpack_mask(None, 1, 1) is None
    assert len(pack_mask(np.zeros((480, 640), np.float32)) or b"") < 1000


def test_judgements_equal_within_tolerance():
    a = make_report()
    assert judgement_differences(a, a) == []
    b = make_report()
    b["holds"][0]["end_s"] += 0.3
    assert judgement_differences(a, b, tol_s=0.5) == []
    assert judgement_differences(a, b, tol_s=0.1)
    c = make_report()
    c["warnings"] = c["warnings"][1:]
    assert any("only in the first" in d for d in judgement_differences(a, c))


def test_streams_options_are_checked(tmp_path, capsys):
    from formcheck.cli import main

    v = tmp_path / "v.mp4"
    v.write_bytes(b"")
    assert main(["analyze", str(v), "--streams", "-1", "--no-history"]) == 2
    assert "--streams must be 0" in capsys.readouterr().err
    assert main(["analyze", str(v), str(v), "--streams", "2", "--jobs", "2"]) == 2
    assert "exclude each other" in capsys.readouterr().err
