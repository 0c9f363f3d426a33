"""Issue 16: an output never destroys an input, the history, or another output of the same run.

Every command that writes lists its outputs and inputs for one check
(:func:`formcheck.io.paths.refuse_overwrites`): an output that is the same file as an input
(also through a symlink or a hard link), as the history database, or as another output is
refused with one line and exit code 2 before any work, and the file is left as it was. In a
batch, inputs that share a file name get reports of their own (``docs/robustness.md``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import media
import pytest

from formcheck import cli
from tests.e2e.clirun import REPO, assert_one_line_error, run_cli
from tests.fixtures_reports import make_report


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The analysis must not start: the refusal comes before any work."""
    import formcheck.pipeline

    def boom(*a: Any, **k: Any) -> None:
        raise AssertionError("the analysis started although an output is refused")

    monkeypatch.setattr(formcheck.pipeline, "analyze", boom)


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcheck: error: "), err
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]


# --------------------------------------------------------------------------- analyze


def _analyze_cases(d: Path, video: Path) -> dict[str, tuple[list[Any], Path, str]]:
    """case -> (extra arguments, the file that must survive, a fragment of the error)."""
    link = d / "link.mp4"
    link.symlink_to(video)
    hard = d / "hard.mp4"
    os.link(video, hard)
    cfg = d / "settings.toml"
    cfg.write_text("[pose]\nnum_poses = 1\n")
    db = d / "history.sqlite3"
    db.write_bytes(b"not touched")
    return {
        "annotate is the input": (["--annotate", video], video, "would overwrite the input"),
        "json is the input": (["--json", video], video, "would overwrite the input"),
        "annotate is a symlink to the input": (["--annotate", link], video, "the same file"),
        "json is a hard link to the input": (["--json", hard], video, "the same file"),
        "json is the settings file": (
            ["--json", cfg, "--config", cfg],
            cfg,
            "would overwrite the settings file",
        ),
        "json is the history database": (["--json", db, "--db", db], db, "history database"),
        "annotate is the history database": (["--annotate", db, "--db", db], db, "history"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "annotate is the input",
        "json is the input",
        "annotate is a symlink to the input",
        "json is a hard link to the input",
        "json is the settings file",
        "json is the history database",
        "annotate is the history database",
    ],
)
def test_analyze_never_overwrites_an_input(
    case: str, tmp_path: Path, no_analysis: None, capsys: pytest.CaptureFixture[str]
) -> None:
    video = media.pattern_video(tmp_path / "clip.mp4", 5)
    extra, keep, fragment = _analyze_cases(tmp_path, video)[case]
    before = _digest(keep)
    _refused(["analyze", video, "--no-csv", "--no-html", *extra], capsys, fragment)
    assert _digest(keep) == before


@pytest.mark.parametrize(("json_name", "other"), [("x.csv", "per-frame CSV"), ("x.html", "HTML")])
def test_analyze_json_named_like_its_csv_or_html(
    json_name: str,
    other: str,
    tmp_path: Path,
    no_analysis: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--json x.csv`` would be replaced by the CSV written beside it (``x.csv``)."""
    video = media.pattern_video(tmp_path / "clip.mp4", 5)
    msg = _refused(
        ["analyze", video, "--json", tmp_path / json_name, "--no-history"], capsys, other
    )
    assert "written to one file" in msg


def test_analyze_refusal_as_a_user_types_it(tmp_path: Path) -> None:
    video = media.pattern_video(tmp_path / "clip.mp4", 5)
    before = _digest(video)
    proc = run_cli("analyze", video, "--annotate", video, "--no-history", cwd=tmp_path)
    assert_one_line_error(proc, "--annotate", "would overwrite the input")
    assert _digest(video) == before


def _fake_analyze(input_path: Any, settings: Any = None, outputs: Any = None, **k: Any) -> Any:
    report = make_report()
    report["source"]["path"] = str(input_path)
    report["session"]["id"] = f"fake-{input_path}"
    return report


def test_batch_inputs_with_one_name_get_reports_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``a/clip.mp4`` and ``b/clip.mp4``: two reports, two history rows, each its own file."""
    import formcheck.pipeline

    monkeypatch.setattr(formcheck.pipeline, "analyze", _fake_analyze)
    monkeypatch.chdir(tmp_path)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "clip.mp4").write_bytes(b"stand-in")
    db = tmp_path / "h.sqlite3"
    code = cli.main(["analyze", "a/clip.mp4", "b/clip.mp4", "--out", "out", "--db", str(db)])
    assert code == 0, capsys.readouterr()
    reports = sorted((tmp_path / "out").glob("*.json"))
    assert [p.name for p in reports] == ["a-clip.json", "b-clip.json"]
    sources = {json.loads(p.read_text())["source"]["path"] for p in reports}
    assert sources == {"a/clip.mp4", "b/clip.mp4"}
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT source_path, report_path FROM sessions").fetchall()
    assert len(rows) == 2 and len({r[1] for r in rows}) == 2, rows


