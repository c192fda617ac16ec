"""Advantage actor-critic on a batch of envs, with the A2C notebook's names.

from esrl.envs import nature_dqn_env
from esrl.a2c import A2C, ActorCritic, ComputeValueTargets, EnvRunner, MergeTimeBatch, Policy

Names load on first use, so that reading `esrl.a2c.config` (the CLI does) does not
import torch.
"""

from esrl.lazy import lazy_attributes

_WHERE = {
    "A2C": "esrl.a2c.algorithm",
    "explained_variance": "esrl.a2c.algorithm",
    "A2CConfig": "esrl.a2c.config",
    "ActorCritic": "esrl.a2c.model",
    "Policy": "esrl.a2c.policy",
    "resume_a2c": "esrl.a2c.trainer",
    "train_a2c": "esrl.a2c.trainer",
    "ComputeValueTargets": "esrl.a2c.transforms",
    "MergeTimeBatch": "esrl.a2c.transforms",
    "EnvRunner": "esrl.deeprl.runner",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_attributes(__name__, _WHERE)
