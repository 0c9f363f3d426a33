"""``formcheck live [--camera N | --source VIDEO] [--plan PLAN.toml] ...``: live coaching.

A window (or, with ``--no-window`` or without a display, log lines) coaches one session from a
webcam or from a video played as a stand-in camera at real-time pace; when it ends (q / Esc,
closing the window, ``--duration``, Ctrl-C, SIGTERM, end of the video) the report is written
like ``formcheck analyze``'s (JSON, HTML, CSV, history).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from datetime import datetime
from pathlib import Path

from formcheck.commands.analyze import add_common_options, add_output_options
from formcheck.errors import ConfigError

#: live mode's default PoseOptions.max_width: the model sees at most 640 pixels across
LIVE_INFERENCE_WIDTH = 640

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "live",
        help="coach a stretch live from a webcam (or a video as a stand-in camera)",
        description="Live coaching from a webcam: skeleton, knee and hip angles, back rounding, "
        "a large hold timer and one prompt at a time; optionally a guided session from a plan. "
        "Keys: q/Esc quit, space pause, n next step, s switch side, r restart the hold, "
        "c skip the stand-tall step, d debug overlay, f fullscreen, m mute. "
        "The report is written when the session ends.",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=0, metavar="N", help="webcam index (default 0)")
    src.add_argument(
        "--source",
        metavar="VIDEO",
        help="play a video file as a stand-in camera, at real-time pace (frames are dropped "
        "when processing falls behind)",
    )
    p.add_argument(
        "--plan", metavar="PLAN.toml", help="guided session (see docs/plan.example.toml)"
    )
    p.add_argument("--mute", action="store_true", help="no tones, no spoken prompts")
    p.add_argument("--no-window", action="store_true", help="no window: prompts as log lines")
    p.add_argument("--no-mirror", action="store_true", help="do not mirror the view")
    p.add_argument("--debug", action="store_true", help="show fps, latency and dropped frames")
    add_output_options(p, json_help="JSON report path (default: DIR/live-TIME.json)")
    p.add_argument(
        "--no-adapt",
        action="store_true",
        help="keep the model even when the computer is too slow for it (by default, when "
        "--model is not given, a slow computer switches to the lite model, and back when quiet)",
    )
    p.add_argument(
        "--no-inference-thread",
        action="store_true",
        help="run the pose model in the display loop instead of a thread of its own (by "
        "default it finds the next frame's pose while this one is drawn)",
    )
    p.add_argument(
        "--inference-width",
        type=int,
        metavar="PX",
        help="the pose model sees the camera picture scaled to at most PX wide (default 640; "
        "0: the full picture). Saves a fifth of a frame's time at 1280x720 (docs/speed.md)",
    )
    p.add_argument(
        "--no-calibrate",
        action="store_true",
        help="leave out the stand-tall step that measures your neutral back before the first "
        "stretch (key c skips it)",
    )
    p.add_argument("--duration", type=float, metavar="S", help="end the session after S seconds")
    p.add_argument(
        "--screenshot",
        metavar="PATH",
        help="save the displayed picture to PATH (after --screenshot-after seconds)",
    )
    p.add_argument(
        "--screenshot-after", type=float, default=2.0, metavar="S", help=argparse.SUPPRESS
    )
    p.add_argument("--screenshot-hold", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--speed", type=float, default=1.0, help=argparse.SUPPRESS)
    add_common_options(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from formcheck.commands.analyze import (
        install_sigterm,
        kept_files,
        report_files,
        summary_lines,
        write_outputs,
    )
    from formcheck.config import apply_cli, load_settings
    from formcheck.io.atomic import check_writable
    from formcheck.io.paths import refuse_overwrites
    from formcheck.live.audio import make_audio
    from formcheck.live.plan import apply_cli_to_plan, default_plan, load_plan
    from formcheck.live.session import LiveOptions, run_live
    from formcheck.live.window import display_available

    settings = apply_cli(load_settings(args.config), args)
    if args.duration is not None and not args.duration > 0:
        raise ConfigError(f"--duration must be above 0 seconds, found {args.duration}")
    if not args.speed > 0:
        raise ConfigError(f"--speed must be above 0, found {args.speed}")
    catalogue = settings.catalogue()
    if args.plan:
        plan = apply_cli_to_plan(load_plan(args.plan, catalogue), args.stretch, args.side)
    else:
        plan = default_plan(args.stretch, args.side, catalogue)
    if args.inference_width is not None and args.inference_width < 0:
        raise ConfigError(f"--inference-width must be 0 or more, found {args.inference_width}")
    if args.inference_width is not None or settings.pose.max_width == 0:
        width = LIVE_INFERENCE_WIDTH if args.inference_width is None else args.inference_width
        settings.pose = dataclasses.replace(settings.pose, max_width=width)
    if plan.stretch is not None and settings.coach.stretch is None:
        settings.coach = dataclasses.replace(settings.coach, stretch=plan.stretch)
    window = not args.no_window
    if window and not display_available():
        log.warning("no display found: running without a window (prompts as lines)")
        window = False
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path = Path(args.json) if args.json else Path(args.out) / f"live-{stamp}.json"
    base = json_path.with_suffix("")
    paths = {"json": json_path, "html": base.with_suffix(".html"), "csv": base.with_suffix(".csv")}
    written, read = kept_files(args)
    refuse_overwrites(
        [*report_files(paths, args), ("--screenshot", args.screenshot), *written],
        [("the input", args.source), ("the plan", args.plan), *read],
    )
    for path in paths.values():
        check_writable(path)
    if not args.no_history:  # the person's saved neutral back (formcheck/metrics/backref.py)
        from formcheck.history.backref import saved_back_reference

        settings.back_reference = saved_back_reference(args.db)
    options = LiveOptions(
        camera=args.camera,
        source=args.source,
        window=window,
        mirror=not args.no_mirror,
        debug=args.debug,
        duration_s=args.duration,
        screenshot=args.screenshot,
        screenshot_after_s=args.screenshot_after,
        screenshot_hold=args.screenshot_hold,
        speed=args.speed,
        # the model was not chosen (flag or settings file): adapt it to the computer's speed
        adapt=not args.no_adapt and not args.model and settings.pose.model == "full",
        calibrate=not args.no_calibrate,
        threaded=not args.no_inference_thread,
    )
    install_sigterm()
    report = run_live(
        settings,
        plan,
        options,
        audio=make_audio(args.mute),
        on_line=None if window else (lambda line: print(line, flush=True)),
    )
    live = report["live"]
    lat = live["latency_ms"]
    lines = [f"live session ({report['source']['path']}): {live['wall_s']:.1f} s"]
    lines += summary_lines(report)[1:]
    lines.insert(
        1,
        f"  live: {live['frames_processed']} of {live['frames_captured']} frames processed "
        f"({live['fps_processed'] or 0:.1f} fps), {live['frames_dropped']} dropped, latency "
        f"p50 {lat['p50']} ms, p95 {lat['p95']} ms; ended: {report['session']['end_reason']}",
    )
    lines += write_outputs(report, paths, args)
    if not getattr(args, "quiet", False):  # -q: the session's prompts only, no summary
        print("\n".join(lines))
    return 130 if report["session"].get("interrupted") else 0
