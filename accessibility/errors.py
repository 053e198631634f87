"""Errors raised and warnings emitted by :mod:`accessibility`.

Every error derives from :class:`AccessibilityError` *and* from the built-in exception that fits, so
``except ValueError`` keeps working for callers who do not know this package. Messages say what was
found and how to fix it. Errors pickle (a Dask or multiprocessing caller gets them back intact).

Things that change a result without stopping it (a point not snapped, a facility left out, an
unknown road class, a repaired input) are reported with :func:`warnings.warn` and a subclass of
:class:`AccessibilityWarning`, so they reach notebook users (who do not see the package's log), and
``warnings.simplefilter("error", AccessibilityWarning)`` turns them all into errors.
"""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Iterable

__all__ = [
    "APIChangeWarning",
    "AccessibilityError",
    "AccessibilityWarning",
    "CRSError",
    "ConfigError",
    "CostUnitError",
    "DuplicateIdError",
    "EmptyLayerError",
    "GeometryError",
    "InfeasibleError",
    "InputFileError",
    "InputWarning",
    "InvalidValueError",
    "MemoryEstimateError",
    "MissingColumnError",
    "NetworkError",
    "NetworkWarning",
    "OutputError",
    "ResultWarning",
    "SnapError",
    "SnapWarning",
    "SpeedOverrideError",
    "suggest",
]


class AccessibilityError(Exception):
    """Base class of every error raised on purpose by this package.

    An error that reports several problems of one layer at once (``validate_roads``,
    ``validate_locations``) also carries them as ``problems``: (error class name, message) pairs.
    """

    problems: list[tuple[str, str]]


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


class CostUnitError(InvalidValueError, ConfigError):
    """A cut-off in one unit was given for a cost column in another (minutes for metres).

    Both an :class:`InvalidValueError` (a keyword of a measure or covering model) and a
    :class:`ConfigError` (a measure spec of a project file). The message names the column, its
    unit and the keyword to use instead.
    """


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


class AccessibilityWarning(UserWarning):
    """Base class of every warning emitted by this package: something changed a result."""


class InputWarning(AccessibilityWarning):
    """Something in an input layer was repaired or looks wrong; the message says what and how.

    Also importable as ``accessibility.validate.InputWarning`` (the same class).
    """


class SnapWarning(AccessibilityWarning):
    """Points are too far from a road usable by the mode (or have no geometry): they are flagged
    (``snapped`` False) and get no travel times."""


class NetworkWarning(AccessibilityWarning):
    """The road network was built with an assumption that changes travel times (road classes
    not in the speed profile, crossings not joined)."""


class ResultWarning(AccessibilityWarning):
    """A result leaves something out (facilities that could not be used, villages that reach
    no facility); the result records what and why."""


class APIChangeWarning(FutureWarning):
    """An old name or argument order was used: it still works, for one release, and gives the
    same result; the message says what to write instead.

    Not an :class:`AccessibilityWarning` (nothing about the result changed). Turn it into an
    error to find the old calls: ``warnings.simplefilter("error", FutureWarning)``.
    """


#: Set on the log record of a message also emitted as a warning (see :func:`warn`): the command
#: line shows the warning and drops the record, so the message appears once.
WARNED = "accessibility_warned"


def warn(
    category: type[Warning],
    logger: logging.Logger | None,
    message: str,
    *args: object,
    stacklevel: int = 2,
) -> None:
    """Emit ``message % args`` with :func:`warnings.warn` (so notebook users see it) and log it
    at WARNING on ``logger`` (so log files keep it); ``stacklevel`` as for ``warnings.warn``,
    counted from the caller of this function."""
    text = message % args if args else message
    if logger is not None:
        logger.warning("%s", text, extra={WARNED: True})
    warnings.warn(text, category, stacklevel=stacklevel + 1)


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest of ``choices``, or an empty string."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""
