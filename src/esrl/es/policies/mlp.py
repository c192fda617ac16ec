"""A tanh MLP for vector observations, evaluated for a whole population slice at once.

Each member has its own weights: `prepare` reshapes an (M, P) block of flat
parameter vectors into per-layer (M, in, out) views once per rollout, and `act`
does one batched matmul per layer for all members, instead of one forward pass
per member.
"""

from dataclasses import dataclass

import numpy as np

from esrl.es.observation_stats import CLIP
from esrl.es.policies.action_heads import ActionHead


@dataclass(frozen=True)
class PreparedMLP:
    layers: list[tuple[np.ndarray, np.ndarray]]  # per layer: W (M, in, out), b (M, out)
    obs_mean: np.ndarray
    obs_inv_std: np.ndarray
    normalize: bool


class MLPPolicy:
    def __init__(self, obs_dim: int, head: ActionHead, hidden: tuple[int, ...] = (16,)):
        self.obs_dim = obs_dim
        self.stats_shape = (obs_dim,)  # running observation statistics, for --obs-norm
        self.head = head
        self.sizes = [obs_dim, *hidden, head.num_outputs]
        self.shapes = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        self.num_params = sum(i * o + o for i, o in self.shapes)

    def init_params(self, rng: np.random.Generator) -> np.ndarray:
        """Column-normalised Gaussian weights (the starter's normc), zero biases.

        The output layer starts small (column norm 0.01) so that initial actions do
        not saturate, as in the starter.
        """
        chunks = []
        for layer, (fan_in, fan_out) in enumerate(self.shapes):
            std = 0.01 if layer == len(self.shapes) - 1 else 1.0
            w = rng.standard_normal((fan_in, fan_out))
            w *= std / np.sqrt(np.square(w).sum(axis=0, keepdims=True))
            chunks += [w.ravel(), np.zeros(fan_out)]
        return np.concatenate(chunks).astype(np.float32)

    def prepare(
        self,
        params: np.ndarray,
        obs_mean: np.ndarray | None = None,
        obs_inv_std: np.ndarray | None = None,
    ) -> PreparedMLP:
        params = np.asarray(params, dtype=np.float32)
        if params.ndim == 1:
            params = params[None]
        members = params.shape[0]
        layers, offset = [], 0
        for fan_in, fan_out in self.shapes:
            w = params[:, offset : offset + fan_in * fan_out].reshape(members, fan_in, fan_out)
            offset += fan_in * fan_out
            b = params[:, offset : offset + fan_out]
            offset += fan_out
            layers.append((w, b))
        normalize = obs_mean is not None
        zeros = np.zeros(self.obs_dim, np.float32)
        return PreparedMLP(
            layers,
            obs_mean if normalize else zeros,
            obs_inv_std if normalize else zeros,
            normalize,
        )

    def select(self, prepared: PreparedMLP, members: np.ndarray | slice) -> PreparedMLP:
        """The prepared weights of some members only, in the order given (a slice: as is)."""
        if isinstance(members, slice):
            return (
                prepared
                if members == slice(None)
                else self.select(prepared, np.arange(len(prepared.layers[0][0]))[members])
            )
        layers = [(w[members], b[members]) for w, b in prepared.layers]
        return PreparedMLP(layers, prepared.obs_mean, prepared.obs_inv_std, prepared.normalize)

    def outputs(self, prepared: PreparedMLP, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float32)
        if prepared.normalize:
            x = np.clip((x - prepared.obs_mean) * prepared.obs_inv_std, -CLIP, CLIP)
        last = len(prepared.layers) - 1
        for layer, (w, b) in enumerate(prepared.layers):
            x = np.matmul(x[:, None, :], w)[:, 0, :] + b
            if layer != last:
                x = np.tanh(x)
        return x

    def act(
        self,
        prepared: PreparedMLP,
        obs: np.ndarray,
        action_noise: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Actions for M members on M observations; optional Gaussian noise on the outputs.

        For discrete actions the noise perturbs the logits before the argmax, which is
        the discrete analogue of the starter's Gaussian action noise.
        """
        out = self.outputs(prepared, obs)
        if action_noise > 0.0:
            out = out + action_noise * rng.standard_normal(out.shape, dtype=np.float32)
        return self.head(out)
