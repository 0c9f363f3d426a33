"""``formcheck batch`` on real Dask: a scheduler and two workers as separate processes.

The cluster is started the way docs/batch.md tells a clinic to (``dask scheduler``, ``dask
worker``); the batch runs as a user types it (a subprocess). One worker is killed (SIGKILL, its
whole process group: a machine that goes away) while it analyses a file: every good file must
still end with exactly one report, the broken file with a clear error, and the exit code 2.
The embedded default cluster (no server to start) is tested too.

Short clips (2-3 s cut from the samples) keep the whole module well under two minutes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import sample_clip
from tests.e2e.clirun import cli_env, run_cli

distributed = pytest.importorskip("distributed", reason="the batch extra (Dask) is not installed")

pytestmark = [pytest.mark.model, pytest.mark.slow]

# sample -> first frame of its 75-frame clip: each clip shows its stretch, so each good file
# gets a history session (standing_fold_good stands upright until 1.5 s and folds until 4 s;
# standing upright is no stretch and gets none)
CLIPS = {"standing_fold_good": 90, "supine_wall_left": 0, "seated_floor_bouncing": 0}


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, list[Path]]:
    folder = tmp_path_factory.mktemp("batch_media")
    good = [sample_clip(n, folder / f"{n}.mp4", 75, start) for n, start in CLIPS.items()]
    broken = folder / "broken.mp4"
    broken.write_bytes(b"this is not a video " * 64)
    return {"good": good, "broken": [broken]}


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group: killed whole, nanny and worker
    )


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[dict]:
    """A scheduler and two one-thread workers, as separate ``dask`` processes on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("dask_cluster")
    sched_file = folder / "scheduler.json"
    env = cli_env()
    env["OMP_NUM_THREADS"] = "1"
    env["FORMCHECK_DATA_DIR"] = str(folder / "worker-data")  # workers never touch history
    procs = {
        "scheduler": _spawn(
            ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(sched_file)],
            folder / "scheduler.log", env,
        )
    }  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sched_file.exists(), (folder / "scheduler.log").read_text()
        for name in ("wA", "wB"):
            procs[name] = _spawn(
                ["worker", "--scheduler-file", str(sched_file), "--nworkers", "1",
                 "--nthreads", "1", "--name", name, "--no-dashboard", "--host", "127.0.0.1"],
                folder / f"{name}.log", env,
            )  # fmt: skip
        client = distributed.Client(scheduler_file=str(sched_file), timeout=60)
        client.wait_for_workers(2, timeout=90)
        yield {"file": sched_file, "procs": procs, "client": client, "folder": folder}
        client.close()
    finally:
        for proc in reversed(list(procs.values())):
            _stop(proc)


def _worker_address(client, name: str) -> str:
    for addr, info in client.scheduler_info()["workers"].items():
        if info.get("name") == name:
            return addr
    raise AssertionError(f"no worker named {name}")


def _reports(out: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in sorted(out.iterdir()):
        found.setdefault(p.suffix, []).append(p.stem)
    return found


def _check_outputs(out: Path, good: list[Path], proc: subprocess.CompletedProcess) -> None:
    files = _reports(out)
    stems = sorted(p.stem for p in good)
    # exactly one complete report per good file; nothing for the broken one; no temporaries
    assert files.get(".json") == stems, files
    assert files.get(".html") == stems, files
    assert files.get(".csv") == stems, files
    assert not [p for p in out.iterdir() if p.name.startswith(".")], list(out.iterdir())
    for stem in stems:
        report = json.loads((out / f"{stem}.json").read_text())
        assert report["schema_version"] == 1 and report["source"]["frames"] == 75
        assert proc.stdout.count(f"{stem}.json") == 1, proc.stdout  # listed once
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("formcheck: error: ")]
    assert len(errors) == 1, proc.stderr
    assert "broken.mp4" in errors[0] and "cannot open" in errors[0], errors[0]
    assert "\rbatch [" not in proc.stderr  # no progress bar when stderr is not a terminal


