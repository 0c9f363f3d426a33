"""The tqdm progress bars of analyze and batch (issue 17)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from formcheck.commands.progress import FilesProgress, FramesProgress


def test_frames_bar_shows_percent_count_and_rate():
    buf = io.StringIO()
    bar = FramesProgress("walk.mp4", True, buf)
    for i in range(1, 31):
        bar(SimpleNamespace(done=i, total=30, t_s=i / 30, elapsed_s=i / 60))
    bar.end()
    text = buf.getvalue()
    assert "walk.mp4" in text
    assert "100%" in text and "30/30" in text and "frame/s" in text
    assert text.endswith("\n")


def test_frames_bar_without_total_counts():
    buf = io.StringIO()
    bar = FramesProgress("cam", True, buf)
    bar(SimpleNamespace(done=5, total=0, t_s=0.1, elapsed_s=0.1))
    bar.end()
    assert "5frame" in buf.getvalue().replace(" ", "")


def test_bars_off_write_nothing():
    buf = io.StringIO()
    bar = FramesProgress("x", False, buf)
    bar(SimpleNamespace(done=1, total=2, t_s=0.0, elapsed_s=0.1))
    bar.end()
    files = FilesProgress(False, buf)
    files(1, 2, 0)
    files.end()
    assert buf.getvalue() == ""


def test_files_bar_counts_files_and_errors():
    buf = io.StringIO()
    bar = FilesProgress(True, buf)
    bar(1, 4, 0)
    bar(4, 4, 1)
    bar.end()
    text = buf.getvalue()
    assert "1/4 files" in text and "4/4 files, 1 error" in text and text.endswith("\n")


def test_bar_draws_on_a_terminal_that_reports_no_size() -> None:
    """A pty whose size was never set reports 0 x 0 (as in CI and under some terminals)."""
    import os
    import pty
    from types import SimpleNamespace

    from formcheck.commands.progress import FramesProgress

    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", encoding="utf-8", closefd=True) as stream:
            assert os.get_terminal_size(stream.fileno()) == os.terminal_size((0, 0))
            bar = FramesProgress("clip.mp4", True, stream=stream)
            for done in range(1, 61):
                bar(SimpleNamespace(done=done, total=100))
            bar.end()
        drawn = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(master)
    assert b"clip.mp4" in drawn and b"/100" in drawn
