"""Number checks and number tags shared by the decays and the measure specs (internal)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import InvalidValueError


def fmt(value: float) -> str:
    """Format a number for a repr: 20.0 -> '20', 0.05 -> '0.05'."""
    return f"{float(value):g}"


def tag_number(value: float) -> str:
    """Format a number for a column name: 20.0 -> '20', 0.05 -> '0p05' (no dots in names)."""
    return fmt(value).replace(".", "p").replace("-", "m")


def positive(name: str, value: Any, *, kind: str, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (``>= 0`` with ``allow_zero``), or a clear error."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"{kind}(): {name} must be a number, got {value!r} ({type(value).__name__})"
        ) from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        hint = ""
        if kind in {"exponential", "power"} and v < 0:
            hint = (
                f"; a negative {name} makes the weight grow with the cost, so the decay would "
                f"not be decreasing (write {name}={-v:g})"
            )
        raise InvalidValueError(f"{kind}(): {name} must be finite and {bound}, got {value!r}{hint}")
    return v
