"""EnvRunner: plays a policy in every env of a batch and hands back partial trajectories.

The runner of the course's A2C notebook, shared by A2C and DQN.
A trajectory is a `Rollout` of lists of length T (one entry per step, each covering
all envs): `observations`, `rewards`, `resets`, `actions`, what `policy.act`
returned besides actions, `game_over` where the env reports whole games, and
`state` with `latest_observation` (s_{t+T}) and the env-step counter. Transforms
then post-process it in place (value targets, merging time and env axes), with the
notebook's dict-style item access.

Given a `SplitBatch`, the runner overlaps one half's emulation with the policy's
forward pass on the other half (acting with one torch thread meanwhile, so torch
and ALE share the cores instead of taking turns). The trajectory has the same
layout either way.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
import torch

from esrl.deeprl.rollout import Rollout
from esrl.deeprl.split import SplitBatch, merge_steps


class ActingPolicy(Protocol):
    def act(self, inputs: np.ndarray) -> dict[str, Any]: ...


class EnvRunner:
    """`step_var` counts interactions with all envs (nenvs per step), as the notebook's does.

    Finished games' raw scores (from `info["game_score"]`) go to `game_scores`, the
    last `score_window` of them over the whole batch, and `games` counts them all.
    `resets[t]` is true where the episode (or life, when life losses are training
    terminals) ended at step t; the env has already restarted it, so
    `observations[t + 1]` is a fresh start there.
    """

    def __init__(
        self,
        env: gym.vector.VectorEnv,
        policy: ActingPolicy,
        nsteps: int,
        transforms: Iterable[Callable[[Rollout], None]] = (),
        step_var: int = 0,
        seed: int | None = None,
        score_window: int = 100,
    ):
        self.env = env
        self.policy = policy
        self.nsteps = nsteps
        self.transforms = list(transforms)
        self.step_var = step_var
        self.game_scores: deque[float] = deque(maxlen=score_window)
        self.games = 0
        obs, _ = env.reset(seed=seed)
        self.state: dict[str, Any] = {"latest_observation": obs}

    @property
    def nenvs(self) -> int:
        return self.env.num_envs

    def get_next(self) -> Rollout:
        """Play `nsteps` steps in every env; returns the transformed partial trajectory."""
        rollout = Rollout()
        game_over = []
        steps = self._overlapped if isinstance(self.env, SplitBatch) else self._serial
        for obs, acted, result in steps(self.state["latest_observation"]):
            rollout.observations.append(obs)
            rollout.actions.append(acted["actions"])
            for key, value in acted.items():
                if key != "actions":
                    rollout.extra.setdefault(key, []).append(value)
            obs, reward, terminated, truncated, info = result
            rollout.rewards.append(np.asarray(reward, np.float32))
            rollout.resets.append(np.asarray(terminated | truncated))
            if "game_over" in info:  # a whole game ended (not just a life): the next obs starts one
                game_over.append(np.asarray(info["game_over"]))
            self._record_games(info)
            self.step_var += self.nenvs
        rollout.game_over = game_over or None
        self.state["latest_observation"] = obs
        self.state["env_steps"] = self.step_var
        rollout.state = dict(self.state)
        for transform in self.transforms:
            transform(rollout)
        return rollout

    def _serial(self, obs: np.ndarray) -> Iterator[tuple[np.ndarray, dict, tuple]]:
        """(observation, what the policy returned, the env's step result) for each step."""
        for _ in range(self.nsteps):
            acted = self.policy.act(obs)
            result = self.env.step(acted["actions"])
            yield obs, acted, result
            obs = result[0]

    def _overlapped(self, obs: np.ndarray) -> Iterator[tuple[np.ndarray, dict, tuple]]:
        """As `_serial`, but half A emulates while the policy acts on half B, and back."""
        half_a, half_b = self.env.halves
        obs_a, obs_b = self.env.split(obs)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            acted_a = self.policy.act(obs_a)
            half_a.send(acted_a["actions"])
            for t in range(self.nsteps):
                acted_b = self.policy.act(obs_b)
                half_b.send(acted_b["actions"])
                result_a = half_a.recv()
                last = t + 1 == self.nsteps
                if not last:  # A's next step runs while we wait for B
                    next_acted_a = self.policy.act(result_a[0])
                    half_a.send(next_acted_a["actions"])
                result_b = half_b.recv()
                result = merge_steps([result_a, result_b], self.env.sizes)
                yield np.concatenate([obs_a, obs_b]), _concat(acted_a, acted_b), result
                if not last:
                    obs_a, obs_b, acted_a = result_a[0], result_b[0], next_acted_a
        finally:
            torch.set_num_threads(threads)

    def _record_games(self, info: dict) -> None:
        scores = np.asarray(info.get("game_score", ()), np.float64)
        finished = scores[~np.isnan(scores)]
        self.game_scores.extend(finished.tolist())
        self.games += len(finished)


def _concat(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two halves' `policy.act` results as one batch's (arrays or tensors, end to end)."""
    return {
        key: torch.cat([a[key], b[key]])
        if isinstance(a[key], torch.Tensor)
        else np.concatenate([a[key], b[key]])
        for key in a
    }
