"""Accuracy benchmark: formcheck against synthetic truth (tuning / sealed splits) and real photos.

    .venv/bin/python benchmarks/accuracy.py --split sealed            # the figures of record
    .venv/bin/python benchmarks/accuracy.py --split tuning sealed     # both, side by side
    .venv/bin/python benchmarks/accuracy.py --synth DIR ... [--no-real] [--json OUT]
    .venv/bin/python benchmarks/accuracy.py --model heavy --split tuning --json OUT  # another model

``--model lite|full|heavy`` (default full) picks the pose model for every analysis (synthetic and
real); benchmarks/compare_models.py puts the ``--json`` outputs of several models side by side.

Synthetic part: ``--split NAME`` scores the clips of that split (benchmarks/splits.toml) in
``.cache/synth/NAME``, rendering missing ones first (synth extra; see benchmarks/splits.py);
``--synth DIR`` scores every ``NAME.mp4`` with a ``NAME.truth.json`` in DIR (e.g. ``samples``).
Each clip is analysed with the current code and compared frame by frame with its truth
(benchmarks/accuracy_synth.py); the goal measures of issue 13 are printed for all clips and per
condition (view band, support-height band, body type, clothing, resolution, light, habit,
held-out region).

Real part: every labelled set under ``../shared/data`` (benchmarks/accuracy_real.py), skipped
when absent. Prints tables; ``--json`` also writes every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from accuracy_real import print_real, run_real  # noqa: E402
from accuracy_synth import compare_clip, summarize_synth, truth_valid_flags  # noqa: E402

from formcheck.config import Settings  # noqa: E402
from formcheck.pipeline import AnalyzeOutputs, analyze  # noqa: E402

__all__ = ["compare_clip", "truth_valid_flags", "score_folder", "reports_dir", "main"]

CACHE = ROOT / ".cache" / "synth"
BENCH = ROOT / ".cache" / "synth_bench"
REPORTS = ROOT / ".cache" / "synth_reports"  # formcheck's reports, reused for the same code
REUSE_ANY = False  # --reuse-reports: reuse a cached report whatever code made it
MODELS = ("lite", "full", "heavy")
MODEL = "full"  # --model: the pose model every analysis uses
MAX_WIDTH = 0  # --max-width: the picture the model sees, at most this wide (0: as recorded)
GOALS = [  # (label, group key, format, goal test)
    ("recognised, hold frames, side+oblique", "recog_side_oblique", "pct", lambda v: v >= 0.95),
    ("recognised, hold frames, all views", "recog", "pct", None),
    ("working leg right", "side", "pct", lambda v: v >= 0.98),
    ("working leg right, where a stretch is named", "side_named", "pct", None),
    ('non-stretch frames called "no stretch"', "no_stretch", "pct", lambda v: v >= 0.95),
    ("holds (truth valid >= 1 s) within 1 s", "holdsv_frac", "frac", lambda v: v >= 0.90),
    ("all true holds within 1 s", "holds_frac", "frac", None),
    ("valid hold time, mean abs error (s)", "hold_mae_s", "f1", None),
    ("rounding episodes warned", "warned_frac", "frac", lambda v: v >= 0.95),
    ("rounding warning onset, median (s)", "onset_median_s", "f2", lambda v: v <= 0.5),
    ("false rounding warning, s/min good form", "false_warn_s_per_min", "f1", lambda v: v <= 1.0),
    ("back_rounded per-frame F1", "f1", "f2", lambda v: v >= 0.9),
    ("back not judged (abstains), stretch frames", "back_abstain", "pct", None),
    ("knee MAE (deg), side view", "knee@side", "f1", lambda v: v <= 5.0),
    ("knee MAE (deg), oblique view", "knee@oblique", "f1", lambda v: v <= 5.0),
    ("hip MAE (deg), side view", "hip@side", "f1", lambda v: v <= 5.0),
    ("hip MAE (deg), oblique view", "hip@oblique", "f1", lambda v: v <= 5.0),
]


def find_clips(folder: Path) -> list[tuple[Path, Path]]:
    clips = []
    for truth_path in sorted(folder.glob("*.truth.json")):
        stem = truth_path.name.replace(".truth.json", "")
        media = next(
            (m for m in (folder / f"{stem}{s}" for s in (".mp4", ".jpg", ".png")) if m.exists()),
            None,
        )
        if media is not None:
            clips.append((media, truth_path))
    return clips


def reports_dir(split: str, model: str = "full", max_width: int = 0) -> Path:
    """Where the cached reports of ``split`` analysed with pose ``model`` live: the full
    model's in ``.cache/synth_reports/<split>``, any other's in ``.../<model>/<split>``; with
    a ``max_width`` (``[pose] max_width``), in ``.../<model>-w<max_width>/<split>``."""
    if max_width:
        return REPORTS / f"{model}-w{max_width}" / split
    return REPORTS / split if model == "full" else REPORTS / model / split


def analyse_clip(media: Path, reports: Path | None) -> dict[str, Any]:
    """formcheck's report of one clip; with ``reports``, kept there and reused when it was made
    by the same code state (revision + working-tree judgement diff) from the same clip."""
    key = ""
    if reports is not None:
        key = f"{_code_state()}|{media.stat().st_size}|{media.stat().st_mtime_ns}"
        path = reports / f"{media.stem}.report.json"
        if path.exists():
            saved = json.loads(path.read_text())
            if saved.get("benchmark_key") == key or REUSE_ANY:
                return saved
    # every stay in the stretch counts as a hold (the clips' holds are short), so the hold-time
    # error measures recognition and measurement, not the minimum-hold product rule
    settings = Settings(catalogue_overrides={"defaults": {"min_hold_s": 0.0}})
    settings.pose = dataclasses.replace(settings.pose, model=MODEL, max_width=MAX_WIDTH)
    report = analyze(media, settings, AnalyzeOutputs(thumbnails=False))
    if reports is not None:
        reports.mkdir(parents=True, exist_ok=True)
        report["benchmark_key"] = key
        tmp = reports / f"{media.stem}.report.json.part"
        tmp.write_text(json.dumps(report, default=str))
        tmp.replace(reports / f"{media.stem}.report.json")
    return report


def score_folder(
    folders: list[Path],
    rounded_deg: float,
    reports: Path | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Analyse every clip with a truth file in ``folders`` (only ``names``, video stem -> spec
    hash, when given); the figures (empty: none found)."""
    clips = [c for f in folders for c in find_clips(f) if names is None or c[0].stem in names]
    if names:  # a split: only clips rendered from the committed spec
        stale = [
            c for c in clips if json.loads(c[1].read_text()).get("spec_hash") != names[c[0].stem]
        ]
        for media, _ in stale:
            print(f"  {media.name}: rendered from another spec; `make splits` renders it again",
                  file=sys.stderr)  # fmt: skip
        clips = [c for c in clips if c not in stale]
    if not clips:
        print(
            f"no synthetic clips with truth files in {', '.join(map(str, folders))}",
            file=sys.stderr,
        )
        return {}
    per_clip = []
    t0 = time.perf_counter()
    for media, truth_path in clips:
        truth = json.loads(truth_path.read_text())
        report = analyse_clip(media, reports)
        c = compare_clip(report, truth, rounded_deg)
        c["clip"] = media.name
        # analysis seconds of this clip (also for reports reused from the cache)
        c["analysis_s"] = (report.get("session") or {}).get("elapsed_s")
        c["code"] = report.get("benchmark_key", "").split("|")[0]
        per_clip.append(c)
        rec = sum(c["recog"]) / len(c["recog"]) if c["recog"] else math.nan
        print(f"  {media.name}: recog {rec:.2f}, holds "
              + ", ".join(f"{h['pred_s']:.1f}/{h['truth_s']:.1f}s" for h in c["holds"]),
              file=sys.stderr, flush=True)  # fmt: skip
    out = summarize_synth(per_clip, time.perf_counter() - t0)
    out["code_states"] = sorted({c["code"] for c in per_clip if c["code"]})
    out["model"] = MODEL
    return out


