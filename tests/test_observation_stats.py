import numpy as np

from esrl.es.observation_stats import ObservationStats


def test_merging_chunks_equals_statistics_of_all_observations():
    obs = np.random.default_rng(0).normal(loc=[1, -2, 0], scale=[1, 3, 0.01], size=(300, 3))
    merged = ObservationStats.zeros((3,))
    for chunk in np.array_split(obs, 7):
        merged = merged.merged(ObservationStats.of(chunk))
    assert merged.count == 300
    np.testing.assert_allclose(merged.mean, obs.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(merged.std[:2], obs.std(axis=0)[:2], rtol=1e-9)
    assert merged.std[2] == np.sqrt(1e-2)  # variance floor for near-constant features


def test_normalizer_is_identity_before_any_observation():
    mean, inv_std = ObservationStats.zeros((2,)).normalizer()
    np.testing.assert_array_equal(mean, [0, 0])
    np.testing.assert_array_equal(inv_std, [1, 1])
