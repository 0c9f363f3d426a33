"""Report charts: the rule's threshold drawn, metrics that do not apply left out (issue 17)."""

from __future__ import annotations

import re

from formcheck.report.page import render_html_report
from formcheck.report.plots import applies, limit_lines, rounding_limit_deg
from formcheck.stretches.catalogue import load_catalogue
from tests.fixtures_reports import make_report


def _chart_titles(html: str) -> list[str]:
    return re.findall(r'<p class="chart-title">([^<]+)</p>', html)


def test_knee_and_rounding_limits_are_drawn():
    html = render_html_report(make_report("standing_fold"))
    cat = load_catalogue()
    knee_min = next(r.min for r in cat.rules_for("standing_fold") if r.id == "knee_straight")
    assert f"{knee_min:g}° knee limit" in html
    assert f"{rounding_limit_deg():g}° rounding limit" in html
    assert html.count('<line class="limit"') >= 2
    assert "rule&#x27;s limit" in html or "rule's limit" in html


def test_metrics_that_do_not_apply_are_left_out():
    fold = _chart_titles(render_html_report(make_report("standing_fold")))
    assert "Leg raise" not in fold
    assert "Knee extension" in fold and any(t.startswith("Hip angle") for t in fold)
    assert "Trunk inclination" in fold
    supine = _chart_titles(render_html_report(make_report("supine_raise")))
    assert "Leg raise" in supine
    assert "Trunk inclination" not in supine


def test_limits_follow_settings_overrides():
    cat = load_catalogue({"stretch": {"standing_fold": {"rules": {"knee_straight": {"min": 140}}}}})
    lines = limit_lines("knee_extension_deg", ["standing_fold"], cat)
    assert [ln.y for ln in lines] == [140.0]
    assert lines[0].css == "limit"


def test_no_stretch_recognised_shows_every_metric():
    cat = load_catalogue()
    assert applies("leg_raise_deg", [], cat)
    assert applies("trunk_inclination_deg", ["unknown"], cat)
