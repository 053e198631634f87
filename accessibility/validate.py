"""Input validation for location and road layers (work in progress)."""

from __future__ import annotations

__all__ = ["InputWarning"]


class InputWarning(UserWarning):
    """Something in an input layer was repaired or looks wrong; the message says what and how."""
