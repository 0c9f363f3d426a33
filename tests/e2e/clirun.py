"""Running ``formcheck`` as a user types it, for the robustness tests (tests/e2e/test_robustness*.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def cli_env() -> dict[str, str]:
    """The environment of a formcheck subprocess: offline, this checkout first, native logs on."""
    env = dict(os.environ)
    env["FORMCHECK_OFFLINE"] = "1"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("OPENCV_FFMPEG_LOGLEVEL", None)
    env.pop("OPENCV_LOG_LEVEL", None)
    return env


def run_cli(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``formcheck ARGS`` as a user types it (a subprocess), history off."""
    cmd = [sys.executable, "-m", "formcheck", *map(str, args)]
    return subprocess.run(
        cmd, cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("formcheck: error: "), lines[0]
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]


def analyze_report(path: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """Run ``formcheck analyze PATH`` as a subprocess; it must succeed quietly; the report."""
    out = tmp_path / "report.json"
    proc = run_cli(
        "analyze", path, "--json", out, "--no-history", "--no-html", "--no-csv", *extra,
        cwd=tmp_path,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert not [ln for ln in proc.stderr.splitlines() if ln.strip()], proc.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    return report
