"""The history database: a SQLite file, opened only after it was checked to be a formcheck
history.

Every write happens in one transaction (:func:`transaction`). A file that is not a formcheck
history (not SQLite, corrupt, another application's database, a newer schema) raises
:class:`HistoryError` and is left untouched: formcheck never overwrites or "repairs" it.

Schema version 1 (``PRAGMA user_version = 1``, ``PRAGMA application_id = 0x46434B48``)::

    sessions(id, content_hash UNIQUE, session_key, started_at, day, source_path, source_kind,
             report_path, mode, duration_s, partial, imported_at)
    holds(id, session_id, stretch, side, start_s, end_s, duration_s, valid_s, target_s,
          completed, best_hip_angle_deg, best_leg_raise_deg, mean_knee_extension_deg)
    warnings(id, session_id, kind, start_s, end_s, duration_s, message)
    daily_metrics(day, stretch, side, sessions, holds, completed_holds, valid_s, best_hold_s,
                  mean_hold_s, best_hip_angle_deg, best_leg_raise_deg)  -- key (day, stretch, side)
    assessments(id, session_key, started_at, day, test, side, trials, best_deg, mean_deg, sd_deg,
                interpretation, source_path, report_path, imported_at)
                -- added to version 1, created when missing; key (session_key, test, side)
    back_references(id, session_id, taken_at, source, bias_deg, measured_deg, frames)
                -- added to version 1, created when missing: the neutral back a session measured
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeAlias

from formcheck.errors import FormcheckError, OutputError

#: a history: an open connection, the path of its file, or None for the default one
Db: TypeAlias = sqlite3.Connection | str | os.PathLike[str] | None

SCHEMA_VERSION = 1
#: ``PRAGMA application_id`` of a formcheck history ("FCKH")
APPLICATION_ID = 0x46434B48

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

#: tables added to schema version 1 after it was first written, created when missing (an older
#: formcheck does not look at them, so the version stays 1): one flexibility test result
#: (``formcheck assess``) per row, per test and side, idempotent by the report's session id
_ADDED_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS assessments (
    id INTEGER PRIMARY KEY,
    session_key TEXT NOT NULL,
    started_at TEXT NOT NULL,
    day TEXT NOT NULL,
    test TEXT NOT NULL,
    side TEXT NOT NULL,
    trials INTEGER NOT NULL,
    best_deg REAL,
    mean_deg REAL,
    sd_deg REAL,
    interpretation TEXT,
    source_path TEXT,
    report_path TEXT,
    imported_at TEXT NOT NULL,
    UNIQUE (session_key, test, side)
)""",
    "CREATE INDEX IF NOT EXISTS assessments_test ON assessments(test, side, started_at)",
    # the person's neutral back, measured in a session (stand-tall calibration or upright
    # frames), reused for photos and videos without upright frames (formcheck/metrics/backref)
    """CREATE TABLE IF NOT EXISTS back_references (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    taken_at TEXT NOT NULL,
    source TEXT NOT NULL,
    bias_deg REAL NOT NULL,
    measured_deg REAL,
    frames INTEGER NOT NULL
)""",
)

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


def default_db_path() -> Path:
    """The history database of this user.

    ``$FORMCHECK_DATA_DIR/history.sqlite3`` if set, else ``history.sqlite3`` in the platform's
    per-user data folder (:func:`formcheck.io.userdirs.user_data_dir`; on Linux
    ``$XDG_DATA_HOME/formcheck``, else ``~/.local/share/formcheck``).
    """
    from formcheck.io.userdirs import user_data_dir

    env = os.environ.get("FORMCHECK_DATA_DIR")
    if env:
        return Path(env).expanduser() / "history.sqlite3"
    return user_data_dir() / "history.sqlite3"


def _damaged(path: Path | str, what: str) -> HistoryError:
    return HistoryError(
        f"history database {path} {what}; it was left untouched "
        "(move it away or choose another file with --db)"
    )


#: how long to wait for another process that is writing to the history, seconds
BUSY_TIMEOUT_S = 10.0

# SQLite's primary result codes (https://sqlite.org/rescode.html) for what is not damage
_BUSY, _LOCKED, _READONLY, _IOERR, _FULL, _CANTOPEN = 5, 6, 8, 10, 13, 14


def db_error(
    err: sqlite3.Error, path: Path | str | None = None, *, otherwise: str | None = None
) -> HistoryError:
    """What a SQLite error means for the user, in one line: a locked database, a full disk or
    a disk error are said as such; anything else is ``otherwise``, by default damage."""
    where = f"history database {path}" if path is not None else "the history database"
    code = getattr(err, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(err)
    if primary in (_BUSY, _LOCKED) or "is locked" in text:
        return HistoryError(
            f"{where} is locked: another program (or another formcheck) kept it busy for more "
            f"than {BUSY_TIMEOUT_S:.0f} s; try again when it is done"
        )
    if primary == _FULL or "disk is full" in text:
        return HistoryError(
            f"cannot write {where}: the disk is full; free some space and try again "
            "(the history was left as it was)"
        )
    if primary == _IOERR or "disk I/O error" in text:
        return HistoryError(
            f"cannot use {where}: disk I/O error (a full, failing or removed disk, or a file "
            "size limit); the history was left as it was"
        )
    if primary == _READONLY or "readonly" in text:
        return HistoryError(f"cannot write {where}: it is read-only ({text})")
    if primary == _CANTOPEN:
        return HistoryError(f"cannot open {where} ({text})")
    if otherwise is not None:
        return HistoryError(otherwise)
    return _damaged(path if path is not None else "", f"cannot be read ({text})")


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
        conn = sqlite3.connect(
            ":memory:" if memory else db_path, isolation_level=None, timeout=BUSY_TIMEOUT_S
        )
    except sqlite3.Error as err:
        raise HistoryError(f"cannot open history database {db_path}: {err}") from err
    try:
        _check_or_create(conn, db_path)
    except sqlite3.DatabaseError as err:
        conn.close()
        raise db_error(err, db_path) from err
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
    app_id, version, tables = _identity(conn)
    if app_id == 0 and version == 0 and not tables:
        # a new file, which other processes may be creating at this very moment: one at a
        # time (BEGIN IMMEDIATE), and only when it is still empty once this one has the lock
        with transaction(conn):
            app_id, version, tables = _identity(conn)
            new = app_id == 0 and version == 0 and not tables
            if new:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                for statement in _ADDED_SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if new:
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
    if not {"assessments", "back_references"} <= tables:
        try:
            with transaction(conn):
                for statement in _ADDED_SCHEMA:
                    conn.execute(statement)
        except sqlite3.OperationalError:  # read-only: reading works without the new table
            pass


def _identity(conn: sqlite3.Connection) -> tuple[int, int, set[str]]:
    """``application_id``, ``user_version`` and the table names of a database, read at one
    moment (one read transaction: another process may be creating the schema meanwhile)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        if own:
            conn.execute("COMMIT")
    return int(app_id), int(version), tables


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite has already rolled back after some errors (a full disk): then there is
        # nothing to roll back, and trying would hide the real error
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def connection(db: Db, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """Use ``db`` when it is a connection; else open it and close it afterwards."""
    if isinstance(db, sqlite3.Connection):
        yield db
        return
    conn = open_db(db, create=create)
    try:
        yield conn
    finally:
        conn.close()
