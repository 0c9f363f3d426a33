"""``formcheck assess VIDEO | --source FILE | --camera N --test slr|ake [--side ...]``.

The straight-leg raise (SLR) and active knee extension (AKE, 90/90) tests, guided step by step,
each side in turn, three trials per side (docs/assess.md). A VIDEO argument is measured as fast
as it decodes, its prompts printed as lines; ``--source`` plays a video as a stand-in camera at
real-time pace and ``--camera`` reads a webcam, with the live window and voice where a display
exists (headless: prompts as lines). Writes the report (JSON with the ``assessment`` section,
an HTML page, a CSV of the trials) and adds the results to the history.
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError, InputError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "assess",
        help="measure hamstring flexibility: straight-leg raise or active knee extension",
        description="Measure hamstring flexibility with a clinical test, each side in turn, "
        "three trials per side (best and mean kept): the straight-leg raise (--test slr) or "
        "the active knee extension, 90/90 (--test ake). Lie side-on to the camera. Results "
        "are read against published norms; they are not a diagnosis.",
    )
    p.add_argument("video", nargs="?", metavar="VIDEO", help="a recorded video of the test")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, metavar="N", help="webcam index")
    src.add_argument(
        "--source", metavar="FILE", help="play a video file as a stand-in camera (real time)"
    )
    p.add_argument("--test", required=True, choices=("slr", "ake"), help="which test")
    p.add_argument(
        "--side", choices=("left", "right", "both"), default="both", help="leg(s) to test"
    )
    p.add_argument(
        "--out", metavar="DIR", default="reports", help="output folder (default: reports)"
    )
    p.add_argument("--json", metavar="OUT", help="JSON report path (default: DIR/NAME.json)")
    p.add_argument("--no-html", action="store_true", help="skip the HTML page")
    p.add_argument("--no-csv", action="store_true", help="skip the CSV of the trials")
    p.add_argument("--model", default=None, help="pose model: lite, full (default), heavy, .task")
    p.add_argument("--config", metavar="TOML", help="settings file (see docs/config.example.toml)")
    p.add_argument("--db", metavar="PATH", help="history database (default: per-user data dir)")
    p.add_argument("--no-history", action="store_true", help="do not add results to history")
    p.add_argument("--mute", action="store_true", help="live: no tones, no spoken prompts")
    p.add_argument("--no-window", action="store_true", help="live: no window, prompts as lines")
    p.add_argument("--no-mirror", action="store_true", help="live: do not mirror the view")
    p.add_argument("--duration", type=float, metavar="S", help="live: end after S seconds")
    p.add_argument("--speed", type=float, default=1.0, help=argparse.SUPPRESS)
    p.set_defaults(func=run)
    return p


def output_paths(args: argparse.Namespace, stem: str) -> dict[str, Path]:
    json_path = Path(args.json) if args.json else Path(args.out) / f"{stem}.json"
    base = json_path.with_suffix("")
    return {
        "json": json_path,
        "html": base.with_suffix(".html"),
        "csv": base.with_name(base.name + ".trials.csv"),
    }


def result_lines(report: dict[str, Any]) -> list[str]:
    """The assessment's results as lines for the terminal."""
    a = report["assessment"]
    lines = [f"  {a['name']}: {a['measure']}"]
    for t in a["trials"]:
        v = "--" if t["value_deg"] is None else f"{t['value_deg']:.0f}°"
        state = "counted" if t["counted"] else ("valid, extra" if t["valid"] else "not valid")
        why = f" ({'; '.join(t['reasons'])})" if t["reasons"] else ""
        lines.append(
            f"  trial {t['attempt']} {t['side']:5s} at {t['top_s']:.1f} s: {v} {state}{why}"
        )
    for side, r in a["sides"].items():
        if r["mean_deg"] is None:
            lines.append(f"  {side}: no valid trial")
            continue
        sd = f", SD {r['sd_deg']:.1f}°" if r["sd_deg"] is not None else ""
        interp = r["interpretation"]
        lines.append(
            f"  {side}: best {r['best_deg']:.0f}°, mean {r['mean_deg']:.0f}° of {r['trials']} "
            f"trial(s){sd}: {interp['label'] if interp else '-'}"
        )
        if interp:
            lines.append(f"    {interp['text']} [{interp['source']}]")
    if a["side_difference"]:
        lines.append(f"  {a['side_difference']['text']}")
    lines.append(f"  note: {a['disclaimer']}")
    return lines


