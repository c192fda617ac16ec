"""Map network outputs to environment actions: argmax for Discrete, tanh-squash for Box."""

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from esrl.errors import UserError


@dataclass(frozen=True)
class ActionHead:
    """How many outputs the network needs and how they become actions."""

    num_outputs: int
    discrete: bool
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    def __call__(self, outputs: np.ndarray) -> np.ndarray:
        if self.discrete:
            return outputs.argmax(axis=-1)
        return self.low + (np.tanh(outputs) + 1.0) * 0.5 * (self.high - self.low)


def make_action_head(action_space: spaces.Space) -> ActionHead:
    if isinstance(action_space, spaces.Discrete):
        return ActionHead(num_outputs=int(action_space.n), discrete=True)
    if isinstance(action_space, spaces.Box) and len(action_space.shape) == 1:
        if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
            raise UserError("continuous actions need finite bounds to squash into")
        return ActionHead(
            num_outputs=action_space.shape[0],
            discrete=False,
            low=action_space.low.astype(np.float32),
            high=action_space.high.astype(np.float32),
        )
    raise UserError(f"action space {action_space} is not supported (Discrete or a 1-D Box is)")
