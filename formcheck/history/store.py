"""The session history: reports imported into a SQLite database, and the trends read from it.

The database lives in the per-user data folder (see :func:`default_db_path`) unless a path is
given. It holds one row per session (identified by the SHA-256 of the report's canonical JSON,
so importing the same report twice does not duplicate it), the session's holds and warnings, and
per-day metrics recomputed from the holds whenever a session of that day is imported.

Every write happens in one transaction. A file that is not a formcheck history (not SQLite,
corrupt, another application's database, a newer schema) raises :class:`HistoryError` and is
left untouched: formcheck never overwrites or "repairs" it.

Schema version 1 (``PRAGMA user_version = 1``, ``PRAGMA application_id = 0x46434B48``)::

    sessions(id, content_hash UNIQUE, session_key, started_at, day, source_path, source_kind,
             report_path, mode, duration_s, partial, imported_at)
    holds(id, session_id, stretch, side, start_s, end_s, duration_s, valid_s, target_s,
          completed, best_hip_angle_deg, best_leg_raise_deg, mean_knee_extension_deg)
    warnings(id, session_id, kind, start_s, end_s, duration_s, message)
    daily_metrics(day, stretch, side, sessions, holds, completed_holds, valid_s, best_hold_s,
                  mean_hold_s, best_hip_angle_deg, best_leg_raise_deg)  -- key (day, stretch, side)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from formcheck.errors import FormcheckError, OutputError
from formcheck.report.page import as_float, session_duration_s, session_info, validate_report

SCHEMA_VERSION = 1
#: ``PRAGMA application_id`` of a formcheck history ("FCKH")
APPLICATION_ID = 0x46434B48
#: the sessions a day the seeds ask for: "twice a day" (seeds 003, 004)
SESSIONS_PER_DAY_GOAL = 2
DEFAULT_DAYS = 14

_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    session_key TEXT,
    started_at TEXT NOT NULL,
    day TEXT NOT NULL,
    source_path TEXT,
    source_kind TEXT,
    report_path TEXT,
    mode TEXT,
    duration_s REAL,
    partial INTEGER NOT NULL DEFAULT 0,
    imported_at TEXT NOT NULL
);
CREATE INDEX sessions_day ON sessions(day);
CREATE TABLE holds (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    stretch TEXT NOT NULL,
    side TEXT NOT NULL,
    start_s REAL,
    end_s REAL,
    duration_s REAL,
    valid_s REAL,
    target_s REAL,
    completed INTEGER NOT NULL DEFAULT 0,
    best_hip_angle_deg REAL,
    best_leg_raise_deg REAL,
    mean_knee_extension_deg REAL
);
CREATE INDEX holds_session ON holds(session_id);
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    start_s REAL,
    end_s REAL,
    duration_s REAL,
    message TEXT
);
CREATE INDEX warnings_session ON warnings(session_id);
CREATE TABLE daily_metrics (
    day TEXT NOT NULL,
    stretch TEXT NOT NULL,
    side TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    holds INTEGER NOT NULL,
    completed_holds INTEGER NOT NULL,
    valid_s REAL,
    best_hold_s REAL,
    mean_hold_s REAL,
    best_hip_angle_deg REAL,
    best_leg_raise_deg REAL,
    PRIMARY KEY (day, stretch, side)
);
"""

#: the columns each table must have (checked when a database is opened)
_REQUIRED = {
    "sessions": {
        "id",
        "content_hash",
        "started_at",
        "day",
        "source_path",
        "mode",
        "duration_s",
        "partial",
    },
    "holds": {"id", "session_id", "stretch", "side", "valid_s", "completed"},
    "warnings": {"id", "session_id", "kind", "start_s", "end_s"},
    "daily_metrics": {
        "day",
        "stretch",
        "side",
        "valid_s",
        "best_hold_s",
        "mean_hold_s",
        "best_hip_angle_deg",
        "best_leg_raise_deg",
    },
}


class HistoryError(FormcheckError):
    """The history database cannot be used (damaged, not a formcheck history, newer schema)."""


# --- opening -------------------------------------------------------------------------------


def default_db_path() -> Path:
    """The history database of this user.

    ``$FORMCHECK_DATA_DIR/history.sqlite3`` if set, else
    ``$XDG_DATA_HOME/formcheck/history.sqlite3``, else
    ``~/.local/share/formcheck/history.sqlite3``.
    """
    env = os.environ.get("FORMCHECK_DATA_DIR")
    if env:
        return Path(env).expanduser() / "history.sqlite3"
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "formcheck" / "history.sqlite3"


def _damaged(path: Path | str, what: str) -> HistoryError:
    return HistoryError(
        f"history database {path} {what}; it was left untouched "
        "(move it away or choose another file with --db)"
    )


