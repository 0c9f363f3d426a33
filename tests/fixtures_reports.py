"""Hand-made, realistic formcheck reports (schema_version 1) for the report and history tests.

The analysis pipeline is built elsewhere; these generators act out a stretching session the way
the pipeline would describe it, so the HTML report, the CSV and the history can be built and
tested against the JSON contract in ``docs/architecture.md`` alone.

:func:`make_report` plays one session: someone walks in, stands, holds the stretch on one side,
releases, switches, holds the other side, then turns to face the camera and walks away. Form
faults (``back_rounding``, ``knee_bent``, ``bouncing``) are acted out inside the holds, and the
angles go null (``None``) where the person is away, not side-on, or single landmarks drop out.
Hold targets are the stretch catalogue's.

:func:`make_fault_report` adds one warning of any fault kind of the catalogue to a clean
session, worded as the coach words it (:meth:`Catalogue.message_for`).
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import struct
import zlib
from typing import Any

import numpy as np

from formcheck.stretches.catalogue import load_catalogue

FPS = 30.0

CATALOGUE = load_catalogue()

#: the angles of the body at rest and in the stretch, per stretch
POSES = {
    "standing_fold": {
        "rest": {"knee": 177.0, "hip": 176.0, "raise": -88.0, "lumbar": 2.0, "trunk": 3.0},
        "hold": {"knee": 171.0, "hip": 96.0, "raise": -84.0, "lumbar": 9.0, "trunk": 78.0},
        "deepen_deg": 10.0,  # the hip angle closes this much over a long hold
    },
    "supine_raise": {
        "rest": {"knee": 176.0, "hip": 178.0, "raise": 1.0, "lumbar": 1.0, "trunk": 90.0},
        "hold": {"knee": 166.0, "hip": 112.0, "raise": 68.0, "lumbar": 4.0, "trunk": 89.0},
        "deepen_deg": 8.0,
    },
    "supine_wall": {
        "rest": {"knee": 176.0, "hip": 178.0, "raise": 1.0, "lumbar": 1.0, "trunk": 90.0},
        "hold": {"knee": 168.0, "hip": 98.0, "raise": 82.0, "lumbar": 2.0, "trunk": 90.0},
        "deepen_deg": 4.0,
    },
}


def _segments(hold_s: dict[str, float], sides: tuple[str, ...]) -> list[dict[str, Any]]:
    """The phases of one session, in order: ``{"phase", "dur", "side"}``."""
    segs: list[dict[str, Any]] = [
        {"phase": "away", "dur": 2.5, "side": None},
        {"phase": "stand", "dur": 2.5, "side": None},
    ]
    for i, side in enumerate(sides):
        if i:
            segs.append({"phase": "switch", "dur": 1.5, "side": None})
        segs += [
            {"phase": "enter", "dur": 2.0, "side": side},
            {"phase": "hold", "dur": float(hold_s[side]), "side": side},
            {"phase": "release", "dur": 1.5, "side": side},
        ]
    segs.append({"phase": "front", "dur": 2.0, "side": None})
    return segs


def _faults(hold_start: float, hold_dur: float, side: str, fault_plan: str) -> list[tuple]:
    """Fault windows ``(kind, start_s, end_s)`` acted out inside one hold."""
    if fault_plan == "none" or hold_dur < 6.0:
        return []
    if side == "right" or fault_plan == "back":
        return [("back_rounding", hold_start + 0.4 * hold_dur, hold_start + 0.4 * hold_dur + 2.0)]
    return [
        ("knee_bent", hold_start + 0.25 * hold_dur, hold_start + 0.25 * hold_dur + 1.5),
        ("bouncing", hold_start + 0.55 * hold_dur, hold_start + 0.55 * hold_dur + 2.0),
    ]


def make_report(
    stretch: str = "standing_fold",
    *,
    hold_s: dict[str, float] | None = None,
    sides: tuple[str, ...] = ("right", "left"),
    duration_s: float = 60.0,
    fault_plan: str = "mixed",
    started_at: str | None = "2025-03-03T08:15:00+01:00",
    mode: str = "analyze",
    partial: bool = False,
    source_path: str = "recordings/morning stretch.mp4",
    extras: bool = True,
    per_leg: bool = True,
    rom_gain_deg: float = 0.0,
    seed: int = 0,
) -> dict[str, Any]:
    """A schema_version 1 report of one session of ``stretch``.

    Parameters
    ----------
    stretch : str
        ``"standing_fold"``, ``"supine_raise"`` or ``"supine_wall"``.
    hold_s : dict, optional
        Hold length per side in seconds; default right 33 s (completes the 30 s target even
        after a 2 s back-rounding fault) and left 10.5 s (too short, with knee and bouncing faults).
    sides : tuple of str
        The sides stretched, in order.
    duration_s : float
        Length of the video; the session is padded with nobody in view (or cut, see ``partial``).
    fault_plan : str
        ``"mixed"`` (back rounding on the right, knee bent and bouncing on the left),
        ``"back"`` (back rounding only) or ``"none"``.
    started_at, mode, partial : optional
        The ``session`` block (left out when ``extras`` is false).
    source_path : str
        ``source.path``.
    extras : bool
        Add the optional keys: ``session``, ``summary``, ``thumbnails``, ``key_frames`` and
        ``trunk_inclination_deg`` in frames.
    per_leg : bool
        Add per-leg angles (``knee_extension_left_deg`` ...) to the frames.
    rom_gain_deg : float
        Extra range of motion in the hold (a deeper fold, a higher leg raise), in degrees.
    seed : int
        Seed of the measurement noise and landmark dropouts.
    """
    if stretch not in POSES:
        raise ValueError(f"stretch must be one of {sorted(POSES)}, got {stretch!r}")
    hold_s = hold_s or {"right": 33.0, "left": 10.5}
    rng = np.random.default_rng(seed)
    pose = POSES[stretch]
    segs = _segments(hold_s, sides)
    scripted_s = sum(s["dur"] for s in segs)
    if not partial and scripted_s < duration_s:
        segs.append({"phase": "away", "dur": duration_s - scripted_s, "side": None})
    total_s = duration_s if not partial else min(duration_s, scripted_s)
    n = int(round(total_s * FPS))
    t = np.arange(n) / FPS

    phase = np.empty(n, dtype=object)
    side_of = np.empty(n, dtype=object)
    blend = np.zeros(n)  # 0 = rest pose, 1 = stretch pose
    hold_progress = np.zeros(n)  # 0..1 through the hold: the fold deepens
    holds: list[dict[str, Any]] = []
    fault_windows: list[tuple] = []
    t0 = 0.0
    for seg in segs:
        t1 = t0 + seg["dur"]
        m = (t >= t0) & (t < t1)
        phase[m] = seg["phase"]
        side_of[m] = seg["side"]
        u = (t[m] - t0) / seg["dur"]
        if seg["phase"] == "enter":
            blend[m] = 0.5 - 0.5 * np.cos(np.pi * u)
        elif seg["phase"] == "hold":
            blend[m] = 1.0
            hold_progress[m] = u
            fault_windows += [
                (*f, seg["side"]) for f in _faults(t0, seg["dur"], seg["side"], fault_plan)
            ]
            holds.append({"stretch": stretch, "side": seg["side"], "start_s": t0, "end_s": t1})
        elif seg["phase"] == "release":
            blend[m] = 0.5 + 0.5 * np.cos(np.pi * u)
        t0 = t1

    rest, hold = pose["rest"], pose["hold"]
    ang = {k: rest[k] + blend * (hold[k] - rest[k]) for k in rest}
    ang["hip"] = ang["hip"] - pose["deepen_deg"] * hold_progress * np.minimum(1.0, blend)
    ang["hip"] = ang["hip"] - rom_gain_deg * blend
    if stretch in ("supine_raise", "supine_wall"):
        ang["raise"] = ang["raise"] + (pose["deepen_deg"] * hold_progress + rom_gain_deg) * blend
    fault = np.full(n, None, dtype=object)
    for kind, fs, fe, _side in fault_windows:
        m = (t >= fs) & (t < fe)
        fault[m] = kind
        u = (t[m] - fs) / (fe - fs)
        bump = np.sin(np.pi * u)
        if kind == "back_rounding":
            ang["lumbar"][m] += 28.0 * bump
            ang["hip"][m] -= 10.0 * bump if stretch == "standing_fold" else -12.0 * bump
        elif kind == "knee_bent":
            ang["knee"][m] -= 38.0 * bump
        elif kind == "bouncing":
            wobble = 9.0 * np.sin(2 * np.pi * 1.6 * (t[m] - fs))
            ang["hip"][m] += wobble
            ang["raise"][m] -= wobble if stretch != "standing_fold" else 0.0
    for k in ang:
        ang[k] = ang[k] + rng.normal(0.0, 0.8, n)

    away = (phase == "away") | (phase == None)  # noqa: E711 - object array comparison
    front = phase == "front"
    dropout = rng.random(n) < 0.02  # a landmark drops out now and then
    in_stretch = np.isin(phase, ["enter", "hold", "release"])

    frames: list[dict[str, Any]] = []
    valid = np.zeros(n, dtype=bool)
    for i in range(n):
        person = not away[i]
        measurable = person and not front[i]
        row: dict[str, Any] = {
            "t_s": round(float(t[i]), 4),
            "person": bool(person),
            "stretch": stretch if in_stretch[i] else None,
            "side": side_of[i] if in_stretch[i] else None,
        }

        def val(key: str, i: int = i, measurable: bool = measurable) -> float | None:
            if not measurable or (dropout[i] and key in ("knee", "hip", "raise")):
                return None
            return round(float(ang[key][i]), 2)

        row["knee_extension_deg"] = val("knee")
        row["hip_angle_deg"] = val("hip")
        row["leg_raise_deg"] = val("raise")
        row["lumbar_flexion_deg"] = val("lumbar")
        if extras:
            row["trunk_inclination_deg"] = val("trunk")
        if per_leg:
            working = side_of[i] or "right"
            other = "left" if working == "right" else "right"
            for key, name in (
                ("knee", "knee_extension"),
                ("hip", "hip_angle"),
                ("raise", "leg_raise"),
            ):
                w = val(key)
                row[f"{name}_{working}_deg"] = w
                if w is None:
                    row[f"{name}_{other}_deg"] = None
                else:
                    rest_other = {"knee": 178.0, "hip": rest["hip"], "raise": rest["raise"]}[key]
                    if stretch == "standing_fold" and key == "hip":
                        rest_other = w + 2.0  # both hips fold together when standing
                    row[f"{name}_{other}_deg"] = round(rest_other + float(rng.normal(0, 0.6)), 2)
        lumbar = row["lumbar_flexion_deg"]
        row["back_rounded"] = None if lumbar is None else bool(lumbar > 25.0)
        ok = (
            phase[i] == "hold"
            and fault[i] is None
            and row["knee_extension_deg"] is not None
            and row["hip_angle_deg"] is not None
        )
        valid[i] = ok
        row["valid"] = bool(ok)
        frames.append(row)

    holds = [h for h in holds if h["start_s"] < total_s]
    for h in holds:
        m = (t >= h["start_s"]) & (t < h["end_s"])
        h["end_s"] = round(min(h["end_s"], total_s), 3)
        h["start_s"] = round(h["start_s"], 3)
        h["duration_s"] = round(h["end_s"] - h["start_s"], 3)
        # dropouts shorter than a second do not stop the hold timer: count only the faults out
        faulty = sum(1 for i in np.flatnonzero(m) if fault[i] is not None)
        h["valid_s"] = round(h["duration_s"] - faulty / FPS, 2)
        h["target_s"] = CATALOGUE.hold_target_for(stretch)
        h["completed"] = bool(h["valid_s"] >= h["target_s"])

    warnings = [
        {
            "kind": "no_person",
            "start_s": 0.0,
            "end_s": 2.5,
            "message": CATALOGUE.message_for("no_person", stretch),
        }
    ]
    for kind, fs, fe, _side in sorted(fault_windows, key=lambda f: f[1]):
        if fs < total_s:
            warnings.append(
                {
                    "kind": kind,
                    "start_s": round(fs, 3),
                    "end_s": round(min(fe, total_s), 3),
                    "message": CATALOGUE.message_for(kind, stretch),
                }
            )
    front_t = t[front]
    if front_t.size:
        warnings.append(
            {
                "kind": "not_side_view",
                "start_s": round(float(front_t[0]), 3),
                "end_s": round(float(front_t[-1]) + 1 / FPS, 3),
                "message": CATALOGUE.message_for("not_side_view", stretch),
            }
        )
    if not partial and scripted_s < duration_s:
        warnings.append(
            {
                "kind": "no_person",
                "start_s": round(scripted_s, 3),
                "end_s": round(duration_s, 3),
                "message": CATALOGUE.message_for("no_person", stretch),
            }
        )

    report: dict[str, Any] = {
        "schema_version": 1,
        "source": {
            "path": source_path,
            "kind": "video",
            "fps": FPS,
            "frames": n,
            "duration_s": round(n / FPS, 3),
            "width": 1280,
            "height": 720,
        },
        "frames": frames,
        "holds": holds,
        "warnings": warnings,
    }
    if extras:
        report["session"] = {
            "id": f"fixture-{stretch}-{seed}",
            "started_at": started_at,
            "mode": mode,
            "partial": partial,
        }
        report["summary"] = {
            "holds": len(holds),
            "completed": sum(h["completed"] for h in holds),
            "valid_s": round(sum(h["valid_s"] for h in holds), 2),
        }
        report["thumbnails"] = {
            str(i): stick_figure_png(stretch, fault=w["kind"])
            for i, w in enumerate(warnings)
            if w["kind"] in ("back_rounding", "knee_bent", "bouncing")
        }
        if holds:
            report["key_frames"] = {
                "best_hold": stick_figure_png(stretch, fault=None, size=(320, 200))
            }
    return report


def stretch_for_fault(kind: str) -> str:
    """A stretch of :data:`POSES` whose rules raise ``kind`` (``"standing_fold"`` for the
    set-up kinds and the rules every stretch shares)."""
    for stretch in POSES:
        if any(r.fault == kind for r in CATALOGUE[stretch].rules):
            return stretch
    return "standing_fold"


def make_fault_report(kind: str, **kwargs: Any) -> dict[str, Any]:
    """A clean session (see :func:`make_report`; ``kwargs`` go there) with one ``kind`` warning
    of 1.5 s inside the first hold, in a stretch that raises it (:func:`stretch_for_fault`).

    The warning's message is the coach's wording (the stretch's rule, else the catalogue's);
    the frames under it list it in ``warnings`` (every frame gets the key); a form fault makes
    them invalid and takes their time off the hold's valid seconds.
    """
    stretch = kwargs.pop("stretch", None) or stretch_for_fault(kind)
    report = make_report(stretch, fault_plan="none", **kwargs)
    hold = report["holds"][0]
    start, end = round(hold["start_s"] + 2.0, 3), round(hold["start_s"] + 3.5, 3)
    form = CATALOGUE.fault_kind(kind).is_form
    invalid = 0
    for f in report["frames"]:
        under = start <= f["t_s"] < end
        f["warnings"] = [kind] if under else []
        if under and form and f["valid"]:
            f["valid"] = False
            invalid += 1
    if form:
        hold["valid_s"] = round(hold["valid_s"] - invalid / FPS, 2)
        hold["completed"] = bool(hold["valid_s"] >= hold["target_s"])
    warning = {
        "kind": kind,
        "start_s": start,
        "end_s": end,
        "message": CATALOGUE.message_for(kind, stretch),
    }
    report["warnings"] = sorted([*report["warnings"], warning], key=lambda w: w["start_s"])
    return report


def make_history_reports(days: int = 14, *, today: str = "2025-03-14") -> list[dict[str, Any]]:
    """Reports of ``days`` days of practice ending ``today``: holds grow from about 12 s to 33 s,
    the left side lags at first, the fold deepens, and some days have one session or none."""
    end = dt.date.fromisoformat(today)
    reports = []
    for k in range(days):
        day = end - dt.timedelta(days=days - 1 - k)
        progress = k / max(1, days - 1)
        n_sessions = (2, 1, 2, 0, 2, 1, 2, 2, 1, 2, 2, 0, 2, 2)[k % 14]
        for j in range(n_sessions):
            stretch = "standing_fold" if j == 0 else "supine_raise"
            right = 12.0 + 21.0 * progress
            left = right * (0.55 + 0.45 * progress)
            reports.append(
                make_report(
                    stretch,
                    hold_s={"right": round(right, 1), "left": round(left, 1)},
                    started_at=f"{day.isoformat()}T{'08:10' if j == 0 else '19:40'}:00",
                    fault_plan="mixed" if progress < 0.5 else "back" if k % 3 == 0 else "none",
                    rom_gain_deg=12.0 * progress,
                    source_path=f"sessions/{day.isoformat()}-{j + 1}.mp4",
                    seed=100 + 2 * k + j,
                )
            )
    return reports


def make_photo_report(stretch: str = "supine_raise") -> dict[str, Any]:
    """A one-frame report of a photo (``source.kind == "image"``), without the optional keys."""
    base = make_report(stretch, extras=False, per_leg=False, seed=3)
    frame = next(f for f in base["frames"] if f["valid"])
    frame = dict(frame, t_s=0.0)
    return {
        "schema_version": 1,
        "source": {
            "path": "photo.jpg",
            "kind": "image",
            "fps": None,
            "frames": 1,
            "duration_s": 0.0,
            "width": 1024,
            "height": 768,
        },
        "frames": [frame],
        "holds": [],
        "warnings": [],
    }


# --- a tiny PNG painter (stdlib + numpy) for the thumbnails --------------------------------


def _png(rgb: np.ndarray) -> bytes:
    """Encode an ``(H, W, 3)`` uint8 image as PNG."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _line(img: np.ndarray, p: tuple, q: tuple, colour: tuple, r: float = 2.5) -> None:
    h, w, _ = img.shape
    yy, xx = np.mgrid[0:h, 0:w]
    px, py = p
    qx, qy = q
    dx, dy = qx - px, qy - py
    seg2 = dx * dx + dy * dy or 1.0
    u = np.clip(((xx - px) * dx + (yy - py) * dy) / seg2, 0, 1)
    d2 = (xx - px - u * dx) ** 2 + (yy - py - u * dy) ** 2
    img[d2 <= r * r] = colour


