"""The actor-critic network: one body, two heads (action logits and state value).

For Atari frames the body is the Nature-DQN one (Mnih et al. 2015); for vector
observations (CartPole and friends) a small tanh MLP. Kernels get orthogonal
init with gain sqrt(2) and biases zeros, as the A2C notebook suggests; the two
heads use the gains OpenAI Baselines and Stable-Baselines3 use (0.01 for logits,
so the first policy is near uniform, and 1 for the value).
"""

import numpy as np
import torch
from torch import nn

from esrl.deeprl.networks.bodies import (
    Bounds,
    device_of,
    frames_to_input,
    mlp,
    nature_cnn,
    vectors_to_input,
)
from esrl.deeprl.networks.bodies import orthogonal as _init


class ActorCritic(nn.Module):
    """`ActorCritic(num_actions)` is the notebook's model for (N, 84, 84, 4) uint8 frames.

    `obs_shape` (H, W, C) selects the CNN, shared by both heads; (D,) selects two
    separate MLPs for actor and critic, as Stable-Baselines3 does for vector
    observations: a shared MLP lets the value loss (returns near 100 on CartPole)
    swamp the policy gradient once the norm is clipped. Frames arrive channels-last
    as uint8, as `nature_dqn_env` gives them, and are scaled to [0, 1] here.
    """

    def __init__(
        self,
        num_actions: int,
        obs_shape: tuple[int, ...] = (84, 84, 4),
        hidden: tuple[int, ...] = (64, 64),
        bounds: Bounds | None = None,
    ):
        super().__init__()
        self.obs_shape = tuple(obs_shape)
        self.pixels = len(self.obs_shape) == 3
        if self.pixels:
            height, width, channels = self.obs_shape
            self.body, features = nature_cnn(channels, height, width)
            self.critic_body = None
        else:
            inputs = int(np.prod(self.obs_shape))
            self.body, features = mlp(inputs, hidden, bounds=bounds)
            self.critic_body, _ = mlp(inputs, hidden, bounds=bounds)
        self.logits_head = _init(nn.Linear(features, num_actions), 0.01)
        self.value_head = _init(nn.Linear(features, 1), 1.0)

    def _inputs(self, obs: np.ndarray | torch.Tensor) -> torch.Tensor:
        device = device_of(self)
        return frames_to_input(obs, device) if self.pixels else vectors_to_input(obs, device)

    def forward(self, obs: np.ndarray | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (N, A), values (N,))"""
        x = self._inputs(obs)
        hidden = self.body(x)
        critic_hidden = hidden if self.critic_body is None else self.critic_body(x)
        return self.logits_head(hidden), self.value_head(critic_hidden).squeeze(-1)