def open_db(
    path: str | os.PathLike[str] | None = None, *, create: bool = True
) -> sqlite3.Connection:
    """Open (and, when new, create) a history database, checking it first.

    Parameters
    ----------
    path : path-like, optional
        Database file; default :func:`default_db_path`. ``":memory:"`` for a throw-away one.
    create : bool
        Create the file (and its folder) when missing; when false a missing file raises.

    Raises
    ------
    HistoryError
        The file is not SQLite, fails the integrity check, is another application's database,
        has a newer or unknown schema, or is missing while ``create`` is false.
    OutputError
        The folder cannot be created.
    """
    memory = str(path) == ":memory:"
    db_path = Path(path) if path is not None and not memory else default_db_path()
    if not memory:
        if db_path.is_dir():
            raise HistoryError(f"history database {db_path} is a folder, expected a file")
        if db_path.exists():
            try:
                with open(db_path, "rb") as fh:
                    head = fh.read(len(_SQLITE_MAGIC))
            except OSError as err:
                raise HistoryError(
                    f"cannot read history database {db_path}: {err.strerror}"
                ) from err
            if head and head != _SQLITE_MAGIC:
                raise _damaged(db_path, "is not a SQLite database")
        elif not create:
            raise HistoryError(f"no history database at {db_path} (import a report first)")
        else:
            try:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise OutputError(
                    f"cannot create the folder of history database {db_path}: {err.strerror}"
                ) from err
    try:
        conn = sqlite3.connect(":memory:" if memory else db_path, isolation_level=None, timeout=10)
    except sqlite3.Error as err:
        raise HistoryError(f"cannot open history database {db_path}: {err}") from err
    try:
        _check_or_create(conn, db_path)
    except sqlite3.DatabaseError as err:
        conn.close()
        raise _damaged(db_path, f"cannot be read ({err})") from err
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _check_or_create(conn: sqlite3.Connection, path: Path) -> None:
    status = conn.execute("PRAGMA quick_check").fetchone()[0]
    if status != "ok":
        raise _damaged(path, f"is damaged (integrity check: {status})")
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id == 0 and version == 0 and not tables:
        with _transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    if app_id != APPLICATION_ID:
        raise _damaged(path, "is a SQLite database but not a formcheck history")
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"history database {path} has schema version {version}, made by a newer formcheck "
            f"(this one reads up to {SCHEMA_VERSION}); upgrade formcheck or use another --db"
        )
    if version < 1:
        raise _damaged(path, f"has an unknown schema version {version}")
    for table, columns in _REQUIRED.items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        missing = columns - have
        if missing:
            raise _damaged(
                path, f"has the wrong schema (table {table} lacks {', '.join(sorted(missing))})"
            )


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def _connection(
    db: sqlite3.Connection | str | os.PathLike[str] | None, *, create: bool = True
) -> Iterator[sqlite3.Connection]:
    """Use ``db`` when it is a connection; else open it and close it afterwards."""
    if isinstance(db, sqlite3.Connection):
        yield db
        return
    conn = open_db(db, create=create)
    try:
        yield conn
    finally:
        conn.close()


# --- importing -----------------------------------------------------------------------------


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


