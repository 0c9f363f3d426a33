"""Settings: built-in defaults, then a TOML file, then command-line flags.

One commented TOML file (see ``docs/config.example.toml``) mirrors the CLI:

    [pose]        model, num_poses, min_detection_confidence, ... (pose.options.PoseOptions)
    [metrics]     min_visibility, smooth, ...                  (metrics.measures.MetricsOptions)
    [coach]       stretch, side, warn_on_s, warn_off_s, ... (stretches.coach.CoachOptions)
    [recognize]   thresholds of stretch recognition            (RecognizeOptions)
    [defaults], [stretch.ID], [common]   overrides of formcheck/stretches/catalogue.toml

Unknown keys and values of the wrong type raise :class:`ConfigError` naming the key, what was
expected and what was found.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError
from formcheck.metrics.backref import BackReference
from formcheck.metrics.measures import MetricsOptions
from formcheck.pose.options import PoseOptions
from formcheck.stretches.catalogue import STRETCH_IDS, Catalogue, load_catalogue
from formcheck.stretches.coach import CoachOptions
from formcheck.stretches.recognize import RecognizeOptions

SIDE_CHOICES = ("left", "right", "both")

#: the range of each number setting: (low, high, low excluded); a number setting not listed
#: must be 0 or more. Whole-number settings (an int default) must also be whole.
NUMBER_RANGES: dict[str, tuple[float, float, bool]] = {
    "pose.num_poses": (1, 10, False),
    "pose.num_poses_image": (1, 10, False),
    "pose.people_check_s": (0, 3600, False),
    "pose.dim_level": (0, 255, False),
    "pose.max_width": (0, 100_000, False),
    "pose.min_detection_confidence": (0, 1, False),
    "pose.min_presence_confidence": (0, 1, False),
    "pose.min_tracking_confidence": (0, 1, False),
    "metrics.min_visibility": (0, 1, False),
    "metrics.frame_margin": (0, 1, False),
    "metrics.smooth_min_cutoff_hz": (0, 1000, True),  # One Euro: 0 Hz divides by zero
    "metrics.smooth_beta": (0, 1e6, False),
    "metrics.smooth_d_cutoff_hz": (0, 1000, True),
    "metrics.side_view_max_deg": (0, 90, False),
    "metrics.front_view_max_deg": (0, 90, False),
    "coach.warn_on_s": (0, 60, False),
    "coach.warn_off_s": (0, 60, False),
    "coach.no_person_s": (0, 3600, False),
    "coach.engaged_memory_s": (0, 3600, False),
    "recognize.min_confidence": (0, 1, False),
}

#: the values a list setting may hold
LIST_CHOICES: dict[str, tuple[str, ...]] = {
    "coach.judge_back_views": ("side", "oblique", "front"),
    "coach.judge_back_postures": ("standing", "chair_sitting", "floor_sitting", "lying"),
}

#: the range of the numbers of the stretch catalogue's overrides, by dotted key (``*`` = any
#: name or list index): (low, high, low excluded, whole number). Every number must be finite.
OVERRIDE_RANGES: tuple[tuple[str, float, float, bool, bool], ...] = (
    ("defaults.hold_target_s", 0, 3600, True, False),
    ("stretch.*.hold_target_s", 0, 3600, True, False),
    ("defaults.hold_start_s", 0, 3600, False, False),
    ("defaults.min_hold_s", 0, 3600, False, False),
    ("defaults.exit_grace_s", 0, 3600, False, False),
    ("defaults.settle_s", 0, 3600, False, False),
    ("defaults.still_s", 0, 60, False, False),
    ("defaults.still_deg", 0, 90, False, False),
    ("defaults.reps_per_side", 1, 100, False, True),
    ("defaults.sessions_per_day", 1, 24, False, True),
    ("*.rules.*.min", -360, 360, False, False),
    ("*.rules.*.max", -360, 360, False, False),
    ("stretch.*.position.*.min", -360, 360, False, False),
    ("stretch.*.position.*.max", -360, 360, False, False),
)


def _range_text(lo: float, hi: float, lo_open: bool) -> str:
    return f"above {lo:g} and at most {hi:g}" if lo_open else f"between {lo:g} and {hi:g}"


def _in_range(value: float, lo: float, hi: float, lo_open: bool) -> bool:
    return (lo < value if lo_open else lo <= value) and value <= hi


@dataclass
class Settings:
    pose: PoseOptions = field(default_factory=PoseOptions)
    metrics: MetricsOptions = field(default_factory=MetricsOptions)
    coach: CoachOptions = field(default_factory=CoachOptions)
    catalogue_overrides: dict[str, Any] = field(default_factory=dict)
    source_file: str | None = None
    #: a saved neutral-back reference (the history's; never from the settings file)
    back_reference: BackReference | None = None

    def catalogue(self) -> Catalogue:
        try:
            return load_catalogue(self.catalogue_overrides)
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            # an override of the wrong shape (a number where a table belongs, a text where a
            # number belongs) that the catalogue loader did not name itself
            where = f" ({self.source_file})" if self.source_file else ""
            raise ConfigError(
                f"bad stretch catalogue override{where}: expected the shape of "
                f"formcheck/stretches/catalogue.toml, found {type(err).__name__}: {err}"
            ) from err


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    where = f"[{section}] {key}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, found {value!r}")
        return value
    if isinstance(default, int | float) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, found {value!r}")
        if not math.isfinite(float(value)):
            raise ConfigError(f"{where} must be a finite number, found {value!r}")
        lo, hi, lo_open = NUMBER_RANGES.get(f"{section}.{key}", (0, math.inf, False))
        if not _in_range(float(value), lo, hi, lo_open):
            allowed = "0 or more" if hi == math.inf else _range_text(lo, hi, lo_open)
            raise ConfigError(f"{where} must be {allowed}, found {value!r}")
        if isinstance(default, int):
            if float(value) != int(value):
                raise ConfigError(f"{where} must be a whole number, found {value!r}")
            return int(value)
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of texts, found {value!r}")
        choices = LIST_CHOICES.get(f"{section}.{key}", ())
        for v in value if choices else ():
            if v not in choices:
                raise ConfigError(f"{where} must be a list of: {', '.join(choices)}; found {v!r}")
        return tuple(value)
    if default is None or isinstance(default, str):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{where} must be a text, found {value!r}")
        return value
    raise ConfigError(f"{where} cannot be set from a file")


def _apply(obj: Any, section: str, values: dict[str, Any]) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"[{section}] must be a table")
    names = {f.name: f for f in dataclasses.fields(obj)}
    changes = {}
    for key, value in values.items():
        if key not in names or key == "recognize":
            known = ", ".join(sorted(n for n in names if n != "recognize"))
            raise ConfigError(f"unknown setting [{section}] {key} (known: {known})")
        changes[key] = _coerce(section, key, value, getattr(obj, key))
    return dataclasses.replace(obj, **changes)


def validate_choices(settings: Settings) -> Settings:
    """Check values that must come from a fixed list."""
    c = settings.coach
    if c.stretch is not None and c.stretch not in STRETCH_IDS:
        raise ConfigError(f"stretch must be one of {', '.join(STRETCH_IDS)}, found {c.stretch!r}")
    if c.side is not None and c.side not in SIDE_CHOICES:
        raise ConfigError(f"side must be one of {', '.join(SIDE_CHOICES)}, found {c.side!r}")
    if settings.pose.num_poses < 1:
        raise ConfigError(f"[pose] num_poses must be 1 or more, found {settings.pose.num_poses}")
    for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence"):
        v = getattr(settings.pose, name)
        if not 0.0 <= v <= 1.0:
            raise ConfigError(f"[pose] {name} must be between 0 and 1, found {v}")
    min_vis = settings.metrics.min_visibility
    if not 0.0 <= min_vis <= 1.0:
        raise ConfigError(f"[metrics] min_visibility must be between 0 and 1, found {min_vis}")
    settings.catalogue()  # validates the catalogue overrides
    return settings


def check_overrides(section: str, values: dict[str, Any]) -> None:
    """Check the numbers of a stretch-catalogue override (``[defaults]``, ``[stretch.ID]``,
    ``[common]``): every one finite, and those of :data:`OVERRIDE_RANGES` in their range.

    Raises
    ------
    ConfigError
        Naming the dotted key, what is allowed and what was found.
    """
    stack: list[tuple[str, Any]] = [(section, values)]
    while stack:  # no recursion: a deep override is read without a RecursionError
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}", v) for i, v in enumerate(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            _check_override_number(where, value)


def _check_override_number(where: str, value: float) -> None:
    if not math.isfinite(value):
        raise ConfigError(f"setting '{where}' must be a finite number, found {value!r}")
    for pattern, lo, hi, lo_open, whole in OVERRIDE_RANGES:
        if fnmatch.fnmatchcase(where, pattern):
            if not _in_range(value, lo, hi, lo_open) or (whole and value != int(value)):
                kind = "a whole number " if whole else ""
                raise ConfigError(
                    f"setting '{where}' must be {kind}{_range_text(lo, hi, lo_open)}, "
                    f"found {value!r}"
                )
            return


def read_toml(path: str | Path, what: str = "settings") -> dict[str, Any]:
    """Read a TOML file; ConfigError (one line) when it is missing, unreadable, not TOML or
    nested too deeply to read."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except RecursionError:
        raise ConfigError(f"{what} file {p} nests arrays or tables too deeply to read") from None
    except FileNotFoundError as err:
        raise ConfigError(f"{what} file not found: {p}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {what} file {p}: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{what} file {p} is not valid TOML: {err}") from err


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults, then the TOML file at ``path`` (if any)."""
    s = Settings()
    if path is None:
        return s
    p = Path(path)
    data = read_toml(p, "settings")
    s.source_file = str(p)
    for section, values in data.items():
        if section == "pose":
            s.pose = _apply(s.pose, section, values)
        elif section == "metrics":
            s.metrics = _apply(s.metrics, section, values)
        elif section == "coach":
            s.coach = _apply(s.coach, section, values)
        elif section == "recognize":
            s.coach = dataclasses.replace(
                s.coach, recognize=_apply(s.coach.recognize, section, values)
            )
        elif section in ("defaults", "stretch", "common"):
            if not isinstance(values, dict):
                raise ConfigError(f"[{section}] must be a table, found {values!r}")
            check_overrides(section, values)
            s.catalogue_overrides[section] = values
        else:
            raise ConfigError(
                f"unknown section [{section}] in {p} (known: pose, metrics, coach, recognize, "
                "defaults, stretch, common)"
            )
    return validate_choices(s)


def apply_cli(settings: Settings, args: Any) -> Settings:
    """Command-line flags override the file: --model, --stretch, --side."""
    if getattr(args, "model", None):
        settings.pose = dataclasses.replace(settings.pose, model=args.model)
    if getattr(args, "stretch", None):
        settings.coach = dataclasses.replace(settings.coach, stretch=args.stretch)
    if getattr(args, "side", None):
        settings.coach = dataclasses.replace(settings.coach, side=args.side)
    return validate_choices(settings)


__all__ = ["RecognizeOptions", "Settings", "apply_cli", "load_settings"]
