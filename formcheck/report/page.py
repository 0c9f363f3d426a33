"""The per-session HTML report: one self-contained page built from a JSON report.

The page opens offline: CSS is inline, plots are inline SVG (:mod:`formcheck.report.charts`),
images are ``data:`` URIs carried by the report, and nothing refers to another file or a URL.
Every string that comes from the user or a file (source path, titles, messages, stretch ids) is
HTML-escaped.

The report is read as the JSON REPORT CONTRACT (schema_version 1, ``docs/architecture.md``)
describes it; the optional keys ``session``, ``plan``, ``thumbnails``, ``key_frames`` and extra
frame keys (``trunk_inclination_deg``, ``knee_extension_left_deg`` ...) are used when present.
Fault labels and categories come from the stretch catalogue
(:mod:`formcheck.stretches.catalogue`); the facts and the advice from
:mod:`formcheck.report.facts` and :mod:`formcheck.report.advice`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from formcheck import __version__
from formcheck.io.atomic import atomic_write_text
from formcheck.report.advice import advice_html, advise, cite, sources_html
from formcheck.report.facts import (
    BALANCE_RATIO,
    SessionFacts,
    as_float,
    end_s,
    session_info,
    summarize_report,
)
from formcheck.report.media import annotated_section, setup_section
from formcheck.report.plots import plots_section
from formcheck.report.schema import validate_report
from formcheck.report.shell import (
    balance_bar_html,
    esc,
    fault_chip_html,
    fmt_clock,
    fmt_s,
    html_page,
    safe_image_uri,
    stretch_name,
    table_html,
    tiles_html,
)
from formcheck.stretches.catalogue import Catalogue, fault_kind


def _notes_section(report: dict[str, Any]) -> str:
    """The report's notes: no stretch recognised, what kept holds from starting, where the back
    was not judged, an interrupted or damaged input (empty when there are none)."""
    notes = [str(n) for n in report.get("notes") or [] if str(n).strip()]
    if not notes:
        return ""
    items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return f'<section class="card"><h2>What formcheck noticed</h2><ul>{items}</ul></section>'


def _summary_section(facts: SessionFacts) -> str:
    parts = ['<section class="card"><h2>Session summary</h2>']
    if not facts.sides:
        parts.append('<p class="muted">No hold was recorded in this session.</p>')
    for stretch in facts.stretches:
        sides = facts.sides.get(stretch, {})
        parts.append(f"<h3>{esc(stretch_name(stretch))}</h3>")
        if not sides:
            parts.append('<p class="muted">Seen, but no hold was recorded.</p>')
            continue
        rows = []
        order = sorted(sides, key=lambda s: {"left": 0, "right": 1, "both": 2}.get(s, 3))
        for side in order:
            st = sides[side]
            target = st.target_s if math.isfinite(st.target_s) else facts.default_target_s
            frac = min(1.0, st.best_valid_s / target) if target > 0 else 1.0
            done = st.completed > 0
            status = (
                '<span class="chip good">Completed</span>'
                if done
                else '<span class="chip warn">Not yet</span>'
            )
            bar = (
                f'<div class="bar-track" title="{st.best_valid_s:.1f} of {target:.0f} s">'
                f'<div class="bar-fill{" done" if done else ""}" style="width:{100 * frac:.0f}%">'
                "</div></div>"
            )
            rows.append(
                [
                    esc(side.capitalize()),
                    f"{st.holds}",
                    f"{st.completed} of {st.holds}",
                    bar,
                    f"{st.best_valid_s:.1f} / {target:.0f} s",
                    f"{st.valid_s:.1f} s",
                    status,
                ]
            )
        parts.append(
            table_html(
                [
                    "Side",
                    "Holds (reps)",
                    "Completed",
                    "Best hold vs target",
                    "",
                    "Good-form time",
                    "Status",
                ],
                rows,
                num=(1, 2, 4, 5),
            )
        )
    left, right = facts.side_valid_s["left"], facts.side_valid_s["right"]
    if left + right > 0:
        ratio = facts.balance_ratio
        verdict = (
            '<span class="chip good">Balanced</span>'
            if ratio >= BALANCE_RATIO
            else '<span class="chip bad">Unbalanced</span>'
        )
        parts.append(f"<h3>Left / right balance {verdict}</h3>")
        parts.append(balance_bar_html(left, right))
        parts.append(
            '<p class="muted">Good-form hold seconds per side over all stretches; balanced when '
            f"the smaller side has at least {BALANCE_RATIO:.0%} of the larger.</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _warning_thumbnail(report: dict[str, Any], index: int, warning: dict[str, Any]) -> str | None:
    """The snapshot of warning ``index``: ``warning["thumbnail"]`` as a data URI, or as a key
    of ``report["thumbnails"]``, or the warning's index, ``key`` or ``id`` as such a key."""
    ref = warning.get("thumbnail")
    direct = safe_image_uri(ref)
    if direct:
        return direct
    thumbs = report.get("thumbnails")
    if not isinstance(thumbs, dict):
        return None
    for key in (ref, str(index), warning.get("key"), warning.get("id")):
        if key is not None and str(key) in thumbs:
            return safe_image_uri(thumbs[str(key)])
    return None