def _value(g: dict[str, Any], key: str, synth: dict[str, Any]) -> float:
    if key == "holds_frac":
        return g["holds_within_1s"] / g["holds"] if g["holds"] else math.nan
    if key == "holdsv_frac":
        return g["holds_valid_within_1s"] / g["holds_valid"] if g["holds_valid"] else math.nan
    if key == "warned_frac":
        return g["episodes_warned"] / g["episodes"] if g["episodes"] else math.nan
    if key == "f1":
        return g["back_rounding"]["f1"]
    if "@" in key:
        measure, view = key.split("@")
        vg = synth["groups"].get(f"view={view}")
        return vg[measure]["mae"] if vg else math.nan
    v = g.get(key, math.nan)
    return v if isinstance(v, float | int) else math.nan


def _fmt(v: float, fmt: str, g: dict[str, Any] | None = None, key: str = "") -> str:
    if not math.isfinite(v):
        return "-"
    if fmt == "pct":
        return f"{v:.0%}"
    if fmt == "frac" and g is not None:
        num, den = {
            "holds_frac": ("holds_within_1s", "holds"),
            "holdsv_frac": ("holds_valid_within_1s", "holds_valid"),
        }.get(key, ("episodes_warned", "episodes"))
        return f"{g[num]}/{g[den]} ({v:.0%})"
    return f"{v:.2f}" if fmt == "f2" else f"{v:.1f}"


