"""``formcheck analyze INPUT... [--json OUT] [--out DIR] [--annotate OUT.mp4]``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError, FormcheckError
from formcheck.stretches.catalogue import STRETCH_IDS

log = logging.getLogger(__name__)

STRETCH_CHOICES = STRETCH_IDS


def add_common_options(p: argparse.ArgumentParser) -> None:
    """Options shared by analyze and live (the TOML settings mirror them)."""
    p.add_argument(
        "--model",
        default=None,
        help="pose model: lite, full (default), heavy or a path to a .task file",
    )
    p.add_argument("--stretch", choices=STRETCH_CHOICES, help="skip recognition: this stretch")
    p.add_argument("--side", choices=("left", "right", "both"), help="skip recognition: this leg")
    p.add_argument("--config", metavar="TOML", help="settings file (see docs/config.example.toml)")
    p.add_argument("--db", metavar="PATH", help="history database (default: per-user data dir)")
    p.add_argument("--no-history", action="store_true", help="do not add the session to history")


def add_output_options(p: argparse.ArgumentParser, *, json_help: str) -> None:
    """Where the report goes: --out, --json, --no-html, --no-csv (analyze and live)."""
    p.add_argument(
        "--out", metavar="DIR", default="reports", help="output folder (default: reports)"
    )
    p.add_argument("--json", metavar="OUT", help=json_help)
    p.add_argument("--no-html", action="store_true", help="skip the HTML report")
    p.add_argument("--no-csv", action="store_true", help="skip the per-frame CSV")


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "analyze",
        help="analyse recorded videos or photos and write form reports",
        description="Analyse a recorded video or a photo: recognise the stretch, check the "
        "form rules, time the valid holds, and write the report (JSON, HTML, CSV).",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video (.mp4/.mov/...) or photo")
    add_output_options(p, json_help="JSON report path (one input only)")
    p.add_argument("--annotate", metavar="OUT.mp4", help="write an annotated copy of the video")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="analyse N files at a time")
    add_common_options(p)
    p.set_defaults(func=run)
    return p


class _ProgressBar:
    def __init__(self, name: str, enabled: bool) -> None:
        self.name = name
        self.enabled = enabled
        self._last = -1

    def __call__(self, pr: Any) -> None:
        if not self.enabled:
            return
        if pr.total:
            pct = min(100, int(100 * pr.done / pr.total))
            if pct == self._last:
                return
            self._last = pct
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            fps = pr.done / pr.elapsed_s if pr.elapsed_s > 0 else 0.0
            msg = f"\r{self.name} [{bar}] {pct:3d}% {pr.done}/{pr.total} {fps:5.1f} fps"
        else:
            msg = f"\r{self.name} {pr.done} frames"
        sys.stderr.write(msg)
        sys.stderr.flush()

    def end(self) -> None:
        if self.enabled and self._last >= 0:
            sys.stderr.write("\n")


def install_sigterm() -> None:
    """Turn SIGTERM into ``KeyboardInterrupt``, so a stopped run still writes its report."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, handler)


def output_paths(input_path: str, args: argparse.Namespace) -> dict[str, Path]:
    stem = Path(input_path).stem or "report"
    out = Path(args.out)
    json_path = Path(args.json) if args.json else out / f"{stem}.json"
    base = json_path.with_suffix("")
    return {
        "json": json_path,
        "html": base.with_suffix(".html"),
        "csv": base.with_suffix(".csv"),
    }


def write_outputs(
    report: dict[str, Any], paths: dict[str, Path], args: argparse.Namespace
) -> list[str]:
    """Write JSON (+HTML, CSV) and add the session to history; returns lines to print."""
    from formcheck.report.schema import write_json

    lines = []
    write_json(report, paths["json"])
    written = [str(paths["json"])]
    if not args.no_html:
        try:
            from formcheck.report.page import write_html_report
        except ImportError:  # pragma: no cover - during development
            pass
        else:
            write_html_report(report, paths["html"])
            written.append(str(paths["html"]))
    if not args.no_csv:
        try:
            from formcheck.report.csvfile import write_frames_csv
        except ImportError:  # pragma: no cover
            pass
        else:
            write_frames_csv(report, paths["csv"])
            written.append(str(paths["csv"]))
    lines.append("  report: " + ", ".join(written))
    if not args.no_history:
        try:
            from formcheck.history import store as history
        except ImportError:  # pragma: no cover
            pass
        else:
            db = args.db or history.default_db_path()
            sid, created = history.import_report(db, report, report_path=str(paths["json"]))
            lines.append(f"  history: session {sid} {'added to' if created else 'already in'} {db}")
    return lines


