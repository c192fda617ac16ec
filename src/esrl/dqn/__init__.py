"""DQN-style agent of the DQN notebook: n-step Q-learning, target network, a pool of games,
experience replay (uint8 frames), epsilon-greedy exploration, video and save/load.

Names load on first use, so that reading `esrl.dqn.config` (the CLI does) does not
import torch.
"""

from esrl.lazy import lazy_attributes

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

__getattr__ = lazy_attributes(__name__, _WHERE)
