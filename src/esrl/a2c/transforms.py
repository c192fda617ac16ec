"""Trajectory transforms from the A2C notebook: n-step value targets, then flatten (T, N)."""

from typing import Any

import numpy as np
import torch

from esrl.a2c.policy import Policy


class ComputeValueTargets:
    """Adds `value_targets`: v(s_t) = sum_k gamma^k r_{t+k} + gamma^(T-t) v(s_{t+T}).

    The sum stops at the first reset after t: a terminal's target is its reward
    alone, and nothing from the next episode leaks back. v(s_{t+T}) is the policy's
    value of `trajectory["state"]["latest_observation"]`.
    """

    def __init__(self, policy: Policy, gamma: float = 0.99):
        self.policy = policy
        self.gamma = gamma

    def __call__(self, trajectory: dict[str, Any]) -> None:
        target = self.policy.values(trajectory["state"]["latest_observation"]).float()
        targets = []
        for reward, reset in zip(
            reversed(trajectory["rewards"]), reversed(trajectory["resets"]), strict=True
        ):
            alive = torch.as_tensor(~np.asarray(reset), dtype=torch.float32, device=target.device)
            reward = torch.as_tensor(reward, dtype=torch.float32, device=target.device)
            target = reward + self.gamma * alive * target
            targets.append(target)
        trajectory["value_targets"] = targets[::-1]


class MergeTimeBatch:
    """Merges the first two axes (time T, env batch N) of every per-step list into T * N rows."""

    def __call__(self, trajectory: dict[str, Any]) -> None:
        for key, value in trajectory.items():
            if not isinstance(value, list) or not value:
                continue
            if isinstance(value[0], torch.Tensor):
                trajectory[key] = torch.cat(value, dim=0)
            else:
                trajectory[key] = np.concatenate([np.asarray(v) for v in value], axis=0)
