"""The annotated video plays in a real browser (headless Chromium), embedded in the report page.

The video is written by :class:`formcheck.io.sinks.VideoSink` (H.264 in MP4 through PyAV); the
report page links it relatively in a ``<video controls>``. A probe script, put into a copy of
the page beside it, starts the video muted and records ``readyState``, ``currentTime`` and any
media error into ``data-`` attributes; ``--dump-dom`` with a virtual time budget prints them.
An mp4v video (MPEG-4 Part 2) fails this test: Chromium reports "no supported sources".
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from formcheck.io.sinks import VideoSink
from formcheck.report.page import write_html_report
from tests.fixtures_reports import make_report

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")

PROBE = """<script>
window.addEventListener('load',function(){
 var v=document.querySelector('video'),d=document.documentElement;
 if(!v){d.setAttribute('data-video','none');return;}
 d.setAttribute('data-video','found');
 d.setAttribute('data-can-play',v.canPlayType('video/mp4; codecs="avc1.42E01E"'));
 v.muted=true;
 v.addEventListener('error',function(){d.setAttribute('data-error',String(v.error&&v.error.code));});
 v.addEventListener('timeupdate',function(){
  d.setAttribute('data-time',String(v.currentTime));
  d.setAttribute('data-ready',String(v.readyState));
  d.setAttribute('data-width',String(v.videoWidth));});
 var p=v.play();if(p)p.catch(function(e){d.setAttribute('data-play-error',String(e));});
});
</script>"""


def _write_video(path: Path, seconds: float = 3.0, fps: float = 29.97) -> VideoSink:
    size = (321, 241)  # odd sides: yuv420p needs even ones, the sink must cope
    with VideoSink(str(path), fps, size) as sink:
        for i in range(int(seconds * fps)):
            img = np.full((size[1], size[0], 3), 40, np.uint8)
            img[:, (i * 5) % size[0]] = (0, 0, 255)
            sink.write(img)
    return sink


def _play(page: Path, user_dir: Path) -> dict[str, str]:
    probed = page.with_name(f"probe-{page.name}")
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    run = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={user_dir}",
            "--autoplay-policy=no-user-gesture-required",
            "--virtual-time-budget=4000",
            "--dump-dom",
            probed.as_uri(),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    m = re.search(r"<html([^>]*)>", run.stdout)
    assert m, f"chromium printed no DOM (rc {run.returncode}): {run.stderr[-2000:]}"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', m.group(1)))


@pytest.fixture
def chromium_dir(tmp_path: Path) -> Path:
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed (/usr/bin/chromium): apt-get install chromium")
    return tmp_path / "chromium"


def test_annotated_video_plays_in_the_report_page(tmp_path: Path, chromium_dir: Path) -> None:
    out = tmp_path / "reports"
    video = tmp_path / "videos" / "session annotated.mp4"  # another folder, a space in the name
    sink = _write_video(video)
    assert sink.codec in ("libx264", "h264", "libopenh264"), sink.note
    report = make_report()
    report["session"]["annotated_video"] = str(video)
    page = write_html_report(report, out / "session.html")
    html = page.read_text()
    assert "<video" in html and " controls" in html
    assert 'src="../videos/session%20annotated.mp4"' in html
    found = _play(page, chromium_dir)
    assert found.get("video") == "found", found
    assert "error" not in found and "play-error" not in found, found
    assert found.get("can-play") in ("probably", "maybe"), found
    assert int(found.get("ready", "0")) >= 2, found
    assert float(found.get("time", "0")) > 1.0, found  # it played, not just loaded
    assert found.get("width") == "320", found


def test_no_video_section_without_an_annotated_video(tmp_path: Path) -> None:
    page = write_html_report(make_report(), tmp_path / "r.html")
    assert "<video" not in page.read_text()
