"""The assessment's outputs: the HTML page and the CSV of the trials.

Read from the report's ``assessment`` section (docs/architecture.md): each trial with its
validity (and the failed checks named), the still of the frame it was measured on, the best and
mean per side read against the norms (with their sources), the side-to-side difference, and the
reminder that none of it is a diagnosis.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from formcheck.assess.norms import get_test
from formcheck.io.atomic import atomic_write_text
from formcheck.report.shell import esc, html_page, safe_image_uri, table_html, tiles_html

#: the columns of the trials CSV
TRIAL_COLUMNS = (
    "test",
    "attempt",
    "side",
    "value_deg",
    "valid",
    "counted",
    "reasons",
    "start_s",
    "top_s",
    "end_s",
    "completed",
    "knee_extension_deg",
    "hip_angle_deg",
    "other_leg_raise_deg",
    "pelvis_lift_torso",
    "off_side_deg",
    "interpretation",
)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def assessment_csv_text(report: dict[str, Any]) -> str:
    """One row per trial, then one summary row per side (``attempt`` = ``best`` / ``mean``)."""
    a = report["assessment"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRIAL_COLUMNS)
    for t in a["trials"]:
        top = t.get("at_top", {})
        row = {**t, **{k: top.get(k) for k in TRIAL_COLUMNS if k in top}}
        row["reasons"] = "; ".join(t["reasons"])
        row["interpretation"] = None
        w.writerow([_cell(row.get(c)) for c in TRIAL_COLUMNS])
    for side, r in a["sides"].items():
        interp = (r.get("interpretation") or {}).get("label")
        for what in ("best", "mean"):
            row = {"test": a["test"], "attempt": what, "side": side,
                   "value_deg": r[f"{what}_deg"], "interpretation": interp}  # fmt: skip
            w.writerow([_cell(row.get(c)) for c in TRIAL_COLUMNS])
    return buf.getvalue()


def write_assessment_csv(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the trials CSV atomically; returns the path (``OutputError`` if it cannot)."""
    return atomic_write_text(path, assessment_csv_text(report))


def _deg(v: Any) -> str:
    return "—" if v is None else f"{float(v):.0f}°"


def assessment_section(a: dict[str, Any]) -> str:
    """The assessment as HTML cards: results per side, then every trial with its still."""
    test = get_test(a["test"])
    tiles = []
    for side, r in a["sides"].items():
        label = (r.get("interpretation") or {}).get("label", "not measured")
        tone = "good" if label == "usual" else ""
        tiles.append((_deg(r["mean_deg"]), f"{side} mean ({label})", tone))
        tiles.append((_deg(r["best_deg"]), f"{side} best of {r['trials']}", ""))
    parts = [
        f'<section class="card"><h2>{esc(a["name"])}</h2>',
        f'<p class="muted">Measure: {esc(a["measure"])}. Minimal detectable change '
        f"{a['mdc_deg']:.0f}° [{esc(a['mdc_source'])}]: smaller differences between sessions "
        "are within measurement error.</p>",
        tiles_html(tiles),
    ]
    for side, r in a["sides"].items():
        interp = r.get("interpretation")
        if interp:
            sd = f" Trial-to-trial SD {r['sd_deg']:.1f}°." if r.get("sd_deg") is not None else ""
            parts.append(
                f"<p><b>{esc(side.capitalize())}:</b> {esc(interp['text'])}{esc(sd)} "
                f'<cite class="cite">[{esc(interp["source"])}]</cite></p>'
            )
    diff = a.get("side_difference")
    if diff:
        parts.append(
            f'<p class="{"banner" if diff["flagged"] else "muted"}">{esc(diff["text"])} '
            f'<cite class="cite">[{esc(diff["source"])}]</cite></p>'
        )
    if not a.get("complete"):
        parts.append('<p class="banner partial">Not every side has its three valid trials.</p>')
    parts.append(f'<p class="muted">{esc(a["disclaimer"])}</p></section>')
    rows = []
    for t in a["trials"]:
        uri = safe_image_uri(t.get("still"))
        img = (
            f'<img class="thumb" style="width:260px;max-width:100%" src="{uri}" '
            f'alt="trial {t["attempt"]} at its top">'
            if uri
            else "—"
        )
        state = "counted" if t["counted"] else ("valid (extra)" if t["valid"] else "not valid")
        chip = "good" if t["counted"] else ("" if t["valid"] else "warn")
        why = esc("; ".join(t["reasons"])) if t["reasons"] else ""
        rows.append(
            [
                str(t["attempt"]),
                esc(t["side"]),
                _deg(t["value_deg"]),
                f'<span class="chip {chip}">{esc(state)}</span> {why}',
                "—" if t["top_s"] is None else f"{t['top_s']:.1f} s",
                img,
            ]
        )
    parts.append(
        f'<section class="card"><h2>Trials ({esc(test.short)})</h2>'
        + table_html(["#", "side", "value", "validity", "top at", "measured on"], rows, (0, 2, 4))
        + "</section>"
    )
    return "".join(parts)


def render_assessment_html(report: dict[str, Any]) -> str:
    """The assessment's page: header, results, trials, notes."""
    a = report["assessment"]
    src = report.get("source", {})
    ses = report.get("session", {})
    head = (
        f'<header class="page"><h1>Flexibility assessment</h1><div class="meta">'
        f"<b>{esc(src.get('path', ''))}</b> · {esc(ses.get('started_at', ''))} · "
        f"sides: {esc(', '.join(a['sides_tested']))}</div></header>"
    )
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.get("notes", []))
    body = head + assessment_section(a)
    if notes:
        body += f'<section class="card"><h2>Notes</h2><ul>{notes}</ul></section>'
    return html_page(f"{a['name']} — formcheck", body)


def write_assessment_html(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the assessment's page atomically; returns the path."""
    return atomic_write_text(path, render_assessment_html(report))


__all__ = [
    "TRIAL_COLUMNS",
    "assessment_csv_text",
    "assessment_section",
    "render_assessment_html",
    "write_assessment_csv",
    "write_assessment_html",
]
