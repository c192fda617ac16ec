"""DQN-style agent of the DQN notebook: n-step Q-learning, target network, a pool of games,
experience replay (uint8 frames), epsilon-greedy exploration, video and save/load.

Names load on first use, so that reading `esrl.dqn.config` (the CLI does) does not
import torch.
"""

import importlib

_WHERE = {
    "DQNAgent": "esrl.dqn.agent",
    "QNetwork": "esrl.dqn.agent",
    "DQNConfig": "esrl.dqn.config",
    "ReplayBuffer": "esrl.dqn.replay",
    "epsilon_at": "esrl.dqn.targets",
    "n_step_targets": "esrl.dqn.targets",
    "soft_update": "esrl.dqn.targets",
    "resume_dqn": "esrl.dqn.trainer",
    "train_dqn": "esrl.dqn.trainer",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'esrl.dqn' has no attribute {name!r}")
