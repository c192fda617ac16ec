"""Policies for stacked Atari frames, evaluated for a whole population slice at once.

Every member has its own weights. `prepare` views an (M, P) block of flat
parameter vectors as per-layer weights once per rollout; `act` runs all M members
on their own observations in one call: convolutions as one grouped convolution
(groups = M, so member m's filters only see member m's frames) and dense layers as
one batched matmul. `member_logits` is the plain one-member forward pass that the
tests compare against.

No virtual batch normalisation (the ES paper's VBN) of hidden layers: its reference
batch costs a second forward pass per step. What we keep of it is the input layer:
frames are normalised per pixel by fixed statistics of a reference set of frames
(`esrl.envs.atari.reference_frame_stats`). Without that, every perturbed policy
saw a near-constant gray picture, ignored the ball and lost Pong 21-0 in exactly
764 steps: no member differed, so ES had no signal.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from esrl.errors import UserError

ARCHITECTURES = ("cnn", "dense")


@dataclass(frozen=True)
class Layer:
    kind: str  # "conv" or "dense"
    in_channels: int  # or in_features
    out_channels: int  # or out_features
    kernel: int = 0
    stride: int = 0

    @property
    def weight_shape(self) -> tuple[int, ...]:
        if self.kind == "conv":
            return (self.out_channels, self.in_channels, self.kernel, self.kernel)
        return (self.in_features, self.out_channels)

    @property
    def in_features(self) -> int:
        return self.in_channels

    @property
    def num_params(self) -> int:
        return int(np.prod(self.weight_shape)) + self.out_channels


def _conv_out(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


def build_layers(obs_shape: tuple[int, int, int], num_actions: int, arch: str) -> list[Layer]:
    stack, height, width = obs_shape
    if arch == "dense":
        return [Layer("dense", stack * height * width, 32), Layer("dense", 32, num_actions)]
    if arch != "cnn":
        raise ValueError(f"unknown architecture {arch!r}; choose from {ARCHITECTURES}")
    h, w = _conv_out(height, 8, 4), _conv_out(width, 8, 4)
    h, w = _conv_out(h, 4, 2), _conv_out(w, 4, 2)
    if min(h, w) < 1:
        raise UserError(f"--frame-size {min(height, width)} is too small for the CNN (20 or more)")
    return [
        Layer("conv", stack, 16, 8, 4),
        Layer("conv", 16, 32, 4, 2),
        Layer("dense", 32 * h * w, 64),
        Layer("dense", 64, num_actions),
    ]


@dataclass(frozen=True)
class PreparedConv:
    members: int
    weights: list[tuple[torch.Tensor, torch.Tensor]]
    frame_mean: torch.Tensor | None = None  # (stack, H, W) in [0, 1] units
    frame_inv_std: torch.Tensor | None = None


class ConvPolicy:
    """ReLU network on uint8 frames (N, stack, H, W) scaled to [0, 1]; argmax over actions."""

    def __init__(
        self,
        obs_shape: tuple[int, int, int],
        num_actions: int,
        arch: str = "cnn",
        frame_norm: tuple[np.ndarray, np.ndarray] | None = None,
        device: torch.device | str = "cpu",
    ):
        """`frame_norm`: fixed per-pixel (mean, 1/std) applied to frames scaled to [0, 1];
        `device`: where weights and frames go for the forward pass (logits come back)."""
        self.obs_shape = tuple(obs_shape)
        self.device = torch.device(device)
        self.frame_norm = frame_norm
        self.num_actions = num_actions
        self.arch = arch
        self.layers = build_layers(self.obs_shape, num_actions, arch)
        self.num_params = sum(layer.num_params for layer in self.layers)
        self.stats_shape = (0,)  # frames are not normalised by running statistics

    def init_params(self, rng: np.random.Generator) -> np.ndarray:
        """Per-output-unit normalised Gaussian weights (normc), zero biases; a small last layer."""
        chunks = []
        for index, layer in enumerate(self.layers):
            scale = 0.01 if index == len(self.layers) - 1 else 1.0
            w = rng.standard_normal(layer.weight_shape)
            if layer.kind == "conv":
                norms = np.sqrt(np.square(w).sum(axis=(1, 2, 3), keepdims=True))
            else:
                norms = np.sqrt(np.square(w).sum(axis=0, keepdims=True))
            chunks += [(scale * w / norms).ravel(), np.zeros(layer.out_channels)]
        return np.concatenate(chunks).astype(np.float32)

    def prepare(self, params: np.ndarray, obs_mean=None, obs_inv_std=None) -> PreparedConv:
        """Per-member weight views; `obs_mean`/`obs_inv_std` normalise each input pixel."""
        params = torch.from_numpy(np.ascontiguousarray(params, dtype=np.float32)).to(self.device)
        if params.ndim == 1:
            params = params[None]
        members, offset, weights = params.shape[0], 0, []
        for layer in self.layers:
            size = int(np.prod(layer.weight_shape))
            w = params[:, offset : offset + size]
            b = params[:, offset + size : offset + size + layer.out_channels]
            offset += size + layer.out_channels
            if layer.kind == "conv":  # (M * out, in, k, k) for a grouped convolution
                w = w.reshape(members * layer.out_channels, *layer.weight_shape[1:])
                b = b.reshape(members * layer.out_channels)
            else:
                w = w.reshape(members, *layer.weight_shape)
            weights.append((w, b))
        if obs_mean is None and self.frame_norm is not None:
            obs_mean, obs_inv_std = self.frame_norm
        if obs_mean is None:
            return PreparedConv(members, weights)
        mean = torch.from_numpy(np.asarray(obs_mean, np.float32)).to(self.device)
        inv_std = torch.from_numpy(np.asarray(obs_inv_std, np.float32)).to(self.device)
        return PreparedConv(members, weights, mean, inv_std)

    def prepare_slice(self, prepared: PreparedConv, members: slice) -> PreparedConv:
        """The same weights for a contiguous range of members only."""
        count = members.stop - members.start
        weights = []
        for layer, (w, b) in zip(self.layers, prepared.weights, strict=True):
            if layer.kind == "conv":
                rows = slice(members.start * layer.out_channels, members.stop * layer.out_channels)
                weights.append((w[rows], b[rows]))
            else:
                weights.append((w[members], b[members]))
        return PreparedConv(count, weights, prepared.frame_mean, prepared.frame_inv_std)

    def _input(self, prepared: PreparedConv, obs: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(obs)).to(self.device).float().div_(255.0)
        if prepared.frame_mean is not None:
            x = (x - prepared.frame_mean) * prepared.frame_inv_std
        return x

    @torch.no_grad()
    def logits(self, prepared: PreparedConv, obs: np.ndarray) -> np.ndarray:
        """Member m's logits on observation m, for all M members in one pass."""
        members = prepared.members
        x = self._input(prepared, obs)
        if len(x) != members:
            raise ValueError(f"{len(x)} observations for {members} members")
        x = x.reshape(1, members * self.obs_shape[0], *self.obs_shape[1:])
        # oneDNN's grouped convolution with 4 input channels per group is faster on
        # channels-last input; the later convolutions are faster on the default layout,
        # so only the first gets it
        x = x.contiguous(memory_format=torch.channels_last)
        last = len(self.layers) - 1
        for index, (layer, (w, b)) in enumerate(zip(self.layers, prepared.weights, strict=True)):
            if layer.kind == "conv":
                x = F.conv2d(x, w, b, stride=layer.stride, groups=members).contiguous()
            else:
                x = torch.baddbmm(b[:, None, :], x.reshape(members, 1, -1), w)[:, 0, :]
            if index != last:
                x = F.relu(x)
        return x.cpu().numpy()

    @torch.no_grad()
    def member_logits(
        self, params: np.ndarray, obs: np.ndarray, obs_mean=None, obs_inv_std=None
    ) -> np.ndarray:
        """One member, one observation batch, plain layers: the reference for `logits`."""
        prepared = self.prepare(params, obs_mean, obs_inv_std)
        weights = prepared.weights
        x = self._input(prepared, obs)
        last = len(self.layers) - 1
        for index, (layer, (w, b)) in enumerate(zip(self.layers, weights, strict=True)):
            if layer.kind == "conv":
                x = F.conv2d(x, w, b, stride=layer.stride)
            else:
                x = F.linear(x.reshape(len(x), -1), w[0].T, b[0])
            if index != last:
                x = F.relu(x)
        return x.cpu().numpy()

    def act(
        self,
        prepared: PreparedConv,
        obs: np.ndarray,
        action_noise: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        out = self.logits(prepared, obs)
        if action_noise > 0.0:
            out = out + action_noise * rng.standard_normal(out.shape, dtype=np.float32)
        return out.argmax(axis=-1).astype(np.int64)
