"""Issue 16: the pages draw whatever a report or the history holds, clamping what cannot be drawn.

The schema keeps new reports inside sane ranges, but a report built in-process or a history row
written before reports were checked can hold 1e308, -1e308, infinities or integers too large for
a float: the charts leave such values out (a gap), the CSV leaves them empty.
"""

from __future__ import annotations

import math
import re

import numpy as np

from formcheck.report.charts import Series, svg_bar_chart, svg_line_chart
from formcheck.report.csvfile import warnings_csv_text
from formcheck.report.facts import as_float
from tests.fixtures_reports import make_report

_BAD_NUMBER = re.compile(r'="-?(nan|inf)', re.IGNORECASE)


def test_line_chart_leaves_out_values_it_cannot_draw() -> None:
    x = np.array([0.0, 1.0, 2.0, 1e308, 4.0])
    y = np.array([10.0, 1e308, -1e308, 20.0, np.inf])
    svg = svg_line_chart(x, [Series("knee", y, markers=True)])
    assert not _BAD_NUMBER.search(svg)
    assert svg.count("<circle") == 1  # only (0, 10) has both coordinates drawable


def test_line_chart_with_an_undrawable_x_range() -> None:
    svg = svg_line_chart([0.0, 1.0], [Series("a", np.array([1.0, 2.0]))], x_range=(0.0, 1e308))
    assert not _BAD_NUMBER.search(svg) and "<path" in svg


def test_bar_chart_leaves_out_values_it_cannot_draw() -> None:
    svg = svg_bar_chart(["a", "b", "c"], [Series("hold", np.array([30.0, 1e308, -1e308]))])
    assert not _BAD_NUMBER.search(svg)
    assert svg.count('class="bar') == 1  # only the 30 s hold has a bar


def test_integers_too_large_for_a_float() -> None:
    assert math.isnan(as_float(10**400))
    report = make_report()
    report["warnings"][0]["start_s"] = 10**400
    text = warnings_csv_text(report)
    assert text.count("\r\n") == len(report["warnings"]) + 1
