"""The accuracy splits: committed seeds (benchmarks/splits.toml) -> randomized specs -> cached videos.

    .venv/bin/python benchmarks/splits.py render tuning|sealed [--out DIR] [--only K ...]
    .venv/bin/python benchmarks/splits.py list tuning|sealed

``render`` writes ``NAME.mp4`` + ``NAME.truth.json`` per clip into ``.cache/synth/<split>``
(needs the synth extra; a clip whose truth carries the same spec hash is not rendered again)
and prints the time each clip took. ``list`` prints the specs' conditions without rendering.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.synth.pose import STRETCHES  # noqa: E402
from formcheck.synth.randomize import Holdout, conditions_of, sample_spec  # noqa: E402
from formcheck.synth.spec import PHENOTYPE_KEYS, parse_spec  # noqa: E402

CONFIG = ROOT / "benchmarks" / "splits.toml"
CACHE = ROOT / ".cache" / "synth"


def load_config(path: Path = CONFIG) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def holdout_of(cfg: dict[str, Any]) -> Holdout:
    h = cfg.get("holdout", {})
    return Holdout(
        support_height_m=tuple(h.get("support_height_m", (0.30, 0.45))),  # type: ignore[arg-type]
        yaw_abs_deg=tuple(h.get("yaw_abs_deg", (120.0, 150.0))),  # type: ignore[arg-type]
        older_years=float(h.get("older_years", 60.0)),
        heavy_weight=float(h.get("heavy_weight", 0.7)),
    )


def _body(raw: dict[str, Any]) -> tuple[float, ...]:
    return tuple(float(raw["subject"][k]) for k in PHENOTYPE_KEYS)


def split_specs(name: str, cfg: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The raw specs of split ``name`` (deterministic from the config)."""
    cfg = cfg or load_config()
    sc = cfg["split"][name]
    ho = holdout_of(cfg)
    others: list[tuple[float, ...]] = []
    if sc.get("min_body_distance"):  # body identity: away from every other split's body
        pool = int(sc.get("body_pool", 0))  # the first `pool` seeds of the other split, so
        for other in cfg["split"]:  # its size can change without changing this split
            if other != name and not cfg["split"][other].get("min_body_distance"):
                oc = {**cfg, "split": {**cfg["split"], other: dict(cfg["split"][other])}}
                oc["split"][other]["clips"] = max(pool, int(cfg["split"][other]["clips"]))
                others += [_body(r) for r in split_specs(other, oc)]
    forces = sc.get("force", [])
    specs = []
    j = 0  # the clips not forced onto the support band cycle through the stretches
    for k in range(int(sc["clips"])):
        force = forces[(k // 2) % len(forces)] if forces and k % 2 == 0 else None
        stretch = "standing_support" if force == "support" else STRETCHES[j % len(STRETCHES)]
        j += force != "support"
        seed = int(sc["seed"]) + k
        for attempt in range(50):
            raw = sample_spec(
                seed + 100_000 * attempt,
                stretch=stretch,
                name=f"{name}_{k:02d}_{stretch}",
                holdout=ho,
                exclude_holdout=bool(sc.get("exclude_holdout", False)),
                force=force,
                max_duration_s=float(sc.get("max_duration_s", 12.0)),
            )
            body = _body(raw)
            near = min(
                (max(abs(a - b) for a, b in zip(body, o, strict=True)) for o in others),
                default=1.0,
            )
            if near >= float(sc.get("min_body_distance", 0.0)):
                break
        raw["meta"]["split"] = name
        specs.append(raw)
    return specs


def smoke_spec(cfg: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CI smoke clip: one sealed spec, cut short and small (benchmarks/splits.toml [smoke])."""
    cfg = cfg or load_config()
    sm = cfg["smoke"]
    raw = split_specs(sm["split"], cfg)[int(sm["clip"])]
    raw.update(fps=float(sm["fps"]), width=int(sm["width"]), height=int(sm["height"]))
    keep, t = [], 0.0
    for seg in raw["timeline"]:
        if t >= sm["duration_s"]:
            break
        seg = dict(seg, duration_s=min(seg["duration_s"], sm["duration_s"] - t))
        keep.append(seg)
        t += seg["duration_s"]
    raw["timeline"] = keep
    raw["name"] = raw["name"] + "_smoke"
    return raw


def render_split(name: str, out: Path, only: list[int] | None = None) -> list[dict[str, Any]]:
    """Render split ``name`` into ``out`` (cached by spec hash); one timing row per clip."""
    from formcheck.synth.render import render_spec  # the optional extra

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    specs = list(enumerate(split_specs(name)))
    if only:  # in the order given (two processes can render one split from both ends)
        specs = [specs[k] for k in only if k < len(specs)]
    for _k, raw in specs:
        part = out / f"{raw['name']}.part.mp4"
        if part.exists() and time.time() - part.stat().st_mtime < 120:
            print(f"{part.name}: being rendered by another process", file=sys.stderr)
            continue
        digest = parse_spec(raw).digest()
        video = out / f"{raw['name']}.mp4"
        truth_path = out / f"{raw['name']}.truth.json"
        if video.exists() and truth_path.exists():
            try:
                if json.loads(truth_path.read_text())["spec_hash"] == digest:
                    print(f"{video.name}: cached", file=sys.stderr)
                    continue
            except (OSError, ValueError, KeyError):
                pass
        t0 = time.perf_counter()
        truth = render_spec(raw, video)
        row = {"clip": video.name, "frames": truth["frame_count"], "width": truth["width"],
               "height": truth["height"], "fps": truth["fps"],
               "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("action", choices=("render", "list"))
    ap.add_argument("split", choices=("tuning", "sealed"))
    ap.add_argument("--out", type=Path, help="default .cache/synth/<split>")
    ap.add_argument("--only", type=int, nargs="*", help="clip numbers to render")
    args = ap.parse_args()
    if args.action == "list":
        for raw in split_specs(args.split):
            spec = parse_spec(raw)
            print(f"{raw['name']:<34}{spec.duration_s:6.1f}s {spec.fps:6.2f}fps "
                  f"{spec.width}x{spec.height}  {conditions_of(raw)}  {raw['meta']['motion']}")  # fmt: skip
        return 0
    render_split(args.split, args.out or CACHE / args.split, args.only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
