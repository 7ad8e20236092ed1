"""The init/step pairs: one typed state per rule, equal to the pure steps they wrap."""

import numpy as np
import pytest

from adamlab import optim


def _run(opt, theta, grads):
    state = opt.init(theta)
    for g in grads:
        theta, state = opt.step(theta, g, state)
    return theta, state


GRADS = np.random.default_rng(3).normal(size=(25, 4))
THETA = np.array([1.0, -2.0, 0.5, 3.0])


@pytest.mark.parametrize(
    "make, state_type, fields",
    [
        (lambda: optim.sgd(0.1), optim.EmptyState, ()),
        (lambda: optim.momentum(0.1, 0.9, nesterov=True), optim.MomentumState, ("buf",)),
        (lambda: optim.adagrad(0.1), optim.AdagradState, ("sum_sq",)),
        (lambda: optim.rmsprop(0.01), optim.RMSPropState, ("sq_avg",)),
        (lambda: optim.adam(0.01), optim.AdamState, ("t", "m", "v")),
        (lambda: optim.adamw(0.01, weight_decay=0.1), optim.AdamState, ("t", "m", "v")),
        (lambda: optim.amsgrad(0.01), optim.AMSGradState, ("t", "m", "v", "v_max")),
    ],
)
def test_each_rule_has_its_own_typed_state(make, state_type, fields):
    _, state = _run(make(), THETA, GRADS)
    assert type(state) is state_type and state._fields == fields
    if "t" in fields:
        assert state.t == len(GRADS)


def test_amsgrad_state_arrays_are_distinct():
    state = optim.amsgrad().init(THETA)
    assert len({id(state.m), id(state.v), id(state.v_max)}) == 3


def test_the_pairs_equal_the_pure_steps():
    theta, state = _run(optim.adam(0.01, 0.8, 0.99, 1e-6), THETA, GRADS)
    ref, m, v = THETA, np.zeros(4), np.zeros(4)
    for t, g in enumerate(GRADS, start=1):
        ref, m, v = optim.adam_step(ref, g, m, v, t, lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)
    np.testing.assert_array_equal(theta, ref)
    np.testing.assert_array_equal(state.v, v)
    theta, state = _run(optim.momentum(0.05, 0.9), THETA, GRADS)
    ref, buf = THETA, None
    for g in GRADS:
        ref, buf = optim.momentum_step(ref, g, buf, lr=0.05, momentum=0.9)
    np.testing.assert_array_equal(theta, ref)
    np.testing.assert_array_equal(state.buf, buf)
