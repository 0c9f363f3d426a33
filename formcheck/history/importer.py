"""Importing a session report into the history: the session, its holds and warnings, and the
per-day metrics recomputed from the holds of that day.

A session is identified by the SHA-256 of the report's canonical JSON (:func:`content_hash`),
so importing the same report twice does not duplicate it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
from pathlib import Path
from typing import Any

from formcheck.history.db import Db, connection, db_error, transaction
from formcheck.metrics.backref import from_report
from formcheck.report.facts import as_float, session_duration_s, session_info
from formcheck.report.schema import validate_report


def content_hash(report: dict[str, Any]) -> str:
    """SHA-256 of the report's canonical JSON (sorted keys, no spaces): same content, same hash."""
    text = json.dumps(
        report, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _started_at(report: dict[str, Any], report_path: Path | None) -> dt.datetime:
    """When the session started, timezone-aware: ``session.started_at``, else the report
    file's modification time, else now."""
    session = session_info(report)
    text = session.get("started_at")
    if isinstance(text, str) and text:
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            stamp = None
        if stamp is not None:
            return stamp if stamp.tzinfo else stamp.astimezone()
    if report_path is not None:
        try:
            return dt.datetime.fromtimestamp(report_path.stat().st_mtime).astimezone()
        except OSError:
            pass
    return dt.datetime.now().astimezone()


def _none_if_nan(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _hold_rom(frames: list[dict[str, Any]], hold: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Best (smallest) hip angle, best (largest) leg raise and mean knee extension over the
    hold's valid frames, using the hold side's own angles when the frames carry them."""
    start, end = as_float(hold.get("start_s")), as_float(hold.get("end_s"))
    if not (math.isfinite(start) and math.isfinite(end)):
        return None, None, None
    side = hold.get("side")
    keys = {}
    for name in ("hip_angle", "leg_raise", "knee_extension"):
        per_side = f"{name}_{side}_deg"
        keys[name] = (
            per_side
            if side in ("left", "right") and any(per_side in f for f in frames[:50])
            else f"{name}_deg"
        )
    hip, raise_, knee = [], [], []
    for f in frames:
        t = as_float(f.get("t_s"))
        if not (start <= t <= end) or f.get("valid") is False:
            continue
        hip.append(as_float(f.get(keys["hip_angle"])))
        raise_.append(as_float(f.get(keys["leg_raise"])))
        knee.append(as_float(f.get(keys["knee_extension"])))
    hip = [v for v in hip if math.isfinite(v)]
    raise_ = [v for v in raise_ if math.isfinite(v)]
    knee = [v for v in knee if math.isfinite(v)]
    return (
        min(hip) if hip else None,
        max(raise_) if raise_ else None,
        sum(knee) / len(knee) if knee else None,
    )


def not_kept_reason(report: dict[str, Any]) -> str | None:
    """Why a report does not become a history session (None: it does).

    A session in which no stretch was recognised (someone standing, another exercise, nobody
    in the picture) is not a stretching session: ``analyze``, ``live`` and ``batch`` leave it
    out of the history, so it never counts toward adherence or progress.
    """
    if not report.get("session", {}).get("stretch_recognized", True):
        return "no stretch recognised"
    return None


def import_report(
    db: Db,
    report: dict[str, Any],
    report_path: str | os.PathLike[str] | None = None,
) -> tuple[int, bool]:
    """Add one session report to the history.

    Idempotent: a report whose content hash is already stored is not added again.

    Parameters
    ----------
    db : sqlite3.Connection or path-like or None
        An open history (:func:`open_db`) or its path (None = the default database).
    report : dict
        A schema_version 1 report.
    report_path : path-like, optional
        Where the report was read from (stored; its modification time dates the session when
        the report has no ``session.started_at``).

    Returns
    -------
    (session_id, created)
        ``created`` is false when the report was already in the history.

    Raises
    ------
    InputError
        The report is not a schema_version 1 report.
    HistoryError
        The database is damaged or not a formcheck history.
    """
    validate_report(report)
    digest = content_hash(report)
    path = Path(report_path) if report_path is not None else None
    with connection(db) as conn:
        row = conn.execute("SELECT id FROM sessions WHERE content_hash = ?", (digest,)).fetchone()
        if row is not None:
            return int(row[0]), False
        started = _started_at(report, path)
        source = report.get("source") or {}
        session = session_info(report)
        duration = session_duration_s(report)
        day = started.astimezone().date().isoformat()
        frames = report.get("frames", [])
        try:
            with transaction(conn):
                cur = conn.execute(
                    "INSERT INTO sessions (content_hash, session_key, started_at, day, source_path,"
                    " source_kind, report_path, mode, duration_s, partial, imported_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        digest,
                        None if session.get("id") is None else str(session.get("id")),
                        started.isoformat(timespec="seconds"),
                        day,
                        None if source.get("path") is None else str(source.get("path")),
                        None if source.get("kind") is None else str(source.get("kind")),
                        None if path is None else str(path.resolve()),
                        str(session.get("mode") or "analyze"),
                        duration,
                        int(bool(session.get("partial"))),
                        dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    ),
                )
                session_id = int(cur.lastrowid or 0)
                for hold in report.get("holds", []):
                    hip, leg_raise, knee = _hold_rom(frames, hold)
                    conn.execute(
                        "INSERT INTO holds (session_id, stretch, side, start_s, end_s, duration_s,"
                        " valid_s, target_s, completed, best_hip_angle_deg, best_leg_raise_deg,"
                        " mean_knee_extension_deg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            session_id,
                            str(hold.get("stretch") or "unknown"),
                            str(hold.get("side") or "unknown"),
                            *(
                                _none_if_nan(as_float(hold.get(k)))
                                for k in ("start_s", "end_s", "duration_s", "valid_s", "target_s")
                            ),
                            int(bool(hold.get("completed"))),
                            hip,
                            leg_raise,
                            knee,
                        ),
                    )
                for w in report.get("warnings", []):
                    start, end = as_float(w.get("start_s")), as_float(w.get("end_s"))
                    if not math.isfinite(end):
                        end = duration
                    conn.execute(
                        "INSERT INTO warnings (session_id, kind, start_s, end_s, duration_s,"
                        " message) VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            session_id,
                            str(w.get("kind") or "unknown"),
                            _none_if_nan(start),
                            _none_if_nan(end),
                            _none_if_nan(end - start),
                            None if w.get("message") is None else str(w.get("message")),
                        ),
                    )
                ref = from_report(report.get("back_reference"))
                if ref is not None:
                    conn.execute(
                        "INSERT INTO back_references (session_id, taken_at, source, bias_deg,"
                        " measured_deg, frames) VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            session_id,
                            ref.taken_at or started.isoformat(timespec="seconds"),
                            ref.source,
                            ref.bias_deg,
                            _none_if_nan(ref.measured_deg),
                            ref.frames,
                        ),
                    )
                refresh_day(conn, day)
        except sqlite3.IntegrityError:
            # another process imported the same report between our check and our insert
            row = conn.execute(
                "SELECT id FROM sessions WHERE content_hash = ?", (digest,)
            ).fetchone()
            if row is None:
                raise
            return int(row[0]), False
        except sqlite3.DatabaseError as err:  # a lock, a full disk: said as such
            raise db_error(err, otherwise=f"cannot write to the history database: {err}") from err
    return session_id, True


def refresh_day(conn: sqlite3.Connection, day: str) -> None:
    """Recompute the per-day metrics of ``day`` from its holds."""
    conn.execute("DELETE FROM daily_metrics WHERE day = ?", (day,))
    conn.execute(
        """INSERT INTO daily_metrics
           SELECT s.day, h.stretch, h.side, COUNT(DISTINCT s.id), COUNT(*), SUM(h.completed),
                  SUM(h.valid_s), MAX(h.valid_s), AVG(h.valid_s),
                  MIN(h.best_hip_angle_deg), MAX(h.best_leg_raise_deg)
           FROM holds h JOIN sessions s ON s.id = h.session_id
           WHERE s.day = ? GROUP BY s.day, h.stretch, h.side""",
        (day,),
    )
