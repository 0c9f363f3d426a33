"""The per-session HTML report, the per-frame CSV and ``formcheck report``."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.errors import InputError, OutputError
from formcheck.io.atomic import atomic_write_text
from formcheck.report.advice import advise
from formcheck.report.charts import Series, nice_ticks, svg_line_chart
from formcheck.report.csvfile import (
    CONTRACT_COLUMNS,
    WARNING_COLUMNS,
    frames_csv_text,
    warnings_csv_text,
    write_frames_csv,
    write_warnings_csv,
)
from formcheck.report.facts import summarize_report
from formcheck.report.page import render_html_report, write_html_report
from formcheck.report.schema import load_report
from formcheck.stretches.catalogue import load_catalogue
from tests.fixtures_reports import make_photo_report, make_report

EVIL = "<script>alert(1)</script>.mp4"


@pytest.fixture(scope="module")
def report() -> dict:
    return make_report()


@pytest.fixture(scope="module")
def page(report: dict) -> str:
    return render_html_report(report)


def test_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    # no external resources: no URL in src/href/url(), no <link>, no external script
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|file:)""", page, re.I)
    assert "url(" not in page
    assert "<link" not in page.lower()
    assert "<script" not in page.lower()
    assert page.count("<svg") >= 4  # knee, hip, lumbar, leg raise (+ trunk)


def test_page_shows_summary_faults_plots_advice(page: str) -> None:
    for text in (
        "Session summary",
        "Standing hamstring stretch",
        "Left / right balance",
        "Back rounding",
        "Knee bent",
        "Bouncing",
        "Not side-on to the camera",
        "Knee extension",
        "Hip angle",
        "Lumbar flexion",
        "Best hold",
        "data:image/png;base64,",
    ):
        assert text in page, text
    assert "Leg raise" not in page  # no rule of a standing fold reads it (issue 17)
    assert "Completed" in page and "Not yet" in page  # right completed, left not
    assert 'class="band hold"' in page and 'class="band form"' in page
    assert 'class="band setup"' in page


def test_advice_is_chosen_from_the_session_and_cites_seeds(report: dict) -> None:
    keys = {a.key: a for a in advise(summarize_report(report))}
    assert keys["no_bouncing"].seeds == ("004",)
    assert keys["straight_back"].seeds == ("001", "002")
    assert keys["progress_hold"].seeds == ("004",)  # the left hold was 7 s
    assert keys["both_sides"].seeds == ("002", "003")  # 7 s left against 31 s right
    assert keys["twice_a_day"].seeds == ("003", "004")

    clean = make_report(fault_plan="none", hold_s={"right": 33.0, "left": 33.0}, duration_s=90)
    keys = {a.key for a in advise(summarize_report(clean))}
    assert {"no_bouncing", "straight_back", "progress_hold", "both_sides"}.isdisjoint(keys)
    assert "hold_reached" in keys


def test_citations_link_to_the_sources(page: str) -> None:
    assert '<a href="#seed-004">004</a>' in page
    for num in ("000", "001", "002", "003", "004"):
        assert f'id="seed-{num}"' in page


def test_user_strings_are_escaped() -> None:
    report = make_report(source_path=EVIL)
    report["warnings"][1]["message"] = '<img src=x onerror="alert(2)">'
    report["holds"][0]["stretch"] = "<b>odd</b>"
    report["session"]["id"] = "<i>id</i>"
    page = render_html_report(report, title="<h1>Title</h1>")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
    assert "<b>odd</b>" not in page and "<i>id</i>" not in page
    assert "<title>&lt;h1&gt;Title&lt;/h1&gt;</title>" in page


def test_only_data_image_uris_are_embedded() -> None:
    report = make_report()
    report["thumbnails"]["1"] = "javascript:alert(1)"
    report["key_frames"]["best_hold"] = 'https://example.com/x.jpg" onload="alert(1)'
    page = render_html_report(report)
    assert "javascript:" not in page and "example.com" not in page


def test_nulls_and_nans_make_gaps_not_errors() -> None:
    report = make_report()
    for f in report["frames"][100:400]:
        f["knee_extension_deg"] = None
        f["knee_extension_left_deg"] = None
        f["knee_extension_right_deg"] = None
    report["frames"][500]["hip_angle_deg"] = float("nan")
    report["holds"][0]["valid_s"] = None
    report["warnings"][1]["end_s"] = None  # still running when the report was written
    page = render_html_report(report)
    assert "NaN" not in page and "nan" not in re.sub(r"[a-z]nan|nan[a-z]", "", page)


def test_minimal_report_without_optional_keys() -> None:
    report = make_report(extras=False, per_leg=False)
    page = render_html_report(report)
    assert "Partial report" not in page
    assert "working leg" in page
    photo = render_html_report(make_photo_report())
    assert "Measured angles" in photo and "No faults" in photo
    empty = {"schema_version": 1, "source": {}, "frames": [], "holds": [], "warnings": []}
    assert "No hold was recorded" in render_html_report(empty)


