"""The user sees only formcheck's own lines on stderr, whatever MediaPipe version is installed.

MediaPipe, TFLite and absl write native log lines to file descriptor 2 (at create, on the first
frames and when a landmarker is destroyed, also at interpreter exit); ``formcheck`` points fd 2
at a drained pipe for the whole run (formcheck/native_logs.py). ``-v`` shows them again, which
is also how these tests know the native lines exist in the first place (the silencing is what
is tested, not the absence of lines from a quiet library).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["FORMCHECK_OFFLINE"] = "1"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for key in ("FORMCHECK_NATIVE_LOGS", "OPENCV_LOG_LEVEL", "OPENCV_FFMPEG_LOGLEVEL"):
        env.pop(key, None)
    env.pop("GLOG_minloglevel", None)
    return env


def _formcheck(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "formcheck", *map(str, args)]
    return subprocess.run(
        cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300, check=False
    )


def _foreign_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("formcheck")]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("name", ["standing_fold.jpg", "seated_floor_bouncing.mp4"])
def test_analyze_writes_only_formcheck_lines_to_stderr(tmp_path, name):
    args = ("analyze", SAMPLES / name, "--out", tmp_path / "o", "--no-history")
    quiet = _formcheck(*args, cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert _foreign_lines(quiet.stderr) == [], quiet.stderr
    assert (tmp_path / "o" / f"{Path(name).stem}.json").is_file()
    # the same run with -v: MediaPipe's native lines are there to be hidden
    loud = _formcheck("-v", *args, cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    native = [ln for ln in _foreign_lines(loud.stderr) if not ln.startswith(("INFO formcheck",))]
    assert native, "no native log lines with -v: the quiet test would prove nothing"


def test_errors_still_reach_the_terminal(tmp_path):
    """fd 2 is a pipe during the run; formcheck's own lines go to the saved descriptor."""
    r = _formcheck("analyze", tmp_path / "nope.mp4", "--no-history", cwd=tmp_path)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcheck: error:"), r.stderr


def test_native_writes_to_fd2_are_hidden_and_python_stderr_is_not():
    """Unit check of the mechanism, in a child process: raw writes to fd 2 (as C++ does) vanish,
    ``print(file=sys.stderr)`` arrives, and the hidden lines are kept for error messages."""
    code = (
        "import os, sys, time\n"
        "from formcheck.io import native_logs\n"
        "assert native_logs.silence_native_stderr()\n"
        "os.write(2, b'W0000 00:00 native noise\\n')\n"
        "print('formcheck: own line', file=sys.stderr)\n"
        "for _ in range(200):\n"
        "    if native_logs.recent_native_lines(): break\n"
        "    time.sleep(0.01)\n"
        "print(native_logs.recent_native_lines())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "formcheck: own line"
    assert "native noise" in r.stdout
