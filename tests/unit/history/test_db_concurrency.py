"""Issue 16: the history under concurrency and a failing disk.

Several formcheck processes may use a new history at the same moment (``analyze --jobs``, a
live session next to a batch); a locked database or a full disk must be said as such, never
called damaged.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from formcheck.history import db as history_db
from formcheck.history import store as history
from formcheck.history.store import HistoryError
from tests.fixtures_reports import make_report

N_PROCESSES = 20


def _import_at_once(db: str, seed: int, barrier: Any, results: Any) -> None:
    report = make_report(seed=seed)
    barrier.wait(120)  # every process opens the new database at the same moment
    try:
        with contextlib.closing(history.open_db(db)) as conn:
            sid, created = history.import_report(conn, report)
        results.put(("ok", seed, created))
    except Exception as err:
        results.put(("error", seed, f"{type(err).__name__}: {err}"))


def _hold_new_file(db: str, barrier: Any) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    barrier.wait(120)
    time.sleep(1.0)  # every other process now waits for the file
    conn.execute("ROLLBACK")
    conn.close()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork")
@pytest.mark.parametrize("attempt", range(3))  # a race: a few tries make it show
def test_first_use_by_many_processes_at_once(attempt: int, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    db = str(tmp_path / "history.sqlite3")
    barrier, results = ctx.Barrier(N_PROCESSES + 1), ctx.Queue()
    # the new, still empty file is held for a moment (as while its creator starts), so that
    # every process reads it as new at nearly the same time
    holder = ctx.Process(target=_hold_new_file, args=(db, barrier))
    holder.start()
    procs = [
        ctx.Process(target=_import_at_once, args=(db, seed, barrier, results))
        for seed in range(N_PROCESSES)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=180) for _ in procs]
    holder.join(60)
    for p in procs:
        p.join(60)
    errors = [g for g in got if g[0] != "ok"]
    assert not errors, f"{len(errors)} of {N_PROCESSES} failed: {errors[:3]}"
    assert len(history.list_sessions(db)) == N_PROCESSES


def test_a_locked_history_is_said_to_be_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "history.sqlite3"
    history.import_report(db, make_report())
    monkeypatch.setattr(history_db, "BUSY_TIMEOUT_S", 0.2)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        with pytest.raises(HistoryError) as caught:
            history.open_db(db)
    finally:
        other.execute("ROLLBACK")
        other.close()
    msg = str(caught.value)
    assert "is locked" in msg and "try again" in msg
    assert "damaged" not in msg and "move it away" not in msg
    assert len(history.list_sessions(db)) == 1, "the history is intact"


def test_a_full_disk_is_said_to_be_full(tmp_path: Path) -> None:
    """SQLite's "database or disk is full" (ENOSPC) while a session is added."""
    db = tmp_path / "history.sqlite3"
    history.import_report(db, make_report())
    conn = history.open_db(db)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # no room for one more page
    big = make_report(seed=3)  # a session that needs new pages
    big["warnings"] = [dict(w, message="x" * 2000) for w in big["warnings"]] * 20
    try:
        with pytest.raises(HistoryError) as caught:
            history.import_report(conn, big)
    finally:
        conn.close()
    msg = str(caught.value)
    assert "the disk is full" in msg, msg
    assert "damaged" not in msg and "rollback" not in msg
    assert len(history.list_sessions(db)) == 1


def _create_with_a_file_size_limit(db: str, results: Any) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    try:
        history.open_db(db).close()
        results.put("created")
    except Exception as err:
        results.put(f"{type(err).__name__}: {err}")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork")
def test_a_disk_error_while_creating_is_not_called_damage(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    p = ctx.Process(
        target=_create_with_a_file_size_limit, args=(str(tmp_path / "h.sqlite3"), results)
    )
    p.start()
    msg = results.get(timeout=60)
    p.join(30)
    assert msg.startswith("HistoryError") and "disk I/O error" in msg, msg
    assert "damaged" not in msg and "move it away" not in msg
