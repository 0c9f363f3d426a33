"""``formcheck render SPEC.toml OUT.mp4``: render a synthetic person doing a stretch.

Writes ``OUT.mp4`` (or a still ``OUT.jpg`` / ``OUT.png``) and ``OUT.truth.json`` beside it.
Needs the ``synth`` extra (see docs/synth.md); imports happen inside :func:`run`.
"""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "render",
        help="render a synthetic person doing a stretch, with its ground truth (synth extra)",
        description=(
            "Render SPEC.toml (see docs/synth.md) to OUT.mp4, or to a still OUT.jpg/OUT.png, and "
            "write OUT.truth.json beside it. Flags override the spec's values."
        ),
    )
    parser.add_argument("spec", metavar="SPEC.toml", help="render spec (TOML)")
    parser.add_argument("out", metavar="OUT.mp4", help="output video (.mp4) or still (.jpg/.png)")
    parser.add_argument("--width", type=int, help="frame width in pixels (spec default 640)")
    parser.add_argument("--height", type=int, help="frame height in pixels (spec default 480)")
    parser.add_argument("--fps", type=float, help="frames per second (spec default 30.0)")
    parser.add_argument(
        "--seed", type=int, help="random seed (with 'variation = true' in the spec: a new person)"
    )
    parser.add_argument(
        "--vary", action="store_true", help="randomise body, clothes, room, light and camera"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from formcheck.errors import ConfigError
    from formcheck.io.paths import refuse_overwrites

    out = Path(args.out)
    refuse_overwrites(
        [("the output", out), ("the truth file", out.with_name(out.stem + ".truth.json"))],
        [("the spec", args.spec)],
    )
    from formcheck.synth.render import render_spec
    from formcheck.synth.spec import load_spec

    for name in ("width", "height"):
        value = getattr(args, name)
        if value is not None and not 16 <= value <= 4096:
            raise ConfigError(f"--{name}: expected 16..4096 pixels, found {value}")
    if args.fps is not None and not 1.0 <= args.fps <= 240.0:
        raise ConfigError(f"--fps: expected 1..240, found {args.fps}")
    raw = load_spec(args.spec)
    if args.vary:
        raw["variation"] = True
    truth = render_spec(
        raw, args.out, width=args.width, height=args.height, fps=args.fps, seed=args.seed
    )
    frames = truth["frames"]
    seen = sum(f["in_frame"] for f in frames)
    print(
        f"{args.out}: {truth['frame_count']} frames, {truth['width']}x{truth['height']} at "
        f"{truth['fps']:g} fps, {truth['stretch']}, {truth['camera']['view']} view, person in "
        f"frame {seen}/{len(frames)}; truth in {truth['video'].rsplit('.', 1)[0]}.truth.json "
        f"({truth['render']['seconds']:.0f} s)"
    )
    return 0
