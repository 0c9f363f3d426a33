"""The person's neutral back end to end (formcheck/metrics/backref.py): a video measures it from
its upright frames, the history keeps it, and a photo is judged against it; the report names
the reference every time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import sample
from tests.e2e.clirun import run_cli

pytestmark = [pytest.mark.model]


def _analyze(tmp_path: Path, media: Path, name: str, *extra: str) -> dict:
    out = tmp_path / f"{name}.json"
    proc = run_cli("analyze", media, "--json", out, "--no-html", "--no-csv", *extra, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


def test_video_reference_is_saved_and_reused_for_a_photo(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    photo = sample("standing_fold.jpg")
    # no history yet: the photo is judged against the population rule, and says so
    first = _analyze(tmp_path, photo, "photo0", "--db", str(db))
    assert first["back_reference"]["source"] == "population"

    video = _analyze(tmp_path, sample("standing_fold_good.mp4"), "video", "--db", str(db))
    ref = video["back_reference"]
    assert ref["source"] == "upright_frames", ref
    assert ref["frames"] >= 8 and -15.0 <= ref["bias_deg"] <= 15.0
    assert any(n.startswith("back judged against your upright posture") for n in video["notes"])

    photo2 = _analyze(tmp_path, photo, "photo1", "--db", str(db))
    saved = photo2["back_reference"]
    assert saved["source"] == "saved" and saved["bias_deg"] == ref["bias_deg"]
    assert saved["taken_at"][:10] == video["session"]["started_at"][:10]

    # --no-history: nothing read from the history either
    plain = _analyze(tmp_path, photo, "photo2", "--no-history")
    assert plain["back_reference"]["source"] == "population"
