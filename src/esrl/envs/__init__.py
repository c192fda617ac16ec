"""Environment construction shared by every algorithm."""

from esrl.envs.atari import AtariBatch, game_name, make_atari, make_pong, nature_dqn_env
from esrl.envs.vector import EnvInfo, env_info, make_vector_env

__all__ = [
    "AtariBatch",
    "EnvInfo",
    "env_info",
    "game_name",
    "make_atari",
    "make_pong",
    "make_vector_env",
    "nature_dqn_env",
]
