import os
import subprocess
import sys

import numpy as np
import pytest

from esrl.es.noise import NoiseTable
from esrl.es.optimizers import SGD, Adam
from esrl.es.strategy import OpenAIES, antithetic_gradient, perturb

NOISE = NoiseTable.in_memory(seed=1, size=2**20)


def quadratic(theta, target):
    return -np.sum((theta - target) ** 2, axis=-1)


def test_antithetic_estimate_matches_analytic_gradient_of_a_quadratic():
    dim, pairs, sigma = 5, 4000, 0.05
    theta = np.linspace(-1, 1, dim).astype(np.float32)
    target = np.arange(dim, dtype=np.float32)
    indices = NOISE.sample_indices(np.random.default_rng(0), dim, pairs)
    plus = quadratic(perturb(theta, NOISE, indices, np.ones(pairs, np.int8), sigma), target)
    minus = quadratic(perturb(theta, NOISE, indices, -np.ones(pairs, np.int8), sigma), target)
    estimate = antithetic_gradient(NOISE, indices, plus - minus, dim, sigma)
    analytic = -2 * (theta - target)
    # antithetic differences cancel the curvature term: error is only sampling noise
    np.testing.assert_allclose(estimate, analytic, atol=0.15 * np.abs(analytic).max())
    assert np.dot(estimate, analytic) / np.linalg.norm(estimate) / np.linalg.norm(analytic) > 0.99


@pytest.mark.parametrize("optimizer", [Adam(0.05), SGD(0.05, momentum=0.9)])
def test_ask_tell_climbs_a_quadratic_without_any_environment(optimizer):
    dim = 10
    target = np.full(dim, 3.0, np.float32)
    es = OpenAIES(NOISE, num_params=dim, pairs=32, sigma=0.1, optimizer=optimizer, seed=3)
    state = es.init(np.zeros(dim, np.float32))
    start = quadratic(state.params, target)
    for _ in range(300):
        indices = es.ask(state)
        signs = np.r_[np.ones(32, np.int8), -np.ones(32, np.int8)]
        f = quadratic(
            perturb(state.params, NOISE, np.r_[indices, indices], signs, es.sigma), target
        )
        state = es.tell(state, indices, np.stack([f[:32], f[32:]], axis=1))
    assert state.generation == 300
    assert quadratic(state.params, target) > 0.01 * start  # within 10% of the distance


def test_ask_depends_only_on_seed_and_generation():
    es = OpenAIES(NOISE, num_params=7, pairs=5, sigma=0.1, optimizer=Adam(0.1), seed=9)
    state = es.init(np.zeros(7))
    again = OpenAIES(NOISE, num_params=7, pairs=5, sigma=0.1, optimizer=Adam(0.1), seed=9)
    np.testing.assert_array_equal(es.ask(state), again.ask(again.init(np.ones(7))))
    later = es.tell(state, es.ask(state), np.zeros((5, 2)))
    assert not np.array_equal(es.ask(state), es.ask(later))


def test_tell_refuses_non_finite_returns_and_wrong_shapes():
    es = OpenAIES(NOISE, num_params=3, pairs=2, sigma=0.1, optimizer=Adam(0.1))
    state = es.init(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        es.tell(state, es.ask(state), np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        es.tell(state, es.ask(state), np.zeros((3, 2)))


def test_weight_decay_shrinks_parameters_when_returns_are_flat():
    es = OpenAIES(NOISE, num_params=4, pairs=3, sigma=0.1, optimizer=SGD(0.1, 0.0), l2_coeff=0.5)
    state = es.init(np.full(4, 2.0))
    state = es.tell(state, es.ask(state), np.zeros((3, 2)))
    np.testing.assert_allclose(state.params, 2.0 - 0.1 * 0.5 * 2.0, rtol=1e-6)


def test_gradient_bits_do_not_depend_on_the_number_of_blas_threads():
    # A Ray worker replays `tell` with one thread while the driver may use many.
    script = (
        "import hashlib, numpy as np\n"
        "from esrl.es.noise import NoiseTable\n"
        "from esrl.es.strategy import antithetic_gradient\n"
        "noise = NoiseTable.in_memory(0, 2**22)\n"
        "rng = np.random.default_rng(1)\n"
        "idx = noise.sample_indices(rng, 11650, 512)\n"
        "g = antithetic_gradient(noise, idx, rng.standard_normal(512), 11650, 0.1)\n"
        "print(hashlib.sha256(g.tobytes()).hexdigest())\n"
    )
    digests = set()
    for threads in ("1", "2", "4"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_top_directions_use_only_the_best_pairs():
    """ARS's top-b: pairs outside the best b by max(F+, F-) do not move the parameters."""
    dim, pairs = 6, 8
    es = OpenAIES(NOISE, dim, pairs, 0.1, SGD(1.0), top_directions=3, fitness="std")
    indices = NOISE.sample_indices(np.random.default_rng(2), dim, pairs)
    returns = np.random.default_rng(3).normal(size=(pairs, 2))
    best = np.sort(np.argsort(-returns.max(axis=1))[:3])
    only_best = OpenAIES(NOISE, dim, 3, 0.1, SGD(1.0), fitness="std")
    np.testing.assert_array_equal(
        es.gradient(indices, returns), only_best.gradient(indices[best], returns[best])
    )
    changed = returns.copy()
    worst = np.setdiff1d(np.arange(pairs), best)
    changed[worst] = np.minimum(changed[worst], returns[best].max(axis=1).min() - 1) - 1.0
    np.testing.assert_array_equal(es.gradient(indices, changed), es.gradient(indices, returns))


def test_std_fitness_scales_return_differences_by_their_spread():
    dim, pairs = 4, 5
    indices = NOISE.sample_indices(np.random.default_rng(4), dim, pairs)
    returns = np.random.default_rng(5).normal(size=(pairs, 2))
    es = OpenAIES(NOISE, dim, pairs, 0.1, SGD(1.0), fitness="std")
    weights = (returns[:, 0] - returns[:, 1]) / returns.std()
    expected = antithetic_gradient(NOISE, indices, weights, dim, 0.1)
    np.testing.assert_allclose(es.gradient(indices, returns), expected, rtol=1e-6)
    # scaling every return leaves the std-scaled direction unchanged (up to rounding)
    np.testing.assert_allclose(es.gradient(indices, 100 * returns), expected, rtol=1e-5)
