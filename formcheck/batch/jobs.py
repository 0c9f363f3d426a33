"""What one batch task is, what comes back, and where its report goes (no Dask here).

Output names are decided by the client before anything runs, from the inputs alone, so a task
that runs twice (its worker died, Dask ran it again elsewhere) writes the same files again and
the output folder ends with exactly one report per input.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.config import Settings


@dataclass(frozen=True)
class Job:
    """One input file: one Dask task.

    Attributes
    ----------
    input_path
        The video or photo, as the workers see it (an absolute path on a shared folder).
    name
        The report's file name without suffix (unique within the batch, see :func:`output_names`).
    out_dir
        The output folder.
    settings
        The analysis settings (defaults < TOML < flags), the same for every file.
    html, csv
        Write the HTML page and the per-frame CSV beside the JSON.
    workers_write
        True: the worker writes the report files (a folder the workers share); False: the
        worker only returns the report and the client writes it.
    send
        True: the client reads the file and sends its bytes with the task (workers that do
        not see the input folder); False: the workers open ``input_path`` themselves.
    """

    input_path: str
    name: str
    out_dir: str
    settings: Settings
    html: bool = True
    csv: bool = True
    workers_write: bool = True
    send: bool = False

    def paths(self) -> dict[str, Path]:
        """The report files of this job: ``json`` always, ``html`` and ``csv`` when asked."""
        return report_paths(Path(self.out_dir), self.name, html=self.html, csv=self.csv)


@dataclass(frozen=True)
class FileResult:
    """What a task sends back to the client.

    ``report`` is the whole report (the client adds it to the history); ``error`` is one line
    when the file could not be analysed (``ok`` is then false and ``report`` None);
    ``written`` lists the files the worker wrote; ``worker`` is the worker's address.
    """

    input_path: str
    name: str
    ok: bool
    report: dict[str, Any] | None = None
    error: str | None = None
    written: tuple[str, ...] = ()
    worker: str = ""
    elapsed_s: float = 0.0


def report_paths(out_dir: Path, name: str, *, html: bool, csv: bool) -> dict[str, Path]:
    """``{kind: path}`` of one report: ``json``, and ``html`` / ``csv`` when asked."""
    paths = {"json": out_dir / f"{name}.json"}
    if html:
        paths["html"] = out_dir / f"{name}.html"
    if csv:
        paths["csv"] = out_dir / f"{name}.csv"
    return paths


def output_names(inputs: Sequence[str]) -> list[str]:
    """A report name per input: its stem, or ``stem-HASH`` where two inputs share a stem.

    ``HASH`` is 8 hex digits of the SHA-1 of the input's absolute path, so the name depends on
    the input alone (not on the order or the run).
    """
    stems = [Path(p).stem or "report" for p in inputs]
    counts: dict[str, int] = {}
    for s in stems:
        counts[s] = counts.get(s, 0) + 1
    names = []
    for path, stem in zip(inputs, stems, strict=True):
        if counts[stem] > 1:
            digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:8]
            stem = f"{stem}-{digest}"
        names.append(stem)
    return names


def unique_inputs(inputs: Iterable[str]) -> list[str]:
    """The inputs in order, each file once (the same file named twice is analysed once)."""
    seen: set[str] = set()
    out = []
    for p in inputs:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def make_jobs(
    inputs: Iterable[str],
    out_dir: str | os.PathLike[str],
    settings: Settings,
    *,
    html: bool = True,
    csv: bool = True,
    workers_write: bool = True,
    send: bool = False,
) -> list[Job]:
    """One :class:`Job` per distinct input, with absolute paths and unique report names."""
    files = unique_inputs(inputs)
    out = os.path.abspath(out_dir)
    return [
        Job(os.path.abspath(p), name, out, settings, html, csv, workers_write, send)
        for p, name in zip(files, output_names(files), strict=True)
    ]


#: the largest input the client sends to a worker (``--send``), bytes
MAX_SEND_BYTES = 1 << 30


def read_input(job: Job) -> bytes:
    """The bytes of ``job``'s input, read by the client to send with the task (``--send``).

    Raises :class:`~formcheck.errors.InputError` (one line) for a file that cannot be read or
    is over :data:`MAX_SEND_BYTES`.
    """
    from formcheck.errors import InputError

    path = Path(job.input_path)
    try:
        size = path.stat().st_size
        if size > MAX_SEND_BYTES:
            raise InputError(
                f"too large to send to the workers ({size / 2**20:.0f} MB > "
                f"{MAX_SEND_BYTES / 2**20:.0f} MB): put it in a folder the workers share"
            )
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read it to send to the workers: {err.strerror or err}") from err


def write_report_files(report: dict[str, Any], paths: dict[str, Path]) -> tuple[str, ...]:
    """Write the report's files atomically, the JSON last; returns the paths written.

    The JSON is written last so that its presence means the page and the CSV are complete.
    """
    from formcheck.report.schema import write_json

    written = []
    if "html" in paths:
        from formcheck.report.page import write_html_report

        written.append(str(write_html_report(report, paths["html"])))
    if "csv" in paths:
        from formcheck.report.csvfile import write_frames_csv

        written.append(str(write_frames_csv(report, paths["csv"])))
    written.append(str(write_json(report, paths["json"])))
    return tuple(written)


def remove_stale_temps(jobs: Iterable[Job]) -> int:
    """Delete temporary files a killed worker left beside these jobs' reports; returns how many.

    :func:`formcheck.io.atomic.atomic_write` writes ``.NAME.XXXX.tmp`` beside ``NAME`` and
    renames it; a worker killed in between leaves the temporary file (never a half report).
    """
    removed = 0
    for job in jobs:
        for path in job.paths().values():
            for tmp in path.parent.glob(f".{path.name}.*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()
                    removed += 1
    return removed
