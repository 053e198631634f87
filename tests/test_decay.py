"""Decay functions: values worked out by hand, agreement with PySAL access's weights, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accessibility import decay
from accessibility.errors import ConfigError, InvalidValueError

ALL = [
    decay.step(30),
    decay.linear(40),
    decay.exponential(beta=0.1),
    decay.exponential(half_life_min=20, limit_min=60),
    decay.gaussian(20),
    decay.gaussian(15, limit_min=45),
    decay.power(1.5, min_cost=2),
    decay.logistic(30, 0.2),
    decay.zones([10, 20, 30], [1, 0.68, 0.22]),
    decay.gaussian_kernel(30),
    decay.quartic_kernel(25),
]


@pytest.mark.parametrize("f", ALL, ids=repr)
def test_every_decay_is_non_increasing_non_negative_and_vectorised(f):
    decay.check_decay(f, max_cost=200)  # raises if not
    c = np.linspace(0, 200, 401)
    w = f(c)
    assert w.shape == c.shape and w.dtype == np.float64
    assert np.all(np.diff(w) <= 1e-15) and np.all(w >= 0)
    assert f(np.inf) == 0.0  # an infinite cost weighs nothing
    if f.limit_min is not None:
        assert np.all(f(c[c > f.limit_min]) == 0)
        assert f(f.limit_min) > 0 or f.kind in {"linear", "gaussian_kernel", "quartic_kernel"}


def test_step_and_linear_by_hand():
    assert decay.step(30)([0, 29.9, 30, 30.01]).tolist() == [1, 1, 1, 0]  # inclusive cut-off
    # linear: 1 - c/40 -> 1, 0.75, 0.5, 0, 0
    assert decay.linear(40)([0, 10, 20, 40, 80]).tolist() == [1, 0.75, 0.5, 0, 0]
    assert decay.step(30).limit_min == 30.0 and decay.linear(40).limit_min == 40.0


def test_exponential_half_life_and_rate_agree():
    h = decay.exponential(half_life_min=20)
    assert h(20) == pytest.approx(0.5) and h(40) == pytest.approx(0.25)
    b = decay.exponential(beta=math.log(2) / 20)
    np.testing.assert_allclose(h(np.arange(100)), b(np.arange(100)), rtol=1e-14)
    assert decay.exponential(beta=0.1)(10) == pytest.approx(math.exp(-1))
    assert h.limit_min is None
    np.testing.assert_allclose(
        decay.exponential(half_life_min=20, limit_min=60)([60, 61]), [0.125, 0]
    )


def test_gaussian_power_zones_match_pysal_access_weights():
    from access import weights

    costs = np.array([0, 0.5, 1, 5, 9.99, 10, 10.01, 15, 20, 29, 30, 31, 45, 60, 61, 90.0])
    ref = weights.gaussian(20)
    np.testing.assert_allclose(decay.gaussian(20)(costs), [ref(c) for c in costs], rtol=1e-14)
    ref = weights.gravity(scale=1, alpha=-1.5, min_dist=2)
    np.testing.assert_allclose(
        decay.power(1.5, min_cost=2)(costs), [ref(c) for c in costs], rtol=1e-14
    )
    ref = weights.step_fn({10: 1, 20: 0.68, 30: 0.22})
    np.testing.assert_array_equal(
        decay.zones([10, 20, 30], [1, 0.68, 0.22])(costs), [ref(c) for c in costs]
    )


def test_logistic_matches_r_accessibility_parameterisation():
    # R accessibility::decay_logistic(cutoff=m, sd): g(0, m, sd) / g(c, m, sd) with
    # g(c) = 1 + exp((c - m) * pi / (sd * sqrt(3))), i.e. slope = pi / (sd * sqrt(3)).
    m, sd = 30.0, 10.0
    c = np.arange(0, 121, 5.0)

    def g(x):
        return 1 + np.exp((x - m) * np.pi / (sd * np.sqrt(3)))

    expected = g(0) / g(c)
    got = decay.logistic(m, np.pi / (sd * np.sqrt(3)))(c)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0] == 1.0


def test_kernels_by_hand():
    gk = decay.gaussian_kernel(30)
    e = math.exp(-0.5)
    # at c = 15: (exp(-0.5 * 0.25) - e^-0.5) / (1 - e^-0.5)
    assert gk(15) == pytest.approx((math.exp(-0.125) - e) / (1 - e))
    assert gk(0) == 1.0 and gk(30) == pytest.approx(0.0, abs=1e-15) and gk(31) == 0.0
    qk = decay.quartic_kernel(20)
    assert qk([0, 10, 20, 25]).tolist() == [1.0, (1 - 0.25) ** 2, 0.0, 0.0]


def test_repr_tag_and_equality():
    assert repr(decay.step(30)) == "step(limit_min=30)"
    assert repr(decay.exponential(half_life_min=20)) == "exponential(half_life_min=20)"
    z = decay.zones([10, 20, 30], [1, 0.68, 0.22])
    assert repr(z) == "zones(breaks_min=[10, 20, 30], weights=[1, 0.68, 0.22])"
    assert decay.step(30).tag == "30min"
    assert decay.exponential(beta=0.05).tag == "exp_b0p05"
    assert decay.power(1.5).tag == "pow1p5"
    assert decay.step(30) == decay.step(30.0) and decay.step(30) != decay.step(31)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: decay.exponential(beta=-0.1), "not be decreasing"),
        (lambda: decay.exponential(beta=0.1, half_life_min=3), "exactly one"),
        (lambda: decay.exponential(), "exactly one"),
        (lambda: decay.power(-1), "not be decreasing"),
        (lambda: decay.power(1, min_cost=0), "min_cost"),
        (lambda: decay.step(0), "limit_min"),
        (lambda: decay.step("thirty"), "must be a number"),
        (lambda: decay.linear(-5), "limit_min"),
        (lambda: decay.gaussian(float("nan")), "bandwidth_min"),
        (lambda: decay.logistic(30, -0.1), "slope"),
        (lambda: decay.zones([10, 20], [0.5, 1.0]), "not be decreasing"),
        (lambda: decay.zones([20, 10], [1, 0.5]), "strictly increasing"),
        (lambda: decay.zones([10, 20], [1]), "one weight per break"),
        (lambda: decay.zones([10], [-1]), ">= 0"),
    ],
)
def test_bad_parameters_raise_invalid_value(make, match):
    with pytest.raises(InvalidValueError, match=match):
        make()


def test_check_decay_rejects_increasing_non_vectorised_and_negative_functions():
    with pytest.raises(InvalidValueError, match="not decreasing"):
        decay.check_decay(lambda c: c / 10.0)
    with pytest.raises(InvalidValueError, match="vectorised"):
        decay.check_decay(lambda c: 1.0)
    with pytest.raises(InvalidValueError, match="could not be evaluated"):
        decay.check_decay(lambda c: math.exp(-c))
    with pytest.raises(InvalidValueError, match=">= 0"):
        decay.check_decay(lambda c: 1.0 - c / 10.0)
    decay.check_decay(lambda c: np.exp(-0.1 * c))  # fine


def test_as_decay_wraps_callables_and_specs():
    f = decay.as_decay(lambda c: np.exp(-c / 10))
    assert f.kind == "custom" and f(10) == pytest.approx(math.exp(-1))
    assert decay.as_decay({"kind": "step", "limit_min": 15}) == decay.step(15)
    with pytest.raises(InvalidValueError, match="not decreasing"):
        decay.as_decay(lambda c: np.asarray(c, float))
    with pytest.raises(InvalidValueError, match="decay must be"):
        decay.as_decay(30)


def test_decay_from_spec_round_trip_and_errors():
    for f in ALL:
        spec = {"kind": f.kind, **{k: v for k, v in f.params.items() if v is not None}}
        assert decay.decay_from_spec(spec) == f
    with pytest.raises(ConfigError, match="Did you mean 'exponential'"):
        decay.decay_from_spec({"kind": "exponentail", "beta": 0.1})
    with pytest.raises(ConfigError, match="Did you mean 'half_life_min'"):
        decay.decay_from_spec({"kind": "exponential", "half_life": 20})
    with pytest.raises(ConfigError, match="needs limit_min"):
        decay.decay_from_spec({"kind": "step"})
    with pytest.raises(ConfigError, match="no 'kind'"):
        decay.decay_from_spec({"limit_min": 30})
    with pytest.raises(InvalidValueError):
        decay.decay_from_spec({"kind": "step", "limit_min": -3})


def test_step_and_zones_equal_their_formulas_on_every_kind_of_cost():
    # the step and the zones apply their cut inside their formula (no second pass): the
    # weights must equal the formulas with the cut applied after, for NaN and infinite costs too
    costs = np.array([0.0, -0.0, -1.0, 9.999, 10.0, 10.0001, 15.0, 20.0, 29.9, 30.0, 30.5, 60.0])
    costs = np.concatenate([costs, [np.inf, -np.inf, np.nan, np.nextafter(30.0, 31.0)]])
    rng = np.random.default_rng(1)
    costs = np.concatenate([costs, rng.uniform(-5, 70, 200)])
    for lim in (10.0, 30.0, 0.5):
        ref = np.where(costs <= lim, np.ones_like(costs), 0.0)
        assert np.array_equal(decay.step(lim)(costs), ref)
    b, w = np.array([10.0, 20.0, 30.0]), np.array([1.0, 0.68, 0.22])
    k = np.searchsorted(b, costs, side="left")
    ref = np.where(costs <= 30.0, np.where(k < 3, w[np.minimum(k, 2)], 0.0), 0.0)
    assert np.array_equal(decay.zones(b, w)(costs), ref)
    assert decay.step(30)(31.0).shape == () and float(decay.zones(b, w)(15.0)) == 0.68
