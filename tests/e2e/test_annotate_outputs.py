"""``formcheck analyze --annotate`` on the real model: a picture path gets a picture, a video
gets H.264 that the report page embeds (issue 17)."""

from __future__ import annotations

import json

import cv2
import pytest

from formcheck.cli import main
from tests.conftest import sample

pytestmark = pytest.mark.model


def test_photo_annotated_as_a_jpeg_and_shown_in_the_report(tmp_path):
    photo = sample("standing_fold.jpg")
    shot = tmp_path / "ann" / "fold.jpg"
    out = tmp_path / "out"
    assert main(["analyze", str(photo), "--out", str(out), "--annotate", str(shot),
                 "--no-history", "-q"]) == 0  # fmt: skip
    assert shot.read_bytes()[:3] == b"\xff\xd8\xff"
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == cv2.imread(str(photo)).shape[:2]
    report = json.loads((out / "standing_fold.json").read_text())
    assert report["session"]["annotated_video"] == str(shot)
    html = (out / "standing_fold.html").read_text()
    assert 'src="../ann/fold.jpg"' in html
    assert "How to get into the stretch" in html


@pytest.mark.slow
def test_video_annotated_as_h264(tmp_path, capsys):
    video = sample("standing_fold_good.mp4")
    ann = tmp_path / "fold.mp4"
    out = tmp_path / "out"
    assert main(["analyze", str(video), "--out", str(out), "--annotate", str(ann),
                 "--no-history", "--quiet"]) == 0  # fmt: skip
    assert capsys.readouterr().out == ""  # -q: no summary
    cap = cv2.VideoCapture(str(ann))
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode().lower()
    cap.release()
    assert fourcc in ("h264", "avc1")
    html = (out / "standing_fold_good.html").read_text()
    assert '<video class="annotated" controls' in html and 'src="../fold.mp4"' in html
    report = json.loads((out / "standing_fold_good.json").read_text())
    assert not any("mp4v" in n for n in report.get("notes", []))