def test_batch_the_same_input_twice_is_refused(
    tmp_path: Path, no_analysis: None, capsys: pytest.CaptureFixture[str]
) -> None:
    video = media.pattern_video(tmp_path / "clip.mp4", 5)
    _refused(
        ["analyze", video, tmp_path / "." / "clip.mp4", "--out", tmp_path / "o", "--no-history"],
        capsys,
        "given twice",
    )


# --------------------------------------------------------------------------- report, history


@pytest.fixture
def saved_report(tmp_path: Path) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(make_report()))
    return path


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--html", "{r}"], "would overwrite the report"),
        (["--csv", "{r}"], "would overwrite the report"),
        (["--warnings-csv", "{r}"], "would overwrite the report"),
        (["--html", "{d}/x", "--csv", "{d}/x"], "written to one file"),
    ],
)
def test_report_never_overwrites_its_report(
    flags: list[str], fragment: str, saved_report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _digest(saved_report)
    argv = [f.format(r=saved_report, d=saved_report.parent) for f in flags]
    _refused(["report", saved_report, *argv], capsys, fragment)
    assert _digest(saved_report) == before
    assert not (saved_report.parent / "x").exists()


def test_report_default_page_beside_a_report_named_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report saved as ``r.html``: its default page (``r.html``) is the report itself."""
    path = tmp_path / "r.html"
    path.write_text(json.dumps(make_report()))
    before = _digest(path)
    _refused(["report", path], capsys, "would overwrite the report")
    assert _digest(path) == before


def _history(tmp_path: Path, saved_report: Path) -> Path:
    db = tmp_path / "h.sqlite3"
    assert cli.main(["history", "--db", str(db), "import", str(saved_report)]) == 0
    return db


@pytest.mark.parametrize("how", ["same path", "symlink"])
def test_history_html_never_overwrites_the_database(
    how: str, tmp_path: Path, saved_report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _history(tmp_path, saved_report)
    out = db
    if how == "symlink":
        out = tmp_path / "page.html"
        out.symlink_to(db)
    before = _digest(db)
    capsys.readouterr()
    _refused(["history", "--db", db, "html", out], capsys, "would overwrite the history database")
    assert _digest(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone() == (1,)


# --------------------------------------------------------------------------- live, render


def test_live_never_overwrites_its_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = media.pattern_video(tmp_path / "clip.mp4", 5)
    before = _digest(video)
    _refused(
        ["live", "--source", video, "--json", video, "--no-window", "--mute", "--no-history"],
        capsys,
        "would overwrite the input",
    )
    assert _digest(video) == before


def test_render_never_overwrites_its_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("formcheck.synth.render")
    import formcheck.synth.render

    def boom(*a: Any, **k: Any) -> None:
        raise AssertionError("rendering started although the output is the spec")

    monkeypatch.setattr(formcheck.synth.render, "render_spec", boom)
    spec = tmp_path / "spec.toml"
    spec.write_bytes((REPO / "samples" / "specs" / "standing_fold_good.toml").read_bytes())
    before = _digest(spec)
    _refused(["render", spec, spec], capsys, "would overwrite the spec")
    assert _digest(spec) == before