def print_goals(results: dict[str, dict[str, Any]]) -> None:
    """Goal measures, one column per split / folder set, misses marked."""
    names = [n for n in results if results[n]]
    if not names:
        return
    print("\nGoals of issue 13 (x = goal missed)")
    print(f"{'measure':<44}{'goal':>10}" + "".join(f"{n:>18}" for n in names))
    goals_txt = [
        "95%",
        "",
        "98%",
        "",
        "95%",
        "90%",
        "",
        "",
        "95%",
        "0.5 s",
        "1 s/min",
        "0.90",
        "",
        "5",
        "5",
        "5",
        "5",
    ]
    for (label, key, fmt, test), goal in zip(GOALS, goals_txt, strict=True):
        cells = []
        for n in names:
            g = results[n]["groups"]["all"]
            v = _value(g, key, results[n])
            miss = test is not None and math.isfinite(v) and not test(v)
            cells.append(f"{_fmt(v, fmt, g, key) + (' x' if miss else '  '):>18}")
        print(f"{label:<44}{goal:>10}" + "".join(cells))
    print("  clips: " + ", ".join(f"{n} {results[n]['clips']}" for n in names))
    for n in names:
        k = results[n]["groups"]["all"].get("partial", 0)
        if k:
            print(f"  {n}: {k} analyses stopped before the end of the clip (report notes)")
    for n in names:
        if results[n].get("code_states"):
            print(f"  {n} analysed by code state(s): {', '.join(results[n]['code_states'])}")


def print_conditions(name: str, synth: dict[str, Any]) -> None:
    """Per-condition table of one split."""
    print(f"\n{name}: {synth['clips']} clips, per condition")
    hdr = (f"{'group':<34}{'clips':>6}{'recog':>7}{'leg':>6}{'none':>6}{'holds<=1s':>10}{'warned':>8}"
           f"{'onset':>7}{'fls/min':>8}{'F1':>6}{'abst':>6}{'knee':>7}{'hip':>7}")  # fmt: skip
    print(hdr)
    print("-" * len(hdr))
    for gname, g in synth["groups"].items():

        def p(v: float) -> str:
            return "-" if not math.isfinite(v) else f"{v:.0%}"

        def f(v: float, d: int = 1) -> str:
            return "-" if not math.isfinite(v) else f"{v:.{d}f}"

        print(f"{gname[:33]:<34}{g['clips']:>6}{p(g['recog']):>7}{p(g['side']):>6}{p(g['no_stretch']):>6}"
              f"{str(g['holds_valid_within_1s']) + '/' + str(g['holds_valid']):>10}"
              f"{str(g['episodes_warned']) + '/' + str(g['episodes']):>8}{f(g['onset_median_s'], 2):>7}"
              f"{f(g['false_warn_s_per_min']):>8}{f(g['back_rounding']['f1'], 2):>6}{p(g['back_abstain']):>6}"
              f"{f(g['knee']['mae']):>7}{f(g['hip']['mae']):>7}")  # fmt: skip
    print("(recog: stretch right on hold frames, all views; leg: working leg; none: non-stretch frames"
          ' called "no stretch"; holds<=1s: true holds with >= 1 s valid that formcheck timed within 1 s;'
          " warned: rounding episodes warned; onset: median s; fls/min: false rounding warning s per"
          " minute of good form; F1: per-frame back_rounded; abst: stretch frames with the back not"
          " judged; knee/hip: MAE in deg against the truth projected in the image)")  # fmt: skip