def summary_lines(report: dict[str, Any]) -> list[str]:
    src = report["source"]
    ses = report["session"]
    lines = []
    if src["kind"] == "video":
        dur = src.get("duration_s") or 0.0
        el = ses.get("elapsed_s") or 0.0
        speed = f", {dur / el:.1f}x real time" if el > 0 and dur else ""
        lines.append(
            f"{src['path']}: {src['frames']} frames ({dur:.1f} s) analysed in {el:.1f} s{speed}"
        )
    else:
        lines.append(f"{src['path']}: photo {src['width']}x{src['height']}")
    stretches = report.get("summary", {}).get("stretches", {})
    for sid, sides in stretches.items():
        for side, d in sides.items():
            lines.append(
                f"  {sid} ({side}): {d['holds']} hold(s), {d['completed']} completed, best "
                f"{d['best_valid_s']:.1f} s valid of {d['target_s']:.0f} s target"
            )
    if src["kind"] == "image" and report["frames"]:
        f = report["frames"][0]
        if f["person"]:
            back = {True: "rounded", False: "not rounded"}.get(f["back_rounded"], "not judged")
            lines.append(
                f"  stretch: {f['stretch'] or 'not recognised'} (side {f['side'] or '-'}); knee "
                f"{_fmt(f['knee_extension_deg'])}, hip {_fmt(f['hip_angle_deg'])}, back {back}"
            )
    warn: dict[str, list[float]] = {}
    for w in report["warnings"]:
        warn.setdefault(w["kind"], []).append(w["start_s"])
    for kind, starts in warn.items():
        at = ", ".join(f"{s:.1f}" for s in starts[:5]) + (" ..." if len(starts) > 5 else "")
        lines.append(f"  warning {kind}: {len(starts)}x (at {at} s)")
    for note in report.get("notes", []):
        lines.append(f"  note: {note}")
    return lines


def _fmt(x: Any) -> str:
    return "--" if x is None else f"{x:.0f} deg"


def analyze_one(
    input_path: str, args: argparse.Namespace, settings: Any, progress: bool
) -> tuple[dict[str, Any], list[str]]:
    from formcheck.io.atomic import check_writable
    from formcheck.pipeline import AnalyzeOutputs, analyze

    paths = output_paths(input_path, args)
    for p in paths.values():
        check_writable(p)
    bar = _ProgressBar(Path(input_path).name, progress)
    try:
        report = analyze(
            input_path, settings, AnalyzeOutputs(annotate_path=args.annotate), on_progress=bar
        )
    finally:
        bar.end()
    lines = summary_lines(report)
    lines += write_outputs(report, paths, args)
    return report, lines


def _worker(input_path: str, args: argparse.Namespace, settings: Any) -> tuple[int, list[str]]:
    try:
        _report, lines = analyze_one(input_path, args, settings, False)
        return 0, lines
    except FormcheckError as err:
        return 2, [f"formcheck: error: {input_path}: {err}"]


def run(args: argparse.Namespace) -> int:
    from formcheck.config import apply_cli, load_settings

    settings = apply_cli(load_settings(args.config), args)
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be 1 or more, found {args.jobs}")
    if len(args.inputs) > 1 and (args.json or args.annotate):
        raise ConfigError("--json and --annotate take one input; use --out DIR for several")
    install_sigterm()
    progress = not args.no_progress and sys.stderr.isatty()
    if args.jobs > 1 and len(args.inputs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        worst = 0
        with ProcessPoolExecutor(max_workers=args.jobs) as ex:
            futures = [ex.submit(_worker, p, args, settings) for p in args.inputs]
            for fut in futures:
                code, lines = fut.result()
                worst = max(worst, code)
                print("\n".join(lines), file=sys.stderr if code else sys.stdout)
        return worst
    worst = 0
    for path in args.inputs:
        try:
            report, lines = analyze_one(path, args, settings, progress)
        except FormcheckError as err:
            if len(args.inputs) == 1:
                raise
            print(f"formcheck: error: {path}: {err}", file=sys.stderr)
            worst = max(worst, err.exit_code)
            continue
        print("\n".join(lines))
        if report["session"].get("interrupted"):
            return 130
    return worst
