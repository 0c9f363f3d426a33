"""History page: the day's best hold beside the mean, a stretch column, a link to each report,
and only stretching sessions counted (issue 17)."""

from __future__ import annotations

import copy
import datetime as dt
import re

from formcheck.history import store as history
from formcheck.history.page import render_history_html, write_history_html
from formcheck.report.page import write_html_report
from tests.fixtures_reports import make_photo_report, make_report

TODAY = dt.date(2025, 3, 3)


def _nobody_video() -> dict:
    r = make_report("standing_fold", extras=False, per_leg=False, seed=5)
    r["holds"] = []
    r["warnings"] = [{"kind": "no_person", "start_s": 0.0, "end_s": 60.0, "message": "nobody"}]
    for f in r["frames"]:
        f.update(person=False, stretch=None, valid=False)
    r["session"] = {"started_at": "2025-03-03T18:00:00+01:00"}
    return r


def _fault_only_video() -> dict:
    r = make_report("supine_raise", extras=False, per_leg=False, seed=6)
    r["holds"] = []
    r["warnings"] = [{"kind": "back_rounding", "start_s": 3.0, "end_s": 9.0, "message": "round"}]
    r["session"] = {"started_at": "2025-03-03T19:00:00+01:00"}
    return r


def _db(tmp_path):
    db = tmp_path / "h.sqlite3"
    reports = tmp_path / "reports"
    reports.mkdir()
    good = make_report("standing_fold")
    json_path = reports / "morning.json"
    json_path.write_text("{}")
    write_html_report(good, reports / "morning.html")
    history.import_report(db, good, report_path=json_path)
    photo = make_photo_report()
    photo["session"] = {"started_at": "2025-03-03T12:00:00+01:00"}
    history.import_report(db, photo, report_path=reports / "photo.json")
    history.import_report(db, _nobody_video())
    history.import_report(db, _fault_only_video())
    return db


def test_photos_and_videos_without_a_stretch_are_not_counted(tmp_path):
    db = _db(tmp_path)
    assert len(history.list_sessions(db)) == 4
    counted = history.list_sessions(db, counted=True)
    assert len(counted) == 2  # the held fold and the chair with a form fault
    assert {s["source_kind"] for s in counted} == {"video"}
    adh = history.adherence(db, days=1, today=TODAY)
    assert adh[-1]["sessions"] == 2
    page = render_history_html(db, days=7, today=TODAY)
    assert "2 other imports" in page and "not counted as sessions" in page


def test_sessions_table_has_stretch_and_report_link(tmp_path):
    db = _db(tmp_path)
    page = write_history_html(db, tmp_path / "pages" / "history.html", days=7, today=TODAY)
    html = page.read_text()
    head = re.search(r"<h2>Sessions</h2>.*?</tr>", html, re.S).group(0)
    assert "Stretch" in head and "Report" in head
    assert "Standing hamstring stretch" in html
    assert 'href="../reports/morning.html"' in html


def test_best_hold_is_drawn_beside_the_mean(tmp_path):
    db = tmp_path / "h.sqlite3"
    r = make_report("standing_fold")
    history.import_report(db, r)
    r2 = copy.deepcopy(r)
    r2["session"]["started_at"] = "2025-03-03T20:00:00+01:00"
    r2["holds"] = r2["holds"][:1]
    history.import_report(db, r2)
    html = render_history_html(db, days=3, today=TODAY)
    chart = re.search(r'aria-label="best and mean hold per day[^"]*".*?</svg>', html, re.S)
    assert chart, "hold progression is a bar chart of best and mean per day"
    bars = re.findall(r'<rect class="bar (s-good|s-mean)" x="([\d.]+)"', chart.group(0))
    kinds = {k for k, _ in bars}
    assert kinds == {"s-good", "s-mean"}, bars
    xs = {k: float(x) for k, x in bars}
    assert xs["s-good"] != xs["s-mean"]  # side by side, not one on top of the other