def import_report(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
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
    with _connection(db) as conn:
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
            with _transaction(conn):
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
                _refresh_day(conn, day)
        except sqlite3.IntegrityError:
            # another process imported the same report between our check and our insert
            row = conn.execute(
                "SELECT id FROM sessions WHERE content_hash = ?", (digest,)
            ).fetchone()
            if row is None:
                raise
            return int(row[0]), False
        except sqlite3.DatabaseError as err:
            raise HistoryError(f"cannot write to the history database: {err}") from err
    return session_id, True


def _refresh_day(conn: sqlite3.Connection, day: str) -> None:
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


# --- queries -------------------------------------------------------------------------------


def _window(days: int, today: dt.date | None) -> tuple[list[str], str]:
    """The ``days`` ISO dates ending ``today`` (oldest first) and the first of them."""
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    today = today or dt.date.today()
    dates = [(today - dt.timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
    return dates, dates[0]


def list_sessions(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
    *,
    days: int | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The sessions, newest first, with their hold and warning counts.

    Each dict has the ``sessions`` columns plus ``holds``, ``completed``, ``valid_left_s``,
    ``valid_right_s``, ``form_faults`` and ``warnings``. ``days`` keeps the last N days only.
    """
    where, params = "", ()  # type: tuple[str, tuple[str, ...]]
    if days is not None:
        _, first = _window(days, today)
        where, params = "WHERE s.day >= ?", (first,)
    sql = f"""
        SELECT s.*,
          (SELECT COUNT(*) FROM holds h WHERE h.session_id = s.id) AS holds,
          (SELECT COALESCE(SUM(h.completed), 0) FROM holds h WHERE h.session_id = s.id)
              AS completed,
          (SELECT COALESCE(SUM(h.valid_s), 0) FROM holds h
              WHERE h.session_id = s.id AND h.side = 'left') AS valid_left_s,
          (SELECT COALESCE(SUM(h.valid_s), 0) FROM holds h
              WHERE h.session_id = s.id AND h.side = 'right') AS valid_right_s,
          (SELECT COUNT(*) FROM warnings w WHERE w.session_id = s.id
              AND w.kind IN ('back_rounding', 'knee_bent', 'bouncing')) AS form_faults,
          (SELECT COUNT(*) FROM warnings w WHERE w.session_id = s.id) AS warnings
        FROM sessions s {where} ORDER BY s.started_at DESC, s.id DESC"""
    with _connection(db) as conn:
        return [dict(r) for r in conn.execute(sql, params)]


def get_session(
    db: sqlite3.Connection | str | os.PathLike[str] | None, session_id: int
) -> dict[str, Any] | None:
    """One session with its ``holds`` and ``warnings`` lists, or None when there is no such id."""
    with _connection(db) as conn:
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["holds"] = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM holds WHERE session_id = ? ORDER BY start_s, id", (session_id,)
            )
        ]
        out["warnings"] = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM warnings WHERE session_id = ? ORDER BY start_s, id", (session_id,)
            )
        ]
    return out


def adherence(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Stretching sessions per day over the last ``days`` days, oldest first.

    A session counts when it has at least one hold. Each dict: ``day``, ``sessions``,
    ``goal`` (:data:`SESSIONS_PER_DAY_GOAL`, "twice a day", seeds 003 and 004), ``met``.
    """
    dates, first = _window(days, today)
    with _connection(db) as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                """SELECT s.day, COUNT(*) FROM sessions s
                   WHERE s.day >= ? AND EXISTS (SELECT 1 FROM holds h WHERE h.session_id = s.id)
                   GROUP BY s.day""",
                (first,),
            ).fetchall()
        )
    return [
        {
            "day": d,
            "sessions": int(counts.get(d, 0)),
            "goal": SESSIONS_PER_DAY_GOAL,
            "met": counts.get(d, 0) >= SESSIONS_PER_DAY_GOAL,
        }
        for d in dates
    ]


def side_balance(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Good-form hold seconds per side over the last ``days`` days.

    Returns ``{"left": s, "right": s, "ratio": smaller/larger or NaN, "per_day": [{"day",
    "left", "right"}, ...]}`` with every day of the window, oldest first.
    """
    dates, first = _window(days, today)
    with _connection(db) as conn:
        rows = conn.execute(
            """SELECT day, side, SUM(valid_s) FROM daily_metrics
               WHERE day >= ? AND side IN ('left', 'right') GROUP BY day, side""",
            (first,),
        ).fetchall()
    seconds = {(day, side): float(valid or 0.0) for day, side, valid in rows}
    per = [
        {"day": d, "left": seconds.get((d, "left"), 0.0), "right": seconds.get((d, "right"), 0.0)}
        for d in dates
    ]
    left = sum(seconds.get((d, "left"), 0.0) for d in dates)
    right = sum(seconds.get((d, "right"), 0.0) for d in dates)
    ratio = min(left, right) / max(left, right) if max(left, right) > 0 else math.nan
    return {"left": left, "right": right, "ratio": ratio, "per_day": per}


def hold_progression(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Best and mean good-form hold per day and stretch (both sides), oldest first.

    Each dict: ``day``, ``stretch``, ``holds``, ``completed``, ``best_hold_s``, ``mean_hold_s``.
    Days without holds are left out.
    """
    _, first = _window(days, today)
    with _connection(db) as conn:
        rows = conn.execute(
            """SELECT day, stretch, SUM(holds) AS holds, SUM(completed_holds) AS completed,
                      MAX(best_hold_s) AS best_hold_s,
                      SUM(valid_s) / SUM(holds) AS mean_hold_s
               FROM daily_metrics WHERE day >= ? GROUP BY day, stretch ORDER BY day, stretch""",
            (first,),
        ).fetchall()
    return [dict(r) for r in rows]


def rom_trend(
    db: sqlite3.Connection | str | os.PathLike[str] | None,
    *,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Range of motion per day and stretch, oldest first.

    Each dict: ``day``, ``stretch``, ``best_hip_angle_deg`` (smallest hip angle in good-form
    hold frames: lower is a deeper fold) and ``best_leg_raise_deg`` (largest leg raise); None
    where not measured.
    """
    _, first = _window(days, today)
    with _connection(db) as conn:
        rows = conn.execute(
            """SELECT day, stretch, MIN(best_hip_angle_deg) AS best_hip_angle_deg,
                      MAX(best_leg_raise_deg) AS best_leg_raise_deg
               FROM daily_metrics WHERE day >= ? GROUP BY day, stretch ORDER BY day, stretch""",
            (first,),
        ).fetchall()
    return [dict(r) for r in rows]
