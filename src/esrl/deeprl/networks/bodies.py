"""Network bodies that map observations to a feature vector; heads live with each algorithm.

Pixel bodies take (N, C, H, W) float input; `frames_to_input` turns the envs'
channels-last uint8 frames into that.
"""

import math

import numpy as np
import torch
from torch import nn

from esrl.errors import require_finite


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


def mlp(
    inputs: int, hidden: tuple[int, ...], activation: type[nn.Module] = nn.Tanh
) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
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
