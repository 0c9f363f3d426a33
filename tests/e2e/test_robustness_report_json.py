"""Issue 16: a hand-made or damaged JSON report is refused in one line, and nothing it holds
breaks a later page.

``formcheck report`` and ``formcheck history import`` check a report against the contract
(:func:`formcheck.report.schema.validate_report`): every field the contract names must hold a
value of its kind and range, and the file must not nest deeper than the schema allows. A history
written before that check (a row holding 1e308) still gives a history page
(``docs/robustness.md``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest

from formcheck import cli
from tests.fixtures_reports import make_report


def _one_line(code: int, err: str, *fragments: str) -> str:
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcheck: error: "), err
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]


def _report_text(field: tuple[str, int, str], raw: str) -> str:
    """A good report whose ``field`` (section, index, key) holds ``raw``, spelled as in JSON."""
    report = make_report()
    section, index, key = field
    report[section][index][key] = "__VALUE__"
    return json.dumps(report).replace('"__VALUE__"', raw)


HOLD_VALUES = {
    "huge": ("1e308", "found 1e+308"),
    "negative": ("-5", "found -5"),
    "NaN": ("NaN", "found NaN"),
    "infinite": ("Infinity", "found Infinity"),
    "text": ('"long"', 'found "long"'),
    "boolean": ("true", "found true"),
}


@pytest.mark.parametrize("case", sorted(HOLD_VALUES))
@pytest.mark.parametrize("command", ["report", "history import"])
def test_a_bad_hold_value_is_one_line(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, found = HOLD_VALUES[case]
    path = tmp_path / "r.json"
    path.write_text(_report_text(("holds", 0, "valid_s"), raw))
    db = tmp_path / "h.sqlite3"
    argv = ["report", str(path)] if command == "report" else ["history", "--db", str(db)]
    if command == "history import":
        argv += ["import", str(path)]
    msg = _one_line(cli.main(argv), capsys.readouterr().err, "holds[0].valid_s", found)
    assert "a number of seconds from 0 to" in msg
    assert not (tmp_path / "r.html").exists()
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone() == (0,)


@pytest.mark.parametrize(
    ("field", "raw", "fragment"),
    [
        (("frames", 3, "t_s"), "-1", "frames[3].t_s must be a number of seconds"),
        (("frames", 3, "knee_extension_deg"), "1e300", "frames[3].knee_extension_deg"),
        (("frames", 3, "person"), '"yes"', "frames[3].person must be true or false"),
        (("holds", 0, "side"), '"middle"', 'holds[0].side must be "left", "right" or "both"'),
        (("warnings", 0, "start_s"), "1e19", "warnings[0].start_s"),
        (("warnings", 0, "kind"), "7", "warnings[0].kind must be a text"),
    ],
)
def test_other_fields_are_checked(
    field: tuple[str, int, str],
    raw: str,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "r.json"
    path.write_text(_report_text(field, raw))
    _one_line(cli.main(["report", str(path)]), capsys.readouterr().err, fragment)


@pytest.mark.parametrize(
    ("depth", "fragment"), [(200, "nest more than 64 deep"), (100_000, "nest more than 64 deep")]
)
def test_deeply_nested_json_is_one_line(
    depth: int, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """200 levels are read by json.loads and refused by the depth check; 100000 levels are
    more than json.loads can read."""
    text = json.dumps(make_report())
    path = tmp_path / "r.json"
    path.write_text(text[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}")
    _one_line(cli.main(["report", str(path)]), capsys.readouterr().err, fragment)
    db = tmp_path / "h.sqlite3"
    argv = ["history", "--db", str(db), "import", str(path)]
    _one_line(cli.main(argv), capsys.readouterr().err, fragment)


def test_an_integer_too_long_to_read_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    path.write_text(_report_text(("holds", 0, "valid_s"), "1" * 5000))
    _one_line(cli.main(["report", str(path)]), capsys.readouterr().err, "number is too long")


def test_history_page_survives_rows_from_before_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A history imported before reports were checked can hold 1e308 and -1e308: the page is
    still written, and the rest of the history is still drawn."""
    report = make_report()
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    db = tmp_path / "h.sqlite3"
    assert cli.main(["history", "--db", str(db), "import", str(path)]) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE holds SET valid_s = 1e308, duration_s = 1e308 WHERE id = 1")
        conn.execute("UPDATE holds SET valid_s = -1e308, best_hip_angle_deg = 1e308 WHERE id = 2")
        conn.execute("UPDATE sessions SET duration_s = 1e308")
        day = conn.execute("SELECT day FROM sessions").fetchone()[0]
        from formcheck.history.importer import refresh_day

        refresh_day(conn, day)
    days = (dt.date.today() - dt.date.fromisoformat(day)).days + 2
    out = tmp_path / "h.html"
    capsys.readouterr()
    code = cli.main(["history", "--db", str(db), "html", str(out), "--days", str(days)])
    assert code == 0, capsys.readouterr().err
    page = out.read_text()
    assert "<svg" in page
    assert not re.search(r'="-?(nan|inf)', page, re.IGNORECASE), "a coordinate is not a number"
