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
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.errors import ConfigError
from formcheck.metrics.measures import MetricsOptions
from formcheck.pose.options import PoseOptions
from formcheck.stretches.catalogue import STRETCH_IDS, Catalogue, load_catalogue
from formcheck.stretches.coach import CoachOptions
from formcheck.stretches.recognize import RecognizeOptions

SIDE_CHOICES = ("left", "right", "both")


@dataclass
class Settings:
    pose: PoseOptions = field(default_factory=PoseOptions)
    metrics: MetricsOptions = field(default_factory=MetricsOptions)
    coach: CoachOptions = field(default_factory=CoachOptions)
    catalogue_overrides: dict[str, Any] = field(default_factory=dict)
    source_file: str | None = None

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
        if float(value) < 0:
            raise ConfigError(f"{where} must be 0 or more, found {value!r}")
        if isinstance(default, int):
            if float(value) != int(value):
                raise ConfigError(f"{where} must be a whole number, found {value!r}")
            return int(value)
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of texts, found {value!r}")
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


def read_toml(path: str | Path, what: str = "settings") -> dict[str, Any]:
    """Read a TOML file; ConfigError (one line) when it is missing, unreadable or not TOML."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
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
