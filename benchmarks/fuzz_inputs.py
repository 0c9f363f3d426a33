"""Fuzz the input readers: random byte mutations of a small valid MP4, AVI, JPEG, PNG and TOML.

Each mutated file goes through what ``formcheck analyze`` does with it before the pose model:
:func:`formcheck.io.sources.open_source` and a full decode (videos, photos), or
:func:`formcheck.config.load_settings` (settings). The only acceptable outcomes are success or a
:class:`formcheck.errors.FormcheckError`; any other exception is a bug, printed with the input
that caused it (saved under ``--keep DIR``).

    python benchmarks/fuzz_inputs.py --iterations 2000 --seconds 120 --seed 1

Exit code 0 when nothing but FormcheckError was raised, 1 otherwise. ``run_fuzz`` is also used
by ``tests/test_fuzz.py`` (a few dozen iterations in CI).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formcheck.errors import FormcheckError  # noqa: E402

TOML = """\
# formcheck settings
[pose]
model = "full"
num_poses = 2
min_detection_confidence = 0.5

[metrics]
min_visibility = 0.5

[coach]
stretch = "standing_fold"
side = "left"
warn_on_s = 0.25

[defaults]
hold_target_s = 30

[stretch.standing_fold]
hold_target_s = 20
"""


def seed_files(folder: Path) -> dict[str, Path]:
    """Write the small valid inputs that get mutated."""
    import cv2
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for i in range(8):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:, :, 1] = np.linspace(0, 255, 64, dtype=np.uint8)[None, :]
        img[:, (i * 6) % 56 : (i * 6) % 56 + 8] = 255
        frames.append(img)
    out = {}
    for name, fourcc in (("seed.mp4", "mp4v"), ("seed.avi", "MJPG")):
        p = folder / name
        w = cv2.VideoWriter(str(p), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*fourcc), 15, (64, 48))
        for f in frames:
            w.write(f)
        w.release()
        out[name] = p
    for name in ("seed.jpg", "seed.png"):
        p = folder / name
        cv2.imwrite(str(p), frames[3])
        out[name] = p
    p = folder / "seed.toml"
    p.write_text(TOML)
    out["seed.toml"] = p
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to a few random edits: flip bytes, overwrite with boundary values, cut, splice, insert."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
            continue
        op = rng.random()
        i = rng.randrange(len(b))
        if op < 0.35:  # flip a few bytes
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif op < 0.5:  # boundary values (sizes, counts)
            val = rng.choice([b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff",
                              b"\x00\x00\x00\x01", b"\x80\x00\x00\x00"])  # fmt: skip
            b[i : i + 4] = val
        elif op < 0.65:  # cut the end
            del b[i:]
        elif op < 0.75:  # cut a piece out of the middle
            del b[i : i + rng.randint(1, 256)]
        elif op < 0.85:  # duplicate a piece
            j = rng.randrange(len(b))
            b[i:i] = b[j : j + rng.randint(1, 256)]
        else:  # insert random bytes
            b[i:i] = rng.randbytes(rng.randint(1, 32))
    return bytes(b)


def mutate_text(text: str, rng: random.Random) -> str:
    """TOML-aware edits (swap values, types, keys) besides the byte mutations."""
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    choice = rng.random()
    if choice < 0.3 and "=" in lines[i]:
        key = lines[i].split("=")[0]
        value = rng.choice(['"x"', "-1", "1e400", "nan", "inf", "true", "[1, 2]", "{a = 1}",
                            "0.5", "2", '""', "[]", "1979-05-27", "9999999999999999999"])  # fmt: skip
        lines[i] = f"{key}= {value}"
    elif choice < 0.45:
        lines[i] = rng.choice(["[pose.x]", "[[pose]]", "[stretch]", "stretch = 1", "[common]",
                               "[stretch.standing_fold.rules.x]", "[recognize]", "defaults = 2",
                               "[coach.recognize]", "recognize = 1"])  # fmt: skip
    elif choice < 0.6:
        lines.insert(i, rng.choice(["foo = 1", "[metrics]", "smooth = false", "x.y.z = 1"]))
    else:
        return mutate(text.encode(), rng).decode("utf-8", "replace")
    return "\n".join(lines) + "\n"


def read_media(path: Path) -> int:
    """What analyze does with an input before the pose model: open it and decode every frame."""
    from formcheck.io.sources import open_source

    src = open_source(path)
    try:
        n = 0
        for frame in src:
            assert frame.image.ndim == 3 and frame.image.shape[2] == 3
            n += 1
            if n > 2000:  # a mutated header may announce a huge stream
                break
        return n
    finally:
        src.close()


def read_config(path: Path) -> int:
    from formcheck.config import load_settings

    load_settings(path)
    return 1


@dataclass
class FuzzResult:
    iterations: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    bugs: list[tuple[str, str, Path | None]] = field(default_factory=list)  # (kind, trace, file)
    seconds: float = 0.0


def run_fuzz(
    iterations: int,
    *,
    seconds: float = 60.0,
    seed: int = 0,
    workdir: Path | None = None,
    keep: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> FuzzResult:
    """Mutate the seeds ``iterations`` times (or until ``seconds`` pass); collect the outcomes."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="formcheck-fuzz-") as tmp:
        work = Path(workdir or tmp)
        seeds = seed_files(work / "seeds")
        originals = {name: p.read_bytes() for name, p in seeds.items()}
        res = FuzzResult()
        t0 = time.monotonic()
        names = sorted(originals)
        for it in range(iterations):
            if time.monotonic() - t0 > seconds:
                break
            name = names[it % len(names)]
            suffix = Path(name).suffix
            if suffix == ".toml" and rng.random() < 0.6:
                data = mutate_text(originals[name].decode(), rng).encode("utf-8", "replace")
            else:
                data = mutate(originals[name], rng)
            # sometimes the wrong suffix, as users do
            if rng.random() < 0.1:
                suffix = rng.choice([".mp4", ".jpg", ".avi", ".png", ".toml", ""])
            path = work / f"case{suffix}"
            path.write_bytes(data)
            reader = read_config if suffix == ".toml" else read_media
            try:
                reader(path)
                outcome = f"{suffix or 'none'}: ok"
            except FormcheckError as err:
                outcome = f"{suffix or 'none'}: {type(err).__name__}"
                if "\n" in str(err):
                    res.bugs.append(("multi-line error message", str(err), None))
            except Exception:  # noqa: BLE001 - any other exception is what we look for
                trace = traceback.format_exc()
                saved = None
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    saved = keep / f"bug{len(res.bugs):03d}{suffix}"
                    saved.write_bytes(data)
                res.bugs.append((f"{name} -> {suffix}", trace, saved))
                outcome = f"{suffix or 'none'}: BUG"
                if log:
                    log(f"BUG with a mutated {name} (saved: {saved}):\n{trace}")
            res.outcomes[outcome] += 1
            res.iterations += 1
        res.seconds = time.monotonic() - t0
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=120.0, help="stop after this long")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="save inputs that raise a non-formcheck error here")
    args = ap.parse_args(argv)
    res = run_fuzz(
        args.iterations,
        seconds=args.seconds,
        seed=args.seed,
        keep=args.keep,
        log=lambda s: print(s, file=sys.stderr),
    )
    print(f"{res.iterations} mutated inputs in {res.seconds:.1f} s (seed {args.seed})")
    for outcome, n in sorted(res.outcomes.items()):
        print(f"  {outcome:32s} {n}")
    print(f"bugs (exceptions other than FormcheckError): {len(res.bugs)}")
    return 1 if res.bugs else 0


if __name__ == "__main__":
    raise SystemExit(main())
