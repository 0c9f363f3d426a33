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

from formcheck import __version__
from formcheck.errors import FormcheckError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = ("analyze", "live", "report", "history", "models", "render")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``formcheck`` parser with every subcommand of :data:`COMMANDS` registered."""
    parser = argparse.ArgumentParser(
        prog="formcheck",
        description="Check the form of hamstring stretches from a webcam, a video or a photo.",
    )
    parser.add_argument("--version", action="version", version=f"formcheck {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"formcheck.commands.{name}").register(sub)
    return parser


def entry() -> int:
    """The ``formcheck`` program (console script and ``python -m formcheck``).

    Unlike :func:`main`, which tests and other Python code call in-process, it silences native
    log lines on file descriptor 2 for the whole run (``-v`` shows them; see
    :mod:`formcheck.io.native_logs`).
    """
    return main(quiet_native=True)


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
    if quiet_native:
        from formcheck.io.native_logs import silence_native_stderr

        silence_native_stderr(show=args.verbose > 0)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except FormcheckError as err:
        print(f"formcheck: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