def _faults_section(report: dict[str, Any], duration: float) -> str:
    warnings = report.get("warnings", [])
    parts = ['<section class="card"><h2>Faults and warnings</h2>']
    if not warnings:
        parts.append(
            '<p><span class="chip good">No faults</span> Nothing to correct.</p></section>'
        )
        return "".join(parts)
    rows = []
    for i, w in enumerate(warnings):
        fault = fault_kind(str(w.get("kind") or "unknown"))
        start = as_float(w.get("start_s"))
        end = end_s(w, duration)
        thumb = _warning_thumbnail(report, i, w)
        img = (
            f'<img class="thumb" src="{esc(thumb)}" '
            f'alt="{esc(fault.label)} at {esc(fmt_clock(start))}">'
            if thumb
            else '<span class="muted">—</span>'
        )
        rows.append(
            [
                fault_chip_html(fault.kind),
                f'<span class="nowrap">{esc(fmt_clock(start))}–{esc(fmt_clock(end))}</span>',
                esc(fmt_s(end - start)),
                esc(w.get("message") or ""),
                img,
            ]
        )
    parts.append(table_html(["Fault", "Time", "Duration", "Message", "Snapshot"], rows, num=(2,)))
    parts.append("</section>")
    return "".join(parts)


def _key_frame_section(report: dict[str, Any], facts: SessionFacts) -> str:
    kf = report.get("key_frames")
    uri = safe_image_uri(kf.get("best_hold")) if isinstance(kf, dict) else None
    if not uri:
        return ""
    caption = "The best hold of the session."
    hold = facts.best_hold
    if hold:
        caption = (
            f"Best hold: {stretch_name(hold.get('stretch'))}, {hold.get('side')} side, "
            f"{fmt_s(as_float(hold.get('valid_s')))} in good form "
            f"({fmt_clock(as_float(hold.get('start_s')))}–{fmt_clock(as_float(hold.get('end_s')))})."
        )
    return (
        '<section class="card"><h2>Best hold</h2><figure class="key">'
        f'<img src="{esc(uri)}" alt="best hold key frame"><figcaption>{esc(caption)}'
        "</figcaption></figure></section>"
    )


def render_html_report(
    report: dict[str, Any],
    *,
    title: str | None = None,
    catalogue: Catalogue | None = None,
    page_dir: str | os.PathLike[str] | None = None,
) -> str:
    """The report page of one session as a self-contained HTML document.

    Parameters
    ----------
    report : dict
        A schema_version 1 report (see ``docs/architecture.md``).
    title : str, optional
        Page title; default ``"formcheck report: <source file name>"``. Escaped.
    catalogue : Catalogue, optional
        The stretch catalogue with the settings' overrides, for the hold targets of stretches
        whose holds carry none (default: the built-in catalogue).
    page_dir : path, optional
        The folder the page is written to: the annotated video is linked relative to it.

    Raises
    ------
    InputError
        The report is not a schema_version 1 report.
    """
    validate_report(report)
    source = report.get("source") or {}
    session = session_info(report)
    facts = summarize_report(report, catalogue)
    src_path = str(source.get("path") or "")
    src_name = Path(src_path).name if src_path else "session"
    title = title if title is not None else f"formcheck report: {src_name}"

    meta = [f"<b>Source</b> {esc(src_path or '—')}"]
    if session.get("started_at"):
        meta.append(f"<b>Started</b> {esc(session['started_at'])}")
    if session.get("mode"):
        meta.append(f"<b>Mode</b> {esc(session['mode'])}")
    if session.get("id"):
        meta.append(f"<b>Session</b> {esc(session['id'])}")
    kind = source.get("kind")
    if kind:
        meta.append(f"<b>Input</b> {esc(kind)}")
    body = [
        f'<header class="page"><h1>{esc(title)}</h1><div class="meta">'
        + " &nbsp;·&nbsp; ".join(meta)
        + "</div></header>"
    ]
    if facts.partial:
        body.append(
            '<div class="banner partial" role="alert">Partial report: the session stopped '
            f"early (interrupted or cut short). Figures cover the first "
            f"{esc(fmt_s(facts.duration_s))} only.</div>"
        )
    form_faults = sum(n for k, n in facts.warning_counts.items() if fault_kind(k).is_form)
    body.append(
        tiles_html(
            [
                (
                    fmt_clock(facts.duration_s)[:-2]
                    if facts.duration_s >= 60
                    else fmt_s(facts.duration_s),
                    "session length",
                    "",
                ),
                (
                    f"{facts.completed} / {facts.holds}",
                    "holds completed",
                    "good"
                    if facts.holds and facts.completed == facts.holds
                    else "warn"
                    if facts.holds
                    else "",
                ),
                (fmt_s(facts.valid_s, 0), "good-form hold time", ""),
                (f"{form_faults}", "form faults", "bad" if form_faults else "good"),
                (
                    "—"
                    if not math.isfinite(facts.person_fraction)
                    else f"{facts.person_fraction:.0%}",
                    "time in view",
                    "",
                ),
            ]
        )
    )
    body.append(_notes_section(report))
    body.append(_summary_section(facts))
    body.append(_faults_section(report, facts.duration_s))
    body.append(plots_section(report, facts.duration_s, catalogue))
    body.append(_key_frame_section(report, facts))
    body.append(annotated_section(report, page_dir))
    body.append(setup_section(report, catalogue))
    body.append('<section class="card"><h2>Advice</h2>' + advice_html(advise(facts)) + "</section>")
    body.append(sources_html())
    body.append(
        f"<footer>Made by formcheck {esc(__version__)} from a schema_version "
        f"{esc(report.get('schema_version'))} report. Not medical advice: check with your doctor "
        f"before starting a routine {cite(('001',))}, and stop if a stretch hurts.</footer>"
    )
    return html_page(title, "".join(body))


def write_html_report(
    report: dict[str, Any],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    catalogue: Catalogue | None = None,
) -> Path:
    """Render the report page (:func:`render_html_report`) and write it atomically to ``path``;
    returns the path."""
    page = render_html_report(report, title=title, catalogue=catalogue, page_dir=Path(path).parent)
    return atomic_write_text(path, page)
