"""Envs that turn non-finite on purpose; importing this module registers their ids."""

import gymnasium as gym
import numpy as np


class TurnsNaN(gym.Wrapper):
    """CartPole whose reward or observation becomes NaN from the `after`-th step on."""

    def __init__(self, env: gym.Env, what: str, after: int):
        super().__init__(env)
        self.what, self.after, self.t = what, after, 0

    def reset(self, **kwargs):
        self.t = 0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.t += 1
        if self.t >= self.after:
            if self.what == "reward":
                reward = float("nan")
            else:
                obs = np.full_like(obs, np.nan)
        return obs, reward, terminated, truncated, info


for _what in ("reward", "observation"):
    gym.register(
        f"esrl-test/NaN{_what.title()}CartPole-v0",
        entry_point=lambda what=_what, **kw: TurnsNaN(
            gym.make("CartPole-v1", disable_env_checker=True, **kw), what, after=20
        ),
        max_episode_steps=500,
        disable_env_checker=True,
    )
