"""SplitBatch: two half-batches overlapped with acting play exactly what one batch would."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from esrl.deeprl.env_batch import make_env_batch
from esrl.deeprl.runner import EnvRunner
from esrl.deeprl.split import SplitBatch


class PixelRule:
    """A deterministic policy whose actions depend on what it sees (so a mixed-up
    observation would change the game), with a tensor output like real policies."""

    def __init__(self, num_actions: int):
        self.num_actions = num_actions
        self.calls: list[int] = []

    def act(self, obs: np.ndarray) -> dict:
        self.calls.append(len(obs))
        sums = obs.reshape(len(obs), -1).sum(1)
        return {
            "actions": (sums % self.num_actions).astype(np.int64),
            "score": torch.as_tensor(sums, dtype=torch.float64),
        }


def _play(env: gym.vector.VectorEnv, updates: int) -> tuple[EnvRunner, list[dict]]:
    policy = PixelRule(int(env.single_action_space.n))
    runner = EnvRunner(env, policy, nsteps=5, seed=3)
    trajectories = [runner.get_next() for _ in range(updates)]
    env.close()
    return runner, trajectories


@pytest.mark.slow
def test_overlapped_halves_play_the_same_games_as_stepping_the_whole_batch():
    split = make_env_batch("Breakout", 6, split=True)
    assert isinstance(split, SplitBatch) and split.sizes == [3, 3]
    overlapped, got = _play(split, 8)
    # the same envs, stepped all at once through the plain vector-env interface
    serial, expected = _play(gym.vector.VectorWrapper(make_env_batch("Breakout", 6, split=True)), 8)
    assert overlapped.policy.calls[:3] == [3, 3, 3] and serial.policy.calls[:2] == [6, 6]
    for a, b in zip(got, expected, strict=True):
        for key in ("observations", "rewards", "resets", "actions", "game_over"):
            np.testing.assert_array_equal(np.stack(a[key]), np.stack(b[key]), err_msg=key)
        assert torch.equal(torch.stack(a["score"]), torch.stack(b["score"]))
        np.testing.assert_array_equal(
            a["state"]["latest_observation"], b["state"]["latest_observation"]
        )
    assert overlapped.step_var == serial.step_var == 8 * 5 * 6
    assert np.std(np.stack(got[-1]["observations"]).reshape(5, 6, -1).sum(-1)) > 0


def test_split_batch_seeds_and_numbers_envs_as_one_batch():
    split = make_env_batch("Pong", 4, split=True)
    whole = make_env_batch("Pong", 4)
    obs_split, info_split = split.reset(seed=7)
    obs_whole, _ = whole.reset(seed=7)
    actions = np.array([0, 1, 2, 3])
    step_split = split.step(actions)
    step_whole = whole.step(actions)
    split.close(), whole.close()
    np.testing.assert_array_equal(obs_split, obs_whole)  # env i gets seed + i either way
    np.testing.assert_array_equal(step_split[0], step_whole[0])
    np.testing.assert_array_equal(step_split[4]["env_id"], np.arange(4))
    assert obs_split.shape == (4, 84, 84, 4) and split.observation_space.shape == obs_split.shape
    assert "game_score" in info_split or "game_score" in step_split[4]
