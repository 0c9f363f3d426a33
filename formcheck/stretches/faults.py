"""The fault kinds of the catalogue (``[fault.*]`` in catalogue.toml): every warning formcheck
raises, with its label, category, priority, message, prompt, tone and seed citation.

The coach, the live window and its audio, the overlay, the report page, the CSV and the history
read them here (:func:`fault_kind`, :func:`faults_by_priority`), also re-exported by
:mod:`formcheck.stretches.catalogue`; no other module keeps a table of them.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from formcheck.errors import ConfigError

#: the categories of fault kinds: a fault of the stretch, or a problem of the camera set-up
FAULT_CATEGORIES = ("form", "setup")
#: the sounds a fault kind can play when its warning starts
TONES = ("warning",)
#: the body parts a fault can name (``part``): the skeleton draws that part red
#: (spine: shoulders to hips; knee: the working leg; hips: the pelvis and the working thigh;
#: other_leg: the leg that is not stretched; legs: both legs)
BODY_PARTS = ("spine", "knee", "hips", "other_leg", "legs")
#: the priority given to a kind that is not in the catalogue (after every known kind)
UNKNOWN_PRIORITY = 1_000_000
_SEED = re.compile(r"(?:^|;\s*)(\d{3}):")


@functools.cache
def _builtin_data() -> dict[str, Any]:
    text = resources.files("formcheck.stretches").joinpath("catalogue.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class FaultKind:
    """One kind of warning, as every output shows it.

    Attributes
    ----------
    kind : str
        The id written in reports (``warnings[].kind``, the frames' ``warnings`` lists).
    label : str
        Short name in the report page, the CSV and the history ("Knee bent").
    category : str
        ``"form"``: a fault of the stretch (pauses the hold timer, shown red); ``"setup"``: the
        camera or the framing (shown orange).
    priority : int
        1 = the most important: its message and prompt win when several warnings are active.
    message : str
        The on-screen message (a stretch's rule may word it its own way, see
        :meth:`Catalogue.message_for`).
    prompt : str or None
        The short prompt of the live window, also spoken; None: never spoken.
    source : str or None
        Seed citation, ``"NNN: quoted words"`` (several joined by ``"; "``); None for set-up
        kinds that no seed describes.
    tone : str or None
        A sound played when the warning starts (one of :data:`TONES`), or None.
    part : str or None
        The body part at fault (one of :data:`BODY_PARTS`), drawn red on the skeleton; None:
        no part (a set-up warning).
    """

    kind: str
    label: str
    category: str
    priority: int
    message: str
    prompt: str | None = None
    source: str | None = None
    tone: str | None = None
    part: str | None = None

    @property
    def is_form(self) -> bool:
        """True for a fault of the stretch itself (category ``"form"``)."""
        return self.category == "form"

    @property
    def seeds(self) -> tuple[str, ...]:
        """The seed numbers the citation quotes, e.g. ``("000", "003")``."""
        return tuple(_SEED.findall(self.source or ""))


def _text(d: dict[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{where}.{key}' must be a non-empty text, found {value!r}")
    return value


def _fault(kind: str, d: dict[str, Any]) -> FaultKind:
    where = f"fault.{kind}"
    unknown = set(d) - {
        "label", "category", "priority", "message", "prompt", "source", "tone", "part"
    }  # fmt: skip
    if unknown:
        raise ConfigError(f"unknown key '{where}.{sorted(unknown)[0]}'")
    category = d.get("category")
    if category not in FAULT_CATEGORIES:
        raise ConfigError(
            f"'{where}.category' must be one of {FAULT_CATEGORIES}, found {category!r}"
        )
    priority = d.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
        raise ConfigError(f"'{where}.priority' must be a whole number from 1, found {priority!r}")
    tone = d.get("tone")
    if tone is not None and tone not in TONES:
        raise ConfigError(f"'{where}.tone' must be one of {TONES}, found {tone!r}")
    part = d.get("part")
    if part is not None and part not in BODY_PARTS:
        raise ConfigError(f"'{where}.part' must be one of {BODY_PARTS}, found {part!r}")
    source = _text(d, "source", where, required=category == "form")
    if source is not None and not _SEED.match(source):
        raise ConfigError(
            f"'{where}.source' must start with a seed number 'NNN:', found {source!r}"
        )
    return FaultKind(
        kind, str(_text(d, "label", where, required=True)), category, priority,
        str(_text(d, "message", where, required=True)), _text(d, "prompt", where, required=False),
        source, tone, part,
    )  # fmt: skip


def parse_fault_kinds(data: dict[str, Any]) -> dict[str, FaultKind]:
    """The ``[fault.*]`` tables of a catalogue as fault kinds, checked.

    Raises
    ------
    ConfigError
        A table has an unknown key, a category not in :data:`FAULT_CATEGORIES`, a priority that
        is not a whole number from 1 or that another kind has, a tone not in :data:`TONES`, an
        empty text, or (a form fault) no seed citation ``"NNN: ..."``.
    """
    faults = {kind: _fault(kind, d) for kind, d in data.items()}
    seen: dict[int, str] = {}
    for f in faults.values():
        if f.priority in seen:
            other = seen[f.priority]
            raise ConfigError(f"'fault.{f.kind}.priority' {f.priority} is also that of '{other}'")
        seen[f.priority] = f.kind
    return faults


@functools.cache
def fault_kinds() -> dict[str, FaultKind]:
    """Every fault kind of the built-in catalogue, by kind (in the TOML's order; shared: do not
    modify)."""
    return parse_fault_kinds(_builtin_data()["fault"])


def unknown_fault(kind: str) -> FaultKind:
    """How a kind that is not in the catalogue is shown (a report from another version): its id
    as label, category ``"setup"``, after every known kind, never spoken."""
    label = kind.replace("_", " ").capitalize() or "Unknown"
    return FaultKind(kind, label, "setup", UNKNOWN_PRIORITY, label)


def fault_kind(kind: str) -> FaultKind:
    """The fault kind ``kind`` of the built-in catalogue (:func:`unknown_fault` if not there)."""
    return fault_kinds().get(kind) or unknown_fault(kind)


def faults_by_priority() -> tuple[FaultKind, ...]:
    """Every fault kind of the built-in catalogue, the most important first."""
    return tuple(sorted(fault_kinds().values(), key=lambda f: f.priority))


def kinds_of(category: str) -> tuple[str, ...]:
    """The kinds of one category (``"form"`` or ``"setup"``), the most important first."""
    if category not in FAULT_CATEGORIES:
        raise ValueError(f"category must be one of {FAULT_CATEGORIES}, found {category!r}")
    return tuple(f.kind for f in faults_by_priority() if f.category == category)


def most_important(active: Iterable[str]) -> FaultKind | None:
    """The active warning whose message and prompt win: the lowest priority number (kinds not
    in the catalogue come last, in the order given); None when nothing is active."""
    kinds = list(dict.fromkeys(active))
    if not kinds:
        return None
    best = min(kinds, key=lambda k: (fault_kind(k).priority, kinds.index(k)))
    return fault_kind(best)
