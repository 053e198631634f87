"""Errors raised by :mod:`accessibility`.

Every error derives from :class:`AccessibilityError` *and* from the built-in exception that fits, so
``except ValueError`` keeps working for callers who do not know this package. Messages say what was
found and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AccessibilityError",
    "CRSError",
    "ConfigError",
    "DuplicateIdError",
    "EmptyLayerError",
    "GeometryError",
    "InfeasibleError",
    "InputFileError",
    "InvalidValueError",
    "MemoryEstimateError",
    "MissingColumnError",
    "NetworkError",
    "OutputError",
    "SnapError",
    "SpeedOverrideError",
    "suggest",
]


class AccessibilityError(Exception):
    """Base class of every error raised on purpose by this package."""


class MissingColumnError(KeyError, AccessibilityError):
    """A column the job needs is not in a layer."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


class CRSError(ValueError, AccessibilityError):
    """A layer has no CRS, or a CRS that cannot be used as asked (degrees used as metres)."""


class DuplicateIdError(ValueError, AccessibilityError):
    """Ids (the index of a location layer) are not unique or are missing."""


class EmptyLayerError(ValueError, AccessibilityError):
    """A layer has no features."""


class GeometryError(ValueError, AccessibilityError):
    """Geometries are of the wrong type, empty, or invalid beyond repair."""


class InvalidValueError(ValueError, AccessibilityError):
    """Values are of the wrong type or out of range (negative population, zero speed, ...)."""


class NetworkError(ValueError, AccessibilityError):
    """A road network cannot be built or routed as asked."""


class SnapError(ValueError, AccessibilityError):
    """Points cannot be located on the road network."""


class ConfigError(ValueError, AccessibilityError):
    """A project (TOML) file is wrong: unknown key, wrong type, missing file."""


class SpeedOverrideError(InvalidValueError, ConfigError):
    """A speed override names a mode or road class that neither the profile nor the data has.

    Both an :class:`InvalidValueError` (the ``speeds=`` argument of the network builders) and a
    :class:`ConfigError` (``[network.speeds]`` of a project file).
    """


class InfeasibleError(InvalidValueError):
    """A siting problem has no feasible solution (e.g. a village no candidate can reach).

    ``villages`` lists the ids of the villages that cannot be served, when they are known.
    """

    def __init__(self, message: str, villages: Iterable[object] = ()) -> None:
        super().__init__(message)
        self.villages = list(villages)


class InputFileError(FileNotFoundError, ConfigError):
    """An input file does not exist (also a :class:`FileNotFoundError`)."""


class OutputError(OSError, AccessibilityError):
    """An output cannot be written (read-only folder, full disk, existing file without overwrite)."""


class MemoryEstimateError(MemoryError, AccessibilityError):
    """A requested result would not fit in memory; the message states the estimate."""


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest of ``choices``, or an empty string."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""
