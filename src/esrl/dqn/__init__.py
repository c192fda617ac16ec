"""DQN-style agent of the DQN notebook: n-step Q-learning, target network, a pool of games,
experience replay (uint8 frames), epsilon-greedy exploration, video and save/load."""

from esrl.dqn.agent import DQNAgent, QNetwork
from esrl.dqn.config import DQNConfig
from esrl.dqn.replay import ReplayBuffer
from esrl.dqn.targets import epsilon_at, n_step_targets, soft_update
from esrl.dqn.trainer import resume_dqn, train_dqn

__all__ = [
    "DQNAgent",
    "DQNConfig",
    "QNetwork",
    "ReplayBuffer",
    "epsilon_at",
    "n_step_targets",
    "resume_dqn",
    "soft_update",
    "train_dqn",
]
