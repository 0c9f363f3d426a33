"""The assessment on replayed stick-figure poses through the real per-frame step (no model):
metrics -> samples -> trials, the report section, the CSV and HTML, the history, the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from formcheck.assess.protocol import Assessment
from formcheck.assess.sample import sample_from_metrics
from formcheck.config import Settings
from formcheck.history.assess import (
    assessment_results,
    assessment_section,
    assessment_trend,
    store_assessment,
)
from formcheck.history.db import open_db
from formcheck.live.assess import AssessLiveSession, run_assess_file
from formcheck.live.audio import RecordingAudio
from formcheck.live.session import LiveOptions
from formcheck.metrics.measures import MetricsComputer, MetricsOptions
from formcheck.pipeline import Analyzer
from formcheck.report.assessment import assessment_csv_text, render_assessment_html
from tests.media import write_video
from tests.stickfigure import figure

TOPS = (62.0, 66.0, 64.0)


def slr_angle(t_s: float, tops=TOPS, bent_knee: float | None = None) -> tuple[float, float]:
    """(leg raise, knee bend) of the right leg at ``t_s``: rest 1 s, then 4 s per trial
    (1.2 s up, 1 s held, 1.2 s down, 0.6 s rest)."""
    t = t_s - 1.0
    if t < 0 or t >= 4.0 * len(tops):
        return 0.0, 0.0
    i, u = int(t // 4.0), t % 4.0
    top = tops[i]
    f = (
        0.5 - 0.5 * math.cos(math.pi * u / 1.2) if u < 1.2
        else 1.0 if u < 2.2
        else 0.5 + 0.5 * math.cos(math.pi * (u - 2.2) / 1.2) if u < 3.4
        else 0.0
    )  # fmt: skip
    bend = (bent_knee or 0.0) * f if i == 1 else 0.0
    return top * f, bend


class ReplaySLR:
    """Stands in for the pose estimator: a lying figure raising the right leg."""

    model_path = Path("replay.task")

    def __init__(self, bent_knee: float | None = None) -> None:
        self.bent_knee = bent_knee

    def detect(self, image: np.ndarray, t_s: float, rgb: np.ndarray | None = None):
        raise_deg, bend = slr_angle(t_s, bent_knee=self.bent_knee)
        return figure(
            t_s=t_s,
            trunk_deg=-90.0,
            thigh_deg=(90.0, 90.0 + raise_deg + bend / 2),
            shank_deg=(90.0, 90.0 + raise_deg - bend / 2),
            near="right",
        )

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def blank_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("assess") / "blank.mp4"
    return write_video(out, (np.zeros((120, 160, 3), np.uint8) for _ in range(420)), 30.0)


def test_metrics_of_a_lying_figure_give_the_raise_angle():
    mc = MetricsComputer(MetricsOptions(smooth=False))
    for i, raise_deg in enumerate((0.0, 30.0, 75.0)):
        pf = figure(t_s=float(i), trunk_deg=-90.0, thigh_deg=(90.0, 90.0 + raise_deg), near="right")
        s = sample_from_metrics(mc.update(pf))
        assert s.lying
        assert s.leg_raise_deg[1] == pytest.approx(raise_deg, abs=1.5)
        assert s.leg_raise_deg[0] == pytest.approx(0.0, abs=1.5)
        assert s.off_side_deg < 30


def test_run_assess_file_on_replayed_poses(blank_video: Path, tmp_path: Path):
    lines: list[str] = []
    report = run_assess_file(
        str(blank_video), Settings(), Assessment("slr", ("right",)), on_line=lines.append,
        pose=ReplaySLR(),
    )  # fmt: skip
    a = report["assessment"]
    assert report["session"]["mode"] == "assess"
    assert [t["value_deg"] for t in a["trials"]] == pytest.approx(list(TOPS), abs=2.0)
    assert all(t["counted"] for t in a["trials"])
    assert all(t["still"].startswith("data:image/jpeg;base64,") for t in a["trials"])
    right = a["sides"]["right"]
    assert right["best_deg"] == pytest.approx(66.0, abs=2.0)
    assert right["interpretation"]["label"] == "tight range"
    assert a["complete"] is True
    assert any("Right leg done" in ln for ln in lines)
    # the outputs
    rows = list(csv.DictReader(io.StringIO(assessment_csv_text(report))))
    assert [r["attempt"] for r in rows] == ["1", "2", "3", "best", "mean"]
    assert rows[0]["valid"] == "true" and rows[-1]["interpretation"] == "tight range"
    html = render_assessment_html(report)
    assert "Straight-leg raise" in html and "not a diagnosis" in html
    assert html.count('<img class="thumb"') == 3
    json.dumps(report, allow_nan=False)


def test_bent_knee_trial_is_repeated(blank_video: Path):
    report = run_assess_file(
        str(blank_video), Settings(), Assessment("slr", ("right",)), pose=ReplaySLR(40.0)
    )
    trials = report["assessment"]["trials"]
    assert trials[1]["valid"] is False
    assert trials[1]["reasons"][0].startswith("the raised knee bent (")
    assert report["assessment"]["sides"]["right"]["trials"] == 2
    assert report["assessment"]["complete"] is False


def test_live_assessment_from_a_stand_in_video(blank_video: Path):
    lines: list[str] = []
    settings = Settings()
    analyzer = Analyzer(settings, video=True, pose=ReplaySLR())
    session = AssessLiveSession(
        settings,
        Assessment("slr", ("right",)),
        LiveOptions(source=str(blank_video), window=False, speed=4.0),
        audio=RecordingAudio(),
        analyzer=analyzer,
        on_line=lines.append,
    )
    report = session.run()
    assert report["session"]["mode"] == "assess"
    assert lines and lines[0].split("] ", 1)[1].startswith("Lie on your back")
    # at 4x speed frames may be dropped; the trials are still found
    assert len(report["assessment"]["trials"]) >= 2


def _report(session_id: str, started: str, mean_right: float, mean_left: float | None) -> dict:
    sides = {"right": {"trials": 3, "best_deg": mean_right + 2, "mean_deg": mean_right,
                       "sd_deg": 1.0, "interpretation": {"label": "usual"}}}  # fmt: skip
    if mean_left is not None:
        sides["left"] = dict(sides["right"], mean_deg=mean_left, best_deg=mean_left + 2)
    return {
        "session": {"id": session_id, "started_at": started},
        "source": {"path": "x.mp4"},
        "assessment": {"test": "slr", "sides": sides},
    }


def test_history_stores_results_and_names_changes_against_the_mdc(tmp_path: Path):
    db = tmp_path / "h.sqlite3"
    assert store_assessment(db, _report("a", "2026-11-01T10:00:00+00:00", 70.0, 72.0)) == 2
    assert store_assessment(db, _report("a", "2026-11-01T10:00:00+00:00", 70.0, 72.0)) == 0
    store_assessment(db, _report("b", "2026-11-08T10:00:00+00:00", 75.0, 90.0))
    rows = assessment_results(db)
    assert len(rows) == 4
    trend = assessment_trend(rows, "slr")
    assert trend["sides"]["right"]["change"] == "no measurable change"  # +5 < MDC 7
    assert trend["sides"]["left"]["change"] == "improved"  # +18
    assert trend["side_difference"]["flagged"] is True  # 15 deg apart
    html = assessment_section(db, days=3650, today=__import__("datetime").date(2026, 11, 9))
    assert "no measurable change" in html and "improved" in html and "<svg" in html


def test_history_adds_the_table_to_an_existing_database(tmp_path: Path):
    db = tmp_path / "old.sqlite3"
    conn = open_db(db)
    conn.execute("DROP TABLE assessments")  # as made by a formcheck before the table existed
    conn.close()
    assert assessment_results(db) == []  # reopened: the table is created again
    conn = open_db(db)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert "assessments" in names


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    from formcheck.cli import main

    code = main(["assess", "--test", "slr", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "give one of VIDEO" in err
    code = main(["assess", str(tmp_path / "missing.mp4"), "--test", "ake", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("formcheck: error: no such video")
    photo = tmp_path / "p.png"
    import cv2

    cv2.imwrite(str(photo), np.zeros((20, 20, 3), np.uint8))
    code = main(["assess", str(photo), "--test", "slr", "--out", str(tmp_path), "--no-history"])
    err = capsys.readouterr().err
    assert code == 2 and "needs a video" in err and "Traceback" not in err


def test_history_import_of_an_assessment_report_stores_its_results(tmp_path: Path, capsys):
    """`history import` of an assess report does what `formcheck assess` does: results in the
    assessments table, no stretching session."""
    import json
    import sqlite3

    from formcheck.cli import main
    from tests.fixtures_reports import make_report

    report = make_report()
    report.update(_report("imp", "2026-11-01T10:00:00+00:00", 70.0, 74.0))
    report["session"] = {**make_report()["session"], "id": "imp"}
    path = tmp_path / "a-slr.json"
    path.write_text(json.dumps(report))
    db = tmp_path / "h.sqlite3"
    assert main(["history", "import", str(path), "--db", str(db)]) == 0
    assert "2 new flexibility test result(s)" in capsys.readouterr().out
    assert main(["history", "import", str(path), "--db", str(db)]) == 0  # idempotent
    assert "0 new flexibility test result(s)" in capsys.readouterr().out
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    finally:
        conn.close()
