"""The session history (SQLite), its queries, the history page and ``formcheck history``."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sqlite3
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.history import importer
from formcheck.history import store as history
from formcheck.history.page import render_history_html, write_history_html
from formcheck.history.store import HistoryError
from formcheck.stretches.catalogue import load_catalogue
from tests.fixtures_reports import make_fault_report, make_history_reports, make_report

TODAY = dt.date(2025, 3, 14)


@pytest.fixture(scope="module")
def filled_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hist") / "history.sqlite3"
    conn = history.open_db(path)
    for r in make_history_reports(14, today=TODAY.isoformat()):
        history.import_report(conn, r)
    conn.close()
    return path


def test_default_db_path(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "d"))
    assert history.default_db_path() == tmp_path / "d" / "history.sqlite3"
    monkeypatch.delenv("FORMCHECK_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "x"))
    assert history.default_db_path() == tmp_path / "x" / "formcheck" / "history.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert history.default_db_path() == tmp_path / "h" / ".local/share/formcheck/history.sqlite3"


def test_import_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    report = make_report()
    sid, created = history.import_report(db, report)
    assert created and sid == 1
    # the same content, even re-serialised with other formatting, is not added again
    again = json.loads(json.dumps(report, indent=3))
    assert history.import_report(db, again) == (1, False)
    assert len(history.list_sessions(db)) == 1
    conn = history.open_db(db)
    assert conn.execute("SELECT COUNT(*) FROM holds").fetchone()[0] == 2
    assert conn.execute("SELECT COUNT(*) FROM warnings").fetchone()[0] == len(report["warnings"])
    conn.close()
    other = make_report(seed=1)
    assert history.import_report(db, other) == (2, True)


def test_session_row_and_rom(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    report_path = tmp_path / "r.json"
    sid, _ = history.import_report(db, make_report(), report_path)
    s = history.get_session(db, sid)
    assert s["started_at"] == "2025-03-03T08:15:00+01:00"
    assert s["mode"] == "analyze" and s["partial"] == 0 and s["duration_s"] == 60.0
    assert s["report_path"] == str(report_path.resolve())
    right, left = s["holds"]
    assert (right["side"], right["valid_s"], right["completed"]) == ("right", 31.0, 1)
    assert (left["side"], left["valid_s"], left["completed"]) == ("left", 7.0, 0)
    assert 75 < right["best_hip_angle_deg"] < 95  # the fold closes to ~86 deg
    assert 160 < right["mean_knee_extension_deg"] < 180
    assert history.get_session(db, 99) is None


def test_import_without_optional_keys_uses_file_time(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{}")
    stamp = dt.datetime(2024, 6, 1, 12, 0).timestamp()
    import os

    os.utime(path, (stamp, stamp))
    sid, _ = history.import_report(tmp_path / "h.sqlite3", make_report(extras=False), path)
    s = history.get_session(tmp_path / "h.sqlite3", sid)
    assert s["day"] == "2024-06-01" and s["mode"] == "analyze"


def test_queries(filled_db: Path) -> None:
    adh = history.adherence(filled_db, days=14, today=TODAY)
    assert [a["day"] for a in adh][0] == "2025-03-01" and adh[-1]["day"] == "2025-03-14"
    assert [a["sessions"] for a in adh] == [2, 1, 2, 0, 2, 1, 2, 2, 1, 2, 2, 0, 2, 2]
    assert adh[0]["goal"] == 2 and adh[0]["met"] and not adh[1]["met"]

    bal = history.side_balance(filled_db, days=14, today=TODAY)
    assert bal["left"] < bal["right"] and 0 < bal["ratio"] < 0.8
    assert len(bal["per_day"]) == 14

    prog = history.hold_progression(filled_db, days=14, today=TODAY)
    fold = [p for p in prog if p["stretch"] == "standing_fold"]
    assert fold[0]["best_hold_s"] < fold[-1]["best_hold_s"]  # holds grow
    assert all(p["mean_hold_s"] <= p["best_hold_s"] for p in prog)

    rom = history.rom_trend(filled_db, days=14, today=TODAY)
    fold = [r for r in rom if r["stretch"] == "standing_fold"]
    assert fold[-1]["best_hip_angle_deg"] < fold[0]["best_hip_angle_deg"] - 5  # deeper fold
    raise_ = [r for r in rom if r["stretch"] == "supine_raise"]
    assert raise_[-1]["best_leg_raise_deg"] > raise_[0]["best_leg_raise_deg"] + 5

    assert len(history.list_sessions(filled_db, days=3, today=TODAY)) == 4
    assert len(history.adherence(filled_db, days=3, today=TODAY)) == 3


def test_garbage_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    garbage = b"this is not a database\x00\x01\x02" * 100
    path.write_bytes(garbage)
    with pytest.raises(HistoryError, match="is not a SQLite database; it was left untouched"):
        history.open_db(path)
    with pytest.raises(HistoryError):
        history.import_report(path, make_report())
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite3"]


def test_corrupt_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history.import_report(path, make_report())
    data = bytearray(path.read_bytes())
    # keep the SQLite header, smash the pages after the first one
    for i in range(4096 + 16, len(data), 7):
        data[i] = 0xA5
    path.write_bytes(bytes(data))
    with pytest.raises(HistoryError, match="left untouched"):
        history.open_db(path)
    assert path.read_bytes() == bytes(data)


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="not a formcheck history"):
        history.open_db(path)
    assert path.read_bytes() == before


def test_wrong_schema_and_newer_version_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history.open_db(path).close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE holds RENAME COLUMN valid_s TO v")
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="wrong schema"):
        history.open_db(path)
    path2 = tmp_path / "h2.sqlite3"
    history.open_db(path2).close()
    conn = sqlite3.connect(path2)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(HistoryError, match="newer formcheck"):
        history.open_db(path2)


def test_failed_import_rolls_back(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "h.sqlite3"

    def boom(conn, day):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(importer, "refresh_day", boom)
    with pytest.raises(HistoryError, match="disk I/O error"):
        history.import_report(path, make_report())
    monkeypatch.undo()
    assert history.list_sessions(path) == []
    conn = history.open_db(path)
    assert conn.execute("SELECT COUNT(*) FROM holds").fetchone()[0] == 0
    conn.close()


def test_history_goal_is_the_catalogue_sessions_per_day(filled_db: Path) -> None:
    from formcheck.stretches.catalogue import load_catalogue

    catalogue = load_catalogue({"defaults": {"sessions_per_day": 3}})
    page = render_history_html(filled_db, days=14, today=TODAY, catalogue=catalogue)
    assert "goal: 3 times a day" in page and "goal: twice a day" not in page
    rows = history.adherence(filled_db, days=3, today=TODAY, goal=catalogue.sessions_per_day)
    assert {r["goal"] for r in rows} == {3}
    assert history.adherence(filled_db, days=3, today=TODAY)[0]["goal"] == 2  # the seeds' goal


def test_history_page(filled_db: Path) -> None:
    page = render_history_html(filled_db, days=14, today=TODAY)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    for text in (
        "Adherence",
        "goal: twice a day",
        "Left / right balance",
        "Hold progression",
        "Range of motion",
        "Best hip angle",
        "Best leg raise",
        "Sessions",
        '<a href="#seed-003">003</a>',
    ):
        assert text in page, text
    assert page.count("<svg") >= 5


def test_history_page_empty_and_escaped(tmp_path: Path) -> None:
    conn = history.open_db(":memory:")
    page = render_history_html(conn, today=TODAY, title="<b>t</b>", db_label="<x>")
    assert "No sessions yet" in page and "<b>t</b>" not in page and "&lt;x&gt;" in page
    history.import_report(
        conn,
        make_report(source_path="<script>alert(1)</script>.mp4", started_at="2025-03-14T08:00:00"),
    )
    out = write_history_html(conn, tmp_path / "h.html", today=TODAY)
    assert "<script>" not in out.read_text()


def test_cli_history(tmp_path: Path, capsys) -> None:
    db = tmp_path / "h.sqlite3"
    reports = []
    for i, r in enumerate(make_history_reports(3, today="2025-03-14")[:3]):
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps(r))
        reports.append(str(p))
    assert main(["history", "import", *reports, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.count("imported") == 3
    assert main(["history", "--db", str(db), "import", reports[0]]) == 0
    assert "already in the history as session 1" in capsys.readouterr().out

    assert main(["history", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "STARTED" in out and "2025-03-12" in out and "goal: twice a day" in out
    assert main(["history", "--db", str(db)]) == 0  # list is the default
    assert "STARTED" in capsys.readouterr().out

    assert main(["history", "show", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "standing_fold" in out and "back_rounding" in out

    assert main(["history", "html", str(tmp_path / "h.html"), "--db", str(db), "--days", "30"]) == 0
    assert "Hold progression" in (tmp_path / "h.html").read_text()


def test_cli_history_errors(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 10)
    assert main(["history", "list", "--db", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a SQLite database" in err
    assert bad.read_bytes() == b"garbage" * 10
    db = tmp_path / "h.sqlite3"
    assert main(["history", "show", "4", "--db", str(db)]) == 0  # no database yet: a hint
    assert "No history yet" in capsys.readouterr().out
    assert not db.exists()
    history.open_db(db).close()
    assert main(["history", "show", "4", "--db", str(db)]) == 2
    assert "no session 4" in capsys.readouterr().err
    assert main(["history", "import", str(tmp_path / "missing.json"), "--db", str(db)]) == 2
    assert "not found" in capsys.readouterr().err


def test_default_db_is_used(capsys) -> None:
    # conftest points FORMCHECK_DATA_DIR at a temporary folder
    report = make_report()
    sid, created = history.import_report(None, report)
    assert created and history.default_db_path().exists()
    assert main(["history", "list"]) == 0
    assert "morning stretch.mp4" in capsys.readouterr().out
    assert not math.isnan(sid)


def test_form_faults_and_fault_summary_follow_the_catalogue(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    report = make_fault_report("back_off_floor")  # a lying-stretch fault the old list missed
    sid, _ = history.import_report(db, report)
    assert history.list_sessions(db)[0]["form_faults"] == 1
    day = history.get_session(db, sid)["day"]
    today = dt.date.fromisoformat(day)
    summary = {r["kind"]: r for r in history.fault_summary(db, days=1, today=today)}
    assert summary["back_off_floor"]["warnings"] == 1
    assert summary["back_off_floor"]["duration_s"] == pytest.approx(1.5)
    assert summary["no_person"]["sessions"] == 1
    page = render_history_html(db, days=1, today=today)
    assert '<span class="chip bad">Back off the floor</span>' in page
    assert '<span class="chip warn">Nobody in view</span>' in page


def test_history_hold_targets_come_from_the_holds(tmp_path: Path) -> None:
    conn = history.open_db(":memory:")
    wall = make_report(
        "supine_wall", hold_s={"right": 22.0, "left": 12.0}, started_at="2025-03-14T08:00:00"
    )
    fold = make_report("standing_fold", started_at="2025-03-14T18:00:00", seed=6)
    for r in (wall, fold):
        history.import_report(conn, r)
    assert history.hold_targets(conn, days=3, today=TODAY) == {
        "standing_fold": 30.0,
        "supine_wall": 20.0,
    }
    page = render_history_html(conn, days=3, today=TODAY)
    assert "20 s target" in page and "30 s target" in page
    assert "each stretch&#x27;s target" in page and "10 s start" in page
    assert "Progress the hold" not in page  # 20 s of 20 s on the wall, 31 s of 30 s folding
    # without targets in the holds: the catalogue's (with the settings' overrides)
    conn.execute("UPDATE holds SET target_s = NULL")
    over = load_catalogue({"stretch": {"supine_wall": {"hold_target_s": 25.0}}})
    page = render_history_html(conn, days=3, today=TODAY, catalogue=over)
    assert "25 s target" in page and "20 s target" not in page
    assert "Progress the hold from 10 s toward 25 s" in page
    assert "Stretch on the wall: 20 s of 25 s" in page
    conn.close()


def test_cli_history_show_labels_warnings(tmp_path: Path, capsys) -> None:
    db = tmp_path / "h.sqlite3"
    history.import_report(db, make_fault_report("legs_not_90"))
    assert main(["history", "show", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"legs_not_90\s+Legs not at 90°\s+form", out)
    assert re.search(r"no_person\s+Nobody in view\s+setup", out)


def test_back_reference_is_stored_on_import_and_read_back(tmp_path: Path) -> None:
    from formcheck.history.backref import saved_back_reference

    db = tmp_path / "h.sqlite3"
    assert saved_back_reference(db) is None and not db.exists()  # never created by a read
    report = make_report()
    report["back_reference"] = {
        "source": "upright_frames",
        "bias_deg": 7.5,
        "measured_deg": 7.5,
        "frames": 40,
        "span_s": [0.0, 1.4],
        "taken_at": None,
        "description": "your upright posture in this video",
    }
    history.import_report(db, report)
    ref = saved_back_reference(db)
    assert ref is not None and ref.source == "saved" and ref.bias_deg == 7.5
    assert (
        ref.taken_at == report["session"]["started_at"]
        or ref.taken_at[:10] == (report["session"]["started_at"][:10])
    )
    # a later session judged against the population rule stores nothing: the reference stays
    later = make_report(seed=3)
    later["back_reference"] = {"source": "population", "bias_deg": None, "description": "-"}
    history.import_report(db, later)
    assert saved_back_reference(db).bias_deg == 7.5
    page = render_history_html(db, today=dt.date.fromisoformat(later["session"]["started_at"][:10]))
    assert "<b>Neutral back</b> reads +8&deg;" in page
    # a history written before the table existed gets it when opened
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE back_references")
    conn.commit()
    conn.close()
    assert saved_back_reference(db) is None
    history.import_report(db, make_report(seed=5))
    conn = history.open_db(db)
    assert conn.execute("SELECT COUNT(*) FROM back_references").fetchone()[0] == 0
    conn.close()
