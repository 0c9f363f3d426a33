"""Errors raised by formcheck.

Every error a user can cause (bad input, missing model, bad config) is a :class:`FormcheckError`
subclass whose message says what was expected and what was found. The CLI prints it as one
line and exits with code 2; library code never calls ``sys.exit``.
"""

from __future__ import annotations


class FormcheckError(Exception):
    """Base class of the errors a user can cause; the CLI prints ``str(err)`` on one line."""

    exit_code = 2


class ModelError(FormcheckError):
    """The pose model is missing, corrupt or cannot be provisioned."""


class InputError(FormcheckError):
    """An input file or camera cannot be read."""


class ConfigError(FormcheckError):
    """A setting (TOML file or command-line flag) has a bad value."""


class OutputError(FormcheckError):
    """An output path cannot be written."""