def write_outputs(
    report: dict[str, Any], paths: dict[str, Path], args: argparse.Namespace
) -> list[str]:
    from formcheck.report.assessment import write_assessment_csv, write_assessment_html
    from formcheck.report.schema import write_json

    write_json(report, paths["json"])
    written = [str(paths["json"])]
    if not args.no_html:
        write_assessment_html(report, paths["html"])
        written.append(str(paths["html"]))
    if not args.no_csv:
        write_assessment_csv(report, paths["csv"])
        written.append(str(paths["csv"]))
    lines = ["  report: " + ", ".join(written)]
    if not args.no_history:
        from formcheck.history import store as history
        from formcheck.history.assess import store_assessment

        db = args.db or history.default_db_path()
        n = store_assessment(db, report, report_path=str(paths["json"]))
        lines.append(f"  history: {n} result(s) added to {db}")
    return lines


def run(args: argparse.Namespace) -> int:
    from formcheck.assess.protocol import Assessment, sides_for
    from formcheck.commands.analyze import install_sigterm
    from formcheck.config import apply_cli, load_settings
    from formcheck.io.atomic import check_writable

    sources = [x for x in (args.video, args.source) if x] + (
        [] if args.camera is None else [f"camera {args.camera}"]
    )
    if len(sources) != 1:
        found = ", ".join(sources) or "none"
        raise ConfigError(f"give one of VIDEO, --source FILE or --camera N; found {found}")
    if args.duration is not None and not args.duration > 0:
        raise ConfigError(f"--duration must be above 0 seconds, found {args.duration}")
    if not args.speed > 0:
        raise ConfigError(f"--speed must be above 0, found {args.speed}")
    # only --model reaches the settings: the stretch coach is not forced to a side
    settings = apply_cli(load_settings(args.config), argparse.Namespace(model=args.model))
    for f in (args.video, args.source):
        if f and not Path(f).is_file():
            raise InputError(f"no such video: {f}")
    stem = Path(args.video or args.source or "camera").stem
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = output_paths(
        args, f"{stem}-{args.test}" if args.video else f"assess-{args.test}-{stamp}"
    )
    for path in paths.values():
        check_writable(path)
    assessment = Assessment(args.test, sides_for(args.side))
    install_sigterm()

    def say(line: str) -> None:
        print(line, flush=True)

    if args.video:
        from formcheck.live.assess import run_assess_file

        report = run_assess_file(args.video, settings, assessment, on_line=say)
    else:
        report = _run_live(args, settings, assessment, say)
    lines = [f"{report['source']['path']}: {args.test.upper()} assessment"]
    lines += result_lines(report)
    # the stretch coach's judgements (holds that did not start) say nothing about a test
    coach_notes = set(report.get("summary", {}).get("messages") or [])
    lines += [f"  note: {n}" for n in report.get("notes", []) if n not in coach_notes]
    lines += write_outputs(report, paths, args)
    print("\n".join(lines))
    return 130 if report["session"].get("interrupted") else 0


def _run_live(args: argparse.Namespace, settings: Any, assessment: Any, say: Any) -> Any:
    from formcheck.live.assess import AssessLiveSession
    from formcheck.live.audio import make_audio
    from formcheck.live.session import LiveOptions
    from formcheck.live.window import display_available

    window = not args.no_window
    if window and not display_available():
        log.warning("no display found: running without a window (prompts as lines)")
        window = False
    options = LiveOptions(
        camera=args.camera or 0,
        source=args.source,
        window=window,
        mirror=not args.no_mirror,
        duration_s=args.duration,
        speed=args.speed,
    )
    session = AssessLiveSession(
        settings,
        assessment,
        options,
        audio=make_audio(args.mute),
        on_line=None if window else say,
    )
    return session.run()
