"""Many files on Dask distributed: ``formcheck batch INPUTS... --out DIR`` (docs/batch.md).

Each input file is one Dask task. By default the cluster is embedded (a local scheduler and
worker processes on this machine, loopback only); ``--scheduler`` uses a running cluster.

- :mod:`formcheck.batch.jobs`: what one task is (:class:`Job`), what comes back
  (:class:`FileResult`), deterministic output names; no Dask here.
- :mod:`formcheck.batch.task`: the worker side: the model provisioned once per worker
  (:class:`ProvisionModel`), :func:`process_file` (analyse, write the report atomically).
- :mod:`formcheck.batch.runner`: the client side: the cluster, submission with retries, progress,
  the history (updated by the client only, each file once).

Importing this package does not import Dask; :mod:`~formcheck.batch.task` and
:mod:`~formcheck.batch.runner` do.
"""

from __future__ import annotations

from formcheck.batch.jobs import FileResult, Job, make_jobs, output_names

__all__ = ["FileResult", "Job", "make_jobs", "output_names"]
