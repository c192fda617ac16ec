"""The policy that wraps the actor-critic model: samples actions and keeps what training needs."""

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from esrl.a2c.model import ActorCritic


class Policy:
    """`act` returns `actions` (np.ndarray) and `logits`, `log_probs`, `values` (tensors).

    Acting runs without a graph; `evaluate` recomputes the same quantities with one
    forward over the whole merged trajectory, which A2C then backpropagates through.
    On CPU one batched forward and backward (T * N rows) is cheaper than keeping T
    small graphs from acting (Stable-Baselines3 recomputes the same way).

    Sampling uses the policy's own torch generator: a run's actions depend on its
    seed only, and the generator's state is saved with checkpoints.
    """

    def __init__(self, model: ActorCritic, seed: int = 0):
        self.model = model
        self.generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def act(self, inputs: np.ndarray) -> dict[str, Any]:
        logits, values = self.model(inputs)
        log_probs_all = F.log_softmax(logits, dim=-1)
        # sampled on the CPU with the policy's generator, wherever the model runs
        actions = torch.multinomial(log_probs_all.exp().cpu(), 1, generator=self.generator)
        return {
            "actions": actions.squeeze(1).numpy(),
            "logits": logits,
            "log_probs": log_probs_all.gather(1, actions.to(logits.device)).squeeze(1),
            "values": values,
        }

    def evaluate(self, inputs: np.ndarray, actions: np.ndarray) -> dict[str, torch.Tensor]:
        """`logits`, `log_probs` of `actions` and `values`, attached to the graph."""
        logits, values = self.model(inputs)
        log_probs = F.log_softmax(logits, dim=-1)
        taken = torch.as_tensor(actions, dtype=torch.long, device=logits.device).unsqueeze(1)
        return {
            "logits": logits,
            "log_probs": log_probs.gather(1, taken).squeeze(1),
            "values": values,
        }

    @torch.no_grad()
    def values(self, inputs: np.ndarray) -> torch.Tensor:
        """State values alone, for bootstrapping (no sampling, no graph)."""
        return self.model(inputs)[1]

    @torch.no_grad()
    def greedy(self, inputs: np.ndarray) -> np.ndarray:
        return self.model(inputs)[0].argmax(-1).cpu().numpy()