def stick_figure_png(stretch: str, *, fault: str | None, size: tuple[int, int] = (160, 100)) -> str:
    """A side-view stick figure in the stretch, as a ``data:image/png;base64,`` URI."""
    w, h = size
    img = np.full((h, w, 3), (236, 240, 244), dtype=np.uint8)
    img[int(h * 0.86) :, :] = (200, 206, 214)  # floor
    s = h / 100.0
    bad = (214, 69, 65)
    body = (40, 52, 70)
    hold = (46, 160, 67)

    def pt(x: float, y: float) -> tuple[float, float]:
        return (w / 2 + (x - 50) * s, y * s)

    if stretch == "standing_fold":
        hip, knee, ankle = pt(50, 42), pt(50, 64), pt(50, 85)
        bend = 20 if fault == "knee_bent" else 0
        knee = pt(50 + bend * 0.5, 64)
        shoulder = pt(80, 50) if fault != "back_rounding" else pt(74, 60)
        mid = pt(68, 38) if fault == "back_rounding" else None
        head = pt(88, 56) if fault != "back_rounding" else pt(78, 70)
    else:
        hip, shoulder, head = pt(55, 82), pt(25, 82), pt(15, 80)
        knee = pt(65, 55) if fault == "knee_bent" else pt(62, 58)
        ankle = pt(66, 30) if fault == "knee_bent" else pt(70, 33)
        mid = pt(40, 76) if fault == "back_rounding" else None
    leg_colour = bad if fault == "knee_bent" else hold if fault is None else body
    back_colour = bad if fault in ("back_rounding", "bouncing") else hold if fault is None else body
    _line(img, hip, knee, leg_colour, 3 * s)
    _line(img, knee, ankle, leg_colour, 3 * s)
    if mid is not None:
        _line(img, hip, mid, back_colour, 3 * s)
        _line(img, mid, shoulder, back_colour, 3 * s)
    else:
        _line(img, hip, shoulder, back_colour, 3 * s)
    _line(img, head, head, body, 6 * s)
    if fault == "bouncing":
        for k in range(3):
            a = math.radians(-30 + 30 * k)
            c = pt(50, 40)
            _line(
                img,
                (c[0] + 18 * s * math.cos(a), c[1] - 18 * s * math.sin(a)),
                (c[0] + 24 * s * math.cos(a), c[1] - 24 * s * math.sin(a)),
                bad,
                1.5 * s,
            )
    return "data:image/png;base64," + base64.b64encode(_png(img)).decode("ascii")
