"""The flexibility tests and their published norms: ``norms.toml`` loaded into frozen dataclasses.

The TOML file is the one place where each test's protocol, validity limits, detection
thresholds, minimal detectable change (MDC), interpretation bands and side-to-side limits live,
each with its source. The trial detector, the guide, the report and the history read them from
here (:func:`load_norms`, :func:`get_test`).

Words are chosen so that nothing reads as a diagnosis: a result is "usual", "below the usual
range" or in a "tight range" against published figures for healthy adults.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from formcheck.errors import ConfigError

TEST_IDS = ("slr", "ake")
SIDES = ("left", "right")

#: what a change between two results is called (:func:`change_label`)
IMPROVED, DECLINED, NO_CHANGE = "improved", "declined", "no measurable change"


@dataclass(frozen=True)
class Band:
    """One interpretation band: the result is in it when ``min_deg <= value <= max_deg``."""

    label: str
    text: str
    source: str
    checked: str
    min_deg: float = -math.inf
    max_deg: float = math.inf


@dataclass(frozen=True)
class Interpretation:
    """A result read against the norms: ``label`` ("usual", ...), ``text`` and ``source``."""

    label: str
    text: str
    source: str

    def as_report(self) -> dict[str, str]:
        return {"label": self.label, "text": self.text, "source": self.source}


@dataclass(frozen=True)
class AssessmentTest:
    """One test (``slr`` or ``ake``): protocol, validity limits, detection, MDC and norms.

    Angles are degrees. ``higher_is_better``: SLR (a larger raise is more flexible) is; AKE
    (a larger shortfall is less flexible) is not.
    """

    id: str
    name: str
    short: str
    measure: str
    higher_is_better: bool
    setup: str
    instruction: str
    source: str
    valid: dict[str, Any]
    detect: dict[str, Any]
    mdc_deg: float
    mdc_source: str
    bands: tuple[Band, ...]
    asymmetry_flag_deg: float
    asymmetry_note: str
    asymmetry_source: str

    def interpret(self, value_deg: float) -> Interpretation | None:
        """The band ``value_deg`` falls in (None for NaN)."""
        if not math.isfinite(value_deg):
            return None
        for b in self.bands:
            if b.min_deg <= value_deg <= b.max_deg:
                return Interpretation(b.label, b.text.format(value=value_deg), b.source)
        return None

    def change_label(self, before_deg: float, after_deg: float) -> str:
        """``"improved"``, ``"declined"`` or ``"no measurable change"`` between two results.

        A change counts only when it exceeds the minimal detectable change (:attr:`mdc_deg`);
        for AKE a smaller shortfall is an improvement.
        """
        delta = after_deg - before_deg
        if not (math.isfinite(delta) and abs(delta) > self.mdc_deg):
            return NO_CHANGE
        better = delta > 0 if self.higher_is_better else delta < 0
        return IMPROVED if better else DECLINED

    def side_difference(self, left_deg: float, right_deg: float) -> dict[str, Any] | None:
        """Side-to-side difference of the two sides' results, flagged beyond the usual range."""
        diff = abs(left_deg - right_deg)
        if not math.isfinite(diff):
            return None
        flagged = diff > self.asymmetry_flag_deg
        text = (
            f"the sides differ by {diff:.0f} deg, more than the usual difference between legs "
            f"(up to about {self.asymmetry_flag_deg:.0f} deg)"
            if flagged
            else f"the sides differ by {diff:.0f} deg, within the usual difference between legs"
        )
        return {
            "difference_deg": round(diff, 1),
            "flag_deg": self.asymmetry_flag_deg,
            "flagged": flagged,
            "text": text,
            "source": self.asymmetry_source,
        }


@dataclass(frozen=True)
class Norms:
    """Every test, with the shared defaults."""

    tests: dict[str, AssessmentTest]
    trials_per_side: int
    max_attempts_per_side: int
    max_off_side_deg: float
    disclaimer: str


def _band(d: dict[str, Any]) -> Band:
    return Band(
        label=str(d["label"]),
        text=str(d["text"]),
        source=str(d["source"]),
        checked=str(d.get("checked", "unchecked")),
        min_deg=float(d.get("min_deg", -math.inf)),
        max_deg=float(d.get("max_deg", math.inf)),
    )


def parse_norms(data: dict[str, Any]) -> Norms:
    """Build :class:`Norms` from the parsed TOML; a missing key raises ``ConfigError``."""
    try:
        dflt = data["defaults"]
        tests = {}
        for tid in TEST_IDS:
            t = data["test"][tid]
            bands = tuple(_band(b) for b in t["bands"])
            if t["higher_is_better"]:  # highest band first
                bands = tuple(sorted(bands, key=lambda b: -b.min_deg))
            else:
                bands = tuple(sorted(bands, key=lambda b: b.max_deg))
            tests[tid] = AssessmentTest(
                id=tid,
                name=str(t["name"]),
                short=str(t["short"]),
                measure=str(t["measure"]),
                higher_is_better=bool(t["higher_is_better"]),
                setup=str(t["setup"]),
                instruction=str(t["instruction"]),
                source=str(t["source"]),
                valid=dict(t["valid"]),
                detect=dict(t["detect"]),
                mdc_deg=float(t["mdc"]["value_deg"]),
                mdc_source=str(t["mdc"]["source"]),
                bands=bands,
                asymmetry_flag_deg=float(t["asymmetry"]["flag_deg"]),
                asymmetry_note=str(t["asymmetry"].get("note", "")),
                asymmetry_source=str(t["asymmetry"]["source"]),
            )
        return Norms(
            tests=tests,
            trials_per_side=int(dflt["trials_per_side"]),
            max_attempts_per_side=int(dflt["max_attempts_per_side"]),
            max_off_side_deg=float(dflt["max_off_side_deg"]),
            disclaimer=str(dflt["disclaimer"]),
        )
    except KeyError as err:
        raise ConfigError(f"assessment norms: missing key {err}") from err


@cache
def load_norms() -> Norms:
    """The built-in norms (``formcheck/assess/norms.toml``)."""
    text = resources.files("formcheck.assess").joinpath("norms.toml").read_text("utf-8")
    return parse_norms(tomllib.loads(text))


def get_test(test: str) -> AssessmentTest:
    """One test by id (``"slr"`` or ``"ake"``); an unknown id raises ``ConfigError``."""
    try:
        return load_norms().tests[test]
    except KeyError:
        raise ConfigError(
            f"unknown assessment test {test!r}, expected one of {', '.join(TEST_IDS)}"
        ) from None


__all__ = [
    "DECLINED",
    "IMPROVED",
    "NO_CHANGE",
    "SIDES",
    "TEST_IDS",
    "Band",
    "Interpretation",
    "Norms",
    "AssessmentTest",
    "load_norms",
    "parse_norms",
    "get_test",
]
