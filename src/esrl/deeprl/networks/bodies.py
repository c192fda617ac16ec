"""Network bodies that map observations to a feature vector; heads live with each algorithm.

Pixel bodies take (N, C, H, W) float input; `frames_to_input` turns the envs'
channels-last uint8 frames into that.
"""

import math

import numpy as np
import torch
from torch import nn

from esrl.errors import UserError, require_finite


def orthogonal(layer: nn.Module, gain: float) -> nn.Module:
    """Orthogonal kernel with `gain`, zero bias (the A2C notebook's suggestion)."""
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


def _flat_size(convs: nn.Module, channels: int, height: int, width: int) -> int:
    with torch.no_grad():
        return int(convs(torch.zeros(1, channels, height, width)).shape[1])


def nature_cnn(channels: int, height: int, width: int) -> tuple[nn.Sequential, int]:
    """Mnih et al. 2015: conv 32x8x8/4, 64x4x4/2, 64x3x3/1, dense 512, ReLU; (body, features)."""
    gain = math.sqrt(2)
    convs = nn.Sequential(
        orthogonal(nn.Conv2d(channels, 32, 8, stride=4), gain),
        nn.ReLU(),
        orthogonal(nn.Conv2d(32, 64, 4, stride=2), gain),
        nn.ReLU(),
        orthogonal(nn.Conv2d(64, 64, 3, stride=1), gain),
        nn.ReLU(),
        nn.Flatten(),
    )
    flat = _flat_size(convs, channels, height, width)
    return nn.Sequential(convs, orthogonal(nn.Linear(flat, 512), gain), nn.ReLU()), 512


def notebook_cnn(channels: int, height: int, width: int) -> tuple[nn.Sequential, int]:
    """The DQN notebook's body: four 3x3/2 ELU convs (32, 32, 64, 128), dense 512 tanh.

    (The notebook also had dropout 0.1 before the dense layer; we leave it out, so
    acting and learning see the same network.)
    """
    layers: list[nn.Module] = []
    inputs = channels
    for out in (32, 32, 64, 128):
        layers += [nn.Conv2d(inputs, out, 3, stride=2), nn.ELU()]
        inputs = out
    convs = nn.Sequential(*layers, nn.Flatten())
    flat = _flat_size(convs, channels, height, width)
    return nn.Sequential(convs, nn.Linear(flat, 512), nn.Tanh()), 512


class Rescale(nn.Module):
    """Maps a box [low, high] to [-1, 1], so that features of very different scales
    (MountainCar: position about 1, velocity about 0.07) start on an equal footing.
    The bounds are buffers: saved with the weights and restored by `load_state_dict`."""

    def __init__(self, low: np.ndarray, high: np.ndarray):
        super().__init__()
        low, high = np.asarray(low, np.float32), np.asarray(high, np.float32)
        self.register_buffer("center", torch.as_tensor((high + low) / 2))
        self.register_buffer("scale", torch.as_tensor(2 / (high - low)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.center) * self.scale


Bounds = tuple[np.ndarray, np.ndarray]


def observation_bounds(space) -> Bounds:
    """(low, high) of a vector env's observation box for `Rescale`; a UserError (one
    line, exit 2) where there is no finite box to scale from."""
    low, high = getattr(space, "low", None), getattr(space, "high", None)
    if low is None or len(space.shape) != 1 or not np.isfinite([low, high]).all():
        raise UserError(
            "--scale-obs needs vector observations with finite bounds; this env's are "
            f"{space}: leave it off"
        )
    return np.asarray(low), np.asarray(high)


def mlp(
    inputs: int,
    hidden: tuple[int, ...],
    activation: type[nn.Module] = nn.Tanh,
    bounds: Bounds | None = None,
) -> tuple[nn.Sequential, int]:
    """Linear layers with `activation`; inputs rescaled from `bounds` first if given."""
    layers: list[nn.Module] = [] if bounds is None else [Rescale(*bounds)]
    for width in hidden:
        layers += [orthogonal(nn.Linear(inputs, width), math.sqrt(2)), activation()]
        inputs = width
    return nn.Sequential(*layers), inputs


def frames_to_input(
    obs: np.ndarray | torch.Tensor, device: torch.device | None = None
) -> torch.Tensor:
    """(N, H, W, C) uint8 frames -> (N, C, H, W) float in [0, 1], on `device`."""
    return torch.as_tensor(obs, device=device).permute(0, 3, 1, 2).float().div_(255.0)


def vectors_to_input(
    obs: np.ndarray | torch.Tensor, device: torch.device | None = None
) -> torch.Tensor:
    return torch.as_tensor(obs, device=device).float()


def device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


def require_weights_finite(module: nn.Module, what: str) -> None:
    """NonFiniteError (one line, exit 2) if any weight of `module` is NaN or infinite:
    checked before each checkpoint, so a diverged network is never saved."""
    for name, weight in module.named_parameters():
        if not torch.isfinite(weight).all():
            require_finite(weight.detach().cpu().numpy(), f"{what} ({name})")
