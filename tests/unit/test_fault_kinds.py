"""Every fault kind of the catalogue, in every output: generated from the catalogue.

For each kind in ``formcheck/stretches/catalogue.toml`` a session report with that warning is
rendered to the report page, the warnings CSV, the history (database and page), the overlay's
prompt bar and the live window's prompt with its voice and tone; each must show the
catalogue's label, message or prompt and the kind's category. A kind left out of an output
fails that output's test for that kind. The last tests check that every kind the coach can
raise is in the catalogue, and that the catalogue refuses inconsistent fault kinds.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import datetime as dt
import html
import io
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formcheck.draw.annotators import PanelAnnotator, prompt_text
from formcheck.errors import ConfigError
from formcheck.history import store as history
from formcheck.history.page import render_history_html
from formcheck.live.audio import AudioCues, RecordingAudio
from formcheck.live.prompts import choose_prompt
from formcheck.report.advice import SEEDS
from formcheck.report.csvfile import warnings_csv_text
from formcheck.report.page import render_html_report
from formcheck.stretches import catalogue as cat_module
from formcheck.stretches.catalogue import (
    FaultKind,
    fault_kind,
    fault_kinds,
    faults_by_priority,
    kinds_of,
    load_catalogue,
    most_important,
    parse_fault_kinds,
)
from formcheck.stretches.coach import PROMPT_PRIORITY, SITUATION_MESSAGES, HoldState, Verdict
from tests.fixtures_reports import make_fault_report, stretch_for_fault

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue()
KINDS = sorted(fault_kinds())
CHIP = {"form": "bad", "setup": "warn"}


def _chip(f: FaultKind) -> str:
    return f'<span class="chip {CHIP[f.category]}">{html.escape(f.label)}</span>'


def _verdict(warnings: tuple[str, ...], stretch: str | None = None, prompt: str | None = None):
    return Verdict(
        t_s=1.0,
        person=True,
        stretch=stretch,
        side="right" if stretch else None,
        posture=None,
        engaged=stretch is not None,
        knee_extension_deg=math.nan,
        hip_angle_deg=math.nan,
        leg_raise_deg=math.nan,
        lumbar_flexion_deg=math.nan,
        back_rounded=None,
        faults=warnings,
        warnings=warnings,
        valid=False,
        hold=HoldState(False),
        prompt=prompt,
    )


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    return {kind: make_fault_report(kind, seed=i) for i, kind in enumerate(KINDS)}


@pytest.fixture(scope="module")
def history_db(reports: dict[str, dict[str, Any]]):
    conn = history.open_db(":memory:")
    ids = {}
    for i, kind in enumerate(KINDS):
        report = dict(reports[kind])
        report["session"] = dict(report["session"], started_at=f"2025-03-14T{6 + i:02d}:00:00")
        ids[kind], _ = history.import_report(conn, report)
    yield conn, ids
    conn.close()


def test_the_catalogue_has_every_kind_the_outputs_need() -> None:
    assert {"back_rounding", "knee_bent", "bouncing", "back_off_floor", "legs_not_90"} <= set(
        kinds_of("form")
    )
    assert {"no_person", "out_of_frame", "not_side_view"} <= set(kinds_of("setup"))
    assert [f.priority for f in faults_by_priority()] == sorted(
        f.priority for f in fault_kinds().values()
    )


# --- one test per kind and output -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_report_page_shows_the_label_and_category(kind: str, reports) -> None:
    f = fault_kind(kind)
    page = render_html_report(reports[kind])
    assert _chip(f) in page, f"{kind}: no {f.category} chip labelled {f.label!r}"
    title = f"<title>{html.escape(f.label)} at "
    bands = re.findall(r'<rect class="band (\w+)"[^>]*><title>([^<]*) at ', page)
    assert (f.category, html.escape(f.label)) in bands, f"{kind}: no {f.category} band {title}"
    form_faults = re.search(r'<div class="v">(\d+)</div><div class="l">form faults</div>', page)
    assert form_faults and int(form_faults.group(1)) == (1 if f.is_form else 0)


@pytest.mark.parametrize("kind", KINDS)
def test_warnings_csv_shows_the_label_and_category(kind: str, reports) -> None:
    f = fault_kind(kind)
    report = reports[kind]
    rows = list(csv.DictReader(io.StringIO(warnings_csv_text(report))))
    start = round(report["holds"][0]["start_s"] + 2.0, 3)  # where make_fault_report put it
    mine = [r for r in rows if r["kind"] == kind and float(r["start_s"]) == start]
    assert len(mine) == 1, f"{kind} is missing from the warnings CSV"
    row = mine[0]
    assert (row["label"], row["category"]) == (f.label, f.category)
    assert row["message"] == CATALOGUE.message_for(kind, stretch_for_fault(kind))
    assert float(row["duration_s"]) == pytest.approx(1.5)


@pytest.mark.parametrize("kind", KINDS)
def test_history_counts_and_shows_the_kind(kind: str, history_db) -> None:
    conn, ids = history_db
    f = fault_kind(kind)
    session = next(s for s in history.list_sessions(conn) if s["id"] == ids[kind])
    assert session["form_faults"] == (1 if f.is_form else 0)
    assert kind in {w["kind"] for w in history.get_session(conn, ids[kind])["warnings"]}
    page = render_history_html(conn, days=3, today=dt.date(2025, 3, 14))
    row = re.search(re.escape(_chip(f)) + r"</td><td>(\w+)</td><td class=num>(\d+)</td>", page)
    assert row, f"{kind}: no row labelled {f.label!r} in the history page's faults"
    assert row.group(1) == f.category
    assert int(row.group(2)) >= 1


@pytest.mark.parametrize("kind", KINDS)
def test_overlay_prompt_bar_shows_the_catalogue_message(kind: str, monkeypatch) -> None:
    import cv2

    f = fault_kind(kind)
    stretch = stretch_for_fault(kind)
    assert prompt_text(_verdict((kind,))) == f.message
    assert prompt_text(_verdict((kind,), stretch), CATALOGUE) == CATALOGUE.message_for(
        kind, stretch
    )
    # the coach's own prompt wins when it has one
    assert prompt_text(_verdict((kind,), prompt="coach says")) == "coach says"
    # and the bar draws exactly the chosen text
    drawn: list[str] = []
    put = cv2.putText
    monkeypatch.setattr(
        cv2, "putText", lambda img, text, *a, **k: drawn.append(text) or put(img, text, *a, **k)
    )
    PanelAnnotator().annotate(np.zeros((240, 320, 3), np.uint8), _verdict((kind,)))
    assert drawn[-1] == f.message


@pytest.mark.parametrize("kind", KINDS)
def test_live_prompt_voice_and_tone_follow_the_catalogue(kind: str) -> None:
    f = fault_kind(kind)
    text, tone = choose_prompt(_verdict((kind,), "standing_fold"), None)
    audio = RecordingAudio()
    cues = AudioCues(audio, clock=lambda: 0.0)
    cues.update((kind,), prompt=text, now_s=10.0)
    if f.prompt is None:  # a note, never a correction: not shown as one, not spoken
        assert tone == "info" and not [e for e in audio.events if e[0] == "say"]
    else:
        assert (text, tone) == (f.prompt, "warn")
        assert ("say", f.prompt) in audio.events
    assert (("tone", "warning") in audio.events) == (f.tone == "warning")


@pytest.mark.parametrize("kind", KINDS)
def test_the_most_important_warning_wins(kind: str) -> None:
    f = fault_kind(kind)
    lower = tuple(g.kind for g in faults_by_priority() if g.priority > f.priority)
    higher = tuple(g.kind for g in faults_by_priority() if g.priority < f.priority)
    assert most_important([*lower, kind]) == f
    if higher:
        assert most_important([kind, *higher]).kind == higher[0]
    assert prompt_text(_verdict((*lower, kind))) == f.message
    if f.prompt:
        assert choose_prompt(_verdict((*lower, kind), "standing_fold"), None) == (f.prompt, "warn")


# --- the coach and the catalogue agree --------------------------------------------------------


def _literal_fault_kinds(path: Path) -> set[str]:
    """Kinds written as ``faults["kind"] = ...`` or ``SITUATION_MESSAGES["kind"]`` in a file."""
    kinds = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("faults", "SITUATION_MESSAGES")
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            kinds.add(node.slice.value)
    return kinds


def test_every_kind_the_coach_can_raise_is_in_the_catalogue() -> None:
    raised = {r.fault for sid in CATALOGUE.stretches for r in CATALOGUE.rules_for(sid)}
    raised |= set(SITUATION_MESSAGES) | set(PROMPT_PRIORITY)
    files = [*(ROOT / "formcheck" / "stretches").glob("*.py"), ROOT / "formcheck" / "pipeline.py"]
    for path in files:
        raised |= _literal_fault_kinds(path)
    assert "no_person" in raised and "knee_bent" in raised  # the scan found the coach's kinds
    assert raised <= set(fault_kinds()), (
        f"not in the catalogue: {sorted(raised - set(fault_kinds()))}"
    )


def test_the_coach_reads_its_tables_from_the_catalogue() -> None:
    assert tuple(f.kind for f in faults_by_priority()) == PROMPT_PRIORITY
    assert {k: f.message for k, f in fault_kinds().items() if not f.is_form} == SITUATION_MESSAGES


def test_the_coach_prompts_the_catalogue_message() -> None:
    from formcheck.metrics.measures import empty_metrics
    from formcheck.stretches.coach import Coach

    coach = Coach()
    v = None
    for i in range(60):  # two seconds with nobody in view
        v = coach.update(empty_metrics(i / 30.0))
    assert v is not None and "no_person" in v.warnings
    assert v.prompt == fault_kind("no_person").message


def test_citations_name_seeds_the_report_lists() -> None:
    for f in fault_kinds().values():
        if f.is_form:
            assert f.seeds, f"{f.kind} has no seed citation"
        assert set(f.seeds) <= set(SEEDS), f.kind


def test_unknown_kinds_are_shown_not_lost() -> None:
    f = fault_kind("made_up_kind")
    assert (f.label, f.category, f.prompt) == ("Made up kind", "setup", None)
    assert most_important(["made_up_kind", "knee_bent"]).kind == "knee_bent"
    assert most_important([]) is None


# --- the catalogue refuses inconsistent fault kinds -------------------------------------------


def test_settings_cannot_change_fault_kinds() -> None:
    with pytest.raises(ConfigError, match="fault kinds"):
        load_catalogue({"fault": {"knee_bent": {"label": "x"}}})


def _toml() -> dict[str, Any]:
    return tomllib.loads((ROOT / "formcheck/stretches/catalogue.toml").read_text("utf-8"))


def test_a_rule_must_name_a_catalogue_fault(monkeypatch) -> None:
    broken = _toml()
    broken["common"]["rules"]["no_bouncing"]["fault"] = "wobbling"
    monkeypatch.setattr(cat_module, "_default_data", lambda: broken)
    with pytest.raises(
        ConfigError, match=r"common\.rules\.no_bouncing\.fault' must be a fault kind"
    ):
        load_catalogue()


@pytest.mark.parametrize(
    "change, match",
    [
        ({"category": "posture"}, "category' must be one of"),
        ({"priority": 0}, "priority' must be a whole number"),
        ({"priority": 1}, "is also that of 'no_person'"),
        ({"source": None}, "source' must be a non-empty text"),
        ({"source": "somewhere"}, "must start with a seed number"),
        ({"tone": "siren"}, "tone' must be one of"),
        ({"colour": "red"}, "unknown key 'fault.knee_bent.colour'"),
    ],
)
def test_bad_fault_kinds_are_refused(change: dict[str, Any], match: str) -> None:
    data = _toml()["fault"]
    data["knee_bent"].update(change)
    data["knee_bent"] = {k: v for k, v in data["knee_bent"].items() if v is not None}
    with pytest.raises(ConfigError, match=match):
        parse_fault_kinds(data)


def test_fault_kinds_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        fault_kind("knee_bent").label = "x"  # type: ignore[misc]
