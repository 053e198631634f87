"""Old names and argument orders that keep working for one release, with an
:class:`~accessibility.errors.APIChangeWarning` that names the new one.

:func:`renamed_keywords` renames keyword arguments (``limit_min`` -> ``catchment_min``);
:func:`network_first` puts a :class:`~accessibility.network.Network` given in the old place back
in front (``locate(points, network)`` -> ``locate(network, points)``). Both keep the wrapped
function's name, docstring and signature (``inspect.signature`` shows the new one), and the
wrapped function pickles as before (it is the module attribute).
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from .errors import APIChangeWarning

__all__ = ["keyword_only", "network_first", "renamed_keywords", "warn_api_change"]

P = ParamSpec("P")
R = TypeVar("R")


def warn_api_change(message: str, *, stacklevel: int | None = None) -> None:
    """Emit an :class:`~accessibility.errors.APIChangeWarning`; ``stacklevel`` as for
    :func:`warnings.warn` (counted from the caller of this function), default: the first caller
    outside this module (the user's line, however many of these decorators are stacked)."""
    if stacklevel is None:
        stacklevel, frame = 2, sys._getframe(1)
        while frame is not None and frame.f_code.co_filename == __file__:
            stacklevel, frame = stacklevel + 1, frame.f_back  # type: ignore[assignment]
    warnings.warn(message, APIChangeWarning, stacklevel=stacklevel)


def renamed_keywords(**old_to_new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: accept each old keyword name, warn, and pass the value on as the new name.

    Giving both the old and the new name is an error (:class:`TypeError`, as Python's own for a
    keyword given twice).

    Examples
    --------
    >>> import warnings
    >>> @renamed_keywords(limit_min="catchment_min")
    ... def f(*, catchment_min=None):
    ...     return catchment_min
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(limit_min=30)
    30
    >>> print(caught[0].message)
    f(): the keyword limit_min= is now called catchment_min= (same meaning); limit_min= will stop working in the next release
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{fn.__name__}() got both {old}= (the old name) and {new}=; "
                            f"give only {new}="
                        )
                    warn_api_change(
                        f"{fn.__name__}(): the keyword {old}= is now called {new}= (same "
                        f"meaning); {old}= will stop working in the next release"
                    )
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return inner

    return wrap


def _is_network(obj: Any) -> bool:
    # no import: this module sits below every other (a Network exists only once its module is
    # loaded, so an unloaded module means obj is not one)
    types = sys.modules.get("accessibility.network.types")
    return types is not None and isinstance(obj, types.Network)


def network_first(new_order: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: a :class:`~accessibility.network.Network` given as the second or third
    positional argument (the old order) is moved to the front, with a warning that shows
    ``new_order`` (e.g. ``"locate(network, points)"``)."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> R:
            if args and not _is_network(args[0]):
                where = next((i for i in (1, 2) if i < len(args) and _is_network(args[i])), None)
                if where is not None:
                    args = (args[where], *args[:where], *args[where + 1 :])
                elif _is_network(kwargs.get("network")):  # the old order, network by name
                    args = (kwargs.pop("network"), *args)
                else:
                    return fn(*args, **kwargs)
                warn_api_change(
                    f"{fn.__name__}(): the network now comes first: write {new_order}; "
                    "the old order will stop working in the next release"
                )
            return fn(*args, **kwargs)

        return inner

    return wrap


def keyword_only(*names: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: options that became keyword-only (``names``, in their old positional order)
    still work given by position, for one release, with a warning.

    Examples
    --------
    >>> import warnings
    >>> @keyword_only("column")
    ... def f(layer, *, column="population"):
    ...     return column
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f("villages", "people")
    'people'
    >>> print(caught[0].message)
    f(): give column= by name (f(..., column=...)); by position it will stop working in the next release
    """

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        import inspect

        params = inspect.signature(fn).parameters.values()
        n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> R:
            extra = args[n_positional:]
            if extra:
                if len(extra) > len(names):
                    raise TypeError(
                        f"{fn.__name__}() takes {n_positional + len(names)} positional "
                        f"arguments at most, got {len(args)}"
                    )
                given = names[: len(extra)]
                for name, value in zip(given, extra, strict=True):
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got multiple values for {name!r}")
                    kwargs[name] = value
                shown = ", ".join(f"{n}=..." for n in given)
                warn_api_change(
                    f"{fn.__name__}(): give {'=, '.join(given)}= by name ({fn.__name__}(..., "
                    f"{shown})); by position it will stop working in the next release"
                )
                args = args[:n_positional]
            return fn(*args, **kwargs)

        return inner

    return wrap
