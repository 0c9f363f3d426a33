"""``formcheck analyze INPUT... [--json OUT] [--out DIR] [--annotate OUT.mp4]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError, FormcheckError
from formcheck.io.paths import Named
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
    p.add_argument(
        "--annotate",
        metavar="OUT.mp4",
        help="write an annotated copy: a video (H.264 in MP4, plays in browsers), or with a "
        ".jpg/.png name the last frame as a picture",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="analyse N files at a time")
    p.add_argument(
        "--streams",
        type=int,
        default=1,
        metavar="N",
        help="run the pose model of one video in N processes (0: one per core; "
        "see docs/streams.md)",
    )
    add_common_options(p)
    p.set_defaults(func=run)
    return p


def install_sigterm() -> None:
    """SIGTERM stops a run like Ctrl-C, and a stopped run still writes its report
    (:func:`formcheck.io.signals.install_stop_handlers`)."""
    from formcheck.io.signals import install_stop_handlers

    install_stop_handlers()


def output_paths(input_path: str, args: argparse.Namespace) -> dict[str, Path]:
    """The report files of one input: JSON, HTML and CSV, named apart within the batch."""
    from formcheck.io.paths import report_names

    inputs = list(getattr(args, "inputs", None) or [input_path])
    if input_path not in inputs:
        inputs.append(input_path)
    stem = report_names(inputs)[inputs.index(input_path)]
    out = Path(args.out)
    json_path = Path(args.json) if args.json else out / f"{stem}.json"
    base = json_path.with_suffix("")
    return {
        "json": json_path,
        "html": base.with_suffix(".html"),
        "csv": base.with_suffix(".csv"),
    }


def report_files(paths: dict[str, Path], args: argparse.Namespace, of: str = "") -> list[Named]:
    """The report files a run writes, named for :func:`refuse_overwrites` (``of``: whose)."""
    files: list[Named] = [("--json" if args.json else f"the JSON report{of}", paths["json"])]
    if not args.no_html:
        files.append((f"the HTML report{of}", paths["html"]))
    if not args.no_csv:
        files.append((f"the per-frame CSV{of}", paths["csv"]))
    return files


def kept_files(args: argparse.Namespace) -> tuple[list[Named], list[Named]]:
    """(written, read) files of the common options: the history database, unless
    ``--no-history``; the settings file and a pose model given as a file."""
    from formcheck.history.db import default_db_path

    written: list[Named] = []
    if not args.no_history:
        written.append(("the history database", args.db or default_db_path()))
    read: list[Named] = [("the settings file", args.config)]
    if args.model and Path(args.model).is_file():
        read.append(("the pose model", args.model))
    return written, read


def refuse_overwrites_of(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output that is an input, the history or another output."""
    from formcheck.io.paths import refuse_overwrites, refuse_repeats

    inputs: list[Named] = [("the input", p) for p in args.inputs]
    refuse_repeats(inputs)
    outputs: list[Named] = []
    for path in args.inputs:
        of = f" of {path}" if len(args.inputs) > 1 else ""
        outputs += report_files(output_paths(path, args), args, of)
    outputs.append(("--annotate", args.annotate))
    written, read = kept_files(args)
    refuse_overwrites(outputs + written, inputs + read)


def write_outputs(
    report: dict[str, Any], paths: dict[str, Path], args: argparse.Namespace
) -> list[str]:
    """Write JSON (+HTML, CSV) and add the session to history; returns lines to print.

    Ctrl-C and SIGTERM wait until all of it is written (one line on stderr says so), so the
    report of what was measured survives an impatient user; then they stop the run.
    """
    from formcheck.io.signals import STOPPING_NOTICE, deferred_interrupts

    with deferred_interrupts(STOPPING_NOTICE):
        return _write_outputs(report, paths, args)


def _write_outputs(
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
        from formcheck.history import store as history

        skip = history.not_kept_reason(report)
        if skip:
            lines.append(f"  history: not added ({skip})")
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
    from formcheck.commands.progress import FramesProgress

    bar = FramesProgress(Path(input_path).name, progress)
    try:
        outputs = AnalyzeOutputs(annotate_path=args.annotate)
        streams = getattr(args, "streams", 1)
        if streams != 1:  # every core for one video (formcheck/streams)
            from formcheck.streams import default_streams
            from formcheck.streams.run import analyze_streams

            n = streams or default_streams()
            report = analyze_streams(input_path, settings, outputs, streams=n, on_progress=bar)
        else:
            report = analyze(input_path, settings, outputs, on_progress=bar)
    finally:
        bar.end()
    lines = summary_lines(report)
    lines += write_outputs(report, paths, args)
    return report, lines


def _worker(input_path: str, args: argparse.Namespace, settings: Any) -> tuple[int, list[str]]:
    try:
        report, lines = analyze_one(input_path, args, settings, False)
        return (130 if report["session"].get("interrupted") else 0), lines
    except FormcheckError as err:
        return 2, [f"formcheck: error: {input_path}: {err}"]


def run(args: argparse.Namespace) -> int:
    from formcheck.config import apply_cli, load_settings

    settings = apply_cli(load_settings(args.config), args)
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be 1 or more, found {args.jobs}")
    if args.streams < 0:
        raise ConfigError(f"--streams must be 0 (one per core) or more, found {args.streams}")
    if args.streams != 1 and args.jobs > 1:
        raise ConfigError(
            "--streams (one video, many cores) and --jobs (many files) exclude each other"
        )
    if len(args.inputs) > 1 and (args.json or args.annotate):
        raise ConfigError("--json and --annotate take one input; use --out DIR for several")
    refuse_overwrites_of(args)
    install_sigterm()
    if not args.no_history:  # the person's saved neutral back (formcheck/metrics/backref.py)
        from formcheck.history.backref import saved_back_reference

        settings.back_reference = saved_back_reference(args.db)
    from formcheck.commands.progress import progress_enabled

    progress = progress_enabled(args)
    if args.jobs > 1 and len(args.inputs) > 1:
        import functools

        from formcheck.commands.jobs import run_jobs

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        work = functools.partial(_worker, args=args, settings=settings)
        return run_jobs(list(args.inputs), work, args.jobs)
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
        if not getattr(args, "quiet", False):
            print("\n".join(lines))
        if report["session"].get("interrupted"):
            return 130
    return worst
