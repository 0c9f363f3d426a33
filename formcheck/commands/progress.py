"""Progress bars on stderr (tqdm): frames of one file (``analyze``) and files of a batch.

A bar is shown only when stderr is a terminal and neither ``--no-progress`` nor ``-q/--quiet``
was given (:func:`progress_enabled`); otherwise nothing is written, so logs and pipes stay clean.
Both bars are callables with ``end()``, the interface ``analyze`` and ``batch`` call.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO


def bar_size(stream: TextIO | None = None) -> dict[str, int]:
    """tqdm's ``ncols`` and ``nrows``: the terminal's size, or 80 x 24 where it reports none.

    A pty whose size was never set reports 0 x 0; tqdm then draws a zero-width bar and, with
    ``nrows`` = -1, no bar at all.
    """
    import os

    try:
        columns, rows = os.get_terminal_size((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):
        columns, rows = 0, 0
    return {"ncols": columns if columns > 0 else 80, "nrows": rows if rows > 0 else 24}


def progress_enabled(args: argparse.Namespace, *, tty: bool | None = None) -> bool:
    """Whether to draw a bar: stderr is a terminal (``tty``, default: ask it), no
    ``--no-progress`` and no ``-q/--quiet``."""
    if tty is None:
        tty = sys.stderr.isatty()
    quiet = getattr(args, "quiet", False) or getattr(args, "no_progress", False)
    return bool(tty) and not quiet


class FramesProgress:
    """``NAME  42%|#####     | 126/300 [00:04<00:05, 31.2 frame/s]`` for one file.

    Call it with a :class:`formcheck.pipeline.Progress` (``done``, ``total`` frames; a total of
    0 or None: a counter without a bar); ``end()`` closes the bar.
    """

    def __init__(self, name: str, enabled: bool, stream: TextIO | None = None) -> None:
        self.name = name
        self.enabled = enabled
        self.stream = stream
        self._bar: Any = None

    def __call__(self, pr: Any) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=pr.total or None,
                desc=self.name,
                unit="frame",
                file=self.stream or sys.stderr,
                leave=True,
                **bar_size(self.stream),
            )
        step = pr.done - self._bar.n
        if step > 0:
            self._bar.update(step)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class FilesProgress:
    """``batch  75%|#######   | 3/4 files, 1 error [00:12<00:04]`` for a batch of files.

    Call it with ``(done, total, errors)``; ``end()`` closes the bar (a newline ends it).
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream
        self._bar: Any = None

    def __call__(self, done: int, total: int, errors: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc="batch",
                unit="file",
                file=self.stream or sys.stderr,
                leave=True,
                mininterval=0,
                **bar_size(self.stream),
                bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} files{postfix}"
                " [{elapsed}<{remaining}]",
            )
        self._bar.total = total
        if errors:
            self._bar.set_postfix_str(f"{errors} error{'s' if errors != 1 else ''}", refresh=False)
        self._bar.update(done - self._bar.n)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
