"""``formcheck batch INPUT... --out DIR [--scheduler tcp://HOST:PORT]``: many files on Dask.

Each file is a Dask task (docs/batch.md). Without ``--scheduler`` the cluster is embedded: worker
processes on this machine, no server to start. Reports are written atomically to ``--out`` by the
workers (``--collect``: returned to this client, which writes them); the history is updated here
only. A file that cannot be analysed is listed at the end and the exit code is 2; the others are
analysed all the same.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from formcheck.commands.analyze import add_common_options
from formcheck.errors import ConfigError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "batch",
        help="analyse many files on a Dask cluster (embedded by default)",
        description="Analyse many videos or photos, one Dask task per file: on an embedded "
        "local cluster by default, or on a running Dask cluster (--scheduler). Needs the "
        "'batch' extra (Dask distributed); see docs/batch.md.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="videos or photos")
    p.add_argument(
        "--out", metavar="DIR", default="reports", help="output folder (default: reports)"
    )
    p.add_argument("--no-html", action="store_true", help="skip the HTML reports")
    p.add_argument("--no-csv", action="store_true", help="skip the per-frame CSVs")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://HOST:8786"
    )
    where.add_argument(
        "--scheduler-file", metavar="JSON", help="the scheduler file `dask scheduler` wrote"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="embedded cluster: N worker processes (default: the cores, at most one per file)",
    )
    p.add_argument(
        "--collect",
        action="store_true",
        help="workers return the reports and this client writes them (for workers that do "
        "not share the output folder)",
    )
    p.add_argument(
        "--send",
        action="store_true",
        help="this client reads each input and sends its bytes with the task (for workers "
        "that do not see the input folder; a few files per worker at a time, up to 1 GB each)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=None,
        metavar="N",
        help="run a task that failed unexpectedly up to N more times (default: 2)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress line")
    add_common_options(p)
    p.set_defaults(func=run)
    return p


class FilesProgress:
    """``batch [#####-----] 3/10 files, 1 error`` on stderr, rewritten in place; silent when off."""

    def __init__(self, enabled: bool, stream: Any = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._shown = False

    def __call__(self, done: int, total: int, errors: int) -> None:
        if not self.enabled or total <= 0:
            return
        width = 25
        full = width * done // total
        bar = "#" * full + "-" * (width - full)
        err = f", {errors} error{'s' if errors != 1 else ''}" if errors else ""
        self.stream.write(f"\rbatch [{bar}] {done}/{total} files{err}")
        self.stream.flush()
        self._shown = True

    def end(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    try:
        from formcheck.batch import runner
    except ImportError as err:
        raise ConfigError(
            f"formcheck batch needs Dask distributed ({err}); install it with "
            "`pip install 'formcheck[batch]'` (make setup includes it)"
        ) from err
    from formcheck.batch.jobs import FileResult, make_jobs
    from formcheck.commands.analyze import summary_lines
    from formcheck.config import apply_cli, load_settings

    settings = apply_cli(load_settings(args.config), args)
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be 1 or more, found {args.workers}")
    if args.workers is not None and (args.scheduler or args.scheduler_file):
        raise ConfigError(
            "--workers sets the embedded cluster's size; a running cluster has its own"
        )
    retries = runner.DEFAULT_RETRIES if args.retries is None else args.retries
    if retries < 0:
        raise ConfigError(f"--retries must be 0 or more, found {retries}")
    embedded = not (args.scheduler or args.scheduler_file)
    if embedded or args.collect:
        runner.check_out_dir(args.out)
    jobs = make_jobs(
        args.inputs,
        args.out,
        settings,
        html=not args.no_html,
        csv=not args.no_csv,
        workers_write=not args.collect,
        send=args.send,
    )
    db = None
    if not args.no_history:
        from formcheck.history import store as history

        db = args.db or history.default_db_path()
    from formcheck.commands import progress  # tqdm; silent off a terminal and with -q

    bar = progress.FilesProgress(progress.progress_enabled(args))
    summaries: dict[str, list[str]] = {}

    def summarize(res: FileResult) -> None:
        if res.ok and res.report is not None:
            summaries[res.input_path] = [
                *summary_lines(res.report),
                "  report: " + ", ".join(res.written),
            ]

    with runner.open_client(
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
        workers=args.workers or runner.default_workers(len(jobs)),
    ) as client:
        try:
            outcome = runner.run_batch(
                client,
                jobs,
                db=db,
                retries=retries,
                on_done=bar,
                on_result=summarize,
                keep_reports=False,
            )
        finally:
            bar.end()
    quiet = getattr(args, "quiet", False)  # -q: errors only
    for res in outcome.results:  # in input order
        if res.input_path in summaries and not quiet:
            print("\n".join(summaries[res.input_path]))
    for line in outcome.history_lines if not quiet else ():
        print(line)
    for res in outcome.errors:
        print(f"formcheck: error: {res.input_path}: {res.error}", file=sys.stderr)
    n_ok = len(outcome.results) - len(outcome.errors)
    if quiet:
        return 2 if outcome.errors else 0
    print(
        f"batch: {n_ok} of {len(outcome.results)} files analysed in {outcome.elapsed_s:.1f} s "
        f"({outcome.files_per_min:.1f} files/min) on {outcome.workers} worker(s)"
        + (f"; {len(outcome.errors)} failed (listed above)" if outcome.errors else ""),
        file=sys.stderr,
    )
    return 2 if outcome.errors else 0
