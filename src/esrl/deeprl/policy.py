"""The saved-policy shape A2C and DQN share: one observation or a batch, raw from the env."""

import numpy as np

from esrl.errors import UserError


class BatchedActor:
    """Single observations or batches, for an `act_batch` that takes batches only."""

    def __init__(self, obs_shape: tuple[int, ...]):
        self.obs_shape = tuple(obs_shape)

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        obs = np.asarray(obs)
        if obs.shape == self.obs_shape:
            return self.act_batch(obs[None], deterministic)[0]
        if obs.shape[1:] != self.obs_shape:
            raise UserError(
                f"observations of shape {obs.shape}; this policy takes {self.obs_shape} "
                f"or a batch of them"
            )
        return self.act_batch(obs, deterministic)

    def act_batch(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        raise NotImplementedError
