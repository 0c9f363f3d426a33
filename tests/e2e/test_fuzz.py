"""A quick fuzz of the input readers and the settings loader (``benchmarks/fuzz_inputs.py``).

Random byte mutations of a small valid MP4, AVI, JPEG, PNG and TOML must either be read or
raise a :class:`formcheck.errors.FormcheckError` (one line for the user) -- any other exception
is a bug. The long run is ``python benchmarks/fuzz_inputs.py --iterations 5000``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_inputs.py"


def _fuzz_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fuzz_inputs", BENCH)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_inputs"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_fuzz_readers_raise_only_formcheck_errors(seed: int, tmp_path: Path) -> None:
    fuzz = _fuzz_module()
    res = fuzz.run_fuzz(60, seconds=10.0, seed=seed, workdir=tmp_path, keep=tmp_path / "bugs")
    assert res.iterations > 0
    assert not res.bugs, "\n\n".join(f"{kind}:\n{trace}" for kind, trace, _ in res.bugs)


def test_mutate_changes_bytes() -> None:
    import random

    fuzz = _fuzz_module()
    rng = random.Random(3)
    data = bytes(range(256)) * 4
    assert any(fuzz.mutate(data, rng) != data for _ in range(5))
    text = fuzz.TOML
    assert any(fuzz.mutate_text(text, rng) != text for _ in range(5))
