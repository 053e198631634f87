"""Distance-decay functions: kept importable as ``accessibility.decay``.

They live in :mod:`accessibility.measures.decay`; see its documentation.
"""

from .measures.decay import (
    Decay,
    as_decay,
    check_decay,
    decay_from_spec,
    exponential,
    gaussian,
    gaussian_kernel,
    linear,
    logistic,
    power,
    quartic_kernel,
    step,
    zones,
)

__all__ = [
    "Decay",
    "as_decay",
    "check_decay",
    "decay_from_spec",
    "exponential",
    "gaussian",
    "gaussian_kernel",
    "linear",
    "logistic",
    "power",
    "quartic_kernel",
    "step",
    "zones",
]
