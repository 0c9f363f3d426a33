"""The client side of a batch: the cluster, the tasks, progress, and the history.

:func:`open_client` gives a Dask client: connected to a running scheduler, or to an embedded
local cluster (worker processes on this machine, loopback only, no dashboard). :func:`run_batch`
submits one task per :class:`~formcheck.batch.jobs.Job`, collects each result once, writes the
reports when the workers do not (``workers_write=False``) and adds every report to the history,
here in the client only (one writer for the SQLite file).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
from distributed import Client, LocalCluster, as_completed

from formcheck.batch.jobs import (
    FileResult,
    Job,
    read_input,
    remove_stale_temps,
    write_report_files,
)
from formcheck.batch.task import PLUGIN_NAME, ProvisionModel, process_file
from formcheck.errors import ConfigError, FormcheckError

log = logging.getLogger(__name__)

#: how often Dask re-runs a task that raised (not a bad file: that is a result, not a raise)
DEFAULT_RETRIES = 2
#: files sent with their tasks (``--send``): how many per worker are read and submitted ahead
SEND_AHEAD = 2
#: how many workers may die running one task before the scheduler gives up on it (Dask's
#: ``distributed.scheduler.allowed-failures``; applies to the embedded cluster)
ALLOWED_FAILURES = 3


@dataclass
class BatchOutcome:
    """Every file's result, in input order, and the run's figures."""

    results: list[FileResult]
    elapsed_s: float
    workers: int
    history_lines: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[FileResult]:
        return [r for r in self.results if not r.ok]

    @property
    def files_per_min(self) -> float:
        return 60.0 * len(self.results) / self.elapsed_s if self.elapsed_s > 0 else 0.0


def default_workers(n_files: int) -> int:
    """Worker processes for the embedded cluster: the usable cores, at most one per file."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_files))


