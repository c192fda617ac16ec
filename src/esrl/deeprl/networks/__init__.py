"""Torch network bodies shared by the gradient learners (A2C, DQN)."""

from esrl.deeprl.networks.bodies import (
    frames_to_input,
    mlp,
    nature_cnn,
    notebook_cnn,
    orthogonal,
    require_weights_finite,
)

__all__ = [
    "frames_to_input",
    "mlp",
    "nature_cnn",
    "notebook_cnn",
    "orthogonal",
    "require_weights_finite",
]
