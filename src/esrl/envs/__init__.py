"""Environment construction shared by every algorithm."""

from esrl.envs.vector import EnvInfo, env_info, make_vector_env

__all__ = ["EnvInfo", "env_info", "make_vector_env"]
