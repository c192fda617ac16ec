"""The policy that wraps the actor-critic model: samples actions and keeps what training needs."""

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from esrl.a2c.model import ActorCritic


class Policy:
    """`act` returns `actions` (np.ndarray) and `logits`, `log_probs`, `values` (tensors
    still attached to the graph, so the A2C loss can backpropagate through them).

    Sampling uses the policy's own torch generator: a run's actions depend on its
    seed only, and the generator's state is saved with checkpoints.
    """

    def __init__(self, model: ActorCritic, seed: int = 0):
        self.model = model
        self.generator = torch.Generator().manual_seed(seed)

    def act(self, inputs: np.ndarray) -> dict[str, Any]:
        logits, values = self.model(inputs)
        log_probs_all = F.log_softmax(logits, dim=-1)
        with torch.no_grad():
            actions = torch.multinomial(log_probs_all.exp(), 1, generator=self.generator)
        log_probs = log_probs_all.gather(1, actions).squeeze(1)
        return {
            "actions": actions.squeeze(1).numpy(),
            "logits": logits,
            "log_probs": log_probs,
            "values": values,
        }

    @torch.no_grad()
    def values(self, inputs: np.ndarray) -> torch.Tensor:
        """State values alone, for bootstrapping (no sampling, no graph)."""
        return self.model(inputs)[1]

    @torch.no_grad()
    def greedy(self, inputs: np.ndarray) -> np.ndarray:
        return self.model(inputs)[0].argmax(-1).numpy()