def quiet_dask_logs() -> None:
    """Dask's own log lines only with ``-vv``: its INFO lines (workers starting, stopping, a
    closed connection at shutdown) are not the user's business."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


@contextlib.contextmanager
def open_client(
    *,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    workers: int = 1,
    timeout_s: float = 30.0,
) -> Iterator[Client]:
    """A Dask client: on ``scheduler`` (``tcp://HOST:PORT``), ``scheduler_file``, or embedded.

    The embedded cluster runs ``workers`` worker processes of one thread each on this machine,
    listening on 127.0.0.1 only, without a dashboard. Raises :class:`ConfigError` when a
    scheduler cannot be reached within ``timeout_s`` seconds.
    """
    quiet_dask_logs()
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        if scheduler or scheduler_file:
            where = scheduler or f"the scheduler file {scheduler_file}"
            try:
                client = Client(
                    scheduler,
                    scheduler_file=scheduler_file,
                    timeout=timeout_s,
                    set_as_default=False,
                )
            except (OSError, TimeoutError, ValueError) as err:
                raise ConfigError(f"cannot reach the Dask scheduler at {where}: {err}") from err
            with client:
                try:
                    client.wait_for_workers(1, timeout=timeout_s)
                except TimeoutError as err:
                    raise ConfigError(
                        f"the Dask scheduler at {where} has no worker (waited {timeout_s:.0f} s); "
                        "start one with `dask worker ADDRESS` (docs/batch.md)"
                    ) from err
                yield client
            return
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # Dask's HTTP routes (health, metrics) still listen: on a free loopback port
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
            env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
        )
        with cluster, Client(cluster, set_as_default=False) as client:
            yield client


def _failed(job: Job, err: BaseException) -> FileResult:
    from distributed.scheduler import KilledWorker

    if isinstance(err, KilledWorker):
        msg = (
            "the worker running it died each time it was tried (out of memory, or the file "
            "crashes the decoder); it was not analysed"
        )
    else:
        msg = f"{type(err).__name__}: {err}"
    return FileResult(job.input_path, job.name, ok=False, error=msg)


def run_batch(
    client: Client,
    jobs: Sequence[Job],
    *,
    db: str | os.PathLike[str] | None = None,
    retries: int = DEFAULT_RETRIES,
    on_done: Callable[[int, int, int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    keep_reports: bool = True,
) -> BatchOutcome:
    """Run every job on ``client``'s cluster; returns each file's result once, in input order.

    Parameters
    ----------
    client
        A connected client (:func:`open_client`).
    jobs
        One per file (:func:`~formcheck.batch.jobs.make_jobs`); the pose model is that of the
        first job's settings, provisioned on every worker once.
    db
        The history database to add each report to (None: no history).
    retries
        How often a task that raised runs again (a worker that dies is handled by the
        scheduler: its tasks move to other workers).
    on_done
        Called after each file with ``(done, total, errors)``.
    on_result
        Called once per file, in the order they finish, with its result (report included).
    keep_reports
        False: the results in the outcome drop their reports once ``on_result`` has seen them
        (a long batch does not hold every report in memory).
    """
    t0 = time.perf_counter()
    if jobs:
        client.register_plugin(ProvisionModel(jobs[0].settings.pose.model), name=PLUGIN_NAME)
    run_id = uuid.uuid4().hex[:8]
    results: dict[int, FileResult] = {}
    history_lines: list[str] = []
    errors = 0
    futures: dict[Any, int] = {}
    pending = iter(range(len(jobs)))
    # Files sent with their tasks (``job.send``) are read as they are submitted, a few per
    # worker ahead, so the client never holds every file's bytes; others are submitted at once.
    window = len(jobs)
    if any(j.send for j in jobs):
        window = SEND_AHEAD * max(1, len(client.scheduler_info().get("workers", {})))
    done = as_completed(loop=client.loop)

    def record(i: int, res: FileResult) -> None:
        nonlocal errors
        res = _finish(jobs[i], res, db, history_lines)
        if on_result is not None:
            on_result(res)
        results[i] = res if keep_reports else dataclasses.replace(res, report=None)
        errors += not res.ok
        if on_done is not None:
            on_done(len(results), len(jobs), errors)

    def submit_next() -> bool:
        """Submit the next job (a file that cannot be read to send is its own result)."""
        for i in pending:
            job = jobs[i]
            try:
                data = read_input(job) if job.send else None
            except FormcheckError as err:
                record(i, FileResult(job.input_path, job.name, ok=False, error=str(err)))
                continue
            key = f"formcheck-{job.name}-{run_id}"
            fut = client.submit(process_file, job, data, key=key, retries=retries, pure=False)
            futures[fut] = i
            done.add(fut)
            return True
        return False

    try:
        for _ in range(window):
            if not submit_next():
                break
        for fut in done:
            i = futures[fut]
            if i in results:  # pragma: no cover - as_completed yields each future once
                continue
            try:
                res: FileResult = fut.result()
            except Exception as err:  # the task raised after its retries, or its workers died
                res = _failed(jobs[i], err)
            record(i, res)
            fut.release()
            submit_next()
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        remove_stale_temps(jobs)
    n_workers = len(client.scheduler_info().get("workers", {}))
    return BatchOutcome(
        [results[i] for i in range(len(jobs))], time.perf_counter() - t0, n_workers, history_lines
    )


def _finish(
    job: Job, res: FileResult, db: str | os.PathLike[str] | None, history_lines: list[str]
) -> FileResult:
    """In the client, once per file: write the report (if the worker did not), add to history."""
    report = res.report
    if not res.ok or report is None:
        return res
    paths = job.paths()
    if not job.workers_write:
        try:
            written = write_report_files(report, paths)
        except FormcheckError as err:
            return FileResult(job.input_path, job.name, ok=False, error=str(err), worker=res.worker)
        res = dataclasses.replace(res, written=written)
    if db is not None:
        from formcheck.history import store as history

        skip = history.not_kept_reason(report)
        if skip:
            history_lines.append(f"  history: {job.name} not added ({skip})")
            return res
        try:
            sid, created = history.import_report(db, report, report_path=str(paths["json"]))
        except FormcheckError as err:
            history_lines.append(f"  history: {job.name} not added: {err}")
        else:
            verb = "added to" if created else "already in"
            history_lines.append(f"  history: {job.name}: session {sid} {verb} {db}")
    return res


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Fail before any analysis when the output folder cannot be written (client side)."""
    from formcheck.io.atomic import check_writable

    out = Path(out_dir)
    check_writable(out / ".formcheck-batch-probe")
    return out
