#!/usr/bin/env python3
"""Compare the JSON reports of every bundled sample between two versions of formcheck.

A refactoring must not change what formcheck reports. This analyses each file in ``samples/``
(videos and photos) with the code at a git revision (``--base``, default ``HEAD``; checked out
into a temporary worktree) and with the working tree, then compares the two JSON reports field by
field. Fields that differ from run to run whatever the code (the session id, wall-clock times,
the input's and model's paths) are left out. Exit status 0 when every report is the same, 1
otherwise (each difference is printed, with its JSON path).

    .venv/bin/python scripts/compare_reports.py                 # working tree against HEAD
    .venv/bin/python scripts/compare_reports.py --base 03c7a88  # against any revision
    .venv/bin/python scripts/compare_reports.py --only standing_fold.jpg

Both sides run with the same Python environment and the same model file (this checkout's
``models/``, or ``$FORMCHECK_MODEL_DIR``), history off.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SUFFIXES = {".mp4", ".jpg", ".jpeg", ".png", ".mov"}
# differ between two runs of the same code: not part of what formcheck judged
VOLATILE = {
    ("session", "id"),
    ("session", "started_at"),
    ("session", "elapsed_s"),
    ("session", "first_frame_s"),
    ("session", "timings"),
    ("session", "model"),
    ("source", "path"),
}


def _volatile(path: tuple[str, ...]) -> bool:
    return any(path[: len(v)] == v for v in VOLATILE)


def diff(a: Any, b: Any, path: tuple[str, ...] = (), tol: float = 1e-9) -> list[str]:
    """Differences between two JSON values, as ``/json/path: a != b`` lines."""
    if _volatile(path):
        return []
    where = "/" + "/".join(path)
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if _volatile((*path, key)):
                continue
            if key not in a or key not in b:
                out.append(f"{where}/{key}: only in {'base' if key in a else 'new'}")
            else:
                out += diff(a[key], b[key], (*path, str(key)), tol)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)} items"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += diff(x, y, (*path, str(i)), tol)
        return out
    both_numbers = isinstance(a, int | float) and isinstance(b, int | float)
    if both_numbers and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isclose(float(a), float(b), rel_tol=tol, abs_tol=tol):
            return []
    elif a == b:
        return []
    return [f"{where}: {str(a)[:80]!r} != {str(b)[:80]!r}"]


def analyze(code_root: Path, sample: Path, out_dir: Path) -> dict[str, Any]:
    """Run ``formcheck analyze`` from ``code_root``'s sources on ``sample``; the JSON report."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code_root)
    env["FORMCHECK_OFFLINE"] = "1"
    env.setdefault("FORMCHECK_MODEL_DIR", str(ROOT / "models"))
    env["FORMCHECK_DATA_DIR"] = str(out_dir / "data")
    out = out_dir / f"{sample.stem}.json"
    cmd = [sys.executable, "-m", "formcheck", "analyze", str(sample), "--json", str(out)]
    cmd += ["--no-history", "--no-html", "--no-csv"]
    proc = subprocess.run(cmd, cwd=out_dir, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{code_root}: analyze {sample.name} failed: {proc.stderr.strip()}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="HEAD", help="git revision to compare against")
    ap.add_argument("--only", action="append", help="sample file name(s) to compare")
    args = ap.parse_args(argv)
    samples = sorted(p for p in (ROOT / "samples").iterdir() if p.suffix in SAMPLE_SUFFIXES)
    if args.only:
        samples = [p for p in samples if p.name in args.only]
    if not samples:
        raise SystemExit("no samples to compare")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="formcheck-compare-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), args.base],
            cwd=ROOT,
            check=True,
        )
        try:
            for sample in samples:
                (Path(tmp) / "a").mkdir(exist_ok=True)
                (Path(tmp) / "b").mkdir(exist_ok=True)
                old = analyze(base, sample, Path(tmp) / "a")
                new = analyze(ROOT, sample, Path(tmp) / "b")
                lines = diff(old, new)
                status = "same" if not lines else f"{len(lines)} differences"
                print(f"{sample.name}: {status}")
                for line in lines[:40]:
                    print(f"    {line}")
                failures += bool(lines)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT)
    print(f"{len(samples) - failures} of {len(samples)} reports the same as at {args.base}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
