"""Vectorized gymnasium environments with user-facing validation.

`gymnasium.make_vec` picks an env's native vectorized implementation where it has
one (CartPole's is pure numpy) and falls back to a synchronous vector of copies.
"""

from dataclasses import dataclass
from functools import cache

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from esrl.errors import UserError


@dataclass(frozen=True)
class EnvInfo:
    env_id: str
    observation_space: spaces.Box
    action_space: spaces.Space
    max_episode_steps: int | None
    reward_threshold: float | None


def _spec(env_id: str) -> gym.envs.registration.EnvSpec:
    try:
        return gym.spec(env_id)
    except gym.error.Error as exc:
        raise UserError(
            f"unknown environment {env_id!r} ({exc}); list ids with "
            "`python -c 'import gymnasium; gymnasium.pprint_registry()'`"
        ) from None


@cache
def env_info(env_id: str) -> EnvInfo:
    """Spaces and limits of an env id; a clear UserError for ids or spaces we cannot use."""
    spec = _spec(env_id)
    try:
        env = gym.make(env_id)
    except gym.error.Error as exc:
        raise UserError(f"cannot create environment {env_id!r}: {exc}") from None
    except ImportError as exc:
        raise UserError(f"environment {env_id!r} needs a missing package: {exc}") from None
    try:
        obs_space, act_space = env.observation_space, env.action_space
    finally:
        env.close()
    if not (isinstance(obs_space, spaces.Box) and len(obs_space.shape) == 1):
        raise UserError(
            f"environment {env_id!r} has observation space {obs_space}; "
            "the MLP policy needs a 1-D Box (vector) observation"
        )
    return EnvInfo(env_id, obs_space, act_space, spec.max_episode_steps, spec.reward_threshold)


def is_mujoco(env_id: str) -> bool:
    """Whether gymnasium registers `env_id` as one of its MuJoCo envs (any version)."""
    spec = gym.registry.get(env_id)
    entry = spec.entry_point if spec is not None else None
    return isinstance(entry, str) and entry.startswith("gymnasium.envs.mujoco")


def make_vector_env(env_id: str, num_envs: int) -> gym.vector.VectorEnv:
    env_info(env_id)  # validates with a clear message before building num_envs copies
    return gym.make_vec(env_id, num_envs=num_envs)


def seed_from(*entropy: int) -> int:
    """A 31-bit env seed from integers, e.g. (run seed, generation, task)."""
    return int(np.random.SeedSequence(list(entropy)).generate_state(1)[0] >> 1)
