"""Torch network bodies shared by the gradient learners (A2C, DQN)."""

from esrl.networks.bodies import frames_to_input, mlp, nature_cnn, notebook_cnn, orthogonal

__all__ = ["frames_to_input", "mlp", "nature_cnn", "notebook_cnn", "orthogonal"]
