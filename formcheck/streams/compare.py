"""Do two reports of the same video say the same thing? (multi-stream against single-stream)

The judgements compared: the stretch and side recognised in each frame, the holds (stretch,
side, start, end, valid time, completed) and the warnings (kind, start, end). Times may differ
by ``tol_s`` seconds, the per-frame labels in at most ``label_tol`` of the frames. Pure dict
logic: no model, no video.
"""

from __future__ import annotations

from typing import Any

#: seconds by which a hold's or a warning's start, end or valid time may differ
DEFAULT_TOL_S = 0.5
#: share of frames whose (stretch, side) label may differ
DEFAULT_LABEL_TOL = 0.02


def judgement_differences(
    a: dict[str, Any],
    b: dict[str, Any],
    *,
    tol_s: float = DEFAULT_TOL_S,
    label_tol: float = DEFAULT_LABEL_TOL,
) -> list[str]:
    """What differs between reports ``a`` and ``b`` beyond the tolerances; empty when equal."""
    out: list[str] = []
    fa, fb = a.get("frames", []), b.get("frames", [])
    if len(fa) != len(fb):
        out.append(f"frames: {len(fa)} != {len(fb)}")
    else:
        differ = [
            i
            for i, (x, y) in enumerate(zip(fa, fb, strict=True))
            if (x.get("stretch"), x.get("side")) != (y.get("stretch"), y.get("side"))
        ]
        if fa and len(differ) > label_tol * len(fa):
            out.append(
                f"stretch/side labels differ in {len(differ)} of {len(fa)} frames "
                f"(first at t={fa[differ[0]]['t_s']:.2f} s)"
            )
    ha, hb = a.get("holds", []), b.get("holds", [])
    if [(h["stretch"], h["side"]) for h in ha] != [(h["stretch"], h["side"]) for h in hb]:
        out.append(f"holds: {_holds(ha)} != {_holds(hb)}")
    else:
        for i, (x, y) in enumerate(zip(ha, hb, strict=True)):
            for key in ("start_s", "end_s", "valid_s"):
                if abs(float(x[key]) - float(y[key])) > tol_s:
                    out.append(
                        f"hold {i} ({x['stretch']}, {x['side']}) {key}: {x[key]} != {y[key]}"
                    )
            if x.get("completed") != y.get("completed"):
                out.append(f"hold {i} completed: {x.get('completed')} != {y.get('completed')}")
    out.extend(_warning_differences(a.get("warnings", []), b.get("warnings", []), tol_s))
    return out


def _holds(holds: list[dict[str, Any]]) -> str:
    return ", ".join(f"{h['stretch']}/{h['side']}@{h['start_s']:.1f}" for h in holds) or "none"


def _warning_differences(
    wa: list[dict[str, Any]], wb: list[dict[str, Any]], tol_s: float
) -> list[str]:
    """Each warning of one report matched to one of the same kind in the other within tol_s."""
    out = []
    left = list(wb)
    for w in wa:
        match = next(
            (
                v
                for v in left
                if v["kind"] == w["kind"]
                and abs(float(v["start_s"]) - float(w["start_s"])) <= tol_s
                and abs(float(v["end_s"]) - float(w["end_s"])) <= tol_s
            ),
            None,
        )
        if match is None:
            out.append(
                f"warning {w['kind']} {w['start_s']:.2f}-{w['end_s']:.2f} s only in the first"
            )
        else:
            left.remove(match)
    out.extend(
        f"warning {v['kind']} {v['start_s']:.2f}-{v['end_s']:.2f} s only in the second"
        for v in left
    )
    return out
