"""Distance-decay functions: how much a facility counts as the cost of reaching it grows.

Every factory returns a :class:`Decay`, a vectorised callable ``f(cost_array) -> weights`` with a
readable ``repr``, a short ``tag`` used in column names, and a ``limit_min`` attribute: the cost
beyond which the weight is exactly 0 (``None`` when the function never reaches 0). Routing can stop
at ``limit_min``; measures use it to drop pairs early.

Costs are read in the unit of the cost column (minutes for ``travel_time_min``). Parameters are
named ``*_min`` because travel time in minutes is the usual cost; with ``cost="distance_m"`` the
same numbers are read as metres.

Cut-offs are inclusive: a pair whose cost equals ``limit_min`` is inside (as in PySAL ``access``,
which keeps ``cost <= max_cost``).

Weights are unit-free (1 at cost 0, never increasing with the cost).

References
----------
Kwan, M.-P. (1998). Space-time and integral measures of individual accessibility: a comparative
analysis using a point-based framework. *Geographical Analysis* 30(3), 191-216 (inverse power,
negative exponential, Gaussian and cumulative-opportunity decays). Geurs, K. T. & van Wee, B.
(2004). Accessibility evaluation of land-use and transport strategies: review and research
directions. *Journal of Transport Geography* 12(2), 127-140. Luo, W. & Qi, Y. (2009), *Health &
Place* 15(4), 1100-1107 (zone weights). Dai, D. (2010), *Health & Place* 16(5), 1038-1052
(Gaussian kernel). Pereira, R. H. M. & Herszenhut, D. (2023). *Introduction to urban
accessibility*, Ipea (linear and logistic decays of the R package *accessibility*).

Examples
--------
>>> from accessibility import decay
>>> f = decay.exponential(half_life_min=20)
>>> f
exponential(half_life_min=20)
>>> [round(float(w), 3) for w in f([0, 20, 40])]
[1.0, 0.5, 0.25]
>>> decay.zones([10, 20, 30], [1.0, 0.68, 0.22]).limit_min
30.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, InvalidValueError, suggest
from ._numbers import fmt, positive, tag_number

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


class Decay:
    """A vectorised decay function ``f(cost) -> weight`` with a readable description.

    Made by the factories of this module (:func:`step`, :func:`exponential`, ...); call it on an
    array of costs to get an array of weights (float64, same shape, ``>= 0``, non-increasing in
    the cost). Weights are 0 beyond ``limit_min`` when it is set.

    Attributes
    ----------
    kind
        Name of the family ("step", "exponential", ...).
    params
        The parameters as given, for ``repr`` and for :func:`decay_from_spec` round trips.
    limit_min
        Cost beyond which every weight is 0, or ``None``.
    tag
        Short text for column names, e.g. ``"30min"`` or ``"exp_hl20min"``.

    Examples
    --------
    >>> f = exponential(half_life_min=20, limit_min=60)
    >>> f.kind, f.limit_min, f.tag
    ('exponential', 60.0, 'exp_hl20min_60min')
    >>> f([0, 20, 61]).round(3).tolist()
    [1.0, 0.5, 0.0]
    """

    __slots__ = ("_cuts", "_fn", "kind", "limit_min", "params", "tag")

    def __init__(
        self,
        kind: str,
        params: Mapping[str, Any],
        fn: Callable[[np.ndarray], np.ndarray],
        *,
        limit_min: float | None,
        tag: str,
    ) -> None:
        self.kind = kind
        self.params = dict(params)
        self._fn = fn
        self.limit_min = None if limit_min is None else float(limit_min)
        self.tag = tag
        #: True when ``fn`` itself gives 0 beyond ``limit_min`` (and for NaN costs), so the cut
        #: need not be applied again (set by the factories whose formula has the cut built in)
        self._cuts = False

    def __call__(self, cost: Any) -> np.ndarray:
        c = np.asarray(cost, dtype=np.float64)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            w = np.asarray(self._fn(c), dtype=np.float64)
            if self.limit_min is not None and not self._cuts:
                w = np.where(c <= self.limit_min, w, 0.0)
        return w

    @property
    def step_cutoff_min(self) -> float | None:
        """The cut-off of a step decay made by :func:`step` (weights 1.0 up to it, 0.0 beyond
        and for NaN costs), else None: the weights are then known without calling the decay.

        >>> step(30).step_cutoff_min, exponential(half_life_min=20, limit_min=60).step_cutoff_min
        (30.0, None)
        """
        if self.kind == "step" and self._cuts and self.limit_min is not None:
            return self.limit_min
        return None

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            if isinstance(v, str):
                return repr(v)
            if isinstance(v, list | tuple):
                return "[" + ", ".join(fmt(x) for x in v) + "]"
            return fmt(v)

        args = ", ".join(f"{k}={show(v)}" for k, v in self.params.items() if v is not None)
        return f"{self.kind}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decay) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


# --------------------------------------------------------------------------- validation helpers


def _limit(value: Any, *, kind: str) -> float | None:
    if value is None:
        return None
    return positive("limit_min", value, kind=kind)


def _reaching_zero(
    kind: str,
    name: str,
    value: Any,
    weight: Callable[[np.ndarray, float], np.ndarray],
    tag_prefix: str,
) -> Decay:
    """A decay of one parameter ``name`` (minutes) that is also where the weight reaches 0;
    ``weight(cost, value)`` gives the weights, the tag is ``{tag_prefix}{value}min``."""
    x = positive(name, value, kind=kind)
    return Decay(
        kind, {name: x}, lambda c: weight(c, x), limit_min=x, tag=f"{tag_prefix}{tag_number(x)}min"
    )


def check_decay(
    f: Callable[[np.ndarray], Any], *, max_cost: float = 240.0, name: str = "decay"
) -> None:
    """Check that ``f`` is a usable decay function: vectorised, finite, ``>= 0``, non-increasing.

    ``f`` is evaluated on 2,049 costs evenly spread over ``[0, max_cost]`` (plus any breakpoints
    a :class:`Decay` knows about).

    Parameters
    ----------
    f
        The function to check (a :class:`Decay` or any callable taking an array of costs).
    max_cost
        Largest cost checked (use the largest cost in the table).
    name
        How to call ``f`` in error messages.

    Raises
    ------
    InvalidValueError
        If ``f`` does not return one finite, non-negative weight per cost, or if a weight
        increases with the cost (the message gives the first offending pair of costs).

    Examples
    --------
    >>> import numpy as np
    >>> check_decay(lambda c: np.exp(-0.1 * c))  # fine: returns None
    >>> check_decay(lambda c: 1 + 0.01 * c)
    Traceback (most recent call last):
    ...
    accessibility.errors.InvalidValueError: decay is not decreasing: ...
    """
    hi = float(max_cost) if math.isfinite(max_cost) and max_cost > 0 else 240.0
    grid = np.linspace(0.0, hi, 2049)
    if isinstance(f, Decay):
        extra = [f.limit_min] if f.limit_min is not None else []
        extra += [float(b) for b in f.params.get("breaks_min", None) or []]
        extra = [e for e in extra if e <= hi]
        grid = np.unique(np.concatenate([grid, extra, np.nextafter(extra, np.inf)]))
    try:
        w = np.asarray(f(grid), dtype=np.float64)
    except Exception as exc:  # a user callable can fail in any way
        raise InvalidValueError(
            f"{name} could not be evaluated on an array of costs ({type(exc).__name__}: {exc}); "
            "a decay must take a numpy array and return an array of weights of the same length"
        ) from exc
    if w.shape != grid.shape:
        raise InvalidValueError(
            f"{name} returned shape {w.shape} for {grid.size} costs; it must be vectorised "
            "(one weight per cost), e.g. use np.exp rather than math.exp"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise InvalidValueError(
            f"{name} gave weight {w[bad]!r} at cost {grid[bad]:g}; weights must be finite and "
            ">= 0 (for power decays set min_cost > 0 so that cost 0 is not infinite)"
        )
    rise = np.flatnonzero(np.diff(w) > 1e-12 * np.maximum(1.0, np.abs(w[:-1])))
    if rise.size:
        k = int(rise[0])
        raise InvalidValueError(
            f"{name} is not decreasing: weight {w[k]:g} at cost {grid[k]:g} but {w[k + 1]:g} at "
            f"cost {grid[k + 1]:g}. A decay must never grow with the cost; check the sign of its "
            "parameter, or order zone weights from near to far"
        )


# --------------------------------------------------------------------------- factories


def step(limit_min: float) -> Decay:
    """Binary (cumulative-opportunity) decay: 1 up to ``limit_min`` inclusive, 0 beyond.

    .. math:: f(c) = 1 \\text{ if } c \\le L \\text{ else } 0

    Parameters
    ----------
    limit_min
        The cut-off ``L`` (minutes, or the unit of the cost column).

    Examples
    --------
    >>> step(30)([0, 30, 30.5]).tolist()
    [1.0, 1.0, 0.0]
    """
    f = _reaching_zero(
        "step", "limit_min", limit_min, lambda c, lim: (c <= lim).astype(np.float64), ""
    )
    f._cuts = True  # 1.0 where c <= L, 0.0 beyond and for NaN: the cut is the formula
    return f


def linear(limit_min: float) -> Decay:
    """Linear decay from 1 at cost 0 to 0 at ``limit_min``.

    .. math:: f(c) = \\max(0, 1 - c / L)

    Examples
    --------
    >>> linear(40)([0, 10, 40, 50]).tolist()
    [1.0, 0.75, 0.0, 0.0]
    """
    return _reaching_zero(
        "linear", "limit_min", limit_min, lambda c, lim: np.clip(1.0 - c / lim, 0.0, 1.0), "lin"
    )


def exponential(
    *, beta: float | None = None, half_life_min: float | None = None, limit_min: float | None = None
) -> Decay:
    """Negative exponential decay, given by its rate or its half-life.

    .. math:: f(c) = e^{-\\beta c}, \\qquad \\beta = \\ln 2 / h

    Parameters
    ----------
    beta
        Decay rate per minute (> 0). Give exactly one of ``beta`` and ``half_life_min``.
    half_life_min
        Cost at which the weight has halved.
    limit_min
        Optional cut-off: weight 0 beyond it.

    Examples
    --------
    >>> exponential(beta=0.1)([0, 10]).round(4).tolist()
    [1.0, 0.3679]
    """
    if (beta is None) == (half_life_min is None):
        raise InvalidValueError(
            "exponential(): give exactly one of beta= (rate per minute) or half_life_min= "
            f"(got beta={beta!r}, half_life_min={half_life_min!r})"
        )
    lim = _limit(limit_min, kind="exponential")
    if beta is not None:
        b = positive("beta", beta, kind="exponential")
        params: dict[str, Any] = {"beta": b}
        tag = f"exp_b{tag_number(b)}"
    else:
        h = positive("half_life_min", half_life_min, kind="exponential")
        b = math.log(2.0) / h
        params = {"half_life_min": h}
        tag = f"exp_hl{tag_number(h)}min"
    params["limit_min"] = lim
    if lim is not None:
        tag += f"_{tag_number(lim)}min"
    return Decay("exponential", params, lambda c: np.exp(-b * c), limit_min=lim, tag=tag)


def gaussian(bandwidth_min: float, *, limit_min: float | None = None) -> Decay:
    """Gaussian decay with standard deviation ``bandwidth_min`` and weight 1 at cost 0.

    .. math:: f(c) = e^{-c^2 / (2 \\sigma^2)}

    This is PySAL ``access.weights.gaussian(sigma)``. For Dai's Gaussian 2SFCA kernel, which
    reaches 0 at the bandwidth, use :func:`gaussian_kernel`.

    Examples
    --------
    >>> gaussian(20)([0, 20]).round(4).tolist()
    [1.0, 0.6065]
    """
    s = positive("bandwidth_min", bandwidth_min, kind="gaussian")
    lim = _limit(limit_min, kind="gaussian")
    tag = f"gauss{tag_number(s)}min" + (f"_{tag_number(lim)}min" if lim is not None else "")
    return Decay(
        "gaussian",
        {"bandwidth_min": s, "limit_min": lim},
        lambda c: np.exp(-(c * c) / (2.0 * s * s)),
        limit_min=lim,
        tag=tag,
    )


def power(beta: float, *, min_cost: float = 1.0, limit_min: float | None = None) -> Decay:
    """Inverse-power (gravity) decay, flattened below ``min_cost`` so cost 0 is finite.

    .. math:: f(c) = \\max(c, c_{min})^{-\\beta}

    Same as PySAL ``access.weights.gravity(scale=1, alpha=-beta, min_dist=min_cost)``.

    Parameters
    ----------
    beta
        Exponent (> 0); 1 to 2 is usual for travel time.
    min_cost
        Costs below this are treated as ``min_cost`` (> 0).
    limit_min
        Optional cut-off.

    Examples
    --------
    >>> power(2, min_cost=1)([0, 1, 2, 10]).tolist()
    [1.0, 1.0, 0.25, 0.01]
    """
    b = positive("beta", beta, kind="power")
    m = positive("min_cost", min_cost, kind="power")
    lim = _limit(limit_min, kind="power")
    tag = f"pow{tag_number(b)}" + (f"_{tag_number(lim)}min" if lim is not None else "")
    return Decay(
        "power",
        {"beta": b, "min_cost": m, "limit_min": lim},
        lambda c: np.power(np.maximum(c, m), -b),
        limit_min=lim,
        tag=tag,
    )


def logistic(midpoint_min: float, slope: float, *, limit_min: float | None = None) -> Decay:
    """Logistic (S-shaped) decay: close to 1 near 0, 0.5-ish at the midpoint, close to 0 beyond.

    .. math:: f(c) = \\frac{1 + e^{-s m}}{1 + e^{s (c - m)}}

    scaled so that ``f(0) = 1``. The R package *accessibility*'s ``decay_logistic(cutoff, sd)``
    is this function with ``m = cutoff`` and ``s = pi / (sd * sqrt(3))``.

    Parameters
    ----------
    midpoint_min
        Inflection point ``m`` (minutes, > 0).
    slope
        Steepness ``s`` per minute (> 0); large values approach a step at ``m``.
    limit_min
        Optional cut-off.

    Examples
    --------
    >>> logistic(30, 0.2)([0, 30, 60]).round(3).tolist()
    [1.0, 0.501, 0.002]
    """
    m = positive("midpoint_min", midpoint_min, kind="logistic")
    s = positive("slope", slope, kind="logistic")
    lim = _limit(limit_min, kind="logistic")
    norm = 1.0 + math.exp(-s * m)

    def fn(c: np.ndarray) -> np.ndarray:
        # exp overflows to inf for huge costs -> weight 0, as it should
        return norm / (1.0 + np.exp(s * (c - m)))

    tag = f"logis{tag_number(m)}min_s{tag_number(s)}" + (
        f"_{tag_number(lim)}min" if lim is not None else ""
    )
    return Decay(
        "logistic", {"midpoint_min": m, "slope": s, "limit_min": lim}, fn, limit_min=lim, tag=tag
    )


def zones(breaks_min: Sequence[float], weights: Sequence[float]) -> Decay:
    """Stepped zone weights (E2SFCA, 3SFCA): weight ``w_k`` for costs in ``(b_{k-1}, b_k]``.

    .. math:: f(c) = w_k \\text{ for } b_{k-1} < c \\le b_k \\; (b_0 = 0, c = 0 \\text{ in zone }
       1), \\qquad f(c) = 0 \\text{ for } c > b_K

    The same convention as PySAL ``access.weights.step_fn({b_1: w_1, ...})``.

    Parameters
    ----------
    breaks_min
        Upper bounds of the zones, strictly increasing (minutes).
    weights
        One weight per zone, ``>= 0`` and non-increasing (near zones weigh at least as much as
        far ones). Luo & Qi (2009) used ``[1, 0.68, 0.22]`` for ``[10, 20, 30]`` minutes.

    Examples
    --------
    >>> zones([10, 20, 30], [1, 0.68, 0.22])([0, 10, 15, 30, 31]).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    """
    try:
        b = np.asarray(breaks_min, dtype=np.float64).ravel()
        w = np.asarray(weights, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"zones(): breaks_min and weights must be lists of numbers, got {breaks_min!r} and "
            f"{weights!r}"
        ) from None
    if b.size == 0 or b.size != w.size:
        raise InvalidValueError(
            f"zones(): give one weight per break; got {b.size} breaks and {w.size} weights"
        )
    if not np.all(np.isfinite(b)) or b[0] <= 0 or np.any(np.diff(b) <= 0):
        raise InvalidValueError(
            f"zones(): breaks_min must be finite, > 0 and strictly increasing, got {b.tolist()}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidValueError(f"zones(): weights must be finite and >= 0, got {w.tolist()}")
    if np.any(np.diff(w) > 0):
        raise InvalidValueError(
            f"zones(): weights {w.tolist()} grow with the cost, so the decay would not be "
            "decreasing; give the weight of the nearest zone first (e.g. [1, 0.68, 0.22])"
        )
    lim = float(b[-1])

    # the weight of each zone and 0 past the last break (and for NaN, which sorts last)
    w_or_0 = np.append(w, 0.0)

    def fn(c: np.ndarray) -> np.ndarray:
        return w_or_0[np.searchsorted(b, c, side="left")]  # c <= b[k]

    tag = "zones" + "_".join(tag_number(x) for x in b) + "min"
    f = Decay(
        "zones",
        {"breaks_min": b.tolist(), "weights": w.tolist()},
        fn,
        limit_min=lim,
        tag=tag,
    )
    f._cuts = True  # past the last break the zone is the appended 0
    return f


def gaussian_kernel(bandwidth_min: float) -> Decay:
    """Dai's Gaussian kernel for (kernel-density) 2SFCA: 1 at cost 0, exactly 0 at the bandwidth.

    .. math:: f(c) = \\frac{e^{-\\frac12 (c/h)^2} - e^{-\\frac12}}{1 - e^{-\\frac12}}
       \\text{ for } c \\le h, \\quad 0 \\text{ beyond}

    Reference: Dai, D. (2010). Black residential segregation, disparities in spatial access to
    health care facilities, and late-stage breast cancer diagnosis in metropolitan Detroit.
    *Health & Place* 16(5), 1038-1052.

    Constant factors of a kernel cancel in every 2SFCA ratio, so the usual ``1/(2 pi h^2)``
    normalisation is left out.

    Examples
    --------
    >>> gaussian_kernel(30)([0, 30, 40]).round(4).tolist()
    [1.0, 0.0, 0.0]
    """
    e = math.exp(-0.5)
    return _reaching_zero(
        "gaussian_kernel",
        "bandwidth_min",
        bandwidth_min,
        lambda c, h: np.clip((np.exp(-0.5 * (c / h) ** 2) - e) / (1.0 - e), 0.0, 1.0),
        "gk",
    )


def quartic_kernel(bandwidth_min: float) -> Decay:
    """Quartic (biweight) kernel, the usual kernel-density estimation kernel, scaled to 1 at 0.

    .. math:: f(c) = \\left(1 - (c/h)^2\\right)^2 \\text{ for } c \\le h, \\quad 0 \\text{ beyond}

    Examples
    --------
    >>> quartic_kernel(20)([0, 10, 20]).tolist()
    [1.0, 0.5625, 0.0]
    """
    return _reaching_zero(
        "quartic_kernel",
        "bandwidth_min",
        bandwidth_min,
        lambda c, h: np.clip(1.0 - (c / h) ** 2, 0.0, 1.0) ** 2,
        "qk",
    )


# --------------------------------------------------------------------------- specs

_FACTORIES: dict[str, Callable[..., Decay]] = {
    "step": step,
    "linear": linear,
    "exponential": exponential,
    "gaussian": gaussian,
    "power": power,
    "logistic": logistic,
    "zones": zones,
    "gaussian_kernel": gaussian_kernel,
    "quartic_kernel": quartic_kernel,
}

_KEYS: dict[str, tuple[str, ...]] = {
    "step": ("limit_min",),
    "linear": ("limit_min",),
    "exponential": ("beta", "half_life_min", "limit_min"),
    "gaussian": ("bandwidth_min", "limit_min"),
    "power": ("beta", "min_cost", "limit_min"),
    "logistic": ("midpoint_min", "slope", "limit_min"),
    "zones": ("breaks_min", "weights"),
    "gaussian_kernel": ("bandwidth_min",),
    "quartic_kernel": ("bandwidth_min",),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "step": ("limit_min",),
    "linear": ("limit_min",),
    "exponential": (),
    "gaussian": ("bandwidth_min",),
    "power": ("beta",),
    "logistic": ("midpoint_min", "slope"),
    "zones": ("breaks_min", "weights"),
    "gaussian_kernel": ("bandwidth_min",),
    "quartic_kernel": ("bandwidth_min",),
}


def decay_from_spec(spec: Mapping[str, Any], *, where: str = "decay") -> Decay:
    """Build a :class:`Decay` from a plain dict such as ``{"kind": "step", "limit_min": 30}``.

    The keys besides ``kind`` are the keyword arguments of the factory of that name
    (:func:`step`, :func:`linear`, :func:`exponential`, :func:`gaussian`, :func:`power`,
    :func:`logistic`, :func:`zones`, :func:`gaussian_kernel`, :func:`quartic_kernel`).

    Raises
    ------
    ConfigError
        Unknown ``kind`` or key (with a "Did you mean" hint), or a missing required key.
    InvalidValueError
        A parameter out of range.

    Examples
    --------
    >>> decay_from_spec({"kind": "exponential", "half_life_min": 20})
    exponential(half_life_min=20)
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{where} must be a table like {{kind = 'step', limit_min = 30}}, got {spec!r}"
        )
    kind = spec.get("kind")
    if kind is None:
        raise ConfigError(
            f"{where} has no 'kind'; choose one of {', '.join(_FACTORIES)} "
            "(e.g. {kind = 'step', limit_min = 30})"
        )
    if kind not in _FACTORIES:
        raise ConfigError(
            f"{where}: unknown decay kind {kind!r}.{suggest(str(kind), _FACTORIES)} "
            f"Known kinds: {', '.join(_FACTORIES)}"
        )
    params = {k: v for k, v in spec.items() if k != "kind"}
    for key in params:
        if key not in _KEYS[kind]:
            raise ConfigError(
                f"{where}: unknown key {key!r} for a {kind} decay.{suggest(key, _KEYS[kind])} "
                f"Allowed keys: {', '.join(_KEYS[kind])}"
            )
    missing = [k for k in _REQUIRED[kind] if k not in params]
    if missing:
        raise ConfigError(f"{where}: a {kind} decay needs {', '.join(missing)}")
    return _FACTORIES[kind](**params)