@functools.cache
def _code_state() -> str:
    """The judgement code this process analyses with (read once: modules are imported once)."""
    return _tree_state(full=True)


JUDGEMENT = ["formcheck/stretches", "formcheck/metrics", "formcheck/pose", "formcheck/pipeline.py"]


def _tree_state(full: bool = False) -> str:
    """The revision and whether the judgement code has uncommitted changes (``full``: with a
    hash of those changes, untracked files included, to key cached reports)."""

    def git(*a: str) -> str:
        return subprocess.run(
            ["git", *a], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", *JUDGEMENT)
        if full:
            import hashlib

            diff = git("diff", "HEAD", "--", *JUDGEMENT)
            extra = "".join(
                (ROOT / line[3:]).read_text(errors="replace")
                for line in dirty.splitlines()
                if line.startswith("??") and (ROOT / line[3:]).is_file()
            )
            return f"{head}+{hashlib.sha256((diff + extra).encode()).hexdigest()[:12]}"
    except OSError:
        return "unknown revision"
    return f"{head}" + (" + uncommitted judgement changes" if dirty else " (judgement code clean)")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--split", nargs="*", choices=("tuning", "sealed"), default=[])
    ap.add_argument(
        "--synth", nargs="*", type=Path, default=[], help="folders of clips + truth files"
    )
    ap.add_argument(
        "--no-render", action="store_true", help="score only the split clips already cached"
    )
    ap.add_argument(
        "--render", type=int, default=0, help="(older set) render N varied clips per stretch first"
    )
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="real sets")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--no-synth", action="store_true", help="the real sets only")
    ap.add_argument(
        "--rounded-deg", type=float, default=20.0, help="truth lumbar flexion counted as rounded"
    )
    ap.add_argument(
        "--reuse-reports",
        action="store_true",
        help="reuse cached reports even if the judgement code changed since (prints their states)",
    )
    ap.add_argument("--model", choices=MODELS, default="full", help="pose model for every analysis")
    ap.add_argument(
        "--max-width",
        type=int,
        default=0,
        help="the model sees each picture scaled to at most this many pixels across "
        "([pose] max_width; default 0: as recorded)",
    )
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    global REUSE_ANY, MODEL, MAX_WIDTH
    REUSE_ANY = args.reuse_reports
    MODEL = args.model
    MAX_WIDTH = args.max_width
    _code_state()
    if not args.split and not args.synth and not args.no_synth and not args.render:
        args.synth = [ROOT / "samples"]
    from formcheck.synth.holds import VALID_DEFINITION

    print(f"formcheck {_tree_state()}; model {MODEL} max_width {MAX_WIDTH}; valid hold = {VALID_DEFINITION}",
          file=sys.stderr)  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    from splits import render_split, split_specs

    from formcheck.synth.spec import parse_spec

    for split in args.split:
        if not args.no_render:
            render_split(split, CACHE / split)
        names = {raw["name"]: parse_spec(raw).digest() for raw in split_specs(split)}
        results[split] = score_folder(
            [CACHE / split], args.rounded_deg, reports_dir(split, MODEL, MAX_WIDTH), names
        )
    if args.render:  # the older varied set (docs/accuracy.md, history): .cache/synth_bench
        from formcheck.stretches.catalogue import STRETCH_IDS
        from formcheck.synth import render_variations

        faults = (None, "back_rounding", "knee_bent")
        for sid in STRETCH_IDS:
            for k in range(args.render):
                render_variations(sid, 1, seed=1 + k, out_dir=BENCH, fault=faults[k % 3])
        args.synth = [*args.synth, BENCH]
    if args.synth:
        results["+".join(p.name for p in args.synth)] = score_folder(args.synth, args.rounded_deg)
    real = {} if args.no_real else run_real(args.data, MODEL, MAX_WIDTH)
    print(f"\nformcheck {_tree_state()}; model {MODEL}; valid hold = {VALID_DEFINITION}")
    print_goals(results)
    for name, synth in results.items():
        if synth:
            print_conditions(name, synth)
    print_real(real)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"synthetic": results, "real": real, "model": MODEL,
                                         "revision": _tree_state()}, indent=1, default=str))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
