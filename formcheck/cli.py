"""The ``formcheck`` command line.

Each subcommand lives in ``formcheck/commands/NAME.py`` and exposes
``register(subparsers) -> argparse.ArgumentParser`` (which sets ``func`` on the parser via
``set_defaults(func=run)``) and ``run(args) -> int``. Heavy imports (mediapipe, cv2) happen inside
``run`` so that ``formcheck --help`` is instant.

User errors (:class:`formcheck.errors.FormcheckError`) become one line on stderr and exit code 2;
Ctrl-C becomes exit code 130 after the command has saved what it measured.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Any

from formcheck import __version__
from formcheck.errors import ConfigError, FormcheckError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = (
    "analyze",
    "batch",
    "live",
    "assess",
    "stretches",
    "report",
    "history",
    "models",
    "paths",
    "render",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``formcheck`` parser with every subcommand of :data:`COMMANDS` registered."""
    parser = argparse.ArgumentParser(
        prog="formcheck",
        description="Check the form of hamstring stretches from a webcam, a video or a photo.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and paths")
    _add_verbosity(parser, "")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"formcheck.commands.{name}").register(sub)
    for subparser in dict.fromkeys(sub.choices.values()):  # -q/-v after the subcommand too
        _add_verbosity(subparser, "sub_")
    return parser


def _add_verbosity(p: argparse.ArgumentParser, prefix: str) -> None:
    """``-v/--verbose`` (count) and ``-q/--quiet`` into ``PREFIXverbose`` / ``PREFIXquiet``."""
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        dest=f"{prefix}verbose",
        help="more log output (-vv: debug)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        dest=f"{prefix}quiet",
        help="warnings and errors only: no progress bar, no summary",
    )


def combine_verbosity(args: argparse.Namespace) -> None:
    """Merge ``-q``/``-v`` given before and after the subcommand into ``args.quiet`` and
    ``args.verbose`` (raises :class:`~formcheck.errors.ConfigError` when both are given)."""
    args.verbose = getattr(args, "verbose", 0) + getattr(args, "sub_verbose", 0)
    args.quiet = bool(getattr(args, "quiet", False) or getattr(args, "sub_quiet", False))
    if args.quiet and args.verbose:
        raise ConfigError("-q/--quiet and -v/--verbose exclude each other: give one of them")


class _VersionAction(argparse.Action):
    """``--version``: the version, then where formcheck keeps its data (``formcheck paths``)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("nargs", 0)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from formcheck.commands.paths import path_lines

        print("\n".join([f"formcheck {__version__}", *path_lines()]))
        parser.exit()


def entry() -> int:
    """The ``formcheck`` program (console script and ``python -m formcheck``).

    Unlike :func:`main`, which tests and other Python code call in-process, it silences native
    log lines on file descriptor 2 for the whole run (``-v`` shows them; see
    :mod:`formcheck.io.native_logs`), and once the command has saved its work, a Ctrl-C during
    Python's shutdown ends the process at once instead of printing a traceback.
    """
    code = main(quiet_native=True)
    from formcheck.io.signals import exit_quietly_on_interrupt

    exit_quietly_on_interrupt(code)
    return code


def main(argv: list[str] | None = None, *, quiet_native: bool = False) -> int:
    """Run ``formcheck ARGV`` in this process and return its exit code.

    Parameters
    ----------
    argv
        The arguments after the program name (default: ``sys.argv[1:]``).
    quiet_native
        Silence native log lines on file descriptor 2 (see :func:`entry`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        combine_verbosity(args)
    except ConfigError as err:
        parser.error(str(err))
    if quiet_native:
        from formcheck.io.native_logs import silence_native_stderr

        silence_native_stderr(show=args.verbose > 0)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    from formcheck.io.signals import stop_handling

    try:
        # Ctrl-C and SIGTERM stop the command at a safe point and keep what was measured
        with stop_handling():
            return int(func(args) or 0)
    except FormcheckError as err:
        print(f"formcheck: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
