"""The DQN loss's pure pieces: n-step targets, target-network updates, epsilon schedules."""

import math

import torch
from torch import nn


def n_step_targets(
    rewards: torch.Tensor, dones: torch.Tensor, bootstrap: torch.Tensor, gamma: float
) -> torch.Tensor:
    """r_t + g r_{t+1} + ... + g^(n-1) r_{t+n-1} + g^n Q(s_{t+n}), cut at the first done.

    `rewards`, `dones`: (B, n); `bootstrap`: (B,) the target network's value of
    s_{t+n}. A done at step k keeps rewards up to k and drops everything after it,
    bootstrap included (the notebook's `is_alive` mask).
    """
    n = rewards.shape[1]
    dones = dones.to(rewards.dtype)
    alive_before = torch.cumprod(torch.cat([torch.ones_like(dones[:, :1]), 1 - dones], 1), 1)
    discounts = gamma ** torch.arange(n + 1, dtype=rewards.dtype, device=rewards.device)
    returns = (rewards * alive_before[:, :n] * discounts[:n]).sum(1)
    return returns + alive_before[:, n] * discounts[n] * bootstrap


@torch.no_grad()
def soft_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """target = tau * online + (1 - tau) * target (tau 1: a copy)."""
    for t, o in zip(target.parameters(), online.parameters(), strict=True):
        t.lerp_(o, tau)


def epsilon_at(iteration: int, start: float, end: float, decay: float, schedule: str) -> float:
    """The notebook's 0.01 + 0.45 * exp(-iteration / 20000) is exp(start=.46, end=.01, 20000)."""
    if schedule == "exp":
        return end + (start - end) * math.exp(-iteration / decay)
    return end + (start - end) * max(0.0, 1.0 - iteration / decay)
