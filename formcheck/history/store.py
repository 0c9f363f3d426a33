"""The session history: reports imported into a SQLite database, and the trends read from it.

This module is the history's public API; the work is done in three modules:

- :mod:`formcheck.history.db`: the database file, checked before use
  (:func:`open_db`, :func:`default_db_path`, :class:`HistoryError`, the schema);
- :mod:`formcheck.history.importer`: a report into the database (:func:`import_report`,
  idempotent by the report's content hash);
- :mod:`formcheck.history.stats`: the queries (:func:`list_sessions`, :func:`get_session`,
  :func:`adherence`, :func:`side_balance`, :func:`hold_progression`, :func:`rom_trend`,
  :func:`fault_summary`, :func:`hold_targets`).

The database lives in the per-user data folder (see :func:`default_db_path`) unless a path is
given. A file that is not a formcheck history is refused and left untouched.
"""

from __future__ import annotations

from formcheck.history.db import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    Db,
    HistoryError,
    connection,
    default_db_path,
    open_db,
    transaction,
)
from formcheck.history.importer import content_hash, import_report, not_kept_reason, refresh_day
from formcheck.history.stats import (
    DEFAULT_DAYS,
    adherence,
    fault_summary,
    get_session,
    hold_progression,
    hold_targets,
    list_sessions,
    rom_trend,
    side_balance,
    times_a_day,
)

__all__ = [
    "APPLICATION_ID",
    "DEFAULT_DAYS",
    "SCHEMA_VERSION",
    "Db",
    "HistoryError",
    "adherence",
    "connection",
    "content_hash",
    "default_db_path",
    "fault_summary",
    "get_session",
    "hold_progression",
    "hold_targets",
    "import_report",
    "not_kept_reason",
    "list_sessions",
    "open_db",
    "refresh_day",
    "rom_trend",
    "side_balance",
    "times_a_day",
    "transaction",
]
