"""Where torch networks run: `--device auto|cpu|cuda` (A2C, DQN, the ES Atari CNN)."""

import torch

from esrl.errors import UserError


def resolve_device(name: str) -> torch.device:
    """`auto`: CUDA where torch sees a GPU, else the CPU. `cuda` without one is an error.

    Environments, replay memory, noise and sampling generators stay on the CPU either
    way; observations go to the device for each forward pass and actions come back."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: torch sees no CUDA device here (use cpu or auto)")
    return torch.device(name)


def playing_device(name: str) -> str:
    """The device a saved run plays on: its own, or the CPU where a `--device cuda`
    run is loaded without a GPU (its weights load onto the CPU either way)."""
    return "cpu" if name == "cuda" and not torch.cuda.is_available() else name
