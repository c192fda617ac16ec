"""The DQN agent: a Q-network, its target network, epsilon-greedy acting and one learning step."""

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from esrl.deeprl.networks.bodies import (
    Bounds,
    device_of,
    frames_to_input,
    mlp,
    nature_cnn,
    notebook_cnn,
    vectors_to_input,
)
from esrl.device import resolve_device
from esrl.dqn.config import DQNConfig
from esrl.dqn.targets import epsilon_at, n_step_targets, soft_update
from esrl.runs import load_torch_state, save_torch_state


class QNetwork(nn.Module):
    """A body (see esrl.deeprl.networks) and a linear head with one Q-value per action."""

    def __init__(
        self,
        num_actions: int,
        obs_shape: tuple[int, ...],
        body: str,
        hidden: tuple[int, ...] = (64, 64),
        bounds: Bounds | None = None,
    ):
        super().__init__()
        self.pixels = len(obs_shape) == 3
        if self.pixels:
            height, width, channels = obs_shape
            build = {"nature": nature_cnn, "notebook": notebook_cnn}[body]
            self.body, features = build(channels, height, width)
        else:
            self.body, features = mlp(int(np.prod(obs_shape)), tuple(hidden), nn.ReLU, bounds)
        self.head = nn.Linear(features, num_actions)

    def forward(self, obs: np.ndarray | torch.Tensor) -> torch.Tensor:
        device = device_of(self)
        x = frames_to_input(obs, device) if self.pixels else vectors_to_input(obs, device)
        return self.head(self.body(x))


def network_body(config: DQNConfig, obs_shape: tuple[int, ...]) -> str:
    if config.network != "auto":
        return config.network
    return "notebook" if len(obs_shape) == 3 else "mlp"


class DQNAgent:
    """`act` is what `EnvRunner` calls (epsilon-greedy at the schedule's current
    epsilon); `learn` takes one gradient step on a replay sample; `save`/`load`
    round-trip everything needed to continue (networks, optimizer, schedule
    position, exploration rng). With `config.pipeline`, `act` plays a copy of the
    online network that `sync_acting` refreshes, so a gradient step can run on
    another thread meanwhile."""

    def __init__(
        self,
        config: DQNConfig,
        num_actions: int,
        obs_shape: tuple[int, ...],
        bounds: Bounds | None = None,
    ):
        self.config = config
        self.num_actions = num_actions
        self.obs_shape = tuple(obs_shape)
        torch.manual_seed(config.seed)
        body = network_body(config, obs_shape)
        self.online = QNetwork(num_actions, obs_shape, body, config.hidden, bounds)
        self.online.to(resolve_device(config.device))  # created on the CPU: the same init
        self.target = copy.deepcopy(self.online).requires_grad_(False)
        # what `act` plays: the online network itself, or with `pipeline` a copy that
        # `sync_acting` refreshes while a gradient step may be changing the online one
        self.acting = (
            copy.deepcopy(self.online).requires_grad_(False) if config.pipeline else self.online
        )
        # fused: one kernel for all parameters (PyTorch's default on CPU loops over them)
        self.optimizer = torch.optim.Adam(
            self.online.parameters(), lr=config.learning_rate, fused=True
        )
        self.rng = np.random.default_rng(config.seed)
        self.iteration = 0  # pool updates: the epsilon schedule's clock
        self.gradient_steps = 0
        self.epsilon_override: float | None = None  # evaluation's fixed epsilon

    @property
    def epsilon(self) -> float:
        if self.epsilon_override is not None:
            return self.epsilon_override
        c = self.config
        return epsilon_at(
            self.iteration, c.epsilon_start, c.epsilon_end, c.epsilon_decay, c.epsilon_schedule
        )

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> dict[str, Any]:
        q = self.acting(obs)
        greedy = q.argmax(1).cpu().numpy()
        explore = self.rng.random(len(greedy)) < self.epsilon
        random_actions = self.rng.integers(0, self.num_actions, len(greedy))
        return {"actions": np.where(explore, random_actions, greedy), "q_max": q.max(1).values}

    def learn(self, batch: dict[str, np.ndarray]) -> dict[str, float]:
        c = self.config
        device = device_of(self.online)
        rewards = torch.as_tensor(batch["rewards"], device=device)
        if c.clip_rewards:
            rewards = rewards.sign()
        rewards = rewards * c.reward_scale
        with torch.no_grad():
            next_q = self.target(batch["next_obs"])
            if c.double_dqn:
                choice = self.online(batch["next_obs"]).argmax(1, keepdim=True)
                bootstrap = next_q.gather(1, choice).squeeze(1)
            else:
                bootstrap = next_q.max(1).values
            dones = torch.as_tensor(batch["dones"], device=device)
            targets = n_step_targets(rewards, dones, bootstrap, c.gamma)
        actions = torch.as_tensor(batch["actions"], device=device)
        q = self.online(batch["obs"]).gather(1, actions[:, None])
        q = q.squeeze(1)
        loss = F.smooth_l1_loss(q, targets) if c.loss == "huber" else F.mse_loss(q, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = (
            torch.nn.utils.clip_grad_norm_(self.online.parameters(), c.max_grad_norm)
            if c.max_grad_norm
            else torch.tensor(float("nan"))
        )
        self.optimizer.step()
        self.gradient_steps += 1
        self.update_target()
        return {
            "td_loss": loss.item(),
            "q_mean": q.mean().item(),
            "target_mean": targets.mean().item(),
            "grad_norm": float(grad_norm),
        }

    @torch.no_grad()
    def sync_acting(self) -> None:
        """Acting plays the online weights as they are now (a no-op without `pipeline`)."""
        if self.acting is not self.online:
            self.acting.load_state_dict(self.online.state_dict())

    def update_target(self) -> None:
        c = self.config
        if c.target_every:
            if self.gradient_steps % c.target_every == 0:
                soft_update(self.target, self.online, 1.0)
        else:
            soft_update(self.target, self.online, c.target_tau)

    def state(self) -> dict[str, Any]:
        return {
            "online": self.online.state_dict(),
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "iteration": self.iteration,
            "gradient_steps": self.gradient_steps,
            "rng": self.rng.bit_generator.state,
            **({"acting": self.acting.state_dict()} if self.acting is not self.online else {}),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.online.load_state_dict(state["online"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.iteration = state["iteration"]
        self.gradient_steps = state["gradient_steps"]
        self.rng.bit_generator.state = state["rng"]
        if "acting" in state and self.acting is not self.online:
            self.acting.load_state_dict(state["acting"])
        else:
            self.sync_acting()

    def save(self, path: Path | str) -> None:
        """The agent alone (no replay), atomically."""
        save_torch_state(Path(path), self.state())

    def load(self, path: Path | str) -> None:
        self.load_state(load_torch_state(Path(path)))