def test_all_null_measurement_is_reported_not_plotted() -> None:
    report = make_report(extras=False, per_leg=False)
    for f in report["frames"]:
        f["trunk_inclination_deg"] = None
    assert "Not measured in this session" in render_html_report(report)


def test_partial_banner() -> None:
    page = render_html_report(make_report("supine_raise", partial=True, duration_s=30.0))
    assert "Partial report" in page and 'role="alert"' in page
    assert "Lying leg raise" in page


@pytest.mark.parametrize(
    "bad, match",
    [
        ([], "expected a JSON object"),
        ({"schema_version": 2}, "expected schema_version 1, found 2"),
        ({"schema_version": 1, "source": {}, "holds": [], "warnings": []}, "'frames' is missing"),
        (
            {"schema_version": 1, "source": {}, "frames": {}, "holds": [], "warnings": []},
            "'frames' should be a JSON array",
        ),
    ],
)
def test_invalid_reports_raise_input_error(bad: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        render_html_report(bad)  # type: ignore[arg-type]


def test_svg_line_chart_breaks_lines_at_nan() -> None:
    x = np.arange(10.0)
    y = np.array([1, 2, np.nan, 4, 5, 6, np.nan, 8, np.nan, 10.0])
    svg = svg_line_chart(x, [Series("y", y)])
    path = re.search(r'<path class="line s0" d="([^"]+)"', svg).group(1)
    assert path.count("M") == 2  # [0, 1] and [3, 4, 5]; 7 and 9 are lone dots
    assert svg.count("<circle") == 2
    assert "nan" not in svg.lower().replace("nanosec", "")


def test_svg_line_chart_decimates_long_series() -> None:
    x = np.arange(100_000) / 30.0
    y = np.sin(x)
    svg = svg_line_chart(x, [Series("y", y)], max_points=500)
    assert svg.count(" L") < 600
    assert len(svg) < 40_000


def test_nice_ticks() -> None:
    assert list(nice_ticks(0, 60, 6)) == [0, 10, 20, 30, 40, 50, 60]
    ticks = nice_ticks(83.2, 178.9, 4)
    assert ticks[0] <= 83.2 and ticks[-1] >= 178.9


def test_write_html_report_is_atomic(tmp_path: Path, report: dict, monkeypatch) -> None:
    out = tmp_path / "r.html"
    out.write_text("old page")

    def boom(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("formcheck.io.atomic.os.replace", boom)
    with pytest.raises(OutputError, match="No space left"):
        write_html_report(report, out)
    assert out.read_text() == "old page"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # temp file cleaned up
    monkeypatch.undo()
    write_html_report(report, out)
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_atomic_write_creates_missing_folder_but_not_under_a_file(tmp_path: Path) -> None:
    assert atomic_write_text(tmp_path / "new" / "x.html", "x").read_text() == "x"
    (tmp_path / "afile").write_text("")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        atomic_write_text(tmp_path / "afile" / "x.html", "x")


def test_frames_csv(tmp_path: Path, report: dict) -> None:
    out = write_frames_csv(report, tmp_path / "frames.csv")
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(report["frames"]) == 1800
    header = list(rows[0])
    assert header[: len(CONTRACT_COLUMNS)] == list(CONTRACT_COLUMNS)
    assert "trunk_inclination_deg" in header and "knee_extension_left_deg" in header
    first = rows[0]
    assert first["person"] == "false" and first["knee_extension_deg"] == ""
    i = next(i for i, f in enumerate(report["frames"]) if f["valid"])
    assert float(rows[i]["hip_angle_deg"]) == report["frames"][i]["hip_angle_deg"]
    assert rows[i]["valid"] == "true"


def test_frames_csv_nan_and_missing_keys() -> None:
    report = {"frames": [{"t_s": 0.0, "hip_angle_deg": float("nan")}, {"t_s": 0.5, "extra": [1]}]}
    lines = frames_csv_text(report).splitlines()
    assert lines == ["t_s,hip_angle_deg,extra", "0.0,,", "0.5,,[1]"]


def test_load_report_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_report(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"not valid JSON \(line 1 column 2"):
        load_report(bad)
    with pytest.raises(InputError, match="is a folder"):
        load_report(tmp_path)


def test_cli_report(tmp_path: Path, report: dict, capsys) -> None:
    src = tmp_path / "session.json"
    src.write_text(json.dumps(make_report(source_path=EVIL)))
    assert main(["report", str(src), "--csv", str(tmp_path / "f.csv")]) == 0
    page = (tmp_path / "session.html").read_text()
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert (tmp_path / "f.csv").read_text().startswith("t_s,person,")
    out = capsys.readouterr().out
    assert "session.html" in out and "f.csv" in out

    assert main(["report", str(src), "--html", str(tmp_path / "other.html"), "--title", "T"]) == 0
    assert "<title>T</title>" in (tmp_path / "other.html").read_text()


def test_cli_report_errors_are_one_line(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1}')
    assert main(["report", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'source' is missing" in err
    assert not (tmp_path / "bad.html").exists()


def test_summary_counts(report: dict) -> None:
    facts = summarize_report(report)
    assert facts.holds == 2 and facts.completed == 1
    assert facts.side_valid_s == {"left": 7.0, "right": 31.0}
    assert math.isclose(facts.balance_ratio, 7 / 31)
    assert facts.warning_counts["no_person"] == 2


def test_warning_thumbnail_by_reference() -> None:
    """The pipeline writes ``"thumbnail": "<key>"`` in a warning, the image in ``thumbnails``."""
    report = make_report()
    uri = report["thumbnails"].pop("1")
    report["thumbnails"]["snap-a"] = uri
    report["warnings"][1]["thumbnail"] = "snap-a"
    page = render_html_report(report)
    assert page.count(uri) == 1


# --- hold targets: the holds', else the plan's, else the catalogue's ---------------------------


def _summary_rows(page: str) -> list[str]:
    return re.findall(r"<td class=num>([\d.]+ / \d+ s)</td>", page)


def test_hold_target_comes_from_the_holds() -> None:
    report = make_report("supine_wall", hold_s={"right": 22.0, "left": 12.0})
    assert {h["target_s"] for h in report["holds"]} == {20.0}  # the catalogue's, seed 004
    page = render_html_report(report)
    assert [r.split(" / ")[1] for r in _summary_rows(page)] == ["20 s", "20 s"]
    keys = {a.key: a for a in advise(summarize_report(report))}
    assert keys["progress_hold"].headline == "Progress the hold from 10 s toward 20 s"
    assert "until you reach 20 s" in keys["progress_hold"].detail
    assert "30 s" not in page.split("<h2>Advice</h2>")[1].split("Sources")[0]


def test_hold_target_without_holds_targets_comes_from_plan_then_catalogue() -> None:
    report = make_report(hold_s={"right": 33.0, "left": 33.0}, fault_plan="none", duration_s=90)
    for h in report["holds"]:
        del h["target_s"]
    assert summarize_report(report).target_s == 30.0  # the catalogue's standing_fold
    over = load_catalogue({"stretch": {"standing_fold": {"hold_target_s": 40.0}}})
    facts = summarize_report(report, over)
    assert facts.target_s == 40.0 and facts.holds == 2
    assert "Progress the hold from 10 s toward 40 s" in render_html_report(report, catalogue=over)
    report["plan"] = {"plan": {"hold_s": 25.0}, "completed": {}}
    assert summarize_report(report, over).target_s == 25.0
    assert "keep holding about 25 s per leg" in render_html_report(report)


def test_no_hold_target_literal_in_the_pages() -> None:
    """The 30 s target of seeds 003 and 004 lives in the catalogue, not in the page code."""
    root = Path(__file__).resolve().parents[3] / "formcheck"
    for name in ("report/page.py", "report/advice.py", "report/facts.py", "history/page.py"):
        text = (root / name).read_text()
        assert not re.search(r"\b30(\.0)?\b", text), name


# --- the warnings CSV --------------------------------------------------------------------------


def test_warnings_csv(tmp_path: Path, report: dict) -> None:
    out = write_warnings_csv(report, tmp_path / "w.csv")
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(WARNING_COLUMNS)
    assert [r["kind"] for r in rows] == [w["kind"] for w in report["warnings"]]
    back = next(r for r in rows if r["kind"] == "back_rounding")
    assert (back["label"], back["category"]) == ("Back rounding", "form")
    nobody = rows[0]
    assert (nobody["label"], nobody["category"], nobody["duration_s"]) == (
        "Nobody in view",
        "setup",
        "2.5",
    )
    odd = {"warnings": [{"kind": "new_kind", "start_s": 1.0, "end_s": None, "message": None}]}
    assert warnings_csv_text(odd).splitlines()[1] == "new_kind,New kind,setup,1.0,,,"


def test_cli_report_warnings_csv_and_config(tmp_path: Path, capsys) -> None:
    src = tmp_path / "session.json"
    report = make_report(hold_s={"right": 33.0, "left": 33.0}, fault_plan="none", duration_s=90)
    for h in report["holds"]:
        del h["target_s"]
    src.write_text(json.dumps(report))
    settings = tmp_path / "s.toml"
    settings.write_text("[stretch.standing_fold]\nhold_target_s = 45\n")
    out = tmp_path / "w.csv"
    args = ["report", str(src), "--warnings-csv", str(out), "--config", str(settings)]
    assert main(args) == 0
    assert out.read_text().startswith("kind,label,category,")
    assert "toward 45 s" in (tmp_path / "session.html").read_text()
    assert "w.csv" in capsys.readouterr().out


def test_notes_are_shown_on_the_page() -> None:
    """What kept holds from starting, an unjudged back, no stretch: the page says it too."""
    report = make_report()
    report["notes"] = [
        "standing_fold: no hold started: knee bent on 83 % of the frames in the stretch",
        "standing_fold: back not judged from this view (turn side-on to the camera)",
        "<b>not markup</b>",
    ]
    page = render_html_report(report)
    assert "What formcheck noticed" in page
    assert "no hold started: knee bent on 83 %" in page
    assert "back not judged from this view" in page
    assert "&lt;b&gt;not markup&lt;/b&gt;" in page
    report["notes"] = []
    assert "What formcheck noticed" not in render_html_report(report)
