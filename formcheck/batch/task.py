"""The worker side of a batch: the model provisioned once per worker, one file per task.

A task never raises for a file that cannot be analysed (a :class:`FormcheckError`): it returns a
:class:`FileResult` with the error, so one bad file does not stop the batch and is not retried.
Anything else (a bug, a full disk) raises, and Dask retries the task (``retries=``); a worker
that dies has its running tasks moved to another worker by the scheduler.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from formcheck.batch.jobs import FileResult, Job, write_report_files
from formcheck.config import Settings
from formcheck.errors import FormcheckError

log = logging.getLogger(__name__)

#: the name the plugin is registered under (registering it again replaces it)
PLUGIN_NAME = "formcheck-model"


@functools.lru_cache(maxsize=8)
def provisioned_model(spec: str) -> str:
    """The verified path of pose model ``spec`` in this process, provisioned on first use.

    ``spec`` is ``lite``, ``full``, ``heavy`` or a ``.task`` path. The first call fetches or
    builds a named model that is not there yet and verifies it; later calls are free. A failure
    (:class:`formcheck.errors.ModelError`) is not cached: the next call tries again.
    """
    from formcheck.pose.models import resolve_model

    return str(resolve_model(spec))


class ProvisionModel(WorkerPlugin):
    """Provision the pose model when a worker starts (and on every worker that joins later).

    A failure is logged on the worker and not raised (a worker that cannot start helps
    nobody): the tasks then report it per file, in one line that says how to fix it.
    """

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def setup(self, worker: Any) -> None:
        try:
            path = provisioned_model(self.spec)
        except FormcheckError as err:
            log.error("formcheck: pose model %s not ready on %s: %s", self.spec, worker, err)
        else:
            log.info("formcheck: pose model %s ready on %s", path, worker)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except ValueError:  # not in a Dask worker (called directly, e.g. by a test)
        return ""


def with_model(settings: Settings, model_path: str) -> Settings:
    """``settings`` with the pose model replaced by the verified file ``model_path``."""
    return dataclasses.replace(settings, pose=dataclasses.replace(settings.pose, model=model_path))


def process_file(job: Job, data: bytes | None = None) -> FileResult:
    """Analyse one file; write its report atomically (``job.workers_write``); return the result.

    ``data``: the file's bytes, sent by the client (``job.send``): the worker analyses a
    private temporary copy under the input's own name, deleted afterwards, and the report
    names the client's path.

    The report files have deterministic names (``job.name``) and are each renamed into place
    (:mod:`formcheck.io.atomic`), the JSON last: a task that runs twice leaves one complete
    report, never two and never half of one.
    """
    from formcheck.pipeline import analyze

    t0 = time.perf_counter()
    worker = _worker_address()
    copy: Path | None = None
    try:
        settings = with_model(job.settings, provisioned_model(job.settings.pose.model))
        if data is None:
            report = analyze(job.input_path, settings)
        else:
            with tempfile.TemporaryDirectory(prefix="formcheck-batch-") as tmp:
                copy = Path(tmp) / Path(job.input_path).name
                copy.write_bytes(data)
                report = analyze(copy, settings)
            report["source"]["path"] = job.input_path
            report["source"]["sent_to_worker"] = True
        written = write_report_files(report, job.paths()) if job.workers_write else ()
    except FormcheckError as err:
        text = str(err) if copy is None else str(err).replace(str(copy), job.input_path)
        return FileResult(
            job.input_path,
            job.name,
            ok=False,
            error=text,
            worker=worker,
            elapsed_s=time.perf_counter() - t0,
        )
    return FileResult(
        job.input_path,
        job.name,
        ok=True,
        report=report,
        written=written,
        worker=worker,
        elapsed_s=time.perf_counter() - t0,
    )
