"""Advantage actor-critic on a batch of envs, with the A2C notebook's names.

from esrl.envs import nature_dqn_env
from esrl.a2c import A2C, ActorCritic, ComputeValueTargets, EnvRunner, MergeTimeBatch, Policy
"""

from esrl.a2c.algorithm import A2C, explained_variance
from esrl.a2c.config import A2CConfig
from esrl.a2c.model import ActorCritic
from esrl.a2c.policy import Policy
from esrl.a2c.trainer import resume_a2c, train_a2c
from esrl.a2c.transforms import ComputeValueTargets, MergeTimeBatch
from esrl.envs.runner import EnvRunner

__all__ = [
    "A2C",
    "A2CConfig",
    "ActorCritic",
    "ComputeValueTargets",
    "EnvRunner",
    "MergeTimeBatch",
    "Policy",
    "explained_variance",
    "resume_a2c",
    "train_a2c",
]