def as_decay(decay: Decay | Mapping[str, Any] | Callable[[np.ndarray], Any]) -> Decay:
    """Turn a :class:`Decay`, a spec dict or a plain callable into a :class:`Decay`.

    A plain callable is wrapped as kind ``"custom"`` (no cut-off) after :func:`check_decay`.

    Examples
    --------
    >>> as_decay({"kind": "step", "limit_min": 30})
    step(limit_min=30)
    >>> import numpy as np
    >>> def halve_every_10_min(c):
    ...     return 0.5 ** (np.asarray(c) / 10)
    >>> f = as_decay(halve_every_10_min)
    >>> f.kind, f.tag, f([0, 10]).tolist()
    ('custom', 'custom_halve_every_10_min', [1.0, 0.5])
    """
    if isinstance(decay, Decay):
        return decay
    if isinstance(decay, Mapping):
        return decay_from_spec(decay)
    if callable(decay):
        check_decay(decay, name=f"decay {getattr(decay, '__name__', repr(decay))}")
        name = getattr(decay, "__name__", "custom")
        return Decay(
            "custom",
            {"function": name},
            lambda c: np.asarray(decay(c), dtype=np.float64),
            limit_min=getattr(decay, "limit_min", None),
            tag=f"custom_{name}".replace("<", "").replace(">", ""),
        )
    raise InvalidValueError(
        f"decay must be made by accessibility.decay (e.g. decay.step(30)), a dict like "
        f"{{'kind': 'step', 'limit_min': 30}}, or a function of a cost array; got {decay!r}"
    )
