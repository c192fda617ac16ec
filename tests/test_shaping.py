import numpy as np

from esrl.es.shaping import centered_ranks, ranks_with_ties


def test_centered_ranks_span_minus_half_to_half_in_input_order():
    x = np.array([[3.0, -1.0], [10.0, 0.5]])
    shaped = centered_ranks(x)
    assert shaped.shape == x.shape
    np.testing.assert_allclose(shaped, [[1 / 6, -0.5], [0.5, -1 / 6]], rtol=1e-6)
    assert abs(shaped.sum()) < 1e-6


def test_ties_share_their_mean_rank():
    np.testing.assert_array_equal(ranks_with_ties(np.array([5, 1, 5, 5, 0])), [3, 1, 3, 3, 0])
    shaped = centered_ranks(np.array([[500.0, 500.0], [500.0, 20.0]]))
    assert shaped[0, 0] == shaped[0, 1]  # a tied pair contributes nothing to the gradient


def test_ranks_ignore_scale():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 2))
    np.testing.assert_array_equal(centered_ranks(x), centered_ranks(1000 * x + 7))