def _sessions(db: Path) -> list:
    """The sessions in the history database ``db`` (the client's; workers never write it)."""
    from formcheck.history import store

    return store.list_sessions(db)


def test_collect_mode_the_client_writes_the_reports(cluster, media, tmp_path):
    out = tmp_path / "out"
    inputs = [*media["good"], *media["broken"]]
    proc = run_cli(
        "batch", *inputs, "--out", out, "--scheduler-file", cluster["file"], "--collect",
        "--no-progress", "--db", tmp_path / "h.sqlite3", cwd=tmp_path, timeout=180,
    )  # fmt: skip
    _check_outputs(out, media["good"], proc)
    assert len(_sessions(tmp_path / "h.sqlite3")) == len(media["good"])


def test_a_worker_killed_mid_file_loses_no_report_and_writes_none_twice(cluster, media, tmp_path):
    client = cluster["client"]
    victim = _worker_address(client, "wB")
    out = tmp_path / "out"
    db = tmp_path / "h.sqlite3"
    inputs = [*media["good"], *media["broken"]]
    cmd = [
        sys.executable, "-m", "formcheck", "batch", *map(str, inputs), "--out", str(out),
        "--scheduler-file", str(cluster["file"]), "--db", str(db),
    ]  # fmt: skip
    batch = subprocess.Popen(
        cmd, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    killed_keys: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and batch.poll() is None:
            # a task of this batch running on wB (broken.mp4 fails at once: not that one)
            running = [
                k for k in client.processing(workers=[victim]).get(victim, ())
                if "broken" not in str(k)
            ]  # fmt: skip
            if running:
                time.sleep(0.3)  # into the task (a clip takes 1.5 s or more), not past it
                killed_keys = running
                _stop(cluster["procs"]["wB"], signal.SIGKILL)
                break
            time.sleep(0.05)
        stdout, stderr = batch.communicate(timeout=180)
    finally:
        if batch.poll() is None:
            batch.kill()
    assert killed_keys, "wB never ran a file of the batch: nothing was killed mid-run"
    proc = subprocess.CompletedProcess(cmd, batch.returncode, stdout, stderr)
    _check_outputs(out, media["good"], proc)
    assert len(_sessions(db)) == len(media["good"])  # the client recorded each once


def test_the_embedded_cluster_needs_no_server(media, tmp_path):
    out = tmp_path / "out"
    db = tmp_path / "h.sqlite3"
    inputs = [*media["good"][:2], *media["broken"]]
    proc = run_cli(
        "batch", *inputs, "--out", out, "--workers", "2", "--db", db, cwd=tmp_path, timeout=180
    )
    _check_outputs(out, media["good"][:2], proc)
    assert "on 2 worker(s)" in proc.stderr, proc.stderr
    assert len(_sessions(db)) == 2


def test_send_mode_workers_need_not_see_the_inputs(cluster, media, tmp_path):
    """``--send --collect``: the client reads each input and sends its bytes; the workers
    analyse a private copy and return the report, which names the client's path."""
    out = tmp_path / "out"
    inputs = [*media["good"][:2], *media["broken"], tmp_path / "missing.mp4"]
    proc = run_cli(
        "batch", *inputs, "--out", out, "--scheduler-file", cluster["file"], "--send",
        "--collect", "--no-progress", "--no-history", cwd=tmp_path, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    errors = sorted(ln for ln in proc.stderr.splitlines() if ln.startswith("formcheck: error: "))
    assert len(errors) == 2, proc.stderr
    assert "broken.mp4" in errors[0] and "cannot open" in errors[0], errors
    assert "formcheck-batch-" not in errors[0]  # the worker's copy is never named
    assert "missing.mp4" in errors[1] and "cannot read it to send" in errors[1], errors
    for clip in media["good"][:2]:
        report = json.loads((out / f"{clip.stem}.json").read_text())
        assert report["source"]["path"] == str(clip)
        assert report["source"]["sent_to_worker"] is True
        assert report["frames"]
