import numpy as np

from esrl.es.optimizers import SGD, Adam


def test_adam_first_step_is_learning_rate_times_sign():
    adam = Adam(learning_rate=0.1)
    delta, state = adam.step(adam.init(3), np.array([2.0, -0.5, 1e-3], np.float32))
    np.testing.assert_allclose(delta, [-0.1, 0.1, -0.1], rtol=1e-3)
    assert state.t == 1


def test_adam_matches_the_textbook_recursion_over_several_steps():
    adam = Adam(learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8)
    grads = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    state = adam.init(4)
    m = v = np.zeros(4)
    for t, g in enumerate(grads, start=1):
        delta, state = adam.step(state, g)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = -0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(delta, expected, rtol=1e-3, atol=1e-7)


def test_sgd_momentum_accumulates_a_constant_gradient():
    sgd = SGD(learning_rate=1.0, momentum=0.5)
    state = sgd.init(1)
    deltas = []
    for _ in range(3):
        delta, state = sgd.step(state, np.array([1.0], np.float32))
        deltas.append(delta[0])
    np.testing.assert_allclose(deltas, [-0.5, -0.75, -0.875])
