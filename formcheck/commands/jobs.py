"""``formcheck analyze A B C --jobs N``: N files at a time, each in a process of its own.

Not a subcommand (``cli.COMMANDS`` lists those): the runner behind ``analyze --jobs``.

One process per file, at most N at a time. A file that kills its process (a native crash, the
out-of-memory killer) is named, counted as an error (exit code 2) and the other files go on:
a process pool cannot do that (one dead worker breaks the whole pool, and which file killed
it is unknown). Ctrl-C or SIGTERM stops the batch promptly: no new file starts, the running ones
get SIGTERM, stop after their current frame and write the report of what they measured
(``session.interrupted``); the exit code is then 130.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from formcheck.io.signals import deferred_interrupts, install_stop_handlers, interrupt_pending

log = logging.getLogger(__name__)

#: a file's work in its process: ``work(path) -> (exit code, lines to print)``
Work = Callable[[str], tuple[int, list[str]]]

#: how long stopped files may take to save what they measured before they are killed, seconds
STOP_GRACE_S = 60.0


@dataclass
class _Running:
    path: str
    process: Any  # multiprocessing.Process (of the context in use)
    conn: multiprocessing.connection.Connection
    result: tuple[int, list[str]] | None = None


def _context() -> Any:
    # fork where there is one: the child starts at once, with the settings already loaded
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _child(conn: multiprocessing.connection.Connection, path: str, work: Work) -> None:
    install_stop_handlers(quiet=True)  # the parent tells the user about a stop
    try:
        result = work(path)
    except KeyboardInterrupt:
        result = (130, [f"{path}: interrupted"])
    except Exception as err:  # a bug: name the file, never a traceback
        log.debug("analysing %s failed", path, exc_info=True)
        result = (2, [f"formcheck: error: {path}: {type(err).__name__}: {err}"])
    conn.send(result)
    conn.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by {name}"
    return f"exit code {exitcode}"


def _finish(job: _Running) -> tuple[int, list[str]]:
    """The file's result, or a line naming it when its process died without one."""
    if job.result is None and job.conn.poll():
        try:
            job.result = job.conn.recv()
        except (EOFError, OSError):
            job.result = None
    job.process.join()
    job.conn.close()
    if job.result is not None:
        return job.result
    why = _death(job.process.exitcode)
    return 2, [
        f"formcheck: error: {job.path}: the analysis crashed ({why}); nothing was measured "
        "(the other files go on)"
    ]


def run_jobs(paths: list[str], work: Work, jobs: int) -> int:
    """Run ``work`` on every path, ``jobs`` processes at a time; the worst exit code.

    Each finished file's lines are printed as it ends (stdout, or stderr for an error). A stop
    signal stops the batch (see the module docstring) and makes the exit code 130.
    """
    ctx = _context()
    waiting = list(paths)
    running: list[_Running] = []
    worst, stopped_at = 0, None
    # signals are polled here, never raised: a process is never left half started or unwatched
    with deferred_interrupts(reraise=False) as held:
        while waiting or running:
            if interrupt_pending() and stopped_at is None:
                stopped_at = time.monotonic()
                waiting.clear()
                print(
                    "formcheck: stopping: the files being analysed save what they measured",
                    file=sys.stderr,
                    flush=True,
                )
                for job in running:
                    job.process.terminate()  # SIGTERM: the analysis stops after its frame
            while waiting and len(running) < jobs:
                path = waiting.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(send, path, work), daemon=True)
                proc.start()
                send.close()
                running.append(_Running(path, proc, recv))
            if stopped_at is not None and time.monotonic() - stopped_at > STOP_GRACE_S:
                for job in running:
                    log.warning("%s did not stop in %.0f s; killed", job.path, STOP_GRACE_S)
                    job.process.kill()
            handles = [j.conn for j in running] + [j.process.sentinel for j in running]
            ready = multiprocessing.connection.wait(handles, timeout=0.2)
            for job in list(running):
                if job.conn in ready and job.result is None:
                    # EOF: died without a result, which _finish tells
                    with contextlib.suppress(EOFError, OSError):
                        job.result = job.conn.recv()
                if job.process.sentinel in ready or (
                    job.result is not None and not job.process.is_alive()
                ):
                    running.remove(job)
                    code, lines = _finish(job)
                    worst = max(worst, code)
                    if lines:
                        print("\n".join(lines), file=sys.stderr if code == 2 else sys.stdout)
    if stopped_at is not None or held.signals:
        return 130
    return worst
