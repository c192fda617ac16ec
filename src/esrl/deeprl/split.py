"""A batch of Atari games split in two halves, so emulation overlaps the policy's forward pass.

ALE emulates a half in its C++ threads while Python is free: the runner sends one
half its actions, computes the other half's actions meanwhile, and so on. On a
machine with few cores the policy's forward (one torch thread) and the emulation (ALE's
threads) then share the cores instead of taking turns; `EnvRunner` uses this when
it is given a `SplitBatch`. As a plain vector env it steps both halves at once.
"""

from typing import Any

import gymnasium as gym
import numpy as np


class SplitBatch(gym.vector.VectorEnv):
    """Envs 0..k-1 are `halves[0]`, the rest `halves[1]`; each half is an `AtariBatch`."""

    def __init__(self, halves: list[Any]):
        self.halves = halves
        self.sizes = [half.num_envs for half in halves]
        self.offsets = np.cumsum([0, *self.sizes[:-1]])  # each half's first env in the batch
        self.num_envs = sum(self.sizes)
        first = halves[0]
        self.metadata = first.metadata
        self.single_observation_space = first.single_observation_space
        self.single_action_space = first.single_action_space
        self.observation_space = gym.vector.utils.batch_space(
            self.single_observation_space, self.num_envs
        )
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)

    @property
    def num_actions(self) -> int:
        return self.halves[0].num_actions

    def reset(self, *, seed: int | None = None, options=None):
        """Env i of the whole batch gets seed `seed + i`, as in one ALE batch."""
        results = [
            half.reset(seed=None if seed is None else int(seed + offset), options=options)
            for half, offset in zip(self.halves, self.offsets, strict=True)
        ]
        obs = np.concatenate([obs for obs, _ in results])
        return obs, merge_infos([info for _, info in results], self.sizes)

    def split(self, batch: np.ndarray) -> list[np.ndarray]:
        return np.split(np.asarray(batch), self.offsets[1:])

    def step(self, actions):
        for half, part in zip(self.halves, self.split(actions), strict=True):
            half.send(part)
        return merge_steps([half.recv() for half in self.halves], self.sizes)

    def close_extras(self, **kwargs) -> None:
        for half in self.halves:
            half.close()


def merge_infos(infos: list[dict], sizes: list[int]) -> dict:
    """Per-env info arrays of the halves end to end; `env_id` made global.

    Only entries every half reports are kept: an entry that appears only when a game
    ended in that half (ALE's `final_obs`) is left out; `game_over` says which ended.
    """
    merged = {}
    for key, value in infos[0].items():
        if all(key in info for info in infos):
            is_array = isinstance(value, np.ndarray) and value.ndim >= 1
            merged[key] = np.concatenate([info[key] for info in infos]) if is_array else value
    if "env_id" in merged:
        offsets = np.repeat(np.cumsum([0, *sizes[:-1]]), sizes)
        merged["env_id"] = merged["env_id"] + offsets
    return merged


def merge_steps(steps: list[tuple], sizes: list[int]) -> tuple:
    """(obs, reward, terminated, truncated, info) of the halves as one batch's step."""
    obs, reward, terminated, truncated = (
        np.concatenate([step[i] for step in steps]) for i in range(4)
    )
    return obs, reward, terminated, truncated, merge_infos([step[4] for step in steps], sizes)
