"""EnvRunner: plays a policy in every env of a batch and hands back partial trajectories.

The runner of the A2C notebook (`002_860e126237fc35b6.txt`), shared by A2C and DQN.
A trajectory is a dict of lists of length T (one entry per step, each covering
all envs): `observations`, `rewards`, `resets`, `actions`, plus every key that
`policy.act` returns, `game_over` where the env reports whole games, and `state`
with `latest_observation` (s_{t+T}) and the env-step counter. Transforms then
post-process it in place (value targets, merging time and env axes).
"""

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import gymnasium as gym
import numpy as np


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
        transforms: Iterable[Callable[[dict], None]] = (),
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

    def get_next(self) -> dict[str, Any]:
        """Play `nsteps` steps in every env; returns the transformed partial trajectory."""
        trajectory: dict[str, Any] = {
            "observations": [],
            "rewards": [],
            "resets": [],
            "actions": [],
        }
        obs = self.state["latest_observation"]
        for _ in range(self.nsteps):
            acted = self.policy.act(obs)
            trajectory["observations"].append(obs)
            for key, value in acted.items():
                trajectory.setdefault(key, []).append(value)
            obs, reward, terminated, truncated, info = self.env.step(acted["actions"])
            trajectory["rewards"].append(np.asarray(reward, np.float32))
            trajectory["resets"].append(np.asarray(terminated | truncated))
            if "game_over" in info:  # a whole game ended (not just a life): the next obs starts one
                trajectory.setdefault("game_over", []).append(np.asarray(info["game_over"]))
            self._record_games(info)
            self.step_var += self.nenvs
        self.state["latest_observation"] = obs
        self.state["env_steps"] = self.step_var
        trajectory["state"] = dict(self.state)
        for transform in self.transforms:
            transform(trajectory)
        return trajectory

    def _record_games(self, info: dict) -> None:
        scores = np.asarray(info.get("game_score", ()), np.float64)
        finished = scores[~np.isnan(scores)]
        self.game_scores.extend(finished.tolist())
        self.games += len(finished)
