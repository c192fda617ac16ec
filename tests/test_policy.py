import gymnasium as gym
import numpy as np

from esrl.es.policies import MLPPolicy, make_action_head


def test_batched_members_match_one_member_at_a_time():
    policy = MLPPolicy(4, make_action_head(gym.spaces.Discrete(3)), hidden=(8, 8))
    rng = np.random.default_rng(0)
    params = rng.normal(size=(6, policy.num_params)).astype(np.float32)
    obs = rng.normal(size=(6, 4)).astype(np.float32)
    mean, inv_std = np.full(4, 0.5, np.float32), np.full(4, 2.0, np.float32)
    batched = policy.outputs(policy.prepare(params, mean, inv_std), obs)
    for m in range(6):
        alone = policy.outputs(policy.prepare(params[m], mean, inv_std), obs[m : m + 1])
        np.testing.assert_allclose(batched[m], alone[0], rtol=1e-6)
    assert policy.num_params == 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3


def test_continuous_actions_are_squashed_into_the_box():
    space = gym.spaces.Box(low=np.array([-2, 0], np.float32), high=np.array([2, 1], np.float32))
    policy = MLPPolicy(3, make_action_head(space), hidden=(4,))
    params = 10 * np.random.default_rng(1).normal(size=(50, policy.num_params))
    actions = policy.act(policy.prepare(params), np.random.default_rng(2).normal(size=(50, 3)))
    assert actions.shape == (50, 2)
    assert np.all(actions >= space.low) and np.all(actions <= space.high)
    assert actions[:, 0].min() < -1.5 and actions[:, 0].max() > 1.5  # the full range is used


def test_action_noise_changes_discrete_choices_reproducibly():
    policy = MLPPolicy(2, make_action_head(gym.spaces.Discrete(4)), hidden=())
    prepared = policy.prepare(np.zeros((200, policy.num_params)))
    obs = np.zeros((200, 2))
    assert set(policy.act(prepared, obs)) == {0}
    noisy = policy.act(prepared, obs, 1.0, np.random.default_rng(0))
    assert len(set(noisy)) == 4
    np.testing.assert_array_equal(noisy, policy.act(prepared, obs, 1.0, np.random.default_rng(0)))
