"""Advantage actor-critic on a batch of envs, with the A2C notebook's names.

from esrl.envs import nature_dqn_env
from esrl.a2c import A2C, ActorCritic, ComputeValueTargets, EnvRunner, MergeTimeBatch, Policy

Names load on first use, so that reading `esrl.a2c.config` (the CLI does) does not
import torch.
"""

import importlib

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
    "EnvRunner": "esrl.envs.runner",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'esrl.a2c' has no attribute {name!r}")
